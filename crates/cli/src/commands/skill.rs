//! `adapterbot skill add <folder>`: checks a skill folder, trains its adapter when it brings
//! data but no adapter, and moves it into the skills directory. Existing skills stay untouched.

use std::path::{Path, PathBuf};

use adapterbot_train::add_skill::{add_skill, inspect, AddPlan};

use super::train::{print_summary, Progress, TrainFlags};

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
    let (skill, summary) = add_skill(
        &folder,
        &a.train.skills_dir,
        &engine,
        &cfg,
        &mut Progress::new(),
    )?;
    if let Some(s) = &summary {
        print_summary(skill.id(), &skill.dir, s);
    }
    println!("added skill `{}` in {}", skill.id(), skill.dir.display());
    after_skill_added(&a.train.skills_dir, skill.id());
    Ok(())
}

/// Hook for the dialogue manager: a new skill needs the manager's head retrained before the
/// manager can route to it. Until the manager's training lands here, say what to run.
pub fn after_skill_added(skills_dir: &Path, id: &str) {
    println!(
        "the dialogue manager does not know `{id}` yet: run `adapterbot train manager --skills-dir {}` to retrain its head",
        skills_dir.display()
    );
}
