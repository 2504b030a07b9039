//! What can go wrong while preparing data, training or evaluating, with the fix where there is one.

use std::path::{Path, PathBuf};

use crate::data::RowProblem;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{} bad row(s) refused (strict mode); the first: {}", problems.len(), problems[0])]
    BadRows { problems: Vec<RowProblem> },

    #[error("{path}: no usable rows{detail}")]
    NoData { path: PathBuf, detail: String },

    #[error("{path}:{line}: {reason}")]
    Import {
        path: PathBuf,
        line: usize,
        reason: String,
    },

    #[error("checkpoint {path}: {reason}; delete it to start afresh")]
    Checkpoint { path: PathBuf, reason: String },

    #[error("invalid training setting: {0}")]
    Config(String),

    #[error("training stopped: {0}")]
    Interrupted(String),

    #[error(transparent)]
    Skill(#[from] adapterbot_skills::SkillError),

    #[error(transparent)]
    Engine(#[from] adapterbot_engine::EngineError),

    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl TrainError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

pub type Result<T, E = TrainError> = std::result::Result<T, E>;
