//! Times the dialogue manager's parts on this machine: the encoder on a short turn and on a
//! context, and whole routing decisions cold and with the context prepared ahead (as the server
//! does when a reply ends). Medians of many runs.
//!
//! `cargo run --release --example route_speed -p adapterbot-skills [-- RUNS]`
//! (set `RAYON_NUM_THREADS`/`CANDLE_NUM_THREADS` to pin the thread count).

use std::path::Path;
use std::time::Instant;

use adapterbot_skills::manager::{
    feature_dim, lexical, DialogueManager, RoutingHead, SentenceEncoder,
};
use candle_core::{Device, Tensor};

/// Median of `runs` timings of `measured`, each after an untimed `setup`.
fn median_ms(runs: usize, mut setup: impl FnMut(), mut measured: impl FnMut()) -> f64 {
    setup();
    measured();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            setup();
            let t = Instant::now();
            measured();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::args().nth(1).map_or(Ok(50), |s| s.parse())?;
    let device = Device::Cpu;
    let encoder = SentenceEncoder::load(Path::new("models/minilm"), &device)?;
    let turn = "Tell me more about that.";
    let context = "I finally adopted a dog from the shelter last weekend, a shy three-year-old \
                   beagle mix.\nThat sounds wonderful! How is the dog settling in at home?";
    println!("runs: {runs}");
    let t = median_ms(runs, || {}, || drop(encoder.embed(&[turn]).unwrap()));
    println!("encoder, short turn alone:        {t:7.2} ms");
    let t = median_ms(runs, || {}, || drop(encoder.embed(&[context]).unwrap()));
    println!("encoder, context alone:           {t:7.2} ms");
    let t = median_ms(
        runs,
        || {},
        || drop(encoder.embed(&[turn, context]).unwrap()),
    );
    println!("encoder, turn + context batched:  {t:7.2} ms");

    let manager = DialogueManager::load(
        Path::new("models/manager"),
        Path::new("models/minilm"),
        &device,
    )?;
    let skills = manager.skills().len();
    let head = RoutingHead::load(
        Path::new("models/manager"),
        feature_dim(encoder.dim()),
        skills,
        &device,
    )?;
    let features = Tensor::zeros(
        (1, feature_dim(encoder.dim())),
        candle_core::DType::F32,
        &device,
    )?;
    let t = median_ms(runs, || {}, || drop(lexical::lexical_features(turn)));
    println!("word features:                    {t:7.2} ms");
    let t = median_ms(runs, || {}, || drop(head.probabilities(&features).unwrap()));
    println!("head:                             {t:7.2} ms");
    let ctx: Vec<String> = context.lines().map(str::to_string).collect();
    let clear = || manager.encoder().clear_cache();
    let route = |c: &[String]| drop(manager.route(turn, c, "chitchat").unwrap());
    let t = median_ms(runs, clear, || route(&[]));
    println!("route, no context:                {t:7.2} ms");
    let t = median_ms(runs, clear, || route(&ctx));
    println!("route, with context, cold:        {t:7.2} ms");
    let prepared = || {
        clear();
        manager.prepare_context(&ctx).unwrap();
    };
    let t = median_ms(runs, prepared, || route(&ctx));
    println!("route, with context prepared:     {t:7.2} ms");
    Ok(())
}
