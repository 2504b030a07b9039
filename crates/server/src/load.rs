//! Loading what the server serves: the backbone, the skills, and — when they are there — the
//! dialogue manager and the knowledge store. A missing manager or knowledge index is a warning
//! (`auto` then answers with the default skill; `knowledge` answers without passages), a missing
//! model or default skill is an error. `reload` reads the skills, the manager and the index
//! again for a server that is running (on SIGHUP), keeping the backbone.

use std::sync::Arc;

use adapterbot_engine::{Device, Engine};
use adapterbot_skills::knowledge::KnowledgeStore;
use adapterbot_skills::manager::DialogueManager;
use adapterbot_skills::{SkillRegistry, TurnPlanner};
use anyhow::Context;

use crate::config::LoadSpec;
use crate::state::Loaded;

pub fn load(spec: &LoadSpec) -> anyhow::Result<(Arc<Engine>, TurnPlanner)> {
    let engine = Engine::load(&spec.model, &spec.load_options)
        .with_context(|| format!("loading the model {}", spec.model.display()))?;
    let planner = load_planner(spec, &engine)?;
    Ok((Arc::new(engine), planner))
}

/// Reads the skills, the manager and the knowledge index again and swaps them in; turns
/// already planned keep what they were planned with. On an error nothing changes.
pub fn reload(spec: &LoadSpec, loaded: &Loaded) -> anyhow::Result<()> {
    // Loaded outside the lock: requests go on being planned with the old skills meanwhile.
    let planner = load_planner(spec, &loaded.engine)?;
    *loaded.planner.write().unwrap_or_else(|e| e.into_inner()) = planner;
    tracing::info!("skills, manager and knowledge reloaded");
    Ok(())
}

/// Everything a turn is planned with, for this backbone.
fn load_planner(spec: &LoadSpec, engine: &Engine) -> anyhow::Result<TurnPlanner> {
    let (registry, problems) = SkillRegistry::load_dir(&spec.skills_dir, engine.backbone())
        .with_context(|| format!("reading the skills in {}", spec.skills_dir.display()))?;
    for p in &problems {
        tracing::warn!(dir = %p.dir.display(), reason = %p.reason, "skill refused");
    }
    registry.get(&spec.default_skill).with_context(|| {
        format!(
            "the default skill `{}` is not in {} (set --default-skill)",
            spec.default_skill,
            spec.skills_dir.display()
        )
    })?;
    let manager = if spec.manager_dir.exists() {
        // The manager (a few MiniLM layers and a small head) stays on the CPU even when the
        // backbone is on a GPU: it routes a turn in milliseconds there, and keeps the GPU's
        // memory and queue for the backbone.
        match DialogueManager::load(&spec.manager_dir, &spec.encoder_dir, &Device::Cpu) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!(error = %e, "no dialogue manager: `auto` answers with the default skill");
                None
            }
        }
    } else {
        tracing::warn!(
            dir = %spec.manager_dir.display(),
            "no dialogue manager there: `auto` answers with the default skill"
        );
        None
    };
    let knowledge = if spec.knowledge_dir.exists() {
        match KnowledgeStore::open(&spec.knowledge_dir) {
            Ok(k) => Some(k),
            Err(e) => {
                tracing::warn!(error = %e, "no knowledge store: the knowledge skill answers without passages");
                None
            }
        }
    } else {
        tracing::warn!(
            dir = %spec.knowledge_dir.display(),
            "no knowledge index there: the knowledge skill answers without passages"
        );
        None
    };
    tracing::info!(
        skills = ?registry.ids(),
        manager = manager.is_some(),
        knowledge = knowledge.is_some(),
        "skills loaded"
    );
    Ok(TurnPlanner {
        registry,
        manager,
        knowledge,
        default_skill: spec.default_skill.clone(),
    })
}
