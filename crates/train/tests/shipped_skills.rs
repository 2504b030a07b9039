//! The shipped skills on the real backbone: each default skill brings a trained adapter that
//! changes what the model says, and adding a new skill (trained here for a few steps) leaves
//! every shipped adapter file and every shipped skill's greedy replies exactly as they were.

mod common;

use common::{row, sha};
use std::path::{Path, PathBuf};

use adapterbot_engine::{Engine, LoadOptions, WeightMode};
use adapterbot_skills::SkillRegistry;
use adapterbot_train::add_skill::{add_skill, inspect, AddPlan, SKILL_DATA_DIR};
use adapterbot_train::eval::greedy;
use adapterbot_train::{write_dialogues, DialogueRow, Encoder, Quiet, TrainConfig};

const DEFAULT_SKILLS: [&str; 4] = ["chitchat", "empathetic", "knowledge", "persona"];
const PROMPTS: [&str; 2] = [
    "I just lost my job and I don't know what to do.",
    "What is the capital of Australia?",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Greedy replies (16 tokens) of every skill in `skills_dir`, and of the backbone alone, to the
/// fixed prompts, each built with that skill's settings.
fn replies(engine: &Engine, skills_dir: &Path) -> Vec<(String, String)> {
    let (reg, problems) = SkillRegistry::load_dir(skills_dir, engine.backbone()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let mut out = Vec::new();
    for skill in reg.iter() {
        let encoder = Encoder::new(engine, skill.settings.clone(), 256).unwrap();
        for prompt in PROMPTS {
            let ids = encoder.prompt_ids(&row(prompt, "-"), 200).unwrap();
            for (tag, adapter) in [("adapter", skill.adapter.as_deref()), ("none", None)] {
                let text = greedy(engine, &ids, adapter, 16).unwrap();
                out.push((format!("{}/{tag}/{prompt}", skill.id()), text));
            }
        }
    }
    out
}

#[test]
fn shipped_adapters_change_replies_and_adding_a_skill_forgets_nothing() {
    let model = repo().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        model.exists(),
        "the real model is missing: run models/fetch.sh"
    );
    // f32 weights: the new skill is trained, and greedy replies are compared on the same weights.
    let engine = Engine::load(
        &model,
        &LoadOptions {
            weights: WeightMode::F32,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let skills = dir.path().join("skills");
    for id in DEFAULT_SKILLS {
        let from = repo().join("models/skills").join(id);
        assert!(
            from.join("adapter.safetensors").is_file(),
            "the shipped skill `{id}` has no trained adapter"
        );
        std::fs::create_dir_all(skills.join(id)).unwrap();
        for f in ["skill.json", "adapter.safetensors"] {
            std::fs::copy(from.join(f), skills.join(id).join(f)).unwrap();
        }
    }
    let hashes = |ids: &[&str]| -> Vec<String> {
        ids.iter()
            .flat_map(|id| {
                ["skill.json", "adapter.safetensors"].map(|f| sha(&skills.join(id).join(f)))
            })
            .collect()
    };
    let before_hashes = hashes(&DEFAULT_SKILLS);
    let before = replies(&engine, &skills);

    // Each shipped adapter is trained: on some fixed prompt it says something else than the
    // backbone alone would with the same prompt.
    for id in DEFAULT_SKILLS {
        let changed = PROMPTS.iter().any(|p| {
            let get = |tag: &str| {
                &before
                    .iter()
                    .find(|(k, _)| *k == format!("{id}/{tag}/{p}"))
                    .unwrap()
                    .1
            };
            get("adapter") != get("none")
        });
        assert!(changed, "`{id}`'s adapter changes no reply: {before:?}");
    }

    // A new skill with a tiny corpus, trained on the way in for a few steps.
    let incoming = dir.path().join("incoming");
    std::fs::create_dir_all(incoming.join(SKILL_DATA_DIR)).unwrap();
    std::fs::write(
        incoming.join("skill.json"),
        r#"{"id": "positive", "title": "Positive"}"#,
    )
    .unwrap();
    let rows: Vec<DialogueRow> = ["Hi!", "How was your day?", "Any news?", "What's up?"]
        .iter()
        .map(|u| row(u, "Great news all round: everything is going wonderfully!"))
        .collect();
    write_dialogues(&incoming.join(SKILL_DATA_DIR).join("train.jsonl"), &rows).unwrap();
    let folder = inspect(&incoming, &skills).unwrap();
    assert_eq!(folder.plan, AddPlan::Train);
    let cfg = TrainConfig {
        max_steps: Some(3),
        eval_every: 3,
        batch_tokens: 128,
        max_len: 128,
        ..TrainConfig::default()
    };
    let (skill, summary) = add_skill(&folder, &skills, &engine, &cfg, None, &mut Quiet).unwrap();
    assert_eq!(skill.id(), "positive");
    assert!(summary.is_some() && skill.adapter.is_some());

    assert_eq!(
        hashes(&DEFAULT_SKILLS),
        before_hashes,
        "a shipped skill's files changed"
    );
    let after = replies(&engine, &skills);
    for (key, text) in &before {
        let now = &after.iter().find(|(k, _)| k == key).unwrap().1;
        assert_eq!(
            text, now,
            "greedy reply of {key} changed after adding a skill"
        );
    }
    assert!(after.iter().any(|(k, _)| k.starts_with("positive/")));
}
