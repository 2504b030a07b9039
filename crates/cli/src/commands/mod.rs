pub mod bench;
pub mod chat;
pub mod eval;
pub mod generate;
pub mod healthcheck;
pub mod knowledge;
pub mod manager;
pub mod serve;

/// `adapterbot train …`: what to train.
#[derive(clap::Subcommand)]
pub enum TrainCommand {
    /// Train the dialogue manager's head on labelled turns (seconds; adapters are untouched).
    Manager(manager::TrainArgs),
}
