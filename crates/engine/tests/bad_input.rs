//! Every bad input is a clear error that names the problem; none panics.

use adapterbot_engine::testing::write_tiny_gguf;
use adapterbot_engine::{
    Adapter, AdapterBank, AdapterInit, AdapterManifest, Engine, EngineError, LlamaConfig,
    LoadOptions,
};

fn tiny_engine(dir: &std::path::Path) -> Engine {
    let p = dir.join("tiny.gguf");
    write_tiny_gguf(&p, &LlamaConfig::tiny_for_tests(), 1).unwrap();
    Engine::load(&p, &LoadOptions::default()).unwrap()
}

fn saved_adapter(dir: &std::path::Path, e: &Engine, bottleneck: usize) -> std::path::PathBuf {
    let a = Adapter::new(
        "empathetic",
        e.backbone().config(),
        bottleneck,
        AdapterInit::Random { seed: 2, std: 0.1 },
        e.backbone().device(),
    )
    .unwrap();
    let skill = dir.join("empathetic");
    a.save_dir(&skill, e.backbone(), AdapterManifest::default())
        .unwrap();
    skill
}

#[test]
fn a_missing_model_says_how_to_fetch_it() {
    let err = Engine::load("no/such/model.gguf".as_ref(), &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, EngineError::ModelNotFound { .. }));
    assert!(err.to_string().contains("models/fetch.sh"), "{err}");
}

#[test]
fn a_corrupt_or_truncated_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.gguf");
    std::fs::write(&junk, b"this is not a gguf file at all").unwrap();
    let err = Engine::load(&junk, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, EngineError::ModelCorrupt { .. }), "{err}");

    let good = dir.path().join("tiny.gguf");
    write_tiny_gguf(&good, &LlamaConfig::tiny_for_tests(), 1).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let err = Engine::load(&cut, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, EngineError::ModelCorrupt { .. }), "{err}");
    assert!(
        err.to_string().contains("cut.gguf"),
        "the error names the file: {err}"
    );
}

#[test]
fn adapters_round_trip_and_keep_other_manifest_fields() {
    let dir = tempfile::tempdir().unwrap();
    let e = tiny_engine(dir.path());
    let a = Adapter::new(
        "persona",
        e.backbone().config(),
        8,
        AdapterInit::Random { seed: 4, std: 0.1 },
        e.backbone().device(),
    )
    .unwrap();
    let mut manifest = AdapterManifest {
        title: "Persona".into(),
        ..Default::default()
    };
    manifest
        .extra
        .insert("uses_persona".into(), serde_json::json!(true));
    let skill = dir.path().join("persona");
    a.save_dir(&skill, e.backbone(), manifest).unwrap();
    let (back, m) = Adapter::load_dir(&skill, e.backbone()).unwrap();
    assert_eq!(m.id, "persona");
    assert_eq!(m.bottleneck, Some(8));
    assert_eq!(
        m.base_model_sha256.as_deref(),
        Some(e.backbone().fingerprint())
    );
    assert_eq!(m.extra["uses_persona"], serde_json::json!(true));
    assert!(!m.created.is_empty());
    #[cfg(unix)]
    {
        // Readable by a server running as another user (as in the container).
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(skill.join("adapter.safetensors"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o044, 0o044, "adapter.safetensors mode {mode:o}");
    }
    let (x, y) = (a.named_tensors(), back.named_tensors());
    for (k, t) in &x {
        let d = adapterbot_engine::testing::max_abs_diff(t, &y[k]).unwrap();
        assert_eq!(d, 0.0, "{k} changed on the round trip");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&skill)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "only skill.json and adapter.safetensors: {leftovers:?}"
    );
}

#[test]
fn a_corrupt_adapter_file_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let e = tiny_engine(dir.path());
    let skill = saved_adapter(dir.path(), &e, 8);
    std::fs::write(
        skill.join("adapter.safetensors"),
        b"\x10\x00\x00\x00garbage",
    )
    .unwrap();
    let err = Adapter::load_dir(&skill, e.backbone()).unwrap_err();
    assert!(matches!(err, EngineError::AdapterInvalid { .. }), "{err}");
    assert!(err.to_string().contains("adapter.safetensors"), "{err}");
}

#[test]
fn a_wrong_shape_or_wrong_base_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = tiny_engine(dir.path());
    let skill = saved_adapter(dir.path(), &e, 8);
    // Claim another bottleneck than the tensors have.
    let mpath = skill.join("skill.json");
    let mut m = AdapterManifest::read(&mpath).unwrap();
    m.bottleneck = Some(16);
    m.write(&mpath).unwrap();
    let err = Adapter::load_dir(&skill, e.backbone())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("shape") && err.contains("bottleneck 16"),
        "{err}"
    );
    // Made for another backbone.
    m.bottleneck = Some(8);
    m.base_model_sha256 = Some("0".repeat(64));
    m.write(&mpath).unwrap();
    let err = Adapter::load_dir(&skill, e.backbone()).unwrap_err();
    assert!(
        matches!(err, EngineError::AdapterBaseMismatch { .. }),
        "{err}"
    );
    // A broken manifest.
    std::fs::write(&mpath, "{ not json").unwrap();
    let err = Adapter::load_dir(&skill, e.backbone())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("skill.json") && err.contains("manifest"),
        "{err}"
    );
}

#[test]
fn nan_weights_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = tiny_engine(dir.path());
    let skill = saved_adapter(dir.path(), &e, 8);
    let (a, m) = Adapter::load_dir(&skill, e.backbone()).unwrap();
    let mut tensors = a.named_tensors();
    let bad = (tensors["layers.1.up.bias"].clone() * f64::NAN).unwrap();
    tensors.insert("layers.1.up.bias".into(), bad);
    candle_core::safetensors::save(&tensors, skill.join("adapter.safetensors")).unwrap();
    let err = Adapter::load_dir(&skill, e.backbone())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("layers.1.up.bias") && err.contains("NaN"),
        "{err} ({})",
        m.id
    );
}

#[test]
fn an_unknown_skill_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let e = tiny_engine(dir.path());
    let mut bank = AdapterBank::new();
    for id in ["chitchat", "empathetic"] {
        bank.insert(
            Adapter::new(
                id,
                e.backbone().config(),
                8,
                AdapterInit::Identity { seed: 1 },
                e.backbone().device(),
            )
            .unwrap(),
        );
    }
    assert_eq!(bank.index_of("empathetic"), Some(1));
    let err = bank.get("pirate").unwrap_err().to_string();
    assert!(
        err.contains("pirate") && err.contains("chitchat, empathetic"),
        "{err}"
    );
    // Replacing keeps the index: switching skills is an index, never a reload.
    let again = Adapter::new(
        "chitchat",
        e.backbone().config(),
        8,
        AdapterInit::Identity { seed: 2 },
        e.backbone().device(),
    )
    .unwrap();
    assert_eq!(bank.insert(again), 0);
    assert_eq!(bank.len(), 2);
}
