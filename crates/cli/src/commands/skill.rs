//! `adapterbot skill add <folder>`: checks a skill folder, trains its adapter when it brings
//! data but no adapter, and moves it into the skills directory. Existing skills stay untouched.

use std::path::{Path, PathBuf};

use adapterbot_skills::manager::{ManagerConfig, ManagerError, DEFAULT_ENCODER_LAYERS};
use adapterbot_train::add_skill::{add_skill, inspect, AddPlan};

use super::manager::{ManagerPaths, TrainArgs};
use super::train::{print_summary, Progress, TrainFlags};
use crate::model_args::persona_order;
use adapterbot_skills::SkillSettings;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Add a skill folder (skill.json, and adapter.safetensors or data/train.jsonl).
    Add(AddArgs),
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// The skill folder to add.
    pub folder: PathBuf,
    #[command(flatten)]
    pub train: TrainFlags,
    #[command(flatten)]
    pub manager: ManagerPaths,
    /// Labelled turns the manager's head is retrained on (repeatable); every skill folder's
    /// `routing.jsonl`, the new one's included, is added.
    #[arg(long, default_value = "data/manager/train.jsonl")]
    pub manager_data: Vec<PathBuf>,
    /// Leave the dialogue manager as it is: the new skill can then only be picked by hand.
    #[arg(long)]
    pub keep_manager: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Add(a) => add(a),
    }
}

fn add(a: AddArgs) -> anyhow::Result<()> {
    let folder = inspect(&a.folder, &a.train.skills_dir)?;
    let cfg = a.train.config();
    cfg.validate()?;
    match folder.plan {
        AddPlan::Copy => eprintln!("adding `{}` with its adapter", folder.id),
        AddPlan::Train => eprintln!(
            "`{}` brings training data but no adapter: training it first",
            folder.id
        ),
        AddPlan::NoAdapter => eprintln!(
            "`{}` has no adapter and no data/train.jsonl: it will answer with the backbone alone",
            folder.id
        ),
    }
    let engine = a.train.load_engine()?;
    let uses_persona = SkillSettings::from_manifest(&folder.manifest)
        .map_err(anyhow::Error::msg)?
        .uses_persona;
    let order = persona_order(uses_persona, &a.manager.encoder_dir)?;
    let (skill, summary) = add_skill(
        &folder,
        &a.train.skills_dir,
        &engine,
        &cfg,
        order,
        &mut Progress::new(),
    )?;
    if let Some(s) = &summary {
        print_summary(skill.id(), &skill.dir, s);
    }
    println!("added skill `{}` in {}", skill.id(), skill.dir.display());
    retrain_manager(&a, skill.id(), &skill.dir)
}

/// The manager learns the new skill from the example turns the folder brought
/// (`routing.jsonl`): only its head is retrained (the encoder and every adapter stay as they
/// are), keeping the current manager's confidence threshold.
fn retrain_manager(a: &AddArgs, id: &str, skill_dir: &Path) -> anyhow::Result<()> {
    if a.keep_manager {
        println!("the dialogue manager is left as it is: `{id}` can be picked by hand");
        return Ok(());
    }
    let config = match ManagerConfig::read(&a.manager.manager_dir) {
        Err(ManagerError::Missing(dir)) => {
            println!(
                "no trained manager in {}: nothing to retrain (`{id}` can be picked by hand)",
                dir.display()
            );
            return Ok(());
        }
        other => other?,
    };
    if !skill_dir.join("routing.jsonl").is_file() {
        println!(
            "`{id}` brought no routing.jsonl (example user turns), so the dialogue manager cannot \
             learn to pick it; it can be picked by hand, or add the file to {} and run \
             `adapterbot train manager`",
            skill_dir.display()
        );
        return Ok(());
    }
    println!("retraining the dialogue manager's head to include `{id}`");
    super::manager::train(TrainArgs {
        paths: a.manager.clone(),
        data: a.manager_data.clone(),
        skills_dir: a.train.skills_dir.clone(),
        threshold: config.threshold,
        // The settings the current head was trained with; the epochs it kept (chosen on the
        // validation turns, which have no turns of the new skill) instead of the most.
        epochs: config
            .training
            .get("best_epoch")
            .and_then(|e| e.as_u64())
            .map_or(config.head.epochs, |e| e as usize),
        patience: config.head.patience,
        hidden: config.head.hidden,
        valid: None,
        no_valid: true,
        seed: config.head.seed,
        encoder_layers: config.encoder_layers.unwrap_or(DEFAULT_ENCODER_LAYERS),
    })?;
    println!("the dialogue manager now routes to `{id}`");
    Ok(())
}
