//! Times the parts of one training step on the real model: forward, backward, clipping and the
//! AdamW update, for a few batch shapes. `cargo run --release --example train_speed -p
//! adapterbot-train -- [model.gguf]`
use std::time::Instant;

use adapterbot_engine::{Adapter, AdapterInit, BlockHook, Engine, LoadOptions, Tensor, WeightMode};
use adapterbot_train::batch::Batch;
use adapterbot_train::optim::{clip_global_norm, AdamW, ParamsAdamW};
use adapterbot_train::Example;

fn main() -> anyhow::Result<()> {
    let model = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "models/SmolLM2-135M-Instruct.Q4_1.gguf".into());
    let t = Instant::now();
    let engine = Engine::load(
        model.as_ref(),
        &LoadOptions {
            weights: WeightMode::F32,
            ..LoadOptions::default()
        },
    )?;
    eprintln!("load {:.1} s", t.elapsed().as_secs_f64());
    let b = engine.backbone();
    let adapter = Adapter::new(
        "x",
        b.config(),
        64,
        AdapterInit::Identity { seed: 1 },
        b.device(),
    )?;
    let (trainable, vars) = adapter.to_trainable()?;
    let mut opt = AdamW::new(vars, ParamsAdamW::default())?;
    for (batch, len, prompt) in [(1, 128, 64), (4, 128, 64), (2, 256, 128), (8, 64, 32)] {
        let examples: Vec<Example> = (0..batch)
            .map(|i| Example {
                ids: (0..=len as u32)
                    .map(|j| 100 + (i as u32 * 7 + j * 13) % 20000)
                    .collect(),
                prompt_len: prompt,
            })
            .collect();
        let refs: Vec<&Example> = examples.iter().collect();
        let batch_t = Batch::new(&refs, b.device())?;
        for rep in 0..3 {
            let t0 = Instant::now();
            let loss = batch_t.loss(b, Some(&trainable as &dyn BlockHook))?;
            let _ = loss.to_scalar::<f32>()?;
            let t1 = Instant::now();
            let grads = loss.backward()?;
            let t2 = Instant::now();
            let mut g = opt.gradients(&grads);
            clip_global_norm(&mut g, 1.0)?;
            opt.step(&g, 1e-4)?;
            let t3 = Instant::now();
            let total = (t3 - t0).as_secs_f64();
            eprintln!(
                "batch {batch}×{len} (rep {rep}): forward {:.2} s, backward {:.2} s, update {:.2} s → {:.0} tok/s",
                (t1 - t0).as_secs_f64(),
                (t2 - t1).as_secs_f64(),
                (t3 - t2).as_secs_f64(),
                (batch * len) as f64 / total
            );
        }
        // Forward without a graph (validation).
        let frozen = trainable.frozen_copy()?;
        let t0 = Instant::now();
        let _ = batch_t
            .loss(b, Some(&frozen as &dyn BlockHook))?
            .to_scalar::<f32>()?;
        eprintln!("  eval forward {:.2} s", t0.elapsed().as_secs_f64());
        let _ = Tensor::zeros(1, candle_core::DType::F32, b.device())?;
    }
    Ok(())
}
