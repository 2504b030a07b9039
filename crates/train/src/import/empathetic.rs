//! EmpatheticDialogues CSV: `conv_id,utterance_idx,context,prompt,speaker_idx,utterance,…`, one
//! utterance per line, commas inside text written as `_comma_` (the files use no CSV quoting).
//! The first speaker tells of a feeling; we learn the listener's turns (even `utterance_idx`).

use std::collections::BTreeMap;

use super::{history, Ctx};
use crate::data::DialogueRow;
use crate::error::Result;

pub(crate) fn import(text: &str, ctx: &Ctx<'_>) -> Result<Vec<DialogueRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .quoting(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ctx.error(1, format!("unreadable header: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(c_conv), Some(c_idx), Some(c_utt)) =
        (col("conv_id"), col("utterance_idx"), col("utterance"))
    else {
        return Err(ctx.error(
            1,
            "the header must name conv_id, utterance_idx and utterance columns",
        ));
    };
    // Conversations in order of first appearance, utterances by index.
    let mut order: Vec<String> = Vec::new();
    let mut convs: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            ctx.error(line, format!("bad CSV record: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |c: usize| {
            record
                .get(c)
                .ok_or_else(|| ctx.error(line, format!("expected at least {} fields", c + 1)))
        };
        let conv = field(c_conv)?.to_string();
        let idx: usize = field(c_idx)?
            .trim()
            .parse()
            .map_err(|_| ctx.error(line, "utterance_idx is not a number"))?;
        let utterance = unescape(field(c_utt)?);
        if !convs.contains_key(&conv) {
            order.push(conv.clone());
        }
        convs.entry(conv).or_default().push((idx, utterance));
    }
    let mut rows = Vec::new();
    for conv in order {
        let mut turns = convs.remove(&conv).unwrap_or_default();
        turns.sort_by_key(|t| t.0);
        // Odd indices: the speaker (user); even: the listener (the side we learn).
        let spoken: Vec<(bool, String)> =
            turns.iter().map(|(i, t)| (i % 2 == 0, t.clone())).collect();
        for (k, (ours, reply)) in spoken.iter().enumerate() {
            if *ours && k > 0 {
                rows.push(ctx.row(history(&spoken[..k]), reply, &conv));
            }
        }
    }
    Ok(rows)
}

fn unescape(s: &str) -> String {
    s.replace("_comma_", ",").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_turns_become_rows_with_commas_restored() {
        let csv = "conv_id,utterance_idx,context,prompt,speaker_idx,utterance,selfeval,tags\n\
hit:0_conv:1,1,sentimental,I remember going to the fireworks with my best friend_comma_ lots of people.,1,I remember going to see the fireworks with my best friend.,5|5|5_2|2|5,\n\
hit:0_conv:1,2,sentimental,I remember going to the fireworks with my best friend_comma_ lots of people.,0,Was this a friend you were in love with_comma_ or just a best friend?,5|5|5_2|2|5,\n\
hit:0_conv:1,3,sentimental,I remember going to the fireworks with my best friend_comma_ lots of people.,1,This was a best friend. I miss her.,5|5|5_2|2|5,\n\
hit:0_conv:1,4,sentimental,I remember going to the fireworks with my best friend_comma_ lots of people.,0,Where has she gone?,5|5|5_2|2|5,\n\
hit:1_conv:2,1,afraid,Storm.,2,A storm knocked our power out \"last night\".,,\n\
hit:1_conv:2,2,afraid,Storm.,3,That sounds scary!,,\n";
        let ctx = Ctx {
            path: std::path::Path::new("train.csv"),
            source: "EmpatheticDialogues train.csv".into(),
            license: "l".into(),
        };
        let rows = import(csv, &ctx).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].messages.len(), 1);
        assert_eq!(rows[0].messages[0].role, "user");
        assert_eq!(
            rows[0].reply,
            "Was this a friend you were in love with, or just a best friend?"
        );
        assert_eq!(rows[1].messages.len(), 3);
        assert_eq!(rows[1].messages[1].role, "assistant");
        assert_eq!(rows[1].reply, "Where has she gone?");
        assert_eq!(
            rows[2].messages[0].content,
            "A storm knocked our power out \"last night\"."
        );
        assert_eq!(rows[2].source, "EmpatheticDialogues train.csv hit:1_conv:2");
    }

    #[test]
    fn a_bad_index_names_its_line() {
        let csv = "conv_id,utterance_idx,context,prompt,speaker_idx,utterance\nc1,1,x,y,1,hi\nc1,two,x,y,0,hello\n";
        let ctx = Ctx {
            path: std::path::Path::new("t.csv"),
            source: "s".into(),
            license: "l".into(),
        };
        let err = import(csv, &ctx).unwrap_err().to_string();
        assert!(err.starts_with("t.csv:3:"), "{err}");
    }
}
