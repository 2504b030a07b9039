//! Loading what the server serves: the backbone and the turn planner (skills, and — when they
//! are there — the dialogue manager and the knowledge store; see `TurnPlanner::load`).
//! `reload` reads the planner's parts again for a server that is running (on SIGHUP), keeping
//! the backbone.

use std::sync::Arc;

use adapterbot_engine::Engine;
use adapterbot_skills::TurnPlanner;
use anyhow::Context;

use crate::config::LoadSpec;
use crate::state::Loaded;

pub fn load(spec: &LoadSpec) -> anyhow::Result<(Arc<Engine>, TurnPlanner)> {
    let engine = Engine::load(&spec.model, &spec.load_options)
        .with_context(|| format!("loading the model {}", spec.model.display()))?;
    let planner = TurnPlanner::load(&spec.planner, engine.backbone())?;
    Ok((Arc::new(engine), planner))
}

/// Reads the skills, the manager and the knowledge index again and swaps them in; turns
/// already planned keep what they were planned with. On an error nothing changes.
pub fn reload(spec: &LoadSpec, loaded: &Loaded) -> anyhow::Result<()> {
    // Loaded outside the lock: requests go on being planned with the old skills meanwhile.
    let planner = loaded
        .planner()
        .reload(&spec.planner, loaded.engine.backbone())?;
    *loaded.planner.write().unwrap_or_else(|e| e.into_inner()) = planner;
    tracing::info!("skills, manager and knowledge reloaded");
    Ok(())
}
