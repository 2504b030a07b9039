//! The dialogue JSONL reader under fuzzing: a damaged training file (bytes overwritten,
//! inserted, cut short, not UTF-8, no JSON at all) gives rows and per-line problems, or an
//! error, never a panic. Cases per property: 256, or `PROPTEST_CASES` (docs/server.md gives the
//! million-case run).

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use adapterbot_engine::testing::fuzz::damaged;
use adapterbot_train::data::read_dialogues;
use proptest::prelude::*;

/// A few real rows of each skill's validation data (knowledge passages, persona facts,
/// `expect` fields, a multi-turn conversation).
static SEED: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/skills");
    let mut out = String::new();
    for skill in ["knowledge", "persona", "empathetic", "chitchat"] {
        let text = std::fs::read_to_string(root.join(skill).join("valid.jsonl")).unwrap();
        for line in text.lines().take(2) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.into_bytes()
});

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("adapterbot-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{:?}.jsonl", std::thread::current().id()).replace(['(', ')'], ""))
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_damaged_dialogue_file_gives_rows_and_problems_not_a_crash(
        bytes in damaged(&SEED, SEED.len()),
        strict in any::<bool>(),
    ) {
        let path = scratch();
        std::fs::write(&path, &bytes).unwrap();
        match read_dialogues(&path, strict) {
            Ok(file) => {
                // Every non-blank line is a row or a problem, and every row passed its checks.
                let text = String::from_utf8(bytes).unwrap();
                let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
                prop_assert_eq!(file.rows.len() + file.problems.len(), lines);
                prop_assert!(!strict || file.problems.is_empty());
                for (_, row) in &file.rows {
                    prop_assert_eq!(row.problem(), None);
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
