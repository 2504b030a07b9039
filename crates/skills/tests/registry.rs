//! The registry on real skill folders over a tiny model: good ones load, broken ones are refused
//! with a message, and skills come and go while it runs.

use std::path::Path;

use adapterbot_engine::testing::write_tiny_gguf;
use adapterbot_engine::{Adapter, AdapterInit, AdapterManifest, Engine, LlamaConfig, LoadOptions};
use adapterbot_skills::{Skill, SkillRegistry};

fn engine(dir: &Path) -> Engine {
    let p = dir.join("tiny.gguf");
    write_tiny_gguf(&p, &LlamaConfig::tiny_for_tests(), 3).unwrap();
    Engine::load(&p, &LoadOptions::default()).unwrap()
}

fn trained(e: &Engine, skills: &Path, id: &str, bottleneck: usize) {
    let a = Adapter::new(
        id,
        e.backbone().config(),
        bottleneck,
        AdapterInit::Random { seed: 1, std: 0.1 },
        e.backbone().device(),
    )
    .unwrap();
    let mut m = AdapterManifest {
        title: format!("{id} skill"),
        ..Default::default()
    };
    m.extra
        .insert("uses_persona".into(), serde_json::json!(id == "persona"));
    a.save_dir(&skills.join(id), e.backbone(), m).unwrap();
}

fn untrained(skills: &Path, folder: &str, json: &str) {
    std::fs::create_dir_all(skills.join(folder)).unwrap();
    std::fs::write(skills.join(folder).join("skill.json"), json).unwrap();
}

#[test]
fn good_skills_load_and_broken_ones_are_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let e = engine(tmp.path());
    let skills = tmp.path().join("skills");
    trained(&e, &skills, "empathetic", 8);
    trained(&e, &skills, "persona", 8);
    untrained(
        &skills,
        "chitchat",
        r#"{"id":"chitchat","title":"Chit-chat","generation":{"temperature":0.7}}"#,
    );
    // Broken: bad JSON, an adapter of the wrong shape, an id that is a path, a folder/id mismatch,
    // a bad settings value.
    untrained(&skills, "broken", "{ this is not json");
    trained(&e, &skills, "misshaped", 8);
    let mpath = skills.join("misshaped/skill.json");
    let mut m = AdapterManifest::read(&mpath).unwrap();
    m.bottleneck = Some(4);
    m.write(&mpath).unwrap();
    untrained(&skills, "Bad Name", r#"{"id":"Bad Name"}"#);
    untrained(&skills, "sneaky", r#"{"id":"../etc"}"#);
    untrained(
        &skills,
        "typo",
        r#"{"id":"typo","generation":{"temprature":0.5}}"#,
    );
    std::fs::create_dir_all(skills.join("notes")).unwrap(); // no skill.json: not a skill

    let (reg, problems) = SkillRegistry::load_dir(&skills, e.backbone()).unwrap();
    assert_eq!(reg.ids(), ["chitchat", "empathetic", "persona"]);
    assert!(
        reg.get("chitchat").unwrap().adapter.is_none(),
        "untrained: the backbone alone"
    );
    assert_eq!(
        reg.get("chitchat").unwrap().settings.generation.temperature,
        Some(0.7)
    );
    assert!(reg.get("persona").unwrap().settings.uses_persona);
    assert!(reg.get("empathetic").unwrap().adapter.is_some());

    let refused: Vec<(String, &str)> = problems
        .iter()
        .map(|p| {
            (
                p.dir.file_name().unwrap().to_string_lossy().into_owned(),
                p.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(refused.len(), 5, "{refused:?}");
    let why = |folder: &str| {
        refused
            .iter()
            .find(|(f, _)| f == folder)
            .map(|(_, r)| *r)
            .unwrap_or_else(|| panic!("{folder} not refused"))
    };
    assert!(why("broken").contains("manifest"), "{}", why("broken"));
    assert!(why("misshaped").contains("shape"), "{}", why("misshaped"));
    assert!(
        why("Bad Name").contains("invalid skill id"),
        "{}",
        why("Bad Name")
    );
    assert!(
        why("sneaky").contains("invalid skill id"),
        "{}",
        why("sneaky")
    );
    assert!(why("typo").contains("temprature"), "{}", why("typo"));
}

#[test]
fn skills_can_be_added_and_removed_at_run_time() {
    let tmp = tempfile::tempdir().unwrap();
    let e = engine(tmp.path());
    let skills = tmp.path().join("skills");
    trained(&e, &skills, "empathetic", 8);
    let (mut reg, problems) = SkillRegistry::load_dir(&skills, e.backbone()).unwrap();
    assert!(problems.is_empty());
    let before = std::fs::read(skills.join("empathetic/adapter.safetensors")).unwrap();

    trained(&e, &skills, "positive", 8);
    let added = Skill::load(&skills.join("positive"), e.backbone()).unwrap();
    assert!(reg.add(added).is_none());
    assert_eq!(reg.ids(), ["empathetic", "positive"]);
    assert_eq!(
        before,
        std::fs::read(skills.join("empathetic/adapter.safetensors")).unwrap(),
        "adding a skill leaves the others' files alone"
    );

    assert!(reg.remove("positive").is_some());
    let err = reg.get("positive").unwrap_err().to_string();
    assert!(
        err.contains("unknown skill `positive`") && err.contains("empathetic"),
        "{err}"
    );
}

#[test]
fn a_reload_keeps_unchanged_adapters_and_reads_changed_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let e = engine(tmp.path());
    let skills = tmp.path().join("skills");
    trained(&e, &skills, "empathetic", 8);
    trained(&e, &skills, "persona", 8);
    let (first, problems) = SkillRegistry::load_dir(&skills, e.backbone()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let adapter = |r: &SkillRegistry, id: &str| r.get(id).unwrap().adapter.clone().unwrap();

    // persona retrained (another bottleneck, new files); empathetic untouched; a new skill.
    std::fs::remove_dir_all(skills.join("persona")).unwrap();
    trained(&e, &skills, "persona", 4);
    trained(&e, &skills, "knowledge", 8);
    let (second, problems) =
        SkillRegistry::load_dir_reusing(&skills, e.backbone(), Some(&first)).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(second.ids(), ["empathetic", "knowledge", "persona"]);
    assert!(
        std::sync::Arc::ptr_eq(
            &adapter(&first, "empathetic"),
            &adapter(&second, "empathetic")
        ),
        "an unchanged adapter is shared, not read again"
    );
    assert_eq!(
        adapter(&second, "persona").bottleneck(),
        4,
        "a changed one is read"
    );
    assert!(!std::sync::Arc::ptr_eq(
        &adapter(&first, "persona"),
        &adapter(&second, "persona")
    ));
}
