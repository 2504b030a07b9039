//! PersonaChat / ConvAI2 in ParlAI's text format: numbered lines, the number restarting at 1
//! for each episode; `N your persona: …` lines give our persona, `N text\tlabels\t\tcands` lines
//! give the partner's turn and our reply (the one to learn).

use super::{history, Ctx};
use crate::data::DialogueRow;
use crate::error::Result;

/// ParlAI's marker for "the partner said nothing" (our side opens the conversation).
const SILENCE: &str = "__SILENCE__";

#[derive(Default)]
struct Episode {
    persona: Vec<String>,
    turns: Vec<(bool, String)>,
    first_line: usize,
}

pub(crate) fn import(text: &str, ctx: &Ctx<'_>) -> Result<Vec<DialogueRow>> {
    let mut rows = Vec::new();
    let mut ep = Episode::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let (num, rest) = raw
            .split_once(' ')
            .ok_or_else(|| ctx.error(line, "expected `N text`"))?;
        let num: usize = num
            .parse()
            .map_err(|_| ctx.error(line, "the line does not start with a turn number"))?;
        if num == 1 {
            ep = Episode {
                first_line: line,
                ..Episode::default()
            };
        }
        if let Some(fact) = rest.strip_prefix("your persona:") {
            ep.persona.push(fact.trim().to_string());
            continue;
        }
        if rest.starts_with("partner's persona:") {
            continue;
        }
        let mut fields = rest.split('\t');
        let partner = fields.next().unwrap_or_default().trim();
        let Some(label) = fields.next().map(str::trim).filter(|l| !l.is_empty()) else {
            return Err(ctx.error(line, "expected `text<TAB>labels`"));
        };
        // Several labels may be given separated by `|`; the first is the reply.
        let label = label.split('|').next().unwrap_or(label).trim().to_string();
        if partner != SILENCE {
            ep.turns.push((false, partner.to_string()));
            let mut row = ctx.row(
                history(&ep.turns),
                &label,
                &format!("episode@{}", ep.first_line),
            );
            row.persona = ep.persona.clone();
            rows.push(row);
        }
        ep.turns.push((true, label));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx<'static> {
        Ctx {
            path: std::path::Path::new("train_self_original.txt"),
            source: "ConvAI2 train_self_original.txt".into(),
            license: "l".into(),
        }
    }

    #[test]
    fn episodes_personas_and_replies() {
        let text = "1 your persona: i like to remodel homes.\n\
2 your persona: i have a dog named rex.\n\
3 partner's persona: i am a nurse.\n\
4 hi , how are you doing ?\tgood ! i just finished painting my kitchen .\t\tno .|yes .|good ! i just finished painting my kitchen .\n\
5 nice , what color ?\tblue , rex did not approve .\t\ta|b\n\
1 your persona: i love tea.\n\
2 __SILENCE__\thello there !\t\tx|y\n\
3 hey , what do you drink ?\ttea , always .\t\tx|y\n";
        let rows = import(text, &ctx()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0].persona,
            vec!["i like to remodel homes.", "i have a dog named rex."]
        );
        assert_eq!(rows[0].messages.len(), 1);
        assert_eq!(
            rows[0].reply,
            "good ! i just finished painting my kitchen ."
        );
        assert_eq!(rows[1].messages.len(), 3);
        assert_eq!(rows[1].messages[1].role, "assistant");
        assert_eq!(rows[1].reply, "blue , rex did not approve .");
        // The second episode: our side opened, so its first row's history starts with us.
        assert_eq!(rows[2].persona, vec!["i love tea."]);
        assert_eq!(rows[2].messages[0].role, "assistant");
        assert_eq!(rows[2].messages[0].content, "hello there !");
        assert_eq!(rows[2].reply, "tea , always .");
        assert!(rows[2].source.ends_with("episode@6"));
    }

    #[test]
    fn a_line_without_labels_is_an_error_with_its_line() {
        let err = import("1 your persona: x.\n2 hello there\n", &ctx())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("train_self_original.txt:2:"), "{err}");
    }
}
