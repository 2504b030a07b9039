//! Adding a skill: a folder with `skill.json` (and `adapter.safetensors`, or training data in
//! `data/train.jsonl` to train one from) is checked, trained if needed, and moved into the
//! skills directory in one rename. Existing skills are never touched, so nothing already
//! learned can be forgotten.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use adapterbot_engine::adapter::{ADAPTER_FILE, MANIFEST_FILE};
use adapterbot_engine::{AdapterManifest, Engine};
use adapterbot_skills::manager::SentenceEncoder;
use adapterbot_skills::registry::validate_id;
use adapterbot_skills::{Skill, SkillSettings};

use crate::encode::Encoder;
use crate::error::{Result, TrainError};
use crate::skill_data::load_skill_data;
use crate::trainer::{train, Observer, TrainConfig, TrainRun, TrainingSummary, CHECKPOINT_FILE};

/// Where a skill folder keeps its own training data.
pub const SKILL_DATA_DIR: &str = "data";

/// What `add_skill` found in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddPlan {
    /// The folder has an adapter: it is checked and copied.
    Copy,
    /// No adapter, but training data: train first (needs an f32 backbone).
    Train,
    /// Neither: the skill answers with the backbone alone.
    NoAdapter,
}

/// A checked skill folder, ready to add.
#[derive(Debug, Clone)]
pub struct SkillFolder {
    pub src: PathBuf,
    pub id: String,
    pub manifest: AdapterManifest,
    pub plan: AddPlan,
}

/// Reads and checks `src` (id, settings, no clash with an existing skill in `skills_dir`).
pub fn inspect(src: &Path, skills_dir: &Path) -> Result<SkillFolder> {
    let manifest = AdapterManifest::read(&src.join(MANIFEST_FILE))?;
    validate_id(&manifest.id)?;
    SkillSettings::from_manifest(&manifest).map_err(|reason| {
        TrainError::Skill(adapterbot_skills::SkillError::BadSettings {
            dir: src.to_path_buf(),
            reason,
        })
    })?;
    let dest = skills_dir.join(&manifest.id);
    if dest.exists() {
        return Err(TrainError::Config(format!(
            "skill `{}` already exists in {}; remove that folder first (adding never replaces a skill)",
            manifest.id,
            skills_dir.display()
        )));
    }
    let plan = if src.join(ADAPTER_FILE).exists() {
        AddPlan::Copy
    } else if src
        .join(SKILL_DATA_DIR)
        .join(crate::skill_data::TRAIN_FILE)
        .exists()
    {
        AddPlan::Train
    } else {
        AddPlan::NoAdapter
    };
    Ok(SkillFolder {
        src: src.to_path_buf(),
        id: manifest.id.clone(),
        manifest,
        plan,
    })
}

/// Adds the skill: copies the folder into a staging place inside `skills_dir`, trains its
/// adapter there when the plan says so (with `engine`, which must hold f32 weights), loads it as
/// the registry would, then renames it into place. Returns the loaded skill and, when trained,
/// the training summary. On any failure nothing is left in `skills_dir`. `persona_order` lists
/// a persona skill's facts as serving will ([`Encoder::with_persona_order`]).
pub fn add_skill(
    folder: &SkillFolder,
    skills_dir: &Path,
    engine: &Engine,
    config: &TrainConfig,
    persona_order: Option<Arc<SentenceEncoder>>,
    observer: &mut dyn Observer,
) -> Result<(Skill, Option<TrainingSummary>)> {
    std::fs::create_dir_all(skills_dir).map_err(|e| TrainError::io(skills_dir, e))?;
    // The staging folder holds no skill.json itself, so a registry scan never picks it up.
    let staging = skills_dir.join(format!(".adding-{}-{}", folder.id, std::process::id()));
    let staged = staging.join(&folder.id);
    let result = (|| {
        copy_dir(&folder.src, &staged)?;
        let summary = if folder.plan == AddPlan::Train {
            let settings =
                SkillSettings::from_manifest(&folder.manifest).map_err(TrainError::Config)?;
            let encoder =
                Encoder::new(engine, settings, config.max_len)?.with_persona_order(persona_order);
            let data = load_skill_data(&encoder, &staged.join(SKILL_DATA_DIR), false)?;
            Some(train(
                TrainRun {
                    engine,
                    skill_id: &folder.id,
                    skill_dir: &staged,
                    data: &data,
                    config,
                    checkpoint: staged.join(CHECKPOINT_FILE),
                    resume: false,
                },
                observer,
            )?)
        } else {
            None
        };
        Skill::load(&staged, engine.backbone())?;
        let dest = skills_dir.join(&folder.id);
        std::fs::rename(&staged, &dest).map_err(|e| TrainError::io(&dest, e))?;
        let skill = Skill::load(&dest, engine.backbone())?;
        Ok((skill, summary))
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// Copies a folder recursively, leaving out training checkpoints.
fn copy_dir(src: &Path, dest: &Path) -> Result<()> {
    std::fs::create_dir_all(dest).map_err(|e| TrainError::io(dest, e))?;
    for entry in std::fs::read_dir(src).map_err(|e| TrainError::io(src, e))? {
        let entry = entry.map_err(|e| TrainError::io(src, e))?;
        let path = entry.path();
        let target = dest.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| TrainError::io(&path, e))?;
        if kind.is_dir() {
            copy_dir(&path, &target)?;
        } else if entry.file_name() != CHECKPOINT_FILE {
            std::fs::copy(&path, &target).map_err(|e| TrainError::io(&path, e))?;
        }
    }
    Ok(())
}
