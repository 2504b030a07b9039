//! The default skills' corpora in data/skills/ (built by scripts/data/make_skill_corpora.py):
//! every row valid, sourced and licensed, each skill's context present, three splits of useful
//! size, and the test split decontaminated at sentence level: no normalized test reply sentence
//! and no test user turn appears in train or valid.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use adapterbot_train::{read_dialogues, DialogueRow};

const SKILLS: [&str; 4] = ["empathetic", "persona", "knowledge", "chitchat"];

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/skills")
}

fn split(skill: &str, name: &str) -> Vec<DialogueRow> {
    let path = data_dir().join(skill).join(format!("{name}.jsonl"));
    let file = read_dialogues(&path, true).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.rows.into_iter().map(|(_, r)| r).collect()
}

/// Lower case, letters and digits only, single spaces (as the corpus builder compares text).
fn norm(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A reply's sentences (split after . ! ? …), normalized.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        if matches!(c, '.' | '!' | '?' | '…') && chars.peek().is_some_and(|n| n.is_whitespace()) {
            out.push(std::mem::take(&mut current));
        }
    }
    out.push(current);
    out.iter()
        .map(|s| norm(s))
        .filter(|s| !s.is_empty())
        .collect()
}

fn user_turns(r: &DialogueRow) -> impl Iterator<Item = String> + '_ {
    r.messages
        .iter()
        .filter(|m| m.role == "user")
        .map(|m| norm(&m.content))
}

#[test]
fn sentences_split_like_the_corpus_builder() {
    assert_eq!(
        sentences("Oh no!  That's awful… How is she? fine"),
        vec!["oh no", "that s awful", "how is she", "fine"]
    );
}

#[test]
fn every_default_corpus_has_three_well_formed_splits() {
    for skill in SKILLS {
        let (train, valid, test) = (
            split(skill, "train"),
            split(skill, "valid"),
            split(skill, "test"),
        );
        assert!(train.len() >= 1500, "{skill}: {} train rows", train.len());
        assert!(valid.len() >= 100, "{skill}: {} valid rows", valid.len());
        assert!(test.len() >= 100, "{skill}: {} test rows", test.len());
        for r in train.iter().chain(&valid).chain(&test) {
            assert!(
                !r.source.is_empty() && !r.license.is_empty(),
                "{skill}: {r:?}"
            );
            assert!(
                r.reply.split_whitespace().count() <= 50,
                "{skill}: {}",
                r.reply
            );
            match skill {
                "knowledge" => assert!((2..=3).contains(&r.knowledge.len()), "{r:?}"),
                "persona" => assert!(!r.persona.is_empty(), "{r:?}"),
                _ => assert!(r.knowledge.is_empty() && r.persona.is_empty(), "{r:?}"),
            }
        }
        // What the behaviour metrics of `eval adapters --split test` read.
        let labelled = |f: &dyn Fn(&DialogueRow) -> bool| test.iter().filter(|r| f(r)).count();
        let need = match skill {
            "knowledge" => labelled(&|r| !r.expect.answers.is_empty()),
            "persona" => labelled(&|r| r.expect.fact.is_some()),
            "empathetic" => labelled(&|r| r.expect.valence.is_some()),
            _ => test.len(),
        };
        assert!(
            need * 10 >= test.len() * 8,
            "{skill}: {need} labelled test rows"
        );
    }
}

#[test]
fn test_splits_share_no_reply_sentence_or_user_turn_with_training() {
    for skill in SKILLS {
        let test = split(skill, "test");
        let held_sentences: HashSet<String> =
            test.iter().flat_map(|r| sentences(&r.reply)).collect();
        let held_turns: HashSet<String> = test.iter().flat_map(user_turns).collect();
        for name in ["train", "valid"] {
            for r in split(skill, name) {
                for s in sentences(&r.reply) {
                    assert!(
                        !held_sentences.contains(&s),
                        "{skill} {name}: test reply sentence {s:?}"
                    );
                }
                for u in user_turns(&r) {
                    assert!(
                        !held_turns.contains(&u),
                        "{skill} {name}: test user turn {u:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn replies_are_varied_not_a_template_bank() {
    for skill in SKILLS {
        let mut uses: HashMap<String, usize> = HashMap::new();
        for name in ["train", "valid", "test"] {
            let all: Vec<String> = split(skill, name)
                .iter()
                .flat_map(|r| sentences(&r.reply))
                .collect();
            let distinct: HashSet<&String> = all.iter().collect();
            assert!(
                distinct.len() * 10 >= all.len() * 9,
                "{skill} {name}: {} distinct of {} reply sentences",
                distinct.len(),
                all.len()
            );
            for s in all {
                *uses.entry(s).or_default() += 1;
            }
        }
        let (worst, n) = uses.iter().max_by_key(|(_, n)| **n).unwrap();
        assert!(*n <= 3, "{skill}: {worst:?} used {n} times");
    }
}
