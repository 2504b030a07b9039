//! The dialogue manager: reads the user's turn in the context of the last few turns and gives a
//! probability for every skill it was trained on. Below a confidence threshold it falls back to a
//! configured default skill, and the decision says so.

use std::collections::BTreeMap;

use serde::Serialize;

/// How the skill for a turn was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteSource {
    /// The manager chose it.
    Auto,
    /// The caller named it.
    Manual,
    /// The manager was not confident enough (or there is none): the default skill answers.
    Fallback,
}

/// The manager's decision for one turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteDecision {
    pub skill: String,
    pub source: RouteSource,
    /// Probability per skill id (empty when no manager was consulted).
    pub probabilities: BTreeMap<String, f32>,
    /// Time the manager took, in milliseconds.
    pub elapsed_ms: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("dialogue manager: {0}")]
    Model(String),
    #[error("the manager was trained on {trained:?} but the registry has no skill `{missing}`")]
    UnknownSkill {
        trained: Vec<String>,
        missing: String,
    },
}

/// The trained classifier (sentence encoder + head). Cheap to share between threads.
pub struct DialogueManager {
    _private: (),
}

impl DialogueManager {
    /// Opens a trained manager from `dir` (written by `adapterbot train manager`).
    pub fn load(dir: &std::path::Path) -> Result<Self, ManagerError> {
        Err(ManagerError::Model(format!(
            "no trained dialogue manager in {}",
            dir.display()
        )))
    }

    /// Probabilities over the manager's skills for `turn`, read after `context` (oldest first).
    /// Below the threshold the decision falls back to `default_skill`.
    pub fn route(
        &self,
        _turn: &str,
        _context: &[String],
        default_skill: &str,
    ) -> Result<RouteDecision, ManagerError> {
        Ok(RouteDecision {
            skill: default_skill.to_string(),
            source: RouteSource::Fallback,
            probabilities: BTreeMap::new(),
            elapsed_ms: 0.0,
        })
    }
}
