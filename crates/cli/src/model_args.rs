//! Flags shared by every command that loads the model, and the loading itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use adapterbot_engine::{Adapter, AdapterManifest, DeviceChoice, Engine, LoadOptions, WeightMode};
use adapterbot_skills::knowledge::DEFAULT_INDEX_DIR;
use adapterbot_skills::manager::{DEFAULT_ENCODER_DIR, DEFAULT_MANAGER_DIR};
use adapterbot_skills::planner_load::{
    load_knowledge, load_persona_order, rerank, DEFAULT_SKILL, DEFAULT_SKILLS_DIR,
};
use adapterbot_skills::registry::validate_id;
use adapterbot_skills::{
    PlannerPaths, Skill, SkillChoice, SkillRegistry, SkillSettings, TurnPlanner,
};
use anyhow::Context;

pub const DEFAULT_MODEL: &str = "models/SmolLM2-135M-Instruct.Q4_1.gguf";

#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// Backbone: a .gguf file, or a folder with config.json, model*.safetensors, tokenizer.json.
    #[arg(long, env = "ADAPTERBOT_MODEL", default_value = DEFAULT_MODEL)]
    pub model: PathBuf,
    /// How to hold the weights: auto (packed where the CPU has AVX2 or better, else q8_0),
    /// packed (the file's 4-/8-bit values in the engine's own kernels), q8_0, q4_0, as-stored, f32.
    #[arg(long, env = "ADAPTERBOT_WEIGHTS", default_value = "auto")]
    pub weights: WeightMode,
    /// Longest prompt + reply, in tokens (capped by the model's own context).
    #[arg(long, env = "ADAPTERBOT_MAX_CONTEXT", default_value_t = 8192)]
    pub max_context: usize,
    /// Use less memory (no second, repacked copy of the weights) at the cost of speed.
    #[arg(long, env = "ADAPTERBOT_COMPACT")]
    pub compact: bool,
    /// Where the backbone and its adapters run: auto (a CUDA GPU when this binary was built
    /// with CUDA and one works, else the CPU), cpu, cuda or cuda:N.
    #[arg(long, env = "ADAPTERBOT_DEVICE", default_value = "auto")]
    pub device: DeviceChoice,
}

/// Where the bot's parts are read from: the flags `serve`, `chat` and `generate` share, so
/// the terminal and the server answer with the same skills, manager and knowledge.
#[derive(clap::Args, Debug, Clone)]
pub struct PlannerArgs {
    /// Where skills live (one folder per skill).
    #[arg(long, env = "ADAPTERBOT_SKILLS_DIR", default_value = DEFAULT_SKILLS_DIR)]
    pub skills_dir: PathBuf,
    /// The trained dialogue manager; when absent, `auto` answers with the default skill.
    #[arg(long, env = "ADAPTERBOT_MANAGER_DIR", default_value = DEFAULT_MANAGER_DIR)]
    pub manager_dir: PathBuf,
    /// The sentence encoder the manager reads turns with (fetched by models/fetch.sh).
    #[arg(long, env = "ADAPTERBOT_ENCODER_DIR", default_value = DEFAULT_ENCODER_DIR)]
    pub encoder_dir: PathBuf,
    /// The knowledge index; when absent, the knowledge skill answers without passages.
    #[arg(long, env = "ADAPTERBOT_KNOWLEDGE_DIR", default_value = DEFAULT_INDEX_DIR)]
    pub knowledge_dir: PathBuf,
    /// The skill that answers when the manager is unsure or absent.
    #[arg(long, env = "ADAPTERBOT_DEFAULT_SKILL", default_value = DEFAULT_SKILL)]
    pub default_skill: String,
}

impl PlannerArgs {
    /// The folders; `with_manager: false` leaves the manager out (every turn names its skill).
    pub fn paths(&self, with_manager: bool) -> PlannerPaths {
        PlannerPaths {
            skills_dir: self.skills_dir.clone(),
            manager_dir: with_manager.then(|| self.manager_dir.clone()),
            encoder_dir: self.encoder_dir.clone(),
            knowledge_dir: self.knowledge_dir.clone(),
            default_skill: self.default_skill.clone(),
        }
    }
}

/// An adapter folder outside the skills folder (`--adapter DIR`), as a skill of its own: its
/// manifest's id, settings and weights. It need not sit in a folder named after its id.
pub fn adapter_skill(dir: &Path, engine: &Engine) -> anyhow::Result<Skill> {
    let (adapter, manifest) = Adapter::load_dir(dir, engine.backbone())
        .with_context(|| format!("loading the adapter in {}", dir.display()))?;
    validate_id(&manifest.id)
        .with_context(|| format!("the adapter in {} has no usable id", dir.display()))?;
    let settings = SkillSettings::from_manifest(&manifest).map_err(anyhow::Error::msg)?;
    Ok(Skill {
        manifest,
        settings,
        adapter: Some(Arc::new(adapter)),
        dir: dir.to_path_buf(),
    })
}

/// The planner and the first skill choice for a terminal command: `--skill ID|auto` answers
/// like the server; `--adapter DIR` with that adapter alone; neither with the backbone alone, as
/// the route `backbone`. `with_manager` loads the dialogue manager even for a named skill (the
/// chat can switch to `auto`). A named skill may come from a folder without the default skill.
pub fn terminal_planner(
    engine: &Engine,
    planner: &PlannerArgs,
    skill: Option<&str>,
    adapter: Option<&Path>,
    with_manager: bool,
) -> anyhow::Result<(TurnPlanner, SkillChoice)> {
    if let Some(id) = skill {
        let choice = SkillChoice::parse(Some(id));
        let paths = planner.paths(with_manager || choice == SkillChoice::Auto);
        let loaded = match &choice {
            SkillChoice::Auto => TurnPlanner::load(&paths, engine.backbone())?,
            SkillChoice::Manual(id) => {
                let mut loaded = TurnPlanner::load_without_default(&paths, engine.backbone())?;
                loaded.registry.get(id)?;
                // The named skill answers; the default only matters after `/skill auto`, and
                // then this one stands in when the folder has no default skill.
                if loaded.registry.get(&loaded.default_skill).is_err() {
                    loaded.default_skill = id.clone();
                }
                loaded
            }
        };
        return Ok((loaded, choice));
    }
    let skill = match adapter {
        Some(dir) => adapter_skill(dir, engine)?,
        None => backbone_skill(),
    };
    // A lone adapter that answers from passages still gets them, when the index is there.
    let knowledge = skill
        .settings
        .uses_knowledge
        .then(|| load_knowledge(&planner.knowledge_dir))
        .flatten()
        .map(|store| rerank(store, None, &planner.encoder_dir));
    // And one that speaks from a persona lists its facts as it was trained to read them.
    let persona_order = skill
        .settings
        .uses_persona
        .then(|| load_persona_order(&planner.encoder_dir))
        .flatten();
    let id = skill.id().to_string();
    let mut registry = SkillRegistry::default();
    registry.add(skill);
    let planner = TurnPlanner {
        registry,
        manager: None,
        knowledge,
        default_skill: id.clone(),
        persona_order,
    };
    Ok((planner, SkillChoice::Manual(id)))
}

/// The backbone with no adapter and default settings, as a skill.
fn backbone_skill() -> Skill {
    Skill {
        manifest: AdapterManifest {
            id: "backbone".into(),
            title: "The backbone alone".into(),
            ..AdapterManifest::default()
        },
        settings: SkillSettings::default(),
        adapter: None,
        dir: PathBuf::new(),
    }
}

impl ModelArgs {
    /// The load options, with the device opened (it says which one it chose).
    pub fn load_options(&self) -> anyhow::Result<LoadOptions> {
        Ok(LoadOptions {
            device: self.device.open()?,
            weights: self.weights,
            max_context: self.max_context,
            compact: self.compact,
        })
    }

    pub fn load(&self) -> anyhow::Result<Engine> {
        Ok(Engine::load(&self.model, &self.load_options()?)?)
    }
}

/// The flag that names the sentence encoder persona facts are ordered with, for the commands
/// that encode training or evaluation rows (`serve` and `chat` take it from [`PlannerArgs`]).
#[derive(clap::Args, Debug, Clone)]
pub struct PersonaOrderArgs {
    /// The sentence encoder (fetched by models/fetch.sh) that lists a persona skill's facts
    /// most relevant to the user's turn first, as serving does.
    #[arg(long, env = "ADAPTERBOT_ENCODER_DIR", default_value = DEFAULT_ENCODER_DIR)]
    pub encoder_dir: PathBuf,
}

/// The encoder that orders persona facts, when `uses_persona`: required, because an adapter
/// trained or measured on facts in another order than serving gives them is not what is served.
pub fn persona_order(
    uses_persona: bool,
    encoder_dir: &Path,
) -> anyhow::Result<Option<Arc<adapterbot_skills::manager::SentenceEncoder>>> {
    if !uses_persona {
        return Ok(None);
    }
    let encoder = adapterbot_skills::manager::SentenceEncoder::load(
        encoder_dir,
        &adapterbot_engine::Device::Cpu,
    )
    .with_context(|| {
        format!(
            "persona facts are listed most relevant first, as served, which needs the \
                     sentence encoder in {} (run models/fetch.sh, or set --encoder-dir)",
            encoder_dir.display()
        )
    })?;
    Ok(Some(Arc::new(encoder)))
}
