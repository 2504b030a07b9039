//! Flags shared by every command that loads the model, and the loading itself.

use std::path::PathBuf;

use adapterbot_engine::{Adapter, Engine, LoadOptions, WeightMode};
use adapterbot_skills::{SkillRegistry, SkillSettings};
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
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            weights: self.weights,
            max_context: self.max_context,
            compact: self.compact,
            ..LoadOptions::default()
        }
    }

    pub fn load(&self) -> anyhow::Result<Engine> {
        Ok(Engine::load(&self.model, &self.load_options())?)
    }
}

/// The skill a command answers with: its adapter (none = the backbone alone) and settings.
#[derive(Default)]
pub struct ChosenSkill {
    pub adapter: Option<Adapter>,
    pub settings: SkillSettings,
}

impl AdapterArgs {
    /// The skill or adapter asked for, checked against the loaded backbone. A skill that is not
    /// trained yet answers with the backbone alone.
    pub fn load(&self, engine: &Engine) -> anyhow::Result<ChosenSkill> {
        if let Some(id) = &self.skill {
            let (registry, problems) = SkillRegistry::load_dir(&self.skills_dir, engine.backbone())
                .with_context(|| format!("reading the skills in {}", self.skills_dir.display()))?;
            for p in &problems {
                eprintln!("warning: skill {} refused: {}", p.dir.display(), p.reason);
            }
            let skill = registry.get(id)?;
            if skill.adapter.is_none() {
                eprintln!("note: skill `{id}` has no trained adapter yet; answering with the backbone alone");
            }
            return Ok(ChosenSkill {
                adapter: skill.adapter.as_deref().cloned(),
                settings: skill.settings.clone(),
            });
        }
        let Some(dir) = &self.adapter else {
            return Ok(ChosenSkill::default());
        };
        let (adapter, manifest) = Adapter::load_dir(dir, engine.backbone())
            .with_context(|| format!("loading the adapter in {}", dir.display()))?;
        let settings = SkillSettings::from_manifest(&manifest).map_err(anyhow::Error::msg)?;
        Ok(ChosenSkill {
            adapter: Some(adapter),
            settings,
        })
    }
}
