//! The skill's own part of `skill.json`, beside the engine's adapter fields.

use adapterbot_engine::AdapterManifest;
use serde::{Deserialize, Serialize};

/// What a skill needs besides its adapter: which context it gets and how it likes to sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SkillSettings {
    /// Passages from the knowledge store go into the prompt.
    pub uses_knowledge: bool,
    /// Persona facts go into the prompt.
    pub uses_persona: bool,
    /// Default persona facts (first-person sentences), when the request brings none.
    pub persona: Vec<String>,
    /// Sampling defaults for this skill; a request's own values win.
    pub generation: GenerationDefaults,
    /// For a skill that uses knowledge: what it says, without running the model, when
    /// retrieval abstains (no passage fits the question). A 135M model told in its prompt that
    /// nothing answers still answers, from nothing; `None` leaves it to the model.
    pub no_facts_reply: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenerationDefaults {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<usize>,
    pub repetition_penalty: Option<f32>,
    pub max_tokens: Option<usize>,
}

impl SkillSettings {
    /// Reads the skill fields that the engine's manifest kept aside as `extra`.
    pub fn from_manifest(m: &AdapterManifest) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::Object(m.extra.clone()))
            .map_err(|e| e.to_string())
    }
}
