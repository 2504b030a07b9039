//! `adapterbot train adapter`: trains one skill's adapter on the frozen backbone (f32 weights)
//! and writes it into the skill's folder with the training summary and the loss curve.

use std::io::IsTerminal;
use std::path::PathBuf;

use adapterbot_engine::{DeviceChoice, Engine, LoadOptions, WeightMode};
use adapterbot_skills::registry::validate_id;
use adapterbot_skills::SkillSettings;
use adapterbot_train::trainer::{StepReport, CHECKPOINT_FILE, LOSS_CURVE_FILE};
use adapterbot_train::{
    load_skill_data, train, Encoder, Observer, TrainConfig, TrainRun, TrainingSummary,
};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::model_args::{persona_order, PersonaOrderArgs, DEFAULT_MODEL};

#[derive(clap::Args, Debug)]
pub struct AdapterArgs {
    /// The skill to train (its folder must exist in --skills-dir with a skill.json).
    #[arg(long)]
    pub skill: String,
    /// Folder with train.jsonl (and valid.jsonl); default data/skills/<SKILL>.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Continue a stopped run from its checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Read, check and tokenize the data, report it, and stop.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub common: TrainFlags,
    #[command(flatten)]
    pub persona: PersonaOrderArgs,
}

/// Flags shared by every command that trains an adapter.
#[derive(clap::Args, Debug, Clone)]
pub struct TrainFlags {
    /// Backbone: a .gguf file or a Hugging Face folder (loaded with f32 weights for training).
    #[arg(long, env = "ADAPTERBOT_MODEL", default_value = DEFAULT_MODEL)]
    pub model: PathBuf,
    /// Where skills live.
    #[arg(long, env = "ADAPTERBOT_SKILLS_DIR", default_value = "models/skills")]
    pub skills_dir: PathBuf,
    /// Where training runs: cpu (the default: the shortcut that skips the frozen weights'
    /// gradients is CPU-only, so a GPU run is unmeasured), auto, cuda or cuda:N.
    #[arg(long, env = "ADAPTERBOT_TRAIN_DEVICE", default_value = "cpu")]
    pub device: DeviceChoice,
    /// Adapter bottleneck width.
    #[arg(long, default_value_t = 64)]
    pub bottleneck: usize,
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Stop after this many updates even if epochs remain.
    #[arg(long)]
    pub max_steps: Option<usize>,
    /// Peak learning rate (AdamW).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Warm-up updates (default: 5 % of the run), then cosine decay to --lr-floor × lr.
    #[arg(long)]
    pub warmup_steps: Option<usize>,
    #[arg(long, default_value_t = 0.1)]
    pub lr_floor: f64,
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Clip the gradients' global norm to this (0 = off).
    #[arg(long, default_value_t = 1.0)]
    pub clip_norm: f64,
    /// Padded tokens per batch (examples × longest example).
    #[arg(long, default_value_t = 512)]
    pub batch_tokens: usize,
    /// Longest example in tokens (older turns are dropped to fit, as when serving).
    #[arg(long, default_value_t = 384)]
    pub max_len: usize,
    /// Validate and checkpoint every this many updates.
    #[arg(long, default_value_t = 50)]
    pub eval_every: usize,
    /// Stop after this many validations without improvement.
    #[arg(long, default_value_t = 3)]
    pub patience: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Refuse a data file with any bad row instead of skipping the bad rows.
    #[arg(long)]
    pub strict: bool,
}

impl TrainFlags {
    pub fn config(&self) -> TrainConfig {
        TrainConfig {
            bottleneck: self.bottleneck,
            epochs: self.epochs,
            max_steps: self.max_steps,
            lr: self.lr,
            warmup_steps: self.warmup_steps,
            lr_floor: self.lr_floor,
            weight_decay: self.weight_decay,
            clip_norm: self.clip_norm,
            batch_tokens: self.batch_tokens,
            max_len: self.max_len,
            seed: self.seed,
            eval_every: self.eval_every,
            patience: self.patience,
        }
    }

    /// The backbone with f32 weights: quantized projections pass no gradient.
    pub fn load_engine(&self) -> anyhow::Result<Engine> {
        let opts = LoadOptions {
            weights: WeightMode::F32,
            device: self.device.open()?,
            ..LoadOptions::default()
        };
        Ok(Engine::load(&self.model, &opts)?)
    }
}

pub fn adapter(a: AdapterArgs) -> anyhow::Result<()> {
    validate_id(&a.skill)?;
    let cfg = a.common.config();
    cfg.validate()?;
    let skill_dir = a.common.skills_dir.join(&a.skill);
    let manifest_path = skill_dir.join(adapterbot_engine::adapter::MANIFEST_FILE);
    if !manifest_path.is_file() {
        anyhow::bail!(
            "no skill `{}` in {}: create {} first (or add a skill folder with `adapterbot skill add`)",
            a.skill,
            a.common.skills_dir.display(),
            manifest_path.display()
        );
    }
    let manifest = adapterbot_engine::AdapterManifest::read(&manifest_path)?;
    let settings = SkillSettings::from_manifest(&manifest).map_err(anyhow::Error::msg)?;
    let data_dir = a
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from("data/skills").join(&a.skill));
    let engine = a.common.load_engine()?;
    let order = persona_order(settings.uses_persona, &a.persona.encoder_dir)?;
    let encoder = Encoder::new(&engine, settings, cfg.max_len)?.with_persona_order(order);
    let data = load_skill_data(&encoder, &data_dir, a.common.strict)
        .with_context(|| format!("reading the training data in {}", data_dir.display()))?;
    report_data(&data);
    if a.dry_run {
        return Ok(());
    }
    let summary = train(
        TrainRun {
            engine: &engine,
            skill_id: &a.skill,
            skill_dir: &skill_dir,
            data: &data,
            config: &cfg,
            checkpoint: skill_dir.join(CHECKPOINT_FILE),
            resume: a.resume,
        },
        &mut Progress::new(),
    )?;
    print_summary(&a.skill, &skill_dir, &summary);
    Ok(())
}

pub fn report_data(data: &adapterbot_train::SkillData) {
    let splits = std::iter::once(&data.train).chain(data.valid.as_ref());
    for split in splits {
        let s = &split.summary;
        eprintln!(
            "{}: {} rows, {} tokens ({} reply tokens){}",
            s.file,
            s.rows,
            s.tokens,
            s.reply_tokens,
            if s.skipped > 0 {
                format!(", {} rows skipped (see the warnings above)", s.skipped)
            } else {
                String::new()
            }
        );
        for p in &split.problems {
            eprintln!("  skipped {p}");
        }
    }
}

pub fn print_summary(id: &str, dir: &std::path::Path, s: &TrainingSummary) {
    let loss = |l: Option<f64>| l.map_or("-".to_string(), |l| format!("{l:.3}"));
    println!(
        "skill `{id}`: {} steps ({:.2} epochs, {}), train loss {}, valid loss {} (backbone alone {}), kept step {}",
        s.steps,
        s.epochs,
        s.stop_reason,
        loss(s.final_train_loss),
        loss(s.final_valid_loss),
        loss(s.backbone_valid_loss),
        s.best_step
    );
    println!(
        "{} tokens in {:.0} s of training ({:.0} s in all): {:.1} tokens/s, {:.1} reply tokens/s",
        s.tokens, s.train_seconds, s.total_seconds, s.tokens_per_s, s.reply_tokens_per_s
    );
    println!(
        "wrote {}, {} and {}",
        dir.join("adapter.safetensors").display(),
        dir.join("skill.json").display(),
        dir.join(LOSS_CURVE_FILE).display()
    );
}

/// A progress bar on a terminal; a line every few steps otherwise (logs, scripts).
pub struct Progress {
    bar: Option<ProgressBar>,
    every: usize,
    last_line: usize,
}

impl Progress {
    pub fn new() -> Self {
        Self {
            bar: None,
            every: 10,
            last_line: 0,
        }
    }
}

impl Observer for Progress {
    fn start(&mut self, total_steps: usize, resumed_at: usize) {
        self.last_line = resumed_at;
        if resumed_at > 0 {
            eprintln!("resuming at step {resumed_at} of {total_steps}");
        }
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total_steps as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} steps {elapsed}<{eta} {msg}")
                    .expect("a valid template"),
            );
            bar.set_position(resumed_at as u64);
            self.bar = Some(bar);
        } else {
            eprintln!("training for {total_steps} steps");
        }
    }

    fn step(&mut self, r: &StepReport) -> adapterbot_train::Result<()> {
        let msg = format!(
            "loss {:.3} | lr {:.2e} | grad {:.2} | {:.0} tok/s",
            r.loss, r.lr, r.grad_norm, r.tokens_per_s
        );
        match &self.bar {
            Some(bar) => {
                bar.set_position(r.step as u64);
                bar.set_message(msg);
            }
            None if r.step >= self.last_line + self.every || r.step == r.total_steps => {
                self.last_line = r.step;
                eprintln!("step {}/{} epoch {}: {msg}", r.step, r.total_steps, r.epoch);
            }
            None => {}
        }
        Ok(())
    }

    fn eval(&mut self, step: usize, valid_loss: f64, improved: bool) {
        let line = format!(
            "step {step}: valid loss {valid_loss:.4} (perplexity {:.2}){}",
            valid_loss.exp(),
            if improved { ", best so far" } else { "" }
        );
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
