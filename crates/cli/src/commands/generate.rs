//! `adapterbot generate`: one reply, streamed to stdout (or one JSON object with `--json`).

use std::io::Write;
use std::path::PathBuf;

use adapterbot_engine::ChatMessage;
use adapterbot_skills::turn::SamplingOverrides;
use adapterbot_skills::{clean_persona, TurnRequest};
use serde_json::json;

use crate::bot::{self, route_line};
use crate::model_args::{terminal_planner, ModelArgs, PlannerArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub planner: PlannerArgs,
    /// Answer with this skill, or `auto` to let the dialogue manager pick it (with knowledge
    /// passages and the skill's sampling settings, as the server does). Without it and without
    /// --adapter the backbone alone answers.
    #[arg(long, conflicts_with = "adapter")]
    pub skill: Option<String>,
    /// Answer with the adapter in this folder (skill.json + adapter.safetensors).
    #[arg(long)]
    pub adapter: Option<PathBuf>,
    /// A persona fact for the persona skill (repeatable).
    #[arg(long)]
    pub persona: Vec<String>,
    /// The user's message.
    #[arg(long)]
    pub prompt: String,
    /// System prompt (default: the model's own).
    #[arg(long)]
    pub system: Option<String>,
    /// Send the prompt as raw text instead of wrapping it in the chat template.
    #[arg(long)]
    pub raw: bool,
    /// Print one JSON object (route, passages, reply, usage) instead of streaming the reply.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

/// Sampling flags. Unset ones come from the skill's settings, then the engine's defaults
/// (greedy, 256 tokens), as in an API request.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SamplingArgs {
    /// Longest reply in tokens [default: the skill's, else 256].
    #[arg(long)]
    pub max_tokens: Option<usize>,
    /// 0 = greedy [default: the skill's, else 0].
    #[arg(long)]
    pub temperature: Option<f64>,
    #[arg(long)]
    pub top_k: Option<usize>,
    #[arg(long)]
    pub top_p: Option<f64>,
    #[arg(long)]
    pub repetition_penalty: Option<f32>,
    /// [default: 299792458, as the server's]
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop before this text (repeatable).
    #[arg(long)]
    pub stop: Vec<String>,
}

impl SamplingArgs {
    pub fn overrides(&self) -> SamplingOverrides {
        SamplingOverrides {
            temperature: self.temperature,
            top_p: self.top_p,
            top_k: self.top_k,
            repetition_penalty: self.repetition_penalty,
            max_tokens: self.max_tokens,
            seed: self.seed,
            stop: (!self.stop.is_empty()).then(|| self.stop.clone()),
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let engine = args.model.load()?;
    let (planner, skill) = terminal_planner(
        &engine,
        &args.planner,
        args.skill.as_deref(),
        args.adapter.as_deref(),
        false,
    )?;
    let mut messages = Vec::new();
    if let Some(system) = &args.system {
        messages.push(ChatMessage::new("system", system));
    }
    messages.push(ChatMessage::new("user", &args.prompt));
    let request = TurnRequest {
        messages,
        skill,
        persona: clean_persona(args.persona.iter().map(String::as_str)),
        sampling: args.sampling.overrides(),
    };
    let mut turn = planner.plan(&engine, &request)?;
    if args.raw {
        turn.prompt.ids = engine.encode_prompt(&args.prompt)?;
    }
    if args.json {
        let reply = bot::stream_turn(&engine, &turn, |_| Ok(()))?;
        let report = json!({
            "route": turn.route,
            "knowledge": turn.knowledge,
            "reply": reply.text,
            "finish_reason": reply.finish_reason,
            "usage": reply.usage,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if args.skill.is_some() {
        eprintln!("{}", route_line(&turn.route, &turn.knowledge));
    }
    let mut out = std::io::stdout().lock();
    bot::stream_turn(&engine, &turn, |text| {
        out.write_all(text.as_bytes())?;
        out.flush()
    })?;
    writeln!(out)?;
    Ok(())
}
