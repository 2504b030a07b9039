//! `adapterbot bench`: prefill and decode speed with no adapter and with an adapter, the
//! adapter's overhead, and peak memory. Runs alternate between the two so that a noisy machine
//! hurts both alike; medians are reported.
//!
//! With `--sequences N`, N copies of the prompt are generated at once the way the server does it:
//! each prefilled on its own, then decoded together, one batched forward pass per token
//! (`Backbone::forward_batch`), each sequence with its own KV cache; `--mixed-skills` gives the
//! sequences four different adapters in the adapter runs, and `--interleaved` decodes them one
//! after another instead (the server before batching). The speeds are totals over the sequences.

use std::time::Instant;

use adapterbot_engine::{
    device_name, Adapter, AdapterInit, BatchRow, BlockHook, Engine, DEFAULT_BOTTLENECK,
};
use serde::Serialize;

use crate::model_args::ModelArgs;

/// The engine's reference chat prompt (the same one the logits fixture uses).
pub const BENCH_USER_TURN: &str = "I just lost my job and I feel terrible. What should I do?";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Tokens to decode after the prompt (EOS is ignored).
    #[arg(long, default_value_t = 128)]
    pub max_tokens: usize,
    /// Runs of each configuration; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Adapter bottleneck for the adapter runs.
    #[arg(long, default_value_t = DEFAULT_BOTTLENECK)]
    pub bottleneck: usize,
    /// Raw prompt text (default: the chat-formatted reference turn).
    #[arg(long)]
    pub prompt: Option<String>,
    /// Sequences generated at once, decoded in one batched pass per token (as the server does);
    /// speeds are summed over them.
    #[arg(long, default_value_t = 1)]
    pub sequences: usize,
    /// Decode the sequences one after another, token by token, instead of batched.
    #[arg(long)]
    pub interleaved: bool,
    /// In the adapter runs, give the sequences four different adapters in turn (one batch of
    /// mixed skills).
    #[arg(long)]
    pub mixed_skills: bool,
    /// Print one JSON object on the last line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report {
    engine: &'static str,
    model: String,
    /// `cpu` or `cuda:N`.
    device: String,
    weights: String,
    threads: usize,
    prompt_tokens: usize,
    decode_tokens: usize,
    /// Sequences generated at once; the tok/s figures are their sum.
    sequences: usize,
    /// Decoded in one batched pass per token (else one after another).
    batched: bool,
    /// Adapters the adapter runs cycle through over the sequences (1, or 4 with --mixed-skills).
    adapters: usize,
    runs: usize,
    prefill_tok_s: f64,
    decode_tok_s: f64,
    adapter_prefill_tok_s: f64,
    adapter_decode_tok_s: f64,
    /// How much slower decoding is with the adapter, in percent.
    adapter_overhead_pct: f64,
    /// Resident memory once the model is loaded, and the peak of the whole run (which includes
    /// the transient buffers of converting the weights at load).
    rss_after_load_mb: f64,
    peak_rss_mb: f64,
    /// The prompt's token ids, and the greedy tokens of the first timed run without and with
    /// the adapter: what scripts/bench_gpu.sh compares across devices and engines.
    prompt_ids: Vec<u32>,
    greedy_tokens: Vec<u32>,
    adapter_greedy_tokens: Vec<u32>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.max_tokens >= 2 && args.runs >= 1 && args.sequences >= 1,
        "need --max-tokens ≥ 2, --runs ≥ 1 and --sequences ≥ 1"
    );
    let engine = args.model.load()?;
    let rss_after_load_mb = proc_status_mb("VmRSS:");
    let text = match &args.prompt {
        Some(p) => p.clone(),
        None => {
            engine.render_chat(&[adapterbot_engine::ChatMessage::new("user", BENCH_USER_TURN)])?
        }
    };
    let prompt = engine.encode_prompt(&text)?;
    let backbone = engine.backbone();
    let kinds = if args.mixed_skills { 4 } else { 1 };
    let adapters = (0..kinds)
        .map(|i| {
            let init = AdapterInit::Random {
                seed: 1 + i as u64,
                std: 0.01,
            };
            Adapter::new(
                "bench",
                backbone.config(),
                args.bottleneck,
                init,
                backbone.device(),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let adapters: Vec<&Adapter> = adapters.iter().collect();
    let batched = !args.interleaved;
    let run = |n: usize, adapters: &[&Adapter]| {
        time_run(&engine, &prompt, n, args.sequences, adapters, batched)
    };
    // Warm-up: first touches of the weights and allocator (and, on a GPU, kernel loading).
    run(8, &[])?;
    run(8, &adapters)?;

    let (mut plain, mut with) = (Vec::new(), Vec::new());
    for _ in 0..args.runs {
        plain.push(run(args.max_tokens, &[])?);
        with.push(run(args.max_tokens, &adapters)?);
    }
    let greedy_tokens = plain[0].2.clone();
    let adapter_greedy_tokens = with[0].2.clone();
    let median = |v: &mut Vec<Timed>, pick: fn(&Timed) -> f64| {
        let mut xs: Vec<f64> = v.iter().map(pick).collect();
        xs.sort_by(|a, b| a.total_cmp(b));
        xs[xs.len() / 2]
    };
    let report = Report {
        engine: "adapterbot",
        model: engine.source().display().to_string(),
        device: device_name(backbone.device()),
        weights: format!("{:?}", args.model.weights.resolve(backbone.device())),
        threads: candle_core_threads(),
        prompt_tokens: prompt.len(),
        decode_tokens: args.max_tokens,
        sequences: args.sequences,
        batched,
        adapters: kinds,
        runs: args.runs,
        prefill_tok_s: median(&mut plain, |r| r.0),
        decode_tok_s: median(&mut plain, |r| r.1),
        adapter_prefill_tok_s: median(&mut with, |r| r.0),
        adapter_decode_tok_s: median(&mut with, |r| r.1),
        adapter_overhead_pct: 0.0,
        rss_after_load_mb,
        peak_rss_mb: proc_status_mb("VmHWM:"),
        prompt_ids: prompt.clone(),
        greedy_tokens,
        adapter_greedy_tokens,
    };
    let report = Report {
        adapter_overhead_pct: (report.decode_tok_s / report.adapter_decode_tok_s - 1.0) * 100.0,
        ..report
    };
    println!(
        "model {} ({}) on {}, {} threads, prompt {} tokens, decode {} tokens, {} sequence(s) {}, {} adapter(s), median of {}",
        report.model,
        report.weights,
        report.device,
        report.threads,
        report.prompt_tokens,
        report.decode_tokens,
        report.sequences,
        if batched { "batched" } else { "interleaved" },
        report.adapters,
        report.runs
    );
    println!("{:<14} {:>14} {:>14}", "", "prefill tok/s", "decode tok/s");
    println!(
        "{:<14} {:>14.1} {:>14.1}",
        "no adapter", report.prefill_tok_s, report.decode_tok_s
    );
    println!(
        "{:<14} {:>14.1} {:>14.1}",
        "adapter", report.adapter_prefill_tok_s, report.adapter_decode_tok_s
    );
    println!(
        "adapter decode overhead {:.1} %, RSS after load {:.0} MB, peak RSS {:.0} MB",
        report.adapter_overhead_pct, report.rss_after_load_mb, report.peak_rss_mb
    );
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    }
    Ok(())
}

/// For each of `sequences` copies of `prompt`: one prefill, then `n - 1` greedy decode steps,
/// all sequences in one batched pass per step (or, not `batched`, taking turns token by token).
/// Sequence `i` runs `adapters[i % len]` (none when `adapters` is empty). Returns (prefill,
/// decode) tok/s summed over the sequences, and the greedy tokens of the first sequence.
/// Reading each chosen token back waits for the device, so GPU timings are complete.
fn time_run(
    engine: &Engine,
    prompt: &[u32],
    n: usize,
    sequences: usize,
    adapters: &[&Adapter],
    batched: bool,
) -> anyhow::Result<Timed> {
    let backbone = engine.backbone();
    let adapter = |i: usize| (!adapters.is_empty()).then(|| adapters[i % adapters.len()]);
    let mut caches: Vec<_> = (0..sequences).map(|_| backbone.new_cache()).collect();
    let mut next = Vec::with_capacity(sequences);
    let t0 = Instant::now();
    for (i, cache) in caches.iter_mut().enumerate() {
        let hook = adapter(i).map(|a| a as &dyn BlockHook);
        let logits = backbone.forward_last(prompt, cache, hook)?;
        next.push(logits.argmax(0)?.to_scalar::<u32>()?);
    }
    let prefill = t0.elapsed().as_secs_f64();
    let mut first = vec![next[0]];
    let t1 = Instant::now();
    for _ in 1..n {
        if batched {
            let tokens: Vec<[u32; 1]> = next.iter().map(|t| [*t]).collect();
            let mut rows: Vec<BatchRow<'_>> = caches
                .iter_mut()
                .zip(&tokens)
                .enumerate()
                .map(|(i, (cache, t))| BatchRow {
                    tokens: t,
                    cache,
                    adapter: adapter(i),
                })
                .collect();
            let logits = backbone.forward_batch(&mut rows)?;
            next = logits.argmax(1)?.to_vec1::<u32>()?;
        } else {
            for (i, (cache, token)) in caches.iter_mut().zip(&mut next).enumerate() {
                let hook = adapter(i).map(|a| a as &dyn BlockHook);
                let logits = backbone.forward_last(&[*token], cache, hook)?;
                *token = logits.argmax(0)?.to_scalar::<u32>()?;
            }
        }
        first.push(next[0]);
    }
    let decode = t1.elapsed().as_secs_f64();
    let s = sequences as f64;
    Ok((
        s * prompt.len() as f64 / prefill,
        s * (n - 1) as f64 / decode,
        first,
    ))
}

/// Prefill tok/s, decode tok/s, greedy tokens of the first sequence.
type Timed = (f64, f64, Vec<u32>);

fn candle_core_threads() -> usize {
    std::env::var("CANDLE_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

/// A memory figure of this process from Linux's `/proc/self/status` (`VmRSS:`, `VmHWM:`), in MB.
fn proc_status_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}
