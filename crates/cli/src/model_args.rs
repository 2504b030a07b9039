//! Flags shared by every command that loads the model, and the loading itself.

use std::path::PathBuf;

use adapterbot_engine::{Adapter, Engine, LoadOptions, WeightMode};
use anyhow::Context;

pub const DEFAULT_MODEL: &str = "models/SmolLM2-135M-Instruct.Q4_1.gguf";

#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// Backbone: a .gguf file, or a folder with config.json, model*.safetensors, tokenizer.json.
    #[arg(long, env = "ADAPTERBOT_MODEL", default_value = DEFAULT_MODEL)]
    pub model: PathBuf,
    /// How to hold the weights: q8_0 (fast, default), q4_0, as-stored, f32.
    #[arg(long, env = "ADAPTERBOT_WEIGHTS", default_value = "q8_0")]
    pub weights: WeightMode,
    /// Longest prompt + reply, in tokens (capped by the model's own context).
    #[arg(long, env = "ADAPTERBOT_MAX_CONTEXT", default_value_t = 8192)]
    pub max_context: usize,
    /// Use less memory (no second, repacked copy of the weights) at the cost of speed.
    #[arg(long, env = "ADAPTERBOT_COMPACT")]
    pub compact: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct AdapterArgs {
    /// Answer with this skill's adapter (models/skills/<ID>/).
    #[arg(long, conflicts_with = "adapter")]
    pub skill: Option<String>,
    /// Answer with the adapter in this folder (skill.json + adapter.safetensors).
    #[arg(long)]
    pub adapter: Option<PathBuf>,
    /// Where skills live.
    #[arg(long, env = "ADAPTERBOT_SKILLS_DIR", default_value = "models/skills")]
    pub skills_dir: PathBuf,
}

impl ModelArgs {
    pub fn load(&self) -> anyhow::Result<Engine> {
        let opts = LoadOptions {
            weights: self.weights,
            max_context: self.max_context,
            compact: self.compact,
            ..LoadOptions::default()
        };
        Ok(Engine::load(&self.model, &opts)?)
    }
}

impl AdapterArgs {
    /// The adapter asked for, if any, checked against the loaded backbone.
    pub fn load(&self, engine: &Engine) -> anyhow::Result<Option<Adapter>> {
        let dir = match (&self.skill, &self.adapter) {
            (Some(id), _) => {
                let dir = self.skills_dir.join(id);
                if !dir.join(adapterbot_engine::adapter::MANIFEST_FILE).exists() {
                    anyhow::bail!(
                        "unknown skill `{id}`: no {}/skill.json (skills here: {})",
                        dir.display(),
                        list_skills(&self.skills_dir)
                    );
                }
                dir
            }
            (None, Some(path)) => path.clone(),
            (None, None) => return Ok(None),
        };
        let (adapter, _) = Adapter::load_dir(&dir, engine.backbone())
            .with_context(|| format!("loading the adapter in {}", dir.display()))?;
        Ok(Some(adapter))
    }
}

fn list_skills(dir: &std::path::Path) -> String {
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("skill.json").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    if ids.is_empty() {
        "none".into()
    } else {
        ids.join(", ")
    }
}
