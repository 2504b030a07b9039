pub mod bench;
pub mod chat;
pub mod generate;
pub mod healthcheck;
pub mod manager;
pub mod serve;

/// `adapterbot train …`: what to train.
#[derive(clap::Subcommand)]
pub enum TrainCommand {
    /// Train the dialogue manager's head on labelled turns (seconds; adapters are untouched).
    Manager(manager::TrainArgs),
}

/// `adapterbot eval …`: what to measure.
#[derive(clap::Subcommand)]
pub enum EvalCommand {
    /// Accuracy, per-skill precision/recall, confusion matrix and routing time on held-out turns.
    Manager(manager::EvalArgs),
}
