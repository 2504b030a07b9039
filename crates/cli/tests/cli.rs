//! The `adapterbot` binary, run as a user would, on the real model.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{adapterbot, model, serve, text};

use adapterbot_engine::{Adapter, AdapterInit, AdapterManifest, Engine, LoadOptions};

const PROMPT: &str = "I just lost my job and I feel terrible. What should I do?";

#[test]
fn generate_streams_the_greedy_reply() {
    let m = model();
    let out = adapterbot(&[
        "generate",
        "--model",
        m.to_str().unwrap(),
        "--prompt",
        PROMPT,
        "--max-tokens",
        "10",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("I'm so sorry to hear that"),
        "{}",
        text(&out.stdout)
    );
    // `auto` says which device it chose; a build without CUDA always runs on the CPU.
    #[cfg(not(feature = "cuda"))]
    assert!(
        text(&out.stderr).contains("device: CPU (auto"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_zero_adapter_from_disk_changes_nothing_and_unknown_skills_are_named() {
    let m = model();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::load(&m, &LoadOptions::default()).unwrap();
    let a = Adapter::new(
        "calm",
        engine.backbone().config(),
        64,
        AdapterInit::Identity { seed: 1 },
        engine.backbone().device(),
    )
    .unwrap();
    a.save_dir(
        &dir.path().join("calm"),
        engine.backbone(),
        AdapterManifest::default(),
    )
    .unwrap();
    let base = [
        "generate",
        "--model",
        m.to_str().unwrap(),
        "--prompt",
        PROMPT,
        "--max-tokens",
        "8",
    ];
    let plain = adapterbot(&base);
    let skills = dir.path().to_str().unwrap();
    let with = adapterbot(&[&base[..], &["--skills-dir", skills, "--skill", "calm"]].concat());
    assert!(with.status.success(), "{}", text(&with.stderr));
    assert_eq!(text(&plain.stdout), text(&with.stdout));

    let unknown = adapterbot(&[&base[..], &["--skills-dir", skills, "--skill", "pirate"]].concat());
    assert!(!unknown.status.success());
    let err = text(&unknown.stderr);
    assert!(
        err.contains("unknown skill `pirate`") && err.contains("calm"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let missing = adapterbot(&[
        "generate",
        "--model",
        "nowhere/model.gguf",
        "--prompt",
        "hi",
    ]);
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("models/fetch.sh"),
        "{}",
        text(&missing.stderr)
    );

    let m = model();
    for (flag, field) in [
        ("--temperature=-1", "temperature"),
        ("--top-p=0", "top_p"),
        ("--max-tokens=0", "max_tokens"),
    ] {
        let out = adapterbot(&[
            "generate",
            "--model",
            m.to_str().unwrap(),
            "--prompt",
            "hi",
            flag,
        ]);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(err.contains(field) && !err.contains("panicked"), "{err}");
    }

    let generate_on = |device: &str| {
        adapterbot(&[
            "generate",
            "--model",
            m.to_str().unwrap(),
            "--prompt",
            "hi",
            "--device",
            device,
        ])
    };
    let out = generate_on("tpu:0");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("`tpu:0`") && err.contains("auto, cpu, cuda or cuda:N"),
        "{err}"
    );
    #[cfg(not(feature = "cuda"))]
    for device in ["cuda", "cuda:1"] {
        let out = generate_on(device);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(
            err.contains("--features cuda") && err.contains("scripts/build_cuda.sh"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn bench_prints_a_json_report() {
    let m = model();
    let out = adapterbot(&[
        "bench",
        "--model",
        m.to_str().unwrap(),
        "--max-tokens",
        "4",
        "--runs",
        "1",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let first = report.clone();
    for key in [
        "prefill_tok_s",
        "decode_tok_s",
        "adapter_prefill_tok_s",
        "adapter_decode_tok_s",
        "peak_rss_mb",
    ] {
        assert!(
            report[key].as_f64().is_some_and(|v| v > 0.0),
            "{key} in {report}"
        );
    }
    assert_eq!(report["prompt_tokens"], 45);
    assert_eq!(report["prompt_ids"].as_array().unwrap().len(), 45);
    assert_eq!(report["greedy_tokens"].as_array().unwrap().len(), 4);
    assert_eq!(report["adapter_greedy_tokens"].as_array().unwrap().len(), 4);
    assert_eq!(report["sequences"], 1);
    #[cfg(not(feature = "cuda"))]
    assert_eq!(report["device"], "cpu");

    // Several sequences at once: batched, speeds summed over them.
    let out = adapterbot(&[
        "bench",
        "--model",
        m.to_str().unwrap(),
        "--device",
        "cpu",
        "--max-tokens",
        "3",
        "--runs",
        "1",
        "--sequences",
        "3",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(report["sequences"], 3);
    assert_eq!(report["batched"], true);
    assert_eq!(report["device"], "cpu");
    // The first tokens do not depend on how many sequences share the engine.
    assert_eq!(
        report["greedy_tokens"].as_array().unwrap()[..],
        first["greedy_tokens"].as_array().unwrap()[..3]
    );
    assert!(report["decode_tok_s"].as_f64().is_some_and(|v| v > 0.0));
}

#[test]
fn serve_prints_its_address_answers_healthcheck_and_stops_on_sigterm() {
    let skills = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/skills");
    let (mut child, url) = serve(&["--skills-dir".as_ref(), skills.as_os_str()]);

    let check = |url: &str| adapterbot(&["healthcheck", "--url", url, "--timeout", "5"]);
    let ok = check(&format!("{url}health"));
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let ready = check(&format!("{url}ready"));
    assert!(ready.status.success(), "{}", text(&ready.stderr));
    let missing = check(&format!("{url}no-such-page"));
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("404"),
        "{}",
        text(&missing.stderr)
    );

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exits cleanly on SIGTERM: {status}");
    let gone = check(&format!("{url}health"));
    assert!(!gone.status.success(), "nothing answers after the stop");
}

#[test]
fn sighup_reloads_the_skills_folder_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let skills = dir.path().join("skills");
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/skills");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let from = entry.unwrap().path();
        let to = skills.join(from.file_name().unwrap());
        std::fs::create_dir_all(&to).unwrap();
        // The skill's settings only: the test is about the folder being read again.
        std::fs::copy(from.join("skill.json"), to.join("skill.json")).unwrap();
    }
    let none = dir.path().join("none");
    let (mut child, url) = serve(&[
        "--skills-dir".as_ref(),
        skills.as_os_str(),
        "--manager-dir".as_ref(),
        none.as_os_str(),
        "--knowledge-dir".as_ref(),
        none.as_os_str(),
    ]);
    let served = |id: &str| {
        adapterbot(&[
            "healthcheck",
            "--url",
            &format!("{url}v1/models/{id}"),
            "--timeout",
            "5",
        ])
        .status
        .success()
    };
    assert!(served("chitchat"));
    assert!(!served("jokes"));

    std::fs::create_dir_all(skills.join("jokes")).unwrap();
    std::fs::write(
        skills.join("jokes/skill.json"),
        r#"{"id": "jokes", "title": "Jokes"}"#,
    )
    .unwrap();
    let pid = child.id().to_string();
    let signal = |sig: &str| {
        assert!(Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success())
    };
    signal("-HUP");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !served("jokes") {
        assert!(
            std::time::Instant::now() < deadline,
            "the new skill is not served 30 s after SIGHUP"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(served("chitchat"), "the other skills are still served");

    signal("-TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "exits cleanly on SIGTERM: {status}");
}

#[test]
fn serve_help_lists_every_flag_with_its_variable() {
    let out = adapterbot(&["serve", "--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for flag in [
        "--host",
        "--port",
        "--model",
        "--skills-dir",
        "--manager-dir",
        "--knowledge-dir",
        "--default-skill",
        "--max-concurrent",
        "--queue",
        "--api-key",
        "--api-key-file",
        "--cors-origin",
        "--body-limit",
        "--shutdown-grace",
        "--log-json",
    ] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
    }
    for var in [
        "ADAPTERBOT_HOST",
        "ADAPTERBOT_PORT",
        "ADAPTERBOT_API_KEY",
        "ADAPTERBOT_QUEUE",
    ] {
        assert!(help.contains(var), "{var} missing from\n{help}");
    }
    let bad = adapterbot(&["serve", "--max-concurrent", "0"]);
    assert!(!bad.status.success());
}
