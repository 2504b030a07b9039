//! The skill and manager file readers under fuzzing: a damaged `skill.json` or `manager.json`
//! (bytes overwritten, inserted, cut short, or no JSON at all) is refused with an error, never a
//! panic. Cases per property: 256, or `PROPTEST_CASES` (docs/server.md gives the million-case
//! run).

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use adapterbot_engine::adapter::{ADAPTER_FILE, MANIFEST_FILE};
use adapterbot_engine::testing::fuzz::damaged;
use adapterbot_engine::testing::write_tiny_gguf;
use adapterbot_engine::{
    Adapter, AdapterInit, AdapterManifest, Device, Engine, LlamaConfig, Tensor,
};
use adapterbot_skills::manager::{
    feature_dim, DialogueManager, HeadOptions, ManagerConfig, RoutingHead,
};
use adapterbot_skills::{Skill, SkillSettings};
use proptest::prelude::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A folder of this test thread's own (the properties run on several threads).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("adapterbot-fuzz-{}", std::process::id()))
        .join(format!("{:?}", std::thread::current().id()).replace(['(', ')'], ""))
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The tiny model, and a valid skill for it: `skill.json`'s text and the adapter's bytes.
static SKILL: LazyLock<(Engine, String, Vec<u8>)> = LazyLock::new(|| {
    let model = scratch("model").join("tiny.gguf");
    write_tiny_gguf(&model, &LlamaConfig::tiny_for_tests(), 1).unwrap();
    let engine = Engine::load(&model, &Default::default()).unwrap();
    let b = engine.backbone();
    let init = AdapterInit::Random { seed: 3, std: 0.02 };
    let adapter = Adapter::new("fuzz", b.config(), 4, init, b.device()).unwrap();
    // The shipped persona skill's own fields (persona, sampling defaults).
    let shipped =
        AdapterManifest::read(&root().join("models/skills/persona").join(MANIFEST_FILE)).unwrap();
    let manifest = AdapterManifest {
        extra: shipped.extra,
        ..AdapterManifest::default()
    };
    let dir = scratch("seed").join("fuzz");
    adapter.save_dir(&dir, b, manifest).unwrap();
    let text = std::fs::read_to_string(dir.join(MANIFEST_FILE)).unwrap();
    let weights = std::fs::read(dir.join(ADAPTER_FILE)).unwrap();
    (engine, text, weights)
});

/// A manager folder to damage: the shipped `manager.json` with a head of the same shape but
/// 4 hidden units (so that each case reads kilobytes, not the shipped head's 5 MB).
static MANAGER: LazyLock<(PathBuf, Vec<u8>)> = LazyLock::new(|| {
    let mut config = ManagerConfig::read(&root().join("models/manager")).unwrap();
    config.head.hidden = 4;
    let inputs = feature_dim(config.encoder_dim);
    let features = Tensor::randn(0f32, 1.0, (8, inputs), &Device::Cpu).unwrap();
    let labels: Vec<u32> = (0..8).map(|i| i % config.skills.len() as u32).collect();
    let opts = HeadOptions {
        epochs: 1,
        ..config.head.clone()
    };
    let head =
        RoutingHead::train(&features, &labels, config.skills.len(), &opts, |_, _| {}).unwrap();
    let dir = scratch("manager-seed");
    head.save(&dir).unwrap();
    let json = serde_json::to_vec_pretty(&config).unwrap();
    (dir.join("head.safetensors"), json)
});

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_damaged_skill_json_is_refused_not_a_crash(bytes in damaged(SKILL.1.as_bytes(), SKILL.1.len())) {
        let dir = scratch("skills").join("fuzz");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(MANIFEST_FILE), &bytes).unwrap();
        std::fs::write(dir.join(ADAPTER_FILE), &SKILL.2).unwrap();
        if let Ok(skill) = Skill::load(&dir, SKILL.0.backbone()) {
            // What loads is a whole skill: its id is the folder's, its settings parse again.
            prop_assert_eq!(skill.id(), "fuzz");
            prop_assert_eq!(
                SkillSettings::from_manifest(&skill.manifest),
                Ok(skill.settings.clone())
            );
        }
    }

    #[test]
    fn a_damaged_manager_json_is_refused_not_a_crash(bytes in damaged(&MANAGER.1, MANAGER.1.len())) {
        let dir = scratch("manager");
        std::fs::write(dir.join("manager.json"), &bytes).unwrap();
        if !dir.join("head.safetensors").exists() {
            std::fs::copy(&MANAGER.0, dir.join("head.safetensors")).unwrap();
        }
        // The manager's load, with the real encoder's size (384) standing in for the encoder.
        let encoder_dir = root().join("models/minilm");
        if let Ok(config) = ManagerConfig::read(&dir) {
            if let Ok(head) = DialogueManager::load_head(&dir, &config, &encoder_dir, 384, &Device::Cpu) {
                drop(head);
                prop_assert!(!config.skills.is_empty());
            }
        }
    }
}
