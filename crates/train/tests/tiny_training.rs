//! Training on the tiny random model: a few steps each, seconds in all.

mod common;

use common::{row, sha};
use std::path::{Path, PathBuf};

use adapterbot_engine::testing::write_tiny_gguf;
use adapterbot_engine::{
    Adapter, AdapterInit, Engine, LlamaConfig, LoadOptions, Tensor, WeightMode,
};
use adapterbot_skills::{SkillRegistry, SkillSettings};
use adapterbot_train::add_skill::{add_skill, inspect, AddPlan, SKILL_DATA_DIR};
use adapterbot_train::batch::{loss_and_gradients, Batch};
use adapterbot_train::eval::greedy;
use adapterbot_train::trainer::{StepReport, CHECKPOINT_FILE, LOSS_CURVE_FILE};
use adapterbot_train::{
    load_skill_data, train, write_dialogues, DialogueRow, Encoder, Example, Observer, Quiet,
    SkillData, TrainConfig, TrainError, TrainRun, TrainingSummary,
};

struct Tiny {
    dir: tempfile::TempDir,
    engine: Engine,
}

fn tiny(weights: WeightMode) -> Tiny {
    let dir = tempfile::tempdir().unwrap();
    let gguf = dir.path().join("tiny.gguf");
    write_tiny_gguf(&gguf, &LlamaConfig::tiny_for_tests(), 11).unwrap();
    let opts = LoadOptions {
        weights,
        ..LoadOptions::default()
    };
    let engine = Engine::load(&gguf, &opts).unwrap();
    Tiny { dir, engine }
}

/// A corpus with one habit to learn: every reply is "ok then".
fn write_corpus(dir: &Path, reply: &str) {
    let train: Vec<DialogueRow> = ["hi", "are you there", "tea?", "see you", "what now", "hmm"]
        .iter()
        .map(|u| row(u, reply))
        .collect();
    let valid = vec![row("hello", reply), row("so", reply)];
    write_dialogues(&dir.join("train.jsonl"), &train).unwrap();
    write_dialogues(&dir.join("valid.jsonl"), &valid).unwrap();
}

fn config() -> TrainConfig {
    TrainConfig {
        bottleneck: 8,
        epochs: 4,
        lr: 1e-2,
        batch_tokens: 96,
        max_len: 128,
        eval_every: 2,
        patience: 100,
        seed: 5,
        ..TrainConfig::default()
    }
}

fn data(engine: &Engine, dir: &Path) -> SkillData {
    let encoder = Encoder::new(engine, SkillSettings::default(), 128).unwrap();
    load_skill_data(&encoder, dir, false).unwrap()
}

fn run_training(
    engine: &Engine,
    skill_dir: &Path,
    data: &SkillData,
    cfg: &TrainConfig,
    resume: bool,
    observer: &mut dyn Observer,
) -> Result<TrainingSummary, TrainError> {
    train(
        TrainRun {
            engine,
            skill_id: skill_dir.file_name().unwrap().to_str().unwrap(),
            skill_dir,
            data,
            config: cfg,
            checkpoint: skill_dir.join(CHECKPOINT_FILE),
            resume,
        },
        observer,
    )
}

/// Fails at a given step, as a crash or Ctrl-C would stop a run.
struct FailAt(usize);
impl Observer for FailAt {
    fn step(&mut self, r: &StepReport) -> adapterbot_train::Result<()> {
        if r.step == self.0 {
            return Err(TrainError::Interrupted(format!(
                "injected at step {}",
                r.step
            )));
        }
        Ok(())
    }
}

#[test]
fn loss_falls_and_outputs_are_written() {
    let t = tiny(WeightMode::F32);
    let data_dir = t.dir.path().join("data");
    write_corpus(&data_dir, "ok then");
    let skill_dir = t.dir.path().join("skills/okay");
    std::fs::create_dir_all(&skill_dir).unwrap();
    std::fs::write(
        skill_dir.join("skill.json"),
        r#"{"id": "okay", "title": "Okay", "uses_persona": false, "generation": {"temperature": 0.5}}"#,
    )
    .unwrap();
    let d = data(&t.engine, &data_dir);
    assert_eq!(d.train.summary.rows, 6);
    let s = run_training(&t.engine, &skill_dir, &d, &config(), false, &mut Quiet).unwrap();

    let before = s.backbone_valid_loss.unwrap();
    let after = s.final_valid_loss.unwrap();
    assert!(
        after < 0.5 * before,
        "valid loss {before:.3} → {after:.3}: training did not learn"
    );
    assert!(s.best_step > 0 && s.steps > 0 && s.tokens > 0);
    assert_eq!(s.data.len(), 2);
    // skill.json keeps the skill's own fields and gains the adapter and training fields.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(skill_dir.join("skill.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["title"], "Okay");
    assert_eq!(manifest["generation"]["temperature"], 0.5);
    assert_eq!(manifest["bottleneck"], 8);
    assert_eq!(manifest["training"]["data_sha256"], d.sha256());
    assert!(manifest["base_model_sha256"].is_string());
    let svg = std::fs::read_to_string(skill_dir.join(LOSS_CURVE_FILE)).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 2);
    // The finished run leaves no checkpoint behind, and the skill loads.
    assert!(!skill_dir.join(CHECKPOINT_FILE).exists());
    let (reg, problems) =
        SkillRegistry::load_dir(&t.dir.path().join("skills"), t.engine.backbone()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(reg.get("okay").unwrap().adapter.is_some());
}

#[test]
fn same_seed_gives_identical_adapter_bytes_and_resume_matches_an_uninterrupted_run() {
    let t = tiny(WeightMode::F32);
    let data_dir = t.dir.path().join("data");
    write_corpus(&data_dir, "ok then");
    let d = data(&t.engine, &data_dir);
    let cfg = TrainConfig {
        max_steps: Some(7),
        ..config()
    };
    let dirs: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|n| t.dir.path().join(n).join("same"))
        .collect();
    let full = run_training(&t.engine, &dirs[0], &d, &cfg, false, &mut Quiet).unwrap();
    run_training(&t.engine, &dirs[1], &d, &cfg, false, &mut Quiet).unwrap();
    let adapter = |dir: &Path| sha(&dir.join("adapter.safetensors"));
    assert_eq!(
        adapter(&dirs[0]),
        adapter(&dirs[1]),
        "same seed, different bytes"
    );

    // Stopped at step 5 (the last checkpoint is at step 4), then resumed.
    let err = run_training(&t.engine, &dirs[2], &d, &cfg, false, &mut FailAt(5)).unwrap_err();
    assert!(err.to_string().contains("injected"), "{err}");
    assert!(dirs[2].join(CHECKPOINT_FILE).exists());
    assert!(!dirs[2].join("adapter.safetensors").exists());
    let resumed = run_training(&t.engine, &dirs[2], &d, &cfg, true, &mut Quiet).unwrap();
    assert_eq!(adapter(&dirs[0]), adapter(&dirs[2]), "resumed run differs");
    assert_eq!(full.steps, resumed.steps);
    assert_eq!(full.final_valid_loss, resumed.final_valid_loss);
    assert_eq!(full.tokens, resumed.tokens);

    // A checkpoint from other settings is refused, not silently mixed in.
    run_training(&t.engine, &dirs[2], &d, &cfg, false, &mut FailAt(5)).unwrap_err();
    let other = TrainConfig { seed: 6, ..cfg };
    let err = run_training(&t.engine, &dirs[2], &d, &other, true, &mut Quiet).unwrap_err();
    assert!(err.to_string().contains("other settings"), "{err}");
}

#[test]
fn an_interrupted_run_leaves_the_previous_adapter_intact() {
    let t = tiny(WeightMode::F32);
    let data_dir = t.dir.path().join("data");
    write_corpus(&data_dir, "ok then");
    let d = data(&t.engine, &data_dir);
    let skill_dir = t.dir.path().join("kept");
    let cfg = TrainConfig {
        max_steps: Some(4),
        ..config()
    };
    run_training(&t.engine, &skill_dir, &d, &cfg, false, &mut Quiet).unwrap();
    let files = ["adapter.safetensors", "skill.json", LOSS_CURVE_FILE];
    let before: Vec<String> = files.iter().map(|f| sha(&skill_dir.join(f))).collect();
    let longer = TrainConfig {
        max_steps: Some(8),
        seed: 9,
        ..cfg
    };
    run_training(&t.engine, &skill_dir, &d, &longer, false, &mut FailAt(7)).unwrap_err();
    let after: Vec<String> = files.iter().map(|f| sha(&skill_dir.join(f))).collect();
    assert_eq!(before, after);
}

#[test]
fn bad_rows_are_reported_with_file_and_line_and_never_trained_on() {
    let t = tiny(WeightMode::F32);
    let dir = t.dir.path().join("data");
    std::fs::create_dir_all(&dir).unwrap();
    let good = serde_json::to_string(&row("hi", "ok then")).unwrap();
    let long_reply = "x".repeat(300);
    let lines = [
        good.clone(),
        "{\"messages\": [".to_string(),
        r#"{"messages":[{"role":"user","content":"hi"}],"source":"s","license":"l"}"#.to_string(),
        r#"{"messages":[{"role":"user","content":""}],"reply":"x","source":"s","license":"l"}"#
            .to_string(),
        String::new(),
        serde_json::to_string(&row("hi", &long_reply)).unwrap(),
        good,
    ];
    std::fs::write(dir.join("train.jsonl"), lines.join("\n")).unwrap();
    let encoder = Encoder::new(&t.engine, SkillSettings::default(), 128).unwrap();
    let d = load_skill_data(&encoder, &dir, false).unwrap();
    assert_eq!(d.train.examples.len(), 2);
    assert_eq!(d.train.summary.skipped, 4);
    let shown: Vec<String> = d.train.problems.iter().map(|p| p.to_string()).collect();
    let file = dir.join("train.jsonl").display().to_string();
    for (line, what) in [
        (2, "bad JSON"),
        (3, "missing reply"),
        (4, "empty text"),
        (6, "tokens"),
    ] {
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with(&format!("{file}:{line}: ")) && s.contains(what)),
            "line {line} ({what}) not reported: {shown:?}"
        );
    }
    let err = load_skill_data(&encoder, &dir, true).unwrap_err();
    assert!(
        matches!(err, TrainError::BadRows { ref problems } if problems.len() == 4),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("{file}:2:")), "{err}");
}

#[test]
fn quantized_weights_are_refused_for_training() {
    let t = tiny(WeightMode::Q8_0);
    let data_dir = t.dir.path().join("data");
    write_corpus(&data_dir, "ok then");
    let d = data(&t.engine, &data_dir);
    let err = run_training(
        &t.engine,
        &t.dir.path().join("q"),
        &d,
        &config(),
        false,
        &mut Quiet,
    )
    .unwrap_err();
    assert!(err.to_string().contains("--weights f32"), "{err}");
}

#[test]
fn the_reply_positions_head_matches_the_full_forward() {
    let t = tiny(WeightMode::F32);
    let b = t.engine.backbone();
    let ids = Tensor::new(&[[1u32, 40, 72, 101, 150], [2, 260, 33, 90, 7]], b.device()).unwrap();
    let full = b.forward_train(&ids, None).unwrap();
    let pos = Tensor::new(&[1u32, 4, 7], b.device()).unwrap();
    let at = b.forward_train_at(&ids, &pos, None).unwrap();
    let flat = full.reshape((10, ())).unwrap();
    let want = flat.index_select(&pos, 0).unwrap();
    let d = adapterbot_engine::testing::max_abs_diff(&at, &want).unwrap();
    assert!(d < 1e-5, "{d}");
}

#[test]
fn micro_batched_gradients_equal_the_whole_batch_gradients() {
    let t = tiny(WeightMode::F32);
    let b = t.engine.backbone();
    let adapter = Adapter::new(
        "x",
        b.config(),
        8,
        AdapterInit::Random { seed: 3, std: 0.1 },
        b.device(),
    )
    .unwrap();
    let (trainable, vars) = adapter.to_trainable().unwrap();
    // Uneven lengths and reply shares, so padding and each part's weight both matter.
    let examples: Vec<Example> = [(9, 4), (6, 2), (12, 10), (5, 3), (8, 1)]
        .iter()
        .enumerate()
        .map(|(i, &(len, prompt_len))| Example {
            ids: (0..len as u32)
                .map(|j| 1 + (i as u32 * 37 + j * 11) % 250)
                .collect(),
            prompt_len,
        })
        .collect();
    let refs: Vec<&Example> = examples.iter().collect();
    let split = loss_and_gradients(b, &trainable, &vars, &refs).unwrap();

    let whole = Batch::new(&refs, b.device()).unwrap();
    let loss = whole.loss(b, Some(&trainable)).unwrap();
    let store = loss.backward().unwrap();
    let want = loss.to_scalar::<f32>().unwrap() as f64;
    assert!((split.loss - want).abs() < 1e-5, "{} vs {want}", split.loss);
    assert_eq!((split.tokens, split.targets), (whole.tokens, whole.targets));
    assert_eq!(split.grads.len(), vars.len());
    for (v, g) in vars.iter().zip(&split.grads) {
        let g = g.as_ref().expect("every adapter tensor gets a gradient");
        let d = adapterbot_engine::testing::max_abs_diff(g, store.get(v).unwrap()).unwrap();
        assert!(d < 1e-5, "gradient differs by {d}");
    }
}

/// Greedy replies of every skill in `skills_dir` to fixed prompts.
fn replies(engine: &Engine, skills_dir: &Path) -> Vec<(String, String)> {
    let (reg, problems) = SkillRegistry::load_dir(skills_dir, engine.backbone()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let mut out = Vec::new();
    for skill in reg.iter() {
        let encoder = Encoder::new(engine, skill.settings.clone(), 128).unwrap();
        for prompt in ["hi", "what now", "tell me more"] {
            let ids = encoder.prompt_ids(&row(prompt, "-"), 100).unwrap();
            let text = greedy(engine, &ids, skill.adapter.as_deref(), 8).unwrap();
            out.push((format!("{}/{prompt}", skill.id()), text));
        }
    }
    out
}

#[test]
fn adding_a_skill_forgets_nothing() {
    let t = tiny(WeightMode::F32);
    let skills = t.dir.path().join("skills");
    let cfg = TrainConfig {
        max_steps: Some(4),
        ..config()
    };
    // Two trained skills.
    for (id, reply) in [("alpha", "ok then"), ("beta", "no way")] {
        let data_dir = t.dir.path().join("data").join(id);
        write_corpus(&data_dir, reply);
        let d = data(&t.engine, &data_dir);
        run_training(&t.engine, &skills.join(id), &d, &cfg, false, &mut Quiet).unwrap();
    }
    let files = |id: &str| {
        ["adapter.safetensors", "skill.json", LOSS_CURVE_FILE]
            .map(|f| sha(&skills.join(id).join(f)))
    };
    let hashes = [files("alpha"), files("beta")];
    let before = replies(&t.engine, &skills);
    assert_eq!(before.len(), 6);

    // A third skill, brought as a folder with data and no adapter: trained on the way in.
    let new = t.dir.path().join("incoming");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::write(
        new.join("skill.json"),
        r#"{"id": "positive", "title": "Positive"}"#,
    )
    .unwrap();
    write_corpus(&new.join(SKILL_DATA_DIR), "great news");
    let folder = inspect(&new, &skills).unwrap();
    assert_eq!(folder.plan, AddPlan::Train);
    let (skill, summary) = add_skill(&folder, &skills, &t.engine, &cfg, None, &mut Quiet).unwrap();
    assert_eq!(skill.id(), "positive");
    assert!(skill.adapter.is_some() && summary.is_some());

    assert_eq!(
        [files("alpha"), files("beta")],
        hashes,
        "an old skill's files changed"
    );
    let after = replies(&t.engine, &skills);
    assert_eq!(after.len(), 9);
    for (key, text) in &before {
        let now = &after.iter().find(|(k, _)| k == key).unwrap().1;
        assert_eq!(text, now, "greedy reply of {key} changed");
    }
    // No staging folder is left, and the same skill cannot be added twice.
    let names: Vec<String> = std::fs::read_dir(&skills)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let err = inspect(&new, &skills).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
}
