//! Micro-benchmark: the time of one forward pass over a chunk of N new tokens of one sequence
//! (after a 15-token prompt, with an adapter), for N = 1, 2, 4, 8, 16: how the projections' cost
//! grows with the rows of a pass, which bounds what batching N sequences can gain.
//! `cargo run --release --example chunk_cost -p adapterbot-engine` (best of 10 per size).
use std::time::Instant;

use adapterbot_engine::{Adapter, AdapterInit, BlockHook, Engine, LoadOptions};

fn main() -> adapterbot_engine::Result<()> {
    let engine = Engine::load(
        "models/SmolLM2-135M-Instruct.Q4_1.gguf".as_ref(),
        &LoadOptions::default(),
    )?;
    let b = engine.backbone();
    let init = AdapterInit::Random { seed: 1, std: 0.02 };
    let adapter = Adapter::new("a", b.config(), 64, init, b.device())?;
    let hook = Some(&adapter as &dyn BlockHook);
    let prompt = engine.encode_prompt("Hello there, how are you doing today? Tell me a story")?;
    for n in [1u32, 2, 4, 8, 16] {
        let chunk: Vec<u32> = (100..100 + n).collect();
        let mut best = f64::MAX;
        for _ in 0..10 {
            let mut cache = b.new_cache();
            b.forward_last(&prompt, &mut cache, hook)?;
            let t = Instant::now();
            b.forward_last(&chunk, &mut cache, hook)?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("chunk of {n:>2} tokens: {:.1} ms", best * 1e3);
    }
    Ok(())
}
