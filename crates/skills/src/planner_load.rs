//! Loading a [`TurnPlanner`] from its folders: the skills, and — when they are there — the
//! dialogue manager and the knowledge index. The server and the terminal chat both load through
//! here, so the same folders give the same bot. A missing manager or knowledge index is a
//! warning (`auto` then answers with the default skill; `knowledge` answers without passages);
//! an unreadable skills folder or a missing default skill is an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use adapterbot_engine::{Backbone, Device};

use crate::knowledge::{
    HybridSettings, KnowledgeStore, Reranker, DEFAULT_INDEX_DIR, RERANK_ENCODER_LAYERS,
};
use crate::manager::{DialogueManager, SentenceEncoder, DEFAULT_ENCODER_DIR, DEFAULT_MANAGER_DIR};
use crate::registry::SkillRegistry;
use crate::turn::TurnPlanner;

/// The skill that answers when the manager is unsure or absent, unless told otherwise.
pub const DEFAULT_SKILL: &str = "chitchat";
/// Where skills live by default (one folder per skill).
pub const DEFAULT_SKILLS_DIR: &str = "models/skills";

/// Where a planner's parts are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannerPaths {
    pub skills_dir: PathBuf,
    /// The trained dialogue manager; `None` = not wanted (every turn names its skill).
    pub manager_dir: Option<PathBuf>,
    /// The sentence encoder the manager reads turns with.
    pub encoder_dir: PathBuf,
    pub knowledge_dir: PathBuf,
    pub default_skill: String,
}

impl Default for PlannerPaths {
    fn default() -> Self {
        Self {
            skills_dir: DEFAULT_SKILLS_DIR.into(),
            manager_dir: Some(DEFAULT_MANAGER_DIR.into()),
            encoder_dir: DEFAULT_ENCODER_DIR.into(),
            knowledge_dir: DEFAULT_INDEX_DIR.into(),
            default_skill: DEFAULT_SKILL.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlannerLoadError {
    #[error("reading the skills in {dir}: {source}")]
    Skills {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("the default skill `{id}` is not in {dir}; it has: {known} (set --default-skill)")]
    NoDefaultSkill {
        id: String,
        dir: PathBuf,
        /// The skills that are there, comma-separated.
        known: String,
    },
}

impl TurnPlanner {
    /// Everything a turn is planned with, for this backbone. Skills that cannot be loaded are
    /// logged and left out (as `SkillRegistry::load_dir` does).
    pub fn load(paths: &PlannerPaths, backbone: &Backbone) -> Result<Self, PlannerLoadError> {
        let planner = Self::load_without_default(paths, backbone)?;
        planner.require_default(paths)?;
        Ok(planner)
    }

    fn require_default(&self, paths: &PlannerPaths) -> Result<(), PlannerLoadError> {
        if self.registry.get(&paths.default_skill).is_err() {
            return Err(PlannerLoadError::NoDefaultSkill {
                id: paths.default_skill.clone(),
                dir: paths.skills_dir.clone(),
                known: match self.registry.ids().join(", ") {
                    k if k.is_empty() => "none".into(),
                    k => k,
                },
            });
        }
        Ok(())
    }

    /// As [`TurnPlanner::load`], without requiring the default skill to be there: for a caller
    /// that names the skill of its turns (and sets `default_skill` itself when it is missing).
    pub fn load_without_default(
        paths: &PlannerPaths,
        backbone: &Backbone,
    ) -> Result<Self, PlannerLoadError> {
        Self::load_parts(paths, backbone, None)
    }

    /// [`TurnPlanner::load`] again, for a running server (a reload): what has not changed is
    /// shared with this planner instead of read again and held twice — the manager's sentence
    /// encoder when it is still the right one, and each adapter whose file is unchanged.
    pub fn reload(
        &self,
        paths: &PlannerPaths,
        backbone: &Backbone,
    ) -> Result<Self, PlannerLoadError> {
        let planner = Self::load_parts(paths, backbone, Some(self))?;
        planner.require_default(paths)?;
        Ok(planner)
    }

    fn load_parts(
        paths: &PlannerPaths,
        backbone: &Backbone,
        previous: Option<&TurnPlanner>,
    ) -> Result<Self, PlannerLoadError> {
        let encoder = previous
            .and_then(|p| p.manager.as_ref())
            .map(|m| m.shared_encoder());
        let (registry, _refused) = SkillRegistry::load_dir_reusing(
            &paths.skills_dir,
            backbone,
            previous.map(|p| &p.registry),
        )
        .map_err(|source| PlannerLoadError::Skills {
            dir: paths.skills_dir.clone(),
            source,
        })?;
        let manager = paths
            .manager_dir
            .as_ref()
            .and_then(|dir| load_manager(dir, paths, encoder));
        let knowledge = load_knowledge(&paths.knowledge_dir).map(|store| {
            let encoder = manager.as_ref().map(|m| m.shared_encoder());
            rerank(store, encoder, &paths.encoder_dir)
        });
        let persona_order = if registry.iter().any(|s| s.settings.uses_persona) {
            previous
                .and_then(|p| p.persona_order.clone())
                .filter(|e| e.dir() == paths.encoder_dir)
                .or_else(|| persona_order_from(manager.as_ref(), &paths.encoder_dir))
        } else {
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
            default_skill: paths.default_skill.clone(),
            persona_order,
        })
    }
}

fn load_manager(
    dir: &Path,
    paths: &PlannerPaths,
    encoder: Option<Arc<SentenceEncoder>>,
) -> Option<DialogueManager> {
    if !dir.exists() {
        tracing::warn!(
            dir = %dir.display(),
            "no dialogue manager there: `auto` answers with the default skill"
        );
        return None;
    }
    // The manager (a few MiniLM layers and a small head) stays on the CPU even when the
    // backbone is on a GPU: it routes a turn in milliseconds there, and keeps the GPU's memory
    // and queue for the backbone.
    match DialogueManager::load_reusing(dir, &paths.encoder_dir, &Device::Cpu, encoder) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(error = %e, "no dialogue manager: `auto` answers with the default skill");
            None
        }
    }
}

/// The full encoder for ordering persona facts: a view over the manager's encoder's weights when
/// it reads the same files (nothing read or held twice: ~70 MB less), else loaded from `dir`.
fn persona_order_from(
    manager: Option<&DialogueManager>,
    dir: &Path,
) -> Option<Arc<SentenceEncoder>> {
    let shared = manager
        .map(|m| m.shared_encoder())
        .filter(|e| e.dir() == dir);
    if let Some(encoder) = shared {
        match encoder.with_layers(None) {
            Ok(full) => return Some(Arc::new(full)),
            Err(e) => tracing::warn!(error = %e, "persona facts: loading the encoder again"),
        }
    }
    load_persona_order(dir)
}

/// The full sentence encoder in `dir` for ordering persona facts, or `None` (with a warning:
/// persona facts then keep their given order) when it is missing or unreadable.
pub fn load_persona_order(dir: &Path) -> Option<Arc<SentenceEncoder>> {
    match SentenceEncoder::load(dir, &Device::Cpu) {
        Ok(e) => Some(Arc::new(e)),
        Err(e) => {
            tracing::warn!(error = %e, "persona facts keep their given order");
            None
        }
    }
}

/// `store`, re-ranking with the manager's encoder (its first [`RERANK_ENCODER_LAYERS`] layers,
/// sharing its weights), or one loaded from `encoder_dir` when there is no manager; searching
/// lexically, with a warning, when neither can be had.
pub fn rerank(
    store: KnowledgeStore,
    manager_encoder: Option<Arc<SentenceEncoder>>,
    encoder_dir: &Path,
) -> KnowledgeStore {
    let reranker = match manager_encoder {
        Some(e) if e.layers() == RERANK_ENCODER_LAYERS => Reranker::new(e),
        Some(e) => e
            .with_layers(Some(RERANK_ENCODER_LAYERS))
            .map_err(|e| crate::knowledge::KnowledgeError::Index(e.to_string()))
            .and_then(|e| Reranker::new(Arc::new(e))),
        None => Reranker::load(encoder_dir),
    };
    match reranker {
        Ok(r) => store.with_reranker(r, HybridSettings::default()),
        Err(e) => {
            tracing::warn!(error = %e, "knowledge: no re-ranking, no abstaining (lexical search only)");
            store
        }
    }
}

/// The knowledge index in `dir`, or `None` (with a warning) when it is missing or unreadable.
pub fn load_knowledge(dir: &Path) -> Option<KnowledgeStore> {
    if !dir.exists() {
        tracing::warn!(
            dir = %dir.display(),
            "no knowledge index there: the knowledge skill answers without passages"
        );
        return None;
    }
    match KnowledgeStore::open(dir) {
        Ok(k) => Some(k),
        Err(e) => {
            tracing::warn!(error = %e, "no knowledge store: the knowledge skill answers without passages");
            None
        }
    }
}
