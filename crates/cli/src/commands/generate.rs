//! `adapterbot generate`: one reply, streamed to stdout.

use std::io::Write;

use adapterbot_engine::{ChatMessage, Event, SamplingParams};
use adapterbot_skills::{build_prompt, PromptContext};

use crate::model_args::{AdapterArgs, ModelArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub adapter: AdapterArgs,
    /// The user's message.
    #[arg(long)]
    pub prompt: String,
    /// System prompt (default: the model's own).
    #[arg(long)]
    pub system: Option<String>,
    /// Send the prompt as raw text instead of wrapping it in the chat template.
    #[arg(long)]
    pub raw: bool,
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

#[derive(clap::Args, Debug, Clone)]
pub struct SamplingArgs {
    #[arg(long, default_value_t = 256)]
    pub max_tokens: usize,
    /// 0 = greedy.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f64,
    #[arg(long, default_value_t = 1.0)]
    pub repetition_penalty: f32,
    #[arg(long, default_value_t = 299_792_458)]
    pub seed: u64,
    /// Stop before this text (repeatable).
    #[arg(long)]
    pub stop: Vec<String>,
}

impl SamplingArgs {
    pub fn params(&self) -> SamplingParams {
        SamplingParams {
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            repetition_penalty: self.repetition_penalty,
            seed: self.seed,
            max_tokens: self.max_tokens,
            stop: self.stop.clone(),
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let params = args.sampling.params();
    params.validate()?;
    let engine = args.model.load()?;
    let skill = args.adapter.load(&engine)?;
    let prompt = if args.raw {
        engine.encode_prompt(&args.prompt)?
    } else {
        let mut messages = Vec::new();
        if let Some(system) = &args.system {
            messages.push(ChatMessage::new("system", system));
        }
        messages.push(ChatMessage::new("user", &args.prompt));
        let ctx = PromptContext::default();
        build_prompt(&engine, &messages, &skill.settings, &ctx, params.max_tokens)?.ids
    };
    let mut out = std::io::stdout().lock();
    for event in engine.generate(prompt, params, skill.adapter.as_ref())? {
        match event? {
            Event::Text { text } => {
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
            Event::Done {
                finish_reason,
                usage,
                timings,
            } => {
                writeln!(out)?;
                tracing::info!(?finish_reason, ?usage, ?timings, "done");
            }
        }
    }
    Ok(())
}
