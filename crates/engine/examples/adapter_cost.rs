//! Micro-benchmark: the cost of one adapter layer on one decoding row (SmolLM2 shapes), fused
//! serving path vs candle ops. `cargo run --release --example adapter_cost`
use std::time::Instant;

use adapterbot_engine::{Adapter, AdapterInit, BlockHook, Device, LlamaConfig, Tensor};

fn main() -> adapterbot_engine::Result<()> {
    let cfg = LlamaConfig {
        hidden_size: 576,
        num_layers: 30,
        ..LlamaConfig::tiny_for_tests()
    };
    let dev = Device::Cpu;
    let a = Adapter::new(
        "x",
        &cfg,
        64,
        AdapterInit::Random { seed: 1, std: 0.02 },
        &dev,
    )?;
    let h = Tensor::randn(0f32, 1.0, (1, 1, 576), &dev)?;
    let (t, _) = a.to_trainable()?; // variables: takes the candle-ops path
    for (name, adapter) in [("fused", &a), ("candle ops", &t)] {
        for _ in 0..100 {
            adapter.after_block(0, &h, false)?;
        }
        let n = 20_000;
        let start = Instant::now();
        for i in 0..n {
            adapter.after_block(i % 30, &h, false)?;
        }
        println!(
            "{name:>10}: {:.1} µs per layer",
            start.elapsed().as_secs_f64() * 1e6 / n as f64
        );
    }
    Ok(())
}
