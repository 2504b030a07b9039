//! An adapter on disk: `adapter.safetensors` beside a `skill.json` manifest.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Adapter;
use crate::backbone::Backbone;
use crate::error::{EngineError, Result};
use crate::fsutil::{replace_atomic, write_atomic};

pub const ADAPTER_FILE: &str = "adapter.safetensors";
pub const MANIFEST_FILE: &str = "skill.json";

/// The adapter's part of `skill.json`. Fields other crates add to the same file are kept as
/// they are (`extra`), so saving an adapter never drops a skill's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdapterManifest {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bottleneck: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created: String,
    /// What training produced (data hash, steps, losses, time): free-form for the trainer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<serde_json::Value>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl AdapterManifest {
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| EngineError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| invalid(path, format!("not a valid manifest: {e}")))
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self).expect("a manifest always serializes");
        text.push('\n');
        write_atomic(path, text.as_bytes())
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> EngineError {
    EngineError::AdapterInvalid {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

impl Adapter {
    /// Loads `dir/adapter.safetensors` as described by `dir/skill.json`, refusing a file made
    /// for another backbone, of the wrong shape, or damaged.
    pub fn load_dir(dir: &Path, backbone: &Backbone) -> Result<(Adapter, AdapterManifest)> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let manifest = AdapterManifest::read(&manifest_path)?;
        let weights = dir.join(ADAPTER_FILE);
        let adapter = Self::load_file(&weights, &manifest, backbone)?;
        Ok((adapter, manifest))
    }

    pub fn load_file(
        weights: &Path,
        manifest: &AdapterManifest,
        backbone: &Backbone,
    ) -> Result<Adapter> {
        let bottleneck = manifest
            .bottleneck
            .ok_or_else(|| invalid(weights, "the manifest has no `bottleneck`"))?;
        let expected = manifest
            .base_model_sha256
            .as_deref()
            .ok_or_else(|| invalid(weights, "the manifest has no `base_model_sha256`"))?;
        if expected != backbone.fingerprint() {
            return Err(EngineError::AdapterBaseMismatch {
                path: weights.to_path_buf(),
                expected: expected.to_string(),
                actual: backbone.fingerprint().to_string(),
            });
        }
        let bytes = std::fs::read(weights).map_err(|e| EngineError::io(weights, e))?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, backbone.device())
            .map_err(|e| invalid(weights, format!("not a readable safetensors file: {e}")))?;
        Adapter::from_named_tensors(&manifest.id, backbone.config(), bottleneck, tensors)
            .map_err(|reason| invalid(weights, reason))
    }

    /// Writes the weights and the manifest into `dir` (each replaced atomically), filling in
    /// the manifest's id, bottleneck, base model and creation time.
    pub fn save_dir(
        &self,
        dir: &Path,
        backbone: &Backbone,
        mut manifest: AdapterManifest,
    ) -> Result<AdapterManifest> {
        std::fs::create_dir_all(dir).map_err(|e| EngineError::io(dir, e))?;
        manifest.id = self.id.clone();
        manifest.bottleneck = Some(self.bottleneck);
        manifest.base_model_sha256 = Some(backbone.fingerprint().to_string());
        if manifest.created.is_empty() {
            manifest.created =
                humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        }
        let weights: PathBuf = dir.join(ADAPTER_FILE);
        let tensors = self.named_tensors();
        replace_atomic(&weights, |tmp| {
            candle_core::safetensors::save(&tensors, tmp).map_err(std::io::Error::other)?;
            // The safetensors writer makes the file private (0600); an adapter is read by the
            // server, which may run as another user (the container's), so make it world-readable.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(0o644))?;
            }
            std::fs::File::open(tmp)?.sync_all()
        })?;
        manifest.write(&dir.join(MANIFEST_FILE))?;
        Ok(manifest)
    }
}
