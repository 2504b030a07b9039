//! `adapterbot eval …`: measure a part of the system on labelled data.

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub target: Target,
}

#[derive(clap::Subcommand, Debug)]
pub enum Target {
    /// Reply perplexity of every skill's validation data with no adapter and with each adapter
    /// (a skill × adapter matrix), and greedy sample replies side by side.
    Adapters(super::eval_adapters::Args),
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.target {
        Target::Adapters(a) => super::eval_adapters::run(a),
    }
}
