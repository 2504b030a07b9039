//! `adapterbot knowledge build|search` and `adapterbot eval knowledge`, run as a user would, on
//! the real Factbook (fetched by data/fetch.sh).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn adapterbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_adapterbot"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn build_search_and_eval_from_the_command_line() {
    let sources = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/sources");
    if !sources.join("factbook").is_dir() {
        eprintln!("skipped: data/sources is missing (run data/fetch.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("knowledge");

    // Searching before building says what to do.
    let out = adapterbot(&["knowledge", "search", "capital", "--index", s(&index)]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("adapterbot knowledge build"),
        "{}",
        text(&out.stderr)
    );

    let out = adapterbot(&[
        "knowledge",
        "build",
        "--sources",
        s(&sources),
        "--out",
        s(&index),
        "--only",
        "factbook",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("CIA World Factbook: "),
        "{}",
        text(&out.stdout)
    );

    let out = adapterbot(&[
        "knowledge",
        "search",
        "What is the capital of Australia?",
        "--index",
        s(&index),
        "--k",
        "3",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 3);
    assert_eq!(hits[0]["id"], "factbook/as/capital");
    assert_eq!(hits[0]["kind"], "table");
    assert_eq!(hits[0]["source"], "CIA World Factbook");
    assert_eq!(hits[0]["text"], "Australia — capital: Canberra.");

    let questions = dir.path().join("q.jsonl");
    std::fs::write(
        &questions,
        "{\"question\": \"capital of Japan?\", \"relevant\": [\"factbook/ja/capital\"]}\n\
         {\"question\": \"What languages are spoken in Peru?\", \"relevant\": [\"factbook/pe/languages\"]}\n\
         {\"context\": [{\"role\": \"user\", \"content\": \"capital of Japan?\"}, \
         {\"role\": \"assistant\", \"content\": \"Tokyo.\"}], \"question\": \"And Peru?\", \
         \"relevant\": [\"factbook/pe/capital\"], \"kind\": \"follow-up\"}\n",
    )
    .unwrap();
    let eval = |extra: &[&str]| {
        let mut args = vec![
            "eval",
            "knowledge",
            "--questions",
            s(&questions),
            "--index",
            s(&index),
            "--json",
            "--no-rerank",
        ];
        args.extend_from_slice(extra);
        let out = adapterbot(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let r = eval(&[]);
    assert_eq!(r["overall"]["questions"], 3);
    assert_eq!(r["overall"]["recall_at_1"], 1.0);
    assert_eq!(r["by_kind"]["follow-up"]["recall_at_1"], 1.0);
    assert_eq!(r["reranked"], false);
    // Without the conversation, "And Peru?" has no field to search for.
    let r = eval(&["--no-context"]);
    assert_eq!(r["by_kind"]["follow-up"]["recall_at_1"], 0.0);
    assert_eq!(r["by_kind"]["single"]["recall_at_1"], 1.0);
}
