//! AdapterBot's dialogue skills. A skill is a folder `models/skills/<id>/` with `skill.json`
//! and, once trained, `adapter.safetensors`. This crate knows nothing of HTTP.

pub mod knowledge;
pub mod manager;
pub mod persona;
pub mod planner_load;
pub mod prompt;
pub mod registry;
pub mod settings;
pub mod turn;

pub use knowledge::{Passage, PassageKind};
pub use manager::{RouteDecision, RouteSource};
pub use planner_load::{load_persona_order, PlannerLoadError, PlannerPaths};
pub use prompt::{build_prompt, validate_messages, BuiltPrompt, PromptContext, PromptError};
pub use registry::{LoadProblem, Skill, SkillError, SkillRegistry};
pub use settings::SkillSettings;
pub use turn::{
    clean_persona, DecidedReply, PlannedTurn, SkillChoice, TurnError, TurnPlanner, TurnRequest,
};
