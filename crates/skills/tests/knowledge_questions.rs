//! The labelled retrieval questions (data/knowledge/eval/): splits kept apart, so that a setting
//! chosen on tuning or the valid splits says nothing about test by accident.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use adapterbot_skills::knowledge::eval::{load_questions, Question, UNANSWERABLE};

const SPLITS: [&str; 4] = ["tuning", "valid", "valid2", "test"];

fn split(name: &str) -> Vec<Question> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/knowledge/eval");
    load_questions(&dir.join(format!("{name}.jsonl"))).unwrap()
}

/// The subjects a question's passages are about: Factbook country codes, WordNet offsets.
fn subjects(q: &Question) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for id in &q.relevant {
        let parts: Vec<&str> = id.split('/').collect();
        match parts[0] {
            "factbook" => {
                out.insert(format!("country {}", parts[1]));
            }
            _ => {
                // wordnet/<pos>/<offset>[/<relation>/<pos>/<offset>]
                out.extend(
                    parts
                        .iter()
                        .filter(|p| p.len() == 8 && p.bytes().all(|b| b.is_ascii_digit()))
                        .map(|o| format!("synset {o}")),
                );
            }
        }
    }
    out
}

#[test]
fn splits_of_labelled_questions_with_enough_of_each_kind() {
    let mut answerable = 0;
    for name in SPLITS {
        let qs = split(name);
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for q in &qs {
            *kinds.entry(q.kind.as_str()).or_default() += 1;
            if q.kind == "follow-up" {
                assert!(
                    !q.context.is_empty(),
                    "{name}: a follow-up without context: {q:?}"
                );
            }
        }
        let n = qs.len() - kinds.get(UNANSWERABLE).copied().unwrap_or(0);
        answerable += n;
        for kind in ["follow-up", "loose"] {
            let share = kinds.get(kind).copied().unwrap_or(0) as f64 / n as f64;
            assert!(
                share >= 0.3,
                "{name}: {kind} is {share:.2} of the answerable questions"
            );
        }
        assert!(
            kinds.get(UNANSWERABLE).copied().unwrap_or(0) >= 20,
            "{name}: {kinds:?}"
        );
    }
    assert!(answerable >= 400, "{answerable} answerable questions");
}

#[test]
fn the_splits_share_no_question_and_no_subject() {
    let sets: Vec<(&str, Vec<Question>)> = SPLITS.iter().map(|s| (*s, split(s))).collect();
    for (i, (a, qa)) in sets.iter().enumerate() {
        for (b, qb) in &sets[i + 1..] {
            let texts: BTreeSet<String> = qa.iter().map(|q| q.question.to_lowercase()).collect();
            for q in qb {
                assert!(
                    !texts.contains(&q.question.to_lowercase()),
                    "{a} and {b}: {:?}",
                    q.question
                );
            }
            let sa: BTreeSet<String> = qa.iter().flat_map(subjects).collect();
            let sb: BTreeSet<String> = qb.iter().flat_map(subjects).collect();
            let shared: Vec<&String> = sa.intersection(&sb).collect();
            assert!(shared.is_empty(), "{a} and {b} share subjects: {shared:?}");
        }
    }
}

#[test]
fn no_test_question_is_a_training_turn_of_the_knowledge_skill() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/skills/knowledge");
    let mut turns = BTreeSet::new();
    for file in ["train.jsonl", "valid.jsonl"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            for m in row["messages"].as_array().unwrap() {
                turns.insert(m["content"].as_str().unwrap().trim().to_lowercase());
            }
        }
    }
    for q in split("test") {
        assert!(
            !turns.contains(&q.question.trim().to_lowercase()),
            "{:?}",
            q.question
        );
    }
}
