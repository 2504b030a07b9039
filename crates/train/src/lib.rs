//! Training and evaluation of skill adapters on the frozen backbone: the dialogue data format
//! and its importers, the trainer (reply-only loss, AdamW, clipping, schedule, validation, early
//! stopping, resumable checkpoints) and reply perplexity. No HTTP.

pub mod add_skill;
pub mod batch;
pub mod behaviour;
pub mod checkpoint;
pub mod data;
pub mod encode;
pub mod error;
pub mod eval;
pub mod import;
pub mod loss_curve;
pub mod optim;
pub mod outputs;
pub mod schedule;
pub mod skill_data;
pub mod trainer;

pub use data::{read_dialogues, write_dialogues, DialogueRow, Expect, RowProblem, Valence};
pub use encode::{Encoder, Example};
pub use error::{Result, TrainError};
pub use skill_data::{load_skill_data, SkillData};
pub use trainer::{train, Observer, Quiet, StepReport, TrainConfig, TrainRun, TrainingSummary};
