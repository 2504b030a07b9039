//! Behaviour metrics of greedy replies, for `adapterbot eval adapters`: reply statistics for
//! every skill, and rule-based judges for what a row's `expect` field says a good reply does
//! (knowledge answers and hallucinations, persona fact use and contradictions, empathetic
//! valence). The engine knows nothing of these; they only read text.

pub mod contradiction;
pub mod empathy;
pub mod knowledge;
pub mod persona;
pub mod text;

use serde::Serialize;

use crate::data::DialogueRow;

/// One reply to judge, with the row it answers.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    pub row: &'a DialogueRow,
    /// The persona facts the prompt carried: the row's own, or the skill's default persona.
    pub persona: &'a [String],
    pub reply: &'a str,
    /// The reply ended by itself (end of turn, EOS or a stop string), not at the token limit.
    pub ended: bool,
}

/// The behaviour metrics of the replies of one cell (one skill's data × one column). A judged
/// metric is `None` when no row of the cell can be judged for it; `*_rows` counts those that
/// can.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BehaviourMetrics {
    /// Replies judged.
    pub replies: usize,
    /// Distinct words / all words, over all replies.
    pub distinct_1: f64,
    /// Distinct word pairs / all word pairs, over all replies (pairs inside one reply).
    pub distinct_2: f64,
    /// Mean reply length in words.
    pub mean_words: f64,
    /// Share of replies that ended by themselves within the token limit.
    pub ended_share: f64,
    /// Knowledge rows (with `expect.answers`): share of replies holding a gold answer.
    pub answer_accuracy: Option<f64>,
    pub answer_rows: usize,
    /// Rows with knowledge passages: share of replies stating a value that no passage and no
    /// user message contains.
    pub hallucination_rate: Option<f64>,
    pub passage_rows: usize,
    /// Persona rows with `expect.fact` (one with content words): share of replies that use
    /// that fact.
    pub fact_use: Option<f64>,
    pub fact_rows: usize,
    /// Rows whose prompt carried persona facts: share of replies contradicting them.
    pub contradiction_rate: Option<f64>,
    pub persona_rows: usize,
    /// Empathetic rows (with `expect.valence`): share of replies acknowledging the feeling with
    /// the right valence and never the wrong one.
    pub valence_match: Option<f64>,
    pub valence_rows: usize,
}

/// The share of `true` among the judged, and how many were judged.
fn share(judged: impl Iterator<Item = bool>) -> (Option<f64>, usize) {
    let (mut yes, mut n) = (0usize, 0usize);
    for j in judged {
        n += 1;
        yes += usize::from(j);
    }
    ((n > 0).then(|| yes as f64 / n as f64), n)
}

/// What a reply to `row` may state values from: its knowledge passages and the user's
/// messages.
fn sources(row: &DialogueRow) -> Vec<&str> {
    let passages = row.knowledge.iter().map(String::as_str);
    let user = row.messages.iter().filter(|m| m.role == "user");
    passages.chain(user.map(|m| m.content.as_str())).collect()
}

/// The last message of a row, the turn a persona fact answers.
fn last_turn(row: &DialogueRow) -> &str {
    row.messages.last().map_or("", |m| m.content.as_str())
}

/// Why one reply fails a judge, if it does: the first failing judge, in the order of
/// [`BehaviourMetrics`], with what decided it (for `adapterbot data judge --misses`).
pub fn first_miss(case: &Case<'_>) -> Option<String> {
    let (row, reply) = (case.row, case.reply);
    if !row.expect.answers.is_empty() && !knowledge::answer_correct(reply, &row.expect.answers) {
        return Some(format!("no answer of {:?}", row.expect.answers));
    }
    if !row.knowledge.is_empty() {
        let unsupported = knowledge::unsupported_values(reply, &sources(row));
        if !unsupported.is_empty() {
            return Some(format!("unsupported {unsupported:?}"));
        }
    }
    if let Some(fact) = &row.expect.fact {
        if persona::fact_used(reply, fact, last_turn(row)) == Some(false) {
            return Some(format!("fact unused {fact:?}"));
        }
    }
    if !case.persona.is_empty() && contradiction::contradicts(reply, case.persona) {
        return Some("contradicts its persona".into());
    }
    if let Some(valence) = row.expect.valence {
        if !empathy::valence_match(reply, valence) {
            let hits = empathy::acknowledgements(reply);
            return Some(format!(
                "{valence:?} valence unmatched (sympathy {:?}, joy {:?})",
                hits.sympathy, hits.joy
            ));
        }
    }
    None
}

/// Judges the replies of one cell.
pub fn judge(cases: &[Case<'_>]) -> BehaviourMetrics {
    let replies: Vec<&str> = cases.iter().map(|c| c.reply).collect();
    let n = cases.len();
    let words: usize = replies.iter().map(|r| text::reply_words(r).len()).sum();
    let mean = |x: usize| if n == 0 { 0.0 } else { x as f64 / n as f64 };

    let (answer_accuracy, answer_rows) = share(
        cases
            .iter()
            .filter(|c| !c.row.expect.answers.is_empty())
            .map(|c| knowledge::answer_correct(c.reply, &c.row.expect.answers)),
    );
    let (hallucination_rate, passage_rows) = share(
        cases
            .iter()
            .filter(|c| !c.row.knowledge.is_empty())
            .map(|c| knowledge::hallucinates(c.reply, &sources(c.row))),
    );
    let (fact_use, fact_rows) = share(cases.iter().filter_map(|c| {
        let fact = c.row.expect.fact.as_deref()?;
        persona::fact_used(c.reply, fact, last_turn(c.row))
    }));
    let (contradiction_rate, persona_rows) = share(
        cases
            .iter()
            .filter(|c| !c.persona.is_empty())
            .map(|c| contradiction::contradicts(c.reply, c.persona)),
    );
    let (valence_match, valence_rows) = share(
        cases
            .iter()
            .filter_map(|c| Some(empathy::valence_match(c.reply, c.row.expect.valence?))),
    );
    BehaviourMetrics {
        replies: n,
        distinct_1: text::distinct_n(&replies, 1),
        distinct_2: text::distinct_n(&replies, 2),
        mean_words: mean(words),
        ended_share: mean(cases.iter().filter(|c| c.ended).count()),
        answer_accuracy,
        answer_rows,
        hallucination_rate,
        passage_rows,
        fact_use,
        fact_rows,
        contradiction_rate,
        persona_rows,
        valence_match,
        valence_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Expect, Valence};
    use adapterbot_engine::ChatMessage;

    fn row(user: &str) -> DialogueRow {
        DialogueRow {
            messages: vec![ChatMessage::new("user", user)],
            reply: "ref".into(),
            knowledge: vec![],
            persona: vec![],
            source: "test".into(),
            license: "CC0-1.0".into(),
            expect: Expect::default(),
        }
    }

    #[test]
    fn each_metric_is_judged_on_the_rows_it_applies_to() {
        let mut k = row("What is the capital of Kenya?");
        k.knowledge = vec!["Kenya — capital: Nairobi.".into()];
        k.expect.answers = vec!["Nairobi".into()];
        let mut p = row("What do you do?");
        p.persona = vec!["I am a nurse.".into(), "I have a dog.".into()];
        p.expect.fact = Some("I am a nurse.".into());
        let mut e = row("I got the job!");
        e.expect.valence = Some(Valence::Positive);
        let plain = row("hi");
        let cases = [
            Case {
                row: &k,
                persona: &[],
                reply: "It is Nairobi, near Mombasa.",
                ended: true,
            },
            Case {
                row: &p,
                persona: &p.persona,
                reply: "I'm a nurse and I have a cat.",
                ended: true,
            },
            Case {
                row: &e,
                persona: &[],
                reply: "Congrats!",
                ended: false,
            },
            Case {
                row: &plain,
                persona: &[],
                reply: "",
                ended: false,
            },
        ];
        let m = judge(&cases);
        assert_eq!(m.replies, 4);
        assert_eq!((m.answer_accuracy, m.answer_rows), (Some(1.0), 1));
        // "Mombasa" is in no passage and not in the question.
        assert_eq!((m.hallucination_rate, m.passage_rows), (Some(1.0), 1));
        assert_eq!((m.fact_use, m.fact_rows), (Some(1.0), 1));
        assert_eq!((m.contradiction_rate, m.persona_rows), (Some(1.0), 1));
        assert_eq!((m.valence_match, m.valence_rows), (Some(1.0), 1));
        assert_eq!(m.ended_share, 0.5);
        // 5 + 8 + 1 + 0 words.
        assert_eq!(m.mean_words, 14.0 / 4.0);
        assert!(m.distinct_1 > 0.0 && m.distinct_1 <= 1.0);
        assert!(m.distinct_2 > 0.0 && m.distinct_2 <= 1.0);

        let none = judge(&cases[3..]);
        assert_eq!(none.answer_accuracy, None);
        assert_eq!(none.hallucination_rate, None);
        assert_eq!(none.fact_use, None);
        assert_eq!(none.contradiction_rate, None);
        assert_eq!(none.valence_match, None);
        assert_eq!(none.distinct_1, 0.0);
        let empty = judge(&[]);
        assert_eq!(
            (empty.replies, empty.mean_words, empty.ended_share),
            (0, 0.0, 0.0)
        );
    }
}
