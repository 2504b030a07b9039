//! The `adapterbot` binary: parses flags and wires the crates together; no logic of its own.

mod bot;
mod commands;
mod model_args;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "adapterbot",
    version,
    about = "A multi-skill dialogue model: one frozen backbone, one small adapter per skill."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true, env = "ADAPTERBOT_LOG_JSON")]
    log_json: bool,
    /// CPU threads for model work (0 = every core). Use fewer when other busy programs share the
    /// cores: the worker threads spin-wait for each other and slow down sharply under contention.
    #[arg(long, global = true, env = "ADAPTERBOT_THREADS", default_value_t = 0)]
    threads: usize,
}

#[derive(Subcommand)]
enum Command {
    /// Generate one reply to a prompt and stream it to stdout.
    Generate(commands::generate::Args),
    /// Chat in the terminal.
    Chat(commands::chat::Args),
    /// Measure prefill and decode speed, with and without an adapter, and peak memory.
    Bench(commands::bench::Args),
    /// Train a part of AdapterBot: a skill's adapter or the dialogue manager.
    #[command(subcommand)]
    Train(commands::TrainCommand),
    /// Ask the dialogue manager which skill should answer a turn; prints the decision as JSON.
    Route(commands::manager::RouteArgs),
    /// Serve the chat page, the native SSE API and the OpenAI-compatible API over HTTP.
    Serve(commands::serve::Args),
    /// Exit 0 when a server answers 200 (for a container HEALTHCHECK).
    Healthcheck(commands::healthcheck::Args),
    /// Build and search the knowledge index.
    Knowledge(commands::knowledge::Args),
    /// Measure a part of the system on labelled data.
    Eval(commands::eval::Args),
    /// Manage skills (add a skill folder).
    Skill(commands::skill::Args),
    /// Import and check dialogue training data.
    Data(commands::data::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Adapter training (its micro-batches) and adapter evaluation (its batches and reply
    // streams) run whole passes side by side, one per thread.
    let side_by_side = matches!(
        cli.command,
        Command::Train(commands::TrainCommand::Adapter(_))
            | Command::Skill(_)
            | Command::Eval(commands::eval::Args {
                target: commands::eval::Target::Adapters(_)
            })
    );
    set_threads(cli.threads, side_by_side);
    // The server logs its requests; the other commands only say when something is wrong, and
    // every command says which device the model runs on.
    let default_filter = match cli.command {
        Command::Serve(_) => {
            "warn,adapterbot_server=info,adapterbot_skills::planner_load=info,tower_http=info,adapterbot_engine::device=info"
        }
        _ => "warn,adapterbot_engine::device=info",
    };
    init_logging(cli.log_json, default_filter);
    match cli.command {
        Command::Generate(a) => commands::generate::run(a),
        Command::Chat(a) => commands::chat::run(a),
        Command::Bench(a) => commands::bench::run(a),
        Command::Train(commands::TrainCommand::Adapter(a)) => commands::train::adapter(a),
        Command::Train(commands::TrainCommand::Manager(a)) => commands::manager::train(a),
        Command::Route(a) => commands::manager::route(a),
        Command::Serve(a) => commands::serve::run(a),
        Command::Healthcheck(a) => commands::healthcheck::run(a),
        Command::Knowledge(a) => commands::knowledge::run(a),
        Command::Eval(a) => commands::eval::run(a),
        Command::Skill(a) => commands::skill::run(a),
        Command::Data(a) => commands::data::run(a),
    }
}

/// candle sizes its thread pools from these variables when it first uses them, so this must run
/// before any model work (it does: first thing in `main`, while the process has one thread).
/// `RAYON_NUM_THREADS` sizes rayon's pool, which also splits the f32 matmuls;
/// `CANDLE_NUM_THREADS` sizes candle's pool for element-wise ops and quantized matmuls, which
/// lets one caller in at a time and spin-waits. Where whole passes run side by side on rayon's
/// threads (`side_by_side`), each doing its own element-wise ops, that pool is left out (one
/// thread: every op runs on its caller's thread); sharing it made two training threads barely
/// faster than one.
///
/// `0` (every core) is resolved here once, to candle's own default (the physical cores): left
/// unset, candle works it out again from /proc/cpuinfo on every f32 matmul, tens of
/// microseconds each, and a decoding step has ~60 of them in attention.
fn set_threads(n: usize, side_by_side: bool) {
    let n = if n == 0 {
        adapterbot_engine::device::default_cpu_threads()
    } else {
        n
    };
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    let candle = if side_by_side { 1 } else { n };
    std::env::set_var("CANDLE_NUM_THREADS", candle.to_string());
}

fn init_logging(json: bool, default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
