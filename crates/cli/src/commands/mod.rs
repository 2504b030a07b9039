pub mod bench;
pub mod chat;
pub mod data;
pub mod eval;
pub mod eval_adapters;
pub mod generate;
pub mod healthcheck;
pub mod knowledge;
pub mod manager;
pub mod serve;
pub mod skill;
pub mod train;

/// `adapterbot train …`: what to train.
#[derive(clap::Subcommand)]
pub enum TrainCommand {
    /// Train one skill's adapter on its dialogue data (the backbone stays frozen).
    Adapter(train::AdapterArgs),
    /// Train the dialogue manager's head on labelled turns (seconds; adapters are untouched).
    Manager(manager::TrainArgs),
}
