//! What the terminal commands (`chat`, `generate`) answer with: a turn planned by the server's
//! own `TurnPlanner` (manager → knowledge → persona → prompt) and decoded by a `Generation`,
//! whose every step is the batched pass the server's engine loop runs (a batch of one), so the
//! same turn gives the same skill and, greedy, the same reply in the terminal and through the API.

use std::fmt::Write as _;

use adapterbot_engine::{Engine, Event, FinishReason, Usage};
use adapterbot_skills::{Passage, PlannedTurn, RouteDecision, RouteSource};

/// A reply that has ended.
pub struct Streamed {
    pub text: String,
    pub finish_reason: Option<FinishReason>,
    pub usage: Usage,
}

/// Decodes a planned turn, handing each piece of text to `on_text` as it becomes final.
pub fn stream_turn(
    engine: &Engine,
    turn: &PlannedTurn,
    mut on_text: impl FnMut(&str) -> std::io::Result<()>,
) -> anyhow::Result<Streamed> {
    if let Some(reply) = &turn.decided_reply {
        on_text(&reply.text)?;
        return Ok(Streamed {
            text: reply.text.clone(),
            finish_reason: Some(FinishReason::Stop),
            usage: Usage {
                prompt_tokens: 0,
                completion_tokens: reply.tokens,
            },
        });
    }
    let mut out = Streamed {
        text: String::new(),
        finish_reason: None,
        usage: Usage::default(),
    };
    let generation = engine.generate_shared(
        turn.prompt.ids.clone(),
        turn.sampling.clone(),
        turn.adapter.clone(),
    )?;
    for event in generation {
        match event? {
            Event::Text { text } => {
                on_text(&text)?;
                out.text.push_str(&text);
            }
            Event::Done {
                finish_reason,
                usage,
                timings,
            } => {
                tracing::debug!(?finish_reason, ?usage, ?timings, "reply done");
                out.finish_reason = Some(finish_reason);
                out.usage = usage;
            }
        }
    }
    Ok(out)
}

pub fn source_name(source: RouteSource) -> &'static str {
    match source {
        RouteSource::Auto => "auto",
        RouteSource::Manual => "manual",
        RouteSource::Fallback => "fallback",
    }
}

/// One line on how a turn was routed: `[knowledge · 0.97 · auto · passages: Australia | Nauru]`
/// (each title once).
/// The probability is the manager's for the skill that answers (none when it was not asked).
pub fn route_line(route: &RouteDecision, knowledge: &[Passage]) -> String {
    let mut line = format!("[{}", route.skill);
    if let Some(p) = route.probabilities.get(&route.skill) {
        let _ = write!(line, " · {p:.2}");
    }
    let _ = write!(line, " · {}", source_name(route.source));
    if !knowledge.is_empty() {
        // Several passages often share a title (a country's capital, name, anthem …).
        let mut titles: Vec<&str> = Vec::new();
        for p in knowledge {
            if !titles.contains(&p.title.as_str()) {
                titles.push(&p.title);
            }
        }
        let _ = write!(line, " · passages: {}", titles.join(" | "));
    }
    line.push(']');
    line
}

/// The manager's probabilities for a turn (highest first) and the passages in full.
pub fn explain(route: &RouteDecision, knowledge: &[Passage]) -> String {
    let mut out = String::new();
    if route.probabilities.is_empty() {
        let why = match route.source {
            RouteSource::Manual => "the skill was chosen by hand (/skill ID; /skill auto frees it)",
            _ => "no dialogue manager is loaded: the default skill answered",
        };
        let _ = writeln!(out, "{}: {why}", route.skill);
    } else {
        let mut ranked: Vec<(&String, &f32)> = route.probabilities.iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(a.1));
        let _ = writeln!(
            out,
            "manager ({:.1} ms), {}:",
            route.elapsed_ms,
            source_name(route.source)
        );
        for (skill, p) in ranked {
            let mark = if *skill == route.skill { "→" } else { " " };
            let _ = writeln!(out, " {mark} {skill:<12} {p:.3}");
        }
    }
    if knowledge.is_empty() {
        let _ = writeln!(out, "no knowledge passages");
    }
    for (i, p) in knowledge.iter().enumerate() {
        let _ = writeln!(
            out,
            "passage {} — {} ({}, {}, score {:.2}):\n  {}",
            i + 1,
            p.title,
            p.source,
            p.id,
            p.score,
            p.text
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use adapterbot_skills::PassageKind;
    use std::collections::BTreeMap;

    fn passage(title: &str) -> Passage {
        Passage {
            usage: 0,
            id: format!("factbook/{title}"),
            source: "CIA World Factbook".into(),
            kind: PassageKind::Text,
            title: title.into(),
            text: format!("{title}: capital …"),
            score: 3.5,
        }
    }

    #[test]
    fn the_route_line_names_skill_probability_source_and_passages() {
        let auto = RouteDecision {
            skill: "knowledge".into(),
            source: RouteSource::Auto,
            probabilities: BTreeMap::from([("knowledge".into(), 0.966), ("chitchat".into(), 0.02)]),
            elapsed_ms: 4.0,
        };
        let line = route_line(
            &auto,
            &[passage("Australia"), passage("Nauru"), passage("Australia")],
        );
        assert_eq!(
            line,
            "[knowledge · 0.97 · auto · passages: Australia | Nauru]"
        );
        let why = explain(&auto, &[passage("Australia")]);
        let knowledge_at = why.find("→ knowledge").unwrap();
        assert!(knowledge_at < why.find("chitchat").unwrap(), "{why}");
        assert!(why.contains("Australia: capital …"), "{why}");

        let manual = RouteDecision {
            skill: "persona".into(),
            source: RouteSource::Manual,
            probabilities: BTreeMap::new(),
            elapsed_ms: 0.0,
        };
        assert_eq!(route_line(&manual, &[]), "[persona · manual]");
        assert!(explain(&manual, &[]).contains("chosen by hand"));
    }
}
