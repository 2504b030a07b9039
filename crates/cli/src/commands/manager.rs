//! The dialogue manager's commands: `train manager`, `eval manager` and `route`.

use std::path::{Path, PathBuf};

use adapterbot_engine::Device;
use adapterbot_skills::manager::{
    evaluate_with_default, read_turns, train_manager_validated, DialogueManager, HeadOptions,
    LabelledTurn, SentenceEncoder, DEFAULT_ENCODER_DIR, DEFAULT_ENCODER_LAYERS,
    DEFAULT_MANAGER_DIR,
};
use anyhow::Context;

/// The repository's training and validation turns (data/manager/README.md).
const DEFAULT_TRAIN: &str = "data/manager/train.jsonl";
const DEFAULT_VALID: &str = "data/manager/valid.jsonl";

#[derive(clap::Args, Debug, Clone)]
pub struct ManagerPaths {
    /// Folder of the trained manager (manager.json + head.safetensors).
    #[arg(long, env = "ADAPTERBOT_MANAGER_DIR", default_value = DEFAULT_MANAGER_DIR)]
    pub manager_dir: PathBuf,
    /// Folder of the sentence encoder (fetched by models/fetch.sh).
    #[arg(long, env = "ADAPTERBOT_ENCODER_DIR", default_value = DEFAULT_ENCODER_DIR)]
    pub encoder_dir: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub paths: ManagerPaths,
    /// Labelled turns (JSONL; repeatable). Each skill folder's own `routing.jsonl` is added.
    #[arg(long, default_value = DEFAULT_TRAIN)]
    pub data: Vec<PathBuf>,
    /// Held-out turns (JSONL) scored after every epoch: the head of the best epoch is kept and
    /// training stops after --patience epochs without a better one. Never trained on.
    /// [default: data/manager/valid.jsonl when --data is the default]
    #[arg(long, conflicts_with = "no_valid")]
    pub valid: Option<PathBuf>,
    /// Train every epoch and keep the last head, with no validation turns.
    #[arg(long)]
    pub no_valid: bool,
    /// Skill folders whose `routing.jsonl` (example turns for that skill) joins the data.
    #[arg(long, env = "ADAPTERBOT_SKILLS_DIR", default_value = "models/skills")]
    pub skills_dir: PathBuf,
    /// Below this top probability a turn goes to the default skill (0.45: the best served
    /// accuracy on the validation turns, docs/manager.md).
    #[arg(long, default_value_t = 0.45)]
    pub threshold: f32,
    /// Most epochs (with validation turns, training usually stops earlier).
    #[arg(long, default_value_t = HeadOptions::default().epochs)]
    pub epochs: usize,
    /// Epochs without a better validation accuracy before training stops.
    #[arg(long, default_value_t = HeadOptions::default().patience)]
    pub patience: usize,
    /// Hidden units of the head.
    #[arg(long, default_value_t = HeadOptions::default().hidden)]
    pub hidden: usize,
    #[arg(long, default_value_t = HeadOptions::default().seed)]
    pub seed: u64,
    /// Sentence-encoder layers to read turns with (the first N of MiniLM's 6): fewer is faster.
    #[arg(long, default_value_t = DEFAULT_ENCODER_LAYERS)]
    pub encoder_layers: usize,
}

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub paths: ManagerPaths,
    /// Held-out labelled turns (JSONL).
    #[arg(long, default_value = "data/manager/test.jsonl")]
    pub data: PathBuf,
    /// Where to write the report; the confusion matrix picture goes beside it (.svg).
    #[arg(long, default_value = "models/manager/eval.json")]
    pub json: PathBuf,
    /// Print the whole report as JSON instead of a table.
    #[arg(long)]
    pub print_json: bool,
    /// The skill that answers a turn below the threshold (for the threshold table).
    #[arg(long, default_value = "chitchat")]
    pub default_skill: String,
}

#[derive(clap::Args, Debug)]
pub struct RouteArgs {
    #[command(flatten)]
    pub paths: ManagerPaths,
    /// The user's turn.
    #[arg(long)]
    pub text: String,
    /// Earlier messages, oldest first (repeatable).
    #[arg(long)]
    pub context: Vec<String>,
    /// Skill that answers when the manager is unsure.
    #[arg(long, default_value = "chitchat")]
    pub default_skill: String,
}

fn read_all(paths: &[PathBuf]) -> anyhow::Result<Vec<LabelledTurn>> {
    let mut rows = Vec::new();
    for p in paths {
        let (mut r, problems) = read_turns(p)?;
        for problem in &problems {
            eprintln!("warning: skipped {problem}");
        }
        rows.append(&mut r);
    }
    Ok(rows)
}

/// Every skill folder's `routing.jsonl`, so a skill added later brings its own example turns.
fn skill_routing_files(skills_dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(skills_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("routing.jsonl"))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

pub fn train(a: TrainArgs) -> anyhow::Result<()> {
    let mut files = a.data.clone();
    files.extend(skill_routing_files(&a.skills_dir));
    let rows = read_all(&files)?;
    // The validation turns go with the training turns they were carved from: by default only
    // when training on the default file.
    let valid_file = match (&a.valid, a.no_valid) {
        (_, true) => None,
        (Some(path), false) => Some(path.clone()),
        (None, false) => (a.data == [PathBuf::from(DEFAULT_TRAIN)]).then(|| DEFAULT_VALID.into()),
    };
    let valid = match &valid_file {
        Some(path) => read_all(std::slice::from_ref(path))?,
        None => Vec::new(),
    };
    let encoder =
        SentenceEncoder::load_layers(&a.paths.encoder_dir, &Device::Cpu, Some(a.encoder_layers))?;
    let opts = HeadOptions {
        epochs: a.epochs,
        seed: a.seed,
        patience: a.patience,
        hidden: a.hidden,
        ..HeadOptions::default()
    };
    let (_, report) = train_manager_validated(
        encoder,
        &rows,
        &valid,
        &opts,
        a.threshold,
        &a.paths.manager_dir,
    )
    .context("training the manager")?;
    let kept = match report.valid_accuracy {
        Some(acc) => format!(
            "kept epoch {} of {} (valid accuracy {:.1}% on {} turns)",
            report.best_epoch,
            report.history.len(),
            acc * 100.0,
            report.valid_rows
        ),
        None => format!("{} epochs, no validation turns", report.best_epoch),
    };
    eprintln!(
        "trained on {} turns (+{} mixed-context copies) of {:?}: {kept}; loss {:.4}, train \
         accuracy {:.1}%, embedding {:.1}s, head {:.1}s → {}",
        report.rows,
        report.mixed_rows,
        report.skills,
        report.final_loss,
        report.train_accuracy * 100.0,
        report.embed_seconds,
        report.head_seconds,
        a.paths.manager_dir.display()
    );
    Ok(())
}

fn load(paths: &ManagerPaths) -> anyhow::Result<DialogueManager> {
    Ok(DialogueManager::load(
        &paths.manager_dir,
        &paths.encoder_dir,
        &Device::Cpu,
    )?)
}

pub fn eval(a: EvalArgs) -> anyhow::Result<()> {
    let manager = load(&a.paths)?;
    let rows = read_all(std::slice::from_ref(&a.data))?;
    let report = evaluate_with_default(&manager, &rows, &a.default_skill)?;
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(dir) = a.json.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    adapterbot_engine::fsutil::write_atomic(&a.json, json.as_bytes())?;
    let svg = a.json.with_extension("svg");
    adapterbot_engine::fsutil::write_atomic(&svg, report.confusion_svg().as_bytes())?;
    if a.print_json {
        println!("{json}");
        return Ok(());
    }
    println!(
        "{} turns: accuracy {:.1}%, fallback below {:.2}: {:.1}%",
        report.turns,
        report.accuracy * 100.0,
        report.threshold,
        report.fallback_rate * 100.0,
    );
    println!(
        "routing per turn: median {:.2} ms (p90 {:.2}) with the context embedded ahead as when \
         serving; {:.2} ms (p90 {:.2}) with nothing cached",
        report.median_ms, report.p90_ms, report.cold_median_ms, report.cold_p90_ms
    );
    println!(
        "{:<12} {:>9} {:>7} {:>7} {:>8}",
        "skill", "precision", "recall", "f1", "support"
    );
    for s in &report.per_skill {
        println!(
            "{:<12} {:>9.3} {:>7.3} {:>7.3} {:>8}",
            s.skill, s.precision, s.recall, s.f1, s.support
        );
    }
    println!(
        "confusion (row = labelled, column = predicted): {:?}",
        report.skills
    );
    for (name, row) in report.skills.iter().zip(&report.confusion) {
        println!("{name:<12} {row:?}");
    }
    println!(
        "threshold → fallback to `{}` / answered by the labelled skill:",
        report.default_skill
    );
    for t in &report.thresholds {
        println!(
            "  {:.2}  {:>5.1}%  {:>5.1}%",
            t.threshold,
            t.fallback_rate * 100.0,
            t.served_accuracy * 100.0
        );
    }
    println!("wrote {} and {}", a.json.display(), svg.display());
    Ok(())
}

pub fn route(a: RouteArgs) -> anyhow::Result<()> {
    let manager = load(&a.paths)?;
    let decision = manager.route(&a.text, &a.context, &a.default_skill)?;
    println!("{}", serde_json::to_string(&decision)?);
    Ok(())
}
