//! Wizard of Wikipedia JSON: a list of dialogues, each `{chosen_topic, dialog: [{speaker, text,
//! checked_sentence, retrieved_passages, …}]}`. We learn the wizard's turns; the sentence the
//! wizard checked (plus the first sentence of up to two other retrieved passages, as a retriever
//! would also return) becomes the row's knowledge, as `Title: sentence`.

use serde_json::Value;

use super::{history, Ctx};
use crate::data::DialogueRow;
use crate::error::Result;

const DISTRACTORS: usize = 2;

pub(crate) fn import(text: &str, ctx: &Ctx<'_>) -> Result<Vec<DialogueRow>> {
    let data: Value =
        serde_json::from_str(text).map_err(|e| ctx.error(e.line(), format!("bad JSON: {e}")))?;
    let dialogues = data
        .as_array()
        .ok_or_else(|| ctx.error(1, "expected a JSON list of dialogues"))?;
    let mut rows = Vec::new();
    for (d, dialogue) in dialogues.iter().enumerate() {
        let topic = dialogue["chosen_topic"].as_str().unwrap_or_default();
        let turns = dialogue["dialog"]
            .as_array()
            .ok_or_else(|| ctx.error(1, format!("dialogue {d} has no `dialog` list")))?;
        let mut spoken: Vec<(bool, String)> = Vec::new();
        for (t, turn) in turns.iter().enumerate() {
            let speaker = turn["speaker"].as_str().unwrap_or_default();
            let text = turn["text"].as_str().unwrap_or_default().trim().to_string();
            let wizard = speaker.contains("Wizard");
            if !wizard && !speaker.contains("Apprentice") {
                return Err(ctx.error(
                    1,
                    format!("dialogue {d}, turn {t}: unknown speaker {speaker:?}"),
                ));
            }
            if wizard && !spoken.is_empty() {
                let mut row = ctx.row(history(&spoken), &text, &format!("dialogue {d} turn {t}"));
                row.knowledge = knowledge(turn, topic);
                rows.push(row);
            }
            spoken.push((wizard, text));
        }
    }
    Ok(rows)
}

/// `Title: sentence` for the checked sentence first, then distractor passages.
fn knowledge(turn: &Value, topic: &str) -> Vec<String> {
    let checked = turn["checked_sentence"]
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(Value::as_str)
        .filter(|s| *s != "no_passages_used" && !s.trim().is_empty());
    let passages: Vec<(&str, Vec<&str>)> = turn["retrieved_passages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|m| {
            m.iter().map(|(title, sents)| {
                let sents = sents
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                (title.as_str(), sents)
            })
        })
        .collect();
    let mut out = Vec::new();
    let mut checked_title = None;
    if let Some(sentence) = checked {
        let title = passages
            .iter()
            .find(|(_, s)| s.contains(&sentence))
            .map_or(topic, |(t, _)| *t);
        checked_title = Some(title);
        out.push(format!("{title}: {}", sentence.trim()));
    }
    for (title, sents) in &passages {
        if out.len() > DISTRACTORS || Some(*title) == checked_title {
            continue;
        }
        if let Some(first) = sents.first().filter(|s| !s.trim().is_empty()) {
            out.push(format!("{title}: {}", first.trim()));
        }
    }
    out.truncate(DISTRACTORS + 1);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wizard_turns_carry_the_checked_sentence_first() {
        let json = r#"[{
  "chosen_topic": "Blue",
  "persona": "i like the colour blue.",
  "wizard_eval": 5,
  "dialog": [
    {"speaker": "0_Wizard", "text": "Blue is one of the three primary colours.",
     "checked_sentence": {"chosen_Blue_0": "Blue is one of the three primary colours of pigments."},
     "retrieved_passages": [{"Blue": ["Blue is one of the three primary colours of pigments.", "It lies between violet and green."]}]},
    {"speaker": "1_Apprentice", "text": "I love blue! Why is the sky blue?"},
    {"speaker": "0_Wizard", "text": "Sunlight scatters off air molecules, and blue light scatters most.",
     "checked_sentence": {"chosen_Rayleigh_scattering_1": "Shorter wavelengths such as blue are scattered more strongly."},
     "checked_passage": {"chosen_Rayleigh_scattering": "Rayleigh scattering"},
     "retrieved_passages": [
        {"Sky": ["The sky is everything above the surface of a planet."]},
        {"Rayleigh scattering": ["Rayleigh scattering is the elastic scattering of light.", "Shorter wavelengths such as blue are scattered more strongly."]},
        {"Ocean": ["An ocean is a body of salt water."]},
        {"Violet": ["Violet is a colour."]}]},
    {"speaker": "1_Apprentice", "text": "Cool."},
    {"speaker": "0_Wizard", "text": "Yes, nature is neat.",
     "checked_sentence": {"no_passages_used": "no_passages_used"},
     "retrieved_passages": []}
  ]}]"#;
        let ctx = Ctx {
            path: std::path::Path::new("data.json"),
            source: "Wizard of Wikipedia data.json".into(),
            license: "l".into(),
        };
        let rows = import(json, &ctx).unwrap();
        // The wizard's opening turn has nobody to answer: history only.
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].messages.len(), 2);
        assert_eq!(rows[0].messages[0].role, "assistant");
        assert_eq!(
            rows[0].messages[1].content,
            "I love blue! Why is the sky blue?"
        );
        assert_eq!(
            rows[0].knowledge,
            vec![
                "Rayleigh scattering: Shorter wavelengths such as blue are scattered more strongly.",
                "Sky: The sky is everything above the surface of a planet.",
                "Ocean: An ocean is a body of salt water.",
            ]
        );
        assert_eq!(rows[1].reply, "Yes, nature is neat.");
        assert!(rows[1].knowledge.is_empty());
    }

    #[test]
    fn bad_json_names_the_line() {
        let ctx = Ctx {
            path: std::path::Path::new("data.json"),
            source: "s".into(),
            license: "l".into(),
        };
        let err = import("[\n{\"dialog\": [}\n]", &ctx)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("data.json:2:"), "{err}");
    }
}
