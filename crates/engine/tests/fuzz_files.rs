//! The model-file readers under fuzzing: a damaged GGUF model or adapter safetensors file (bytes
//! overwritten, inserted, cut short, or no file format at all) is refused with an error, never
//! a panic or an abort. Cases run per property: 256, or `PROPTEST_CASES` (docs/server.md gives
//! the million-case run).

use std::path::PathBuf;
use std::sync::LazyLock;

use adapterbot_engine::adapter::{ADAPTER_FILE, MANIFEST_FILE};
use adapterbot_engine::testing::fuzz::damaged;
use adapterbot_engine::testing::write_tiny_gguf;
use adapterbot_engine::{
    Adapter, AdapterInit, AdapterManifest, Backbone, Engine, LlamaConfig, LoadOptions,
};
use proptest::prelude::*;

/// A file of this test thread's own (the properties run on several threads).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("adapterbot-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{:?}-{name}", std::thread::current().id()).replace(['(', ')'], ""))
}

/// A valid tiny model, as bytes.
static GGUF: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let path = scratch("seed.gguf");
    write_tiny_gguf(&path, &LlamaConfig::tiny_for_tests(), 1).unwrap();
    std::fs::read(&path).unwrap()
});

/// The tiny model loaded, and a valid adapter folder for it (manifest text, weights bytes).
static ADAPTER: LazyLock<(Engine, String, Vec<u8>)> = LazyLock::new(|| {
    let path = scratch("adapter-base.gguf");
    std::fs::write(&path, &*GGUF).unwrap();
    let engine = Engine::load(&path, &LoadOptions::default()).unwrap();
    let b = engine.backbone();
    let init = AdapterInit::Random { seed: 3, std: 0.02 };
    let adapter = Adapter::new("fuzz", b.config(), 4, init, b.device()).unwrap();
    let dir = scratch("adapter-seed");
    adapter
        .save_dir(&dir, b, AdapterManifest::default())
        .unwrap();
    let manifest = std::fs::read_to_string(dir.join(MANIFEST_FILE)).unwrap();
    let weights = std::fs::read(dir.join(ADAPTER_FILE)).unwrap();
    (engine, manifest, weights)
});

/// Where the GGUF seed's header (metadata and tensor index) ends and the weights begin.
static GGUF_HEADER: LazyLock<usize> = LazyLock::new(|| {
    let mut reader = std::io::Cursor::new(&*GGUF);
    let content = candle_core::quantized::gguf_file::Content::read(&mut reader).unwrap();
    content.tensor_data_offset as usize
});

/// A safetensors file's header length: its 8-byte size field and the JSON after it.
fn safetensors_header(bytes: &[u8]) -> usize {
    8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

fn backbone() -> &'static Backbone {
    ADAPTER.0.backbone()
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_damaged_gguf_model_is_refused_not_a_crash(bytes in damaged(&GGUF, *GGUF_HEADER)) {
        let path = scratch("model.gguf");
        std::fs::write(&path, &bytes).unwrap();
        // Damage in the weights' values loads (it is still a model); anything else is an error.
        if Engine::load(&path, &LoadOptions::default()).is_err() {
            prop_assert!(bytes != *GGUF);
        }
    }

    #[test]
    fn a_damaged_adapter_file_is_refused_not_a_crash(bytes in damaged(&ADAPTER.2, safetensors_header(&ADAPTER.2))) {
        let dir = scratch("adapter");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(MANIFEST_FILE), &ADAPTER.1).unwrap();
        std::fs::write(dir.join(ADAPTER_FILE), &bytes).unwrap();
        if let Ok((adapter, _)) = Adapter::load_dir(&dir, backbone()) {
            prop_assert_eq!(adapter.bottleneck(), 4);
        }
    }

    #[test]
    fn a_damaged_adapter_manifest_is_refused_not_a_crash(
        bytes in damaged(ADAPTER.1.as_bytes(), ADAPTER.1.len())
    ) {
        let dir = scratch("manifest");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(MANIFEST_FILE), &bytes).unwrap();
        std::fs::write(dir.join(ADAPTER_FILE), &ADAPTER.2).unwrap();
        let _ = Adapter::load_dir(&dir, backbone());
    }
}
