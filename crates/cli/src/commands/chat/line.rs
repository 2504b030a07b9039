//! What one line typed into `adapterbot chat` asks for: a message, or a `/command`.

use adapterbot_skills::clean_persona;

/// The commands, as `/help` lists them.
pub const HELP: &str = "\
/skill ID|auto     answer every turn with skill ID, or let the dialogue manager pick (auto)
/persona F; F; …   the persona skill's facts, separated by ';' (/persona alone clears them)
/why               the manager's probabilities for the last turn, and its passages in full
/reset             start a new conversation (skill and persona stay)
/quit              leave (Ctrl-D too)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Nothing to do (an empty line).
    Blank,
    /// A message to the bot.
    Say(String),
    /// `/skill ID` or `/skill auto`; `None` when no skill was named.
    Skill(Option<String>),
    /// `/persona F; F; …`: the new facts (none clears them).
    Persona(Vec<String>),
    Why,
    Reset,
    Quit,
    Help,
    /// A `/word` that is no command.
    Unknown(String),
}

impl Line {
    pub fn parse(line: &str) -> Line {
        let line = line.trim();
        if line.is_empty() {
            return Line::Blank;
        }
        // A message may start with '/' ("/r/rust is fun"): only a known command word is a command.
        let Some(rest) = line.strip_prefix('/') else {
            return Line::Say(line.to_string());
        };
        if rest.starts_with('/') {
            // "//help" sends "/help".
            return Line::Say(rest.to_string());
        }
        let (word, arg) = rest
            .split_once(char::is_whitespace)
            .map(|(w, a)| (w, a.trim()))
            .unwrap_or((rest, ""));
        match word {
            "skill" => Line::Skill((!arg.is_empty()).then(|| arg.to_string())),
            "persona" => Line::Persona(clean_persona(arg.split(';'))),
            "why" => Line::Why,
            "reset" | "new" => Line::Reset,
            "quit" | "exit" | "q" => Line::Quit,
            "help" | "?" => Line::Help,
            _ if word.chars().all(|c| c.is_ascii_alphabetic()) && !word.is_empty() => {
                Line::Unknown(word.to_string())
            }
            _ => Line::Say(line.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_messages_are_told_apart() {
        assert_eq!(Line::parse("  "), Line::Blank);
        assert_eq!(
            Line::parse(" Hello there "),
            Line::Say("Hello there".into())
        );
        assert_eq!(
            Line::parse("/skill knowledge"),
            Line::Skill(Some("knowledge".into()))
        );
        assert_eq!(Line::parse("/skill"), Line::Skill(None));
        assert_eq!(
            Line::parse("/persona I am a nurse. ;  I have a cat.;;"),
            Line::Persona(vec!["I am a nurse.".into(), "I have a cat.".into()])
        );
        assert_eq!(Line::parse("/persona"), Line::Persona(vec![]));
        assert_eq!(Line::parse("/why"), Line::Why);
        assert_eq!(Line::parse("/reset"), Line::Reset);
        assert_eq!(Line::parse("/quit"), Line::Quit);
        assert_eq!(
            Line::parse("/frobnicate"),
            Line::Unknown("frobnicate".into())
        );
        // Paths and the like are messages, not unknown commands.
        assert_eq!(
            Line::parse("/r/rust is fun"),
            Line::Say("/r/rust is fun".into())
        );
        assert_eq!(Line::parse("/ hi"), Line::Say("/ hi".into()));
        assert_eq!(Line::parse("//help me"), Line::Say("/help me".into()));
    }
}
