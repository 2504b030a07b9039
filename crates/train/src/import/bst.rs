//! Blended Skill Talk JSON: a list of episodes `{personas: [[free…], [guided…]],
//! free_turker_utterance, guided_turker_utterance, dialog: [[speaker, text], …], …}`. As in
//! ParlAI's teacher we learn the guided worker's turns (speaker 1), with that worker's persona;
//! the two seed utterances open the history.

use serde_json::Value;

use super::{history, Ctx};
use crate::data::DialogueRow;
use crate::error::Result;

pub(crate) fn import(text: &str, ctx: &Ctx<'_>) -> Result<Vec<DialogueRow>> {
    let data: Value =
        serde_json::from_str(text).map_err(|e| ctx.error(e.line(), format!("bad JSON: {e}")))?;
    let episodes = data
        .as_array()
        .ok_or_else(|| ctx.error(1, "expected a JSON list of episodes"))?;
    let mut rows = Vec::new();
    for (e, ep) in episodes.iter().enumerate() {
        let persona: Vec<String> = ep["personas"][1]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let mut spoken: Vec<(bool, String)> = Vec::new();
        for (key, ours) in [
            ("free_turker_utterance", false),
            ("guided_turker_utterance", true),
        ] {
            if let Some(t) = ep[key].as_str().map(str::trim).filter(|t| !t.is_empty()) {
                spoken.push((ours, t.to_string()));
            }
        }
        let dialog = ep["dialog"]
            .as_array()
            .ok_or_else(|| ctx.error(1, format!("episode {e} has no `dialog` list")))?;
        for (t, turn) in dialog.iter().enumerate() {
            let (Some(speaker), Some(text)) = (turn[0].as_u64(), turn[1].as_str()) else {
                return Err(ctx.error(
                    1,
                    format!("episode {e}, turn {t}: expected [speaker, text]"),
                ));
            };
            let ours = speaker == 1;
            if ours && spoken.iter().any(|(o, _)| !o) {
                let mut row = ctx.row(history(&spoken), text, &format!("episode {e} turn {t}"));
                row.persona = persona.clone();
                rows.push(row);
            }
            spoken.push((ours, text.trim().to_string()));
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guided_turns_with_their_persona() {
        let json = r#"[{
  "personas": [["I have two cats.", "I work nights."], ["I am a chef.", "I grew up in Lyon."]],
  "context_dataset": "empathetic_dialogues",
  "free_turker_utterance": "I burnt dinner again tonight.",
  "guided_turker_utterance": "Oh no, what were you making?",
  "additional_context": "",
  "dialog": [[0, "A risotto. I stirred it for ages."], [1, "Risotto is tricky! Low heat helps."], [0, "Thanks, I'll try."], [1, "Good luck, tell me how it goes."]],
  "suggestions": [], "chosen_suggestions": []
}]"#;
        let ctx = Ctx {
            path: std::path::Path::new("train.json"),
            source: "Blended Skill Talk train.json".into(),
            license: "l".into(),
        };
        let rows = import(json, &ctx).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].persona, vec!["I am a chef.", "I grew up in Lyon."]);
        let roles: Vec<&str> = rows[0].messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["user", "assistant", "user"]);
        assert_eq!(rows[0].reply, "Risotto is tricky! Low heat helps.");
        assert_eq!(rows[1].messages.len(), 5);
        assert_eq!(rows[1].reply, "Good luck, tell me how it goes.");
    }

    #[test]
    fn a_malformed_turn_is_refused() {
        let ctx = Ctx {
            path: std::path::Path::new("train.json"),
            source: "s".into(),
            license: "l".into(),
        };
        let err = import(r#"[{"personas": [[], []], "dialog": [["x"]]}]"#, &ctx).unwrap_err();
        assert!(
            err.to_string().contains("expected [speaker, text]"),
            "{err}"
        );
    }
}
