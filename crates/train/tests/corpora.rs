//! The default skills' corpora in data/skills/ (built by scripts/data/make_skill_corpora.py):
//! every row valid, sourced and licensed, each skill's context present, and validation rows
//! never seen in training.

use std::collections::HashSet;
use std::path::PathBuf;

use adapterbot_train::read_dialogues;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/skills")
}

#[test]
fn every_default_corpus_is_well_formed_and_its_validation_is_held_out() {
    for skill in ["empathetic", "persona", "knowledge", "chitchat"] {
        let dir = data_dir().join(skill);
        let train = read_dialogues(&dir.join("train.jsonl"), true).unwrap();
        let valid = read_dialogues(&dir.join("valid.jsonl"), true).unwrap();
        assert!(
            (300..=600).contains(&train.rows.len()),
            "{skill}: {} train rows",
            train.rows.len()
        );
        assert!(
            (60..=110).contains(&valid.rows.len()),
            "{skill}: {} valid rows",
            valid.rows.len()
        );
        let key = |r: &adapterbot_train::DialogueRow| {
            format!(
                "{:?}|{}|{:?}|{:?}",
                r.messages, r.reply, r.knowledge, r.persona
            )
        };
        let seen: HashSet<String> = train.rows.iter().map(|(_, r)| key(r)).collect();
        for (line, r) in train.rows.iter().chain(&valid.rows) {
            assert!(
                !r.source.is_empty() && !r.license.is_empty(),
                "{skill}:{line}"
            );
            assert!(
                r.reply.split_whitespace().count() <= 50,
                "{skill}:{line}: reply too long"
            );
            match skill {
                "knowledge" => assert!((2..=3).contains(&r.knowledge.len()), "{skill}:{line}"),
                "persona" => assert!(r.persona.len() >= 3, "{skill}:{line}"),
                _ => assert!(r.knowledge.is_empty() && r.persona.is_empty()),
            }
        }
        for (line, r) in &valid.rows {
            assert!(
                !seen.contains(&key(r)),
                "{skill} valid.jsonl:{line} is also a training row"
            );
        }
    }
}
