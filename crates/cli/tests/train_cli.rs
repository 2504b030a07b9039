//! `adapterbot data`, `train adapter`, `skill add` and `eval adapters`, run as a user would, on
//! the tiny random model (seconds, not minutes).

use std::path::Path;
use std::process::{Command, Output};

use adapterbot_engine::testing::write_tiny_gguf;
use adapterbot_engine::LlamaConfig;

fn adapterbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_adapterbot"))
        .args(args)
        .env("ADAPTERBOT_THREADS", "1")
        .output()
        .expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

const ROW: &str = r#"{"messages":[{"role":"user","content":"hi"}],"reply":"ok then","source":"test","license":"CC0-1.0"}"#;

#[test]
fn import_and_check_dialogue_data() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("ed.csv");
    std::fs::write(
        &csv,
        "conv_id,utterance_idx,context,prompt,speaker_idx,utterance,selfeval,tags\n\
         c1,1,sad,x,1,My cat is ill_comma_ sadly.,,\n\
         c1,2,sad,x,2,I'm sorry to hear that.,,\n",
    )
    .unwrap();
    let out = dir.path().join("ed.jsonl");
    let stdout = ok(&adapterbot(&[
        "data",
        "import",
        "--format",
        "empathetic-dialogues",
        p(&csv),
        p(&out),
    ]));
    assert!(stdout.contains("wrote 1 rows"), "{stdout}");
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("My cat is ill, sadly."), "{written}");
    assert!(
        written.contains("EmpatheticDialogues ed.csv c1"),
        "{written}"
    );
    ok(&adapterbot(&["data", "check", p(&out)]));

    // A bad row is named with its file and line, and the check fails.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, format!("{ROW}\n{{\"reply\": 3\n")).unwrap();
    let res = adapterbot(&["data", "check", p(&bad)]);
    assert!(!res.status.success());
    assert!(
        text(&res.stdout).contains(&format!("{}:2: bad JSON", bad.display())),
        "{}",
        text(&res.stdout)
    );
    let res = adapterbot(&["data", "import", "--format", "nope", p(&csv), p(&out)]);
    assert!(!res.status.success());
    assert!(text(&res.stderr).contains("unknown format `nope`"));
}

#[test]
fn judge_scores_a_files_own_replies_and_names_the_misses() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empathetic.jsonl");
    let row = |user: &str, reply: &str, valence: &str| {
        format!(
            r#"{{"messages":[{{"role":"user","content":"{user}"}}],"reply":"{reply}","source":"test","license":"CC0-1.0","expect":{{"valence":"{valence}"}}}}"#
        )
    };
    std::fs::write(
        &file,
        [
            row(
                "My dog died.",
                "I'm so sorry, that's heartbreaking.",
                "negative",
            ),
            row("I passed!", "Congratulations, well done!", "positive"),
            row("I failed again.", "That's wonderful news!", "negative"),
            row("I got the job!", "What time is it?", "positive"),
        ]
        .join("\n"),
    )
    .unwrap();
    let stdout = ok(&adapterbot(&["data", "judge", "--misses", "1", p(&file)]));
    let first = stdout.lines().next().unwrap();
    let report: serde_json::Value = serde_json::from_str(first).unwrap();
    assert_eq!(report["metrics"]["valence_rows"], 4, "{first}");
    assert_eq!(report["metrics"]["valence_match"], 0.5, "{first}");
    // --misses 1: only the first failing row, by line, with the hits that decided it.
    let misses: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(misses.len(), 1, "{stdout}");
    assert!(
        misses[0].contains(&format!("{}:3: Negative valence unmatched", file.display()))
            && misses[0].contains("\"wonderful\""),
        "{stdout}"
    );
}

#[test]
fn train_add_and_evaluate_on_a_tiny_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_tiny_gguf(&model, &LlamaConfig::tiny_for_tests(), 3).unwrap();
    let skills = dir.path().join("skills");
    let data = dir.path().join("data");
    std::fs::create_dir_all(skills.join("calm")).unwrap();
    std::fs::write(
        skills.join("calm/skill.json"),
        r#"{"id": "calm", "title": "Calm"}"#,
    )
    .unwrap();
    std::fs::create_dir_all(data.join("calm")).unwrap();
    let rows = [ROW; 6].join("\n");
    std::fs::write(data.join("calm/train.jsonl"), &rows).unwrap();
    // The validation row says what a good reply does, for the behaviour metrics.
    let valid_row = r#"{"messages":[{"role":"user","content":"I got the job!"}],"reply":"Congrats, well done","persona":["I have a dog."],"source":"test","license":"CC0-1.0","expect":{"fact":"I have a dog.","valence":"positive"}}"#;
    std::fs::write(data.join("calm/valid.jsonl"), valid_row).unwrap();
    let small = [
        "--model",
        p(&model),
        "--skills-dir",
        p(&skills),
        "--bottleneck",
        "4",
        "--max-steps",
        "3",
        "--eval-every",
        "2",
        "--max-len",
        "128",
    ];

    let calm_data = data.join("calm");
    let mut args = vec![
        "train",
        "adapter",
        "--skill",
        "calm",
        "--data",
        p(&calm_data),
    ];
    args.extend(small);
    let stdout = ok(&adapterbot(&args));
    assert!(stdout.contains("skill `calm`: 3 steps"), "{stdout}");
    for f in ["adapter.safetensors", "skill.json", "loss.svg"] {
        assert!(skills.join("calm").join(f).is_file(), "{f} missing");
    }
    let res = adapterbot(&[
        "train",
        "adapter",
        "--skill",
        "ghost",
        "--skills-dir",
        p(&skills),
    ]);
    assert!(!res.status.success());
    assert!(text(&res.stderr).contains("no skill `ghost`"));

    // A new skill folder with data and no adapter is trained on the way in.
    let incoming = dir.path().join("incoming");
    std::fs::create_dir_all(incoming.join("data")).unwrap();
    std::fs::write(incoming.join("skill.json"), r#"{"id": "cheer"}"#).unwrap();
    std::fs::write(incoming.join("data/train.jsonl"), &rows).unwrap();
    let calm_before = std::fs::read(skills.join("calm/adapter.safetensors")).unwrap();
    let no_manager = dir.path().join("no-manager");
    let mut args = vec![
        "skill",
        "add",
        p(&incoming),
        "--manager-dir",
        p(&no_manager),
    ];
    args.extend(small);
    let stdout = ok(&adapterbot(&args));
    assert!(stdout.contains("added skill `cheer`"), "{stdout}");
    assert!(stdout.contains("no trained manager"), "{stdout}");
    assert!(skills.join("cheer/adapter.safetensors").is_file());
    assert_eq!(
        calm_before,
        std::fs::read(skills.join("calm/adapter.safetensors")).unwrap()
    );

    // The matrix: rows for skills with validation data, a column per adapter.
    let replies_out = dir.path().join("replies.jsonl");
    let stdout = ok(&adapterbot(&[
        "eval",
        "adapters",
        "--json",
        "--model",
        p(&model),
        "--weights",
        "f32",
        "--skills-dir",
        p(&skills),
        "--data",
        p(&data),
        "--samples",
        "1",
        "--max-tokens",
        "4",
        "--max-len",
        "128",
        "--width",
        "2",
        "--replies-out",
        p(&replies_out),
    ]));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["matrix"]["data"], serde_json::json!(["calm"]));
    assert_eq!(
        report["matrix"]["adapters"],
        serde_json::json!(["none", "calm", "cheer"])
    );
    let row = report["matrix"]["perplexity"][0].as_array().unwrap();
    assert!(row.iter().all(|p| p.as_f64().unwrap() > 1.0));
    assert_eq!(report["samples"].as_array().unwrap().len(), 1);
    assert_eq!(report["split"], "valid");
    assert!(report["elapsed_s"].as_f64().unwrap() > 0.0);
    let phases = report["perplexity_s"].as_f64().unwrap() + report["replies_s"].as_f64().unwrap();
    assert!(phases > 0.0 && phases <= report["elapsed_s"].as_f64().unwrap());
    // Every greedy reply the judges read, one line per prompt and column: the one behaviour row
    // in each of the three columns.
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&replies_out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let columns: Vec<&str> = lines
        .iter()
        .map(|l| l["column"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["none", "calm", "cheer"], "{lines:?}");
    for l in &lines {
        assert_eq!(
            (l["skill"].as_str(), l["row"].as_u64()),
            (Some("calm"), Some(0))
        );
        assert!(l["reply"].is_string() && l["ended"].is_boolean(), "{l}");
        assert!(l["row_data"]["messages"].is_array(), "{l}");
    }
    // Behaviour metrics of the greedy replies: a cell per data × column, in range, the judges
    // that apply to the row present and the others null.
    let behaviour = &report["behaviour"];
    assert_eq!(behaviour["adapters"], report["matrix"]["adapters"]);
    let cells = behaviour["metrics"][0].as_array().unwrap();
    assert_eq!(cells.len(), 3);
    let share = |v: &serde_json::Value| {
        let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
        assert!((0.0..=1.0).contains(&x), "{x} out of [0, 1]");
    };
    for cell in cells {
        assert_eq!(cell["replies"], 1, "{cell}");
        for m in [
            "distinct_1",
            "distinct_2",
            "ended_share",
            "fact_use",
            "contradiction_rate",
            "valence_match",
        ] {
            share(&cell[m]);
        }
        assert_eq!(cell["valence_rows"], 1);
        assert!(cell["mean_words"].as_f64().unwrap() >= 0.0);
        assert!(cell["answer_accuracy"].is_null() && cell["hallucination_rate"].is_null());
    }

    // The text report has the behaviour table; a split without data is named.
    let mut args = vec!["eval", "adapters", "--samples", "0", "--max-tokens", "4"];
    args.extend(["--model", p(&model), "--weights", "f32", "--max-len", "128"]);
    args.extend(["--skills-dir", p(&skills), "--data", p(&data)]);
    let stdout = ok(&adapterbot(&args));
    for want in [
        "Behaviour of greedy replies",
        "distinct-1",
        "valence",
        "evaluated in",
    ] {
        assert!(stdout.contains(want), "{want} missing: {stdout}");
    }
    args.extend(["--split", "test"]);
    let res = adapterbot(&args);
    assert!(!res.status.success());
    assert!(
        text(&res.stderr).contains("no test data"),
        "{}",
        text(&res.stderr)
    );
}

/// Labelled turns for the manager, `n` of each (text, skill).
fn turns(rows: &[(&str, &str)]) -> String {
    rows.iter()
        .map(|(text, skill)| {
            serde_json::json!({"text": text, "skill": skill, "source": "test", "license": "CC0-1.0"})
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn adding_a_skill_with_example_turns_retrains_the_managers_head_to_route_to_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let encoder = root.join("models/minilm");
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_tiny_gguf(&model, &LlamaConfig::tiny_for_tests(), 3).unwrap();
    let skills = dir.path().join("skills");
    std::fs::create_dir_all(&skills).unwrap();
    let manager = dir.path().join("manager");
    let data = dir.path().join("turns.jsonl");
    std::fs::write(
        &data,
        turns(&[
            ("What is the capital of Kenya?", "knowledge"),
            ("How big is Brazil?", "knowledge"),
            ("What does photosynthesis mean?", "knowledge"),
            ("Which currency does Japan use?", "knowledge"),
            ("What is the population of Chile?", "knowledge"),
            ("I feel so lonely since my friend moved away.", "empathetic"),
            ("My dog died yesterday and I miss him.", "empathetic"),
            ("I'm scared about my exam tomorrow.", "empathetic"),
            ("I was laid off today and feel awful.", "empathetic"),
            ("Nobody came to my birthday party.", "empathetic"),
        ]),
    )
    .unwrap();
    let m = p(&manager);
    let e = p(&encoder);
    ok(&adapterbot(&[
        "train",
        "manager",
        "--data",
        p(&data),
        "--skills-dir",
        p(&skills),
        "--manager-dir",
        m,
        "--encoder-dir",
        e,
    ]));
    let head_before = std::fs::read(manager.join("head.safetensors")).unwrap();

    let incoming = dir.path().join("incoming");
    std::fs::create_dir_all(&incoming).unwrap();
    std::fs::write(
        incoming.join("skill.json"),
        r#"{"id": "jokes", "title": "Jokes"}"#,
    )
    .unwrap();
    std::fs::write(
        incoming.join("routing.jsonl"),
        turns(&[
            ("Tell me a joke!", "jokes"),
            ("Do you know any funny jokes?", "jokes"),
            ("Make me laugh with a pun.", "jokes"),
            ("Got a good knock-knock joke?", "jokes"),
            ("Tell me something funny, a joke please.", "jokes"),
        ]),
    )
    .unwrap();
    let stdout = ok(&adapterbot(&[
        "skill",
        "add",
        p(&incoming),
        "--model",
        p(&model),
        "--skills-dir",
        p(&skills),
        "--manager-dir",
        m,
        "--encoder-dir",
        e,
        "--manager-data",
        p(&data),
    ]));
    assert!(stdout.contains("now routes to `jokes`"), "{stdout}");
    assert_ne!(
        head_before,
        std::fs::read(manager.join("head.safetensors")).unwrap()
    );
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(manager.join("manager.json")).unwrap()).unwrap();
    assert_eq!(
        config["skills"],
        serde_json::json!(["empathetic", "jokes", "knowledge"])
    );
    for (text, want) in [
        ("Tell me a really funny joke", "jokes"),
        ("What is the capital of Peru?", "knowledge"),
    ] {
        let out = ok(&adapterbot(&[
            "route",
            "--text",
            text,
            "--manager-dir",
            m,
            "--encoder-dir",
            e,
        ]));
        let decision: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(decision["skill"], want, "{text}: {out}");
    }
}
