//! `adapterbot data …`: import public dialogue data sets into the dialogue JSONL format, check
//! JSONL files for bad rows, and judge a file's own replies with the behaviour judges.

use std::path::PathBuf;

use adapterbot_train::behaviour::{self, Case};
use adapterbot_train::import::{import, Format};
use adapterbot_train::{read_dialogues, write_dialogues};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Convert a data set file to dialogue JSONL (docs/training.md).
    Import(ImportArgs),
    /// Report every bad row of dialogue JSONL files as file:line: reason.
    Check(CheckArgs),
    /// Score each file's own replies with the behaviour judges of `eval adapters` (the
    /// `reference` column, for any file: is the data what the judges reward?).
    Judge(JudgeArgs),
}

#[derive(clap::Args, Debug)]
pub struct JudgeArgs {
    /// Also print, per file, up to this many rows whose reply fails a judge, with the reason.
    #[arg(long, default_value_t = 0)]
    pub misses: usize,
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// empathetic-dialogues (CSV), convai2 (ParlAI text), wow (Wizard of Wikipedia JSON) or bst
    /// (Blended Skill Talk JSON).
    #[arg(long)]
    pub format: Format,
    /// Licence recorded on every row (default: a note to check the data set's terms).
    #[arg(long)]
    pub license: Option<String>,
    pub input: PathBuf,
    pub output: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Import(a) => {
            let imported = import(a.format, &a.input, a.license.as_deref())?;
            write_dialogues(&a.output, &imported.rows)?;
            println!(
                "wrote {} rows to {}{}",
                imported.rows.len(),
                a.output.display(),
                if imported.skipped > 0 {
                    format!(" ({} turns with empty text left out)", imported.skipped)
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        Action::Check(a) => {
            let mut bad = 0;
            for f in &a.files {
                let file = read_dialogues(f, false)?;
                for p in &file.problems {
                    println!("{p}");
                }
                bad += file.problems.len();
                eprintln!(
                    "{}: {} good rows, {} bad",
                    f.display(),
                    file.rows.len(),
                    file.problems.len()
                );
            }
            if bad > 0 {
                anyhow::bail!("{bad} bad row(s)");
            }
            Ok(())
        }
        Action::Judge(a) => {
            for f in &a.files {
                let rows = read_dialogues(f, true)?.rows;
                let cases: Vec<Case<'_>> = rows
                    .iter()
                    .map(|(_, row)| Case {
                        row,
                        persona: &row.persona,
                        reply: &row.reply,
                        ended: true,
                    })
                    .collect();
                let metrics = behaviour::judge(&cases);
                println!(
                    "{}",
                    serde_json::json!({ "file": f.display().to_string(), "metrics": metrics })
                );
                for ((line, case), why) in rows
                    .iter()
                    .map(|(line, _)| line)
                    .zip(&cases)
                    .filter_map(|r| Some((r, behaviour::first_miss(r.1)?)))
                    .take(a.misses)
                {
                    println!("  {}:{line}: {why}: {}", f.display(), case.reply);
                }
            }
            Ok(())
        }
    }
}
