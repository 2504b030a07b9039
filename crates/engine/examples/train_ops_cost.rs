//! Forward and backward time of each training-path op at SmolLM2's shapes for a 4 × 128-token
//! batch, candle's slow differentiable form beside the fused op of `train_ops`, and the cost per
//! training step (times the op's uses per step). `cargo run --release --example train_ops_cost
//! -p adapterbot-engine`
use std::time::Instant;

use adapterbot_engine::train_ops;
use candle_core::{DType, Device, Tensor, Var, D};

type Op<'a> = &'a dyn Fn(&Tensor) -> adapterbot_engine::Result<Tensor>;

/// Median of five runs: forward (to a scalar), then backward to `x`.
fn time(x: &Var, f: Op) -> adapterbot_engine::Result<(f64, f64)> {
    let (mut fwd, mut bwd) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        let y = f(x.as_tensor())?.sum_all()?;
        let _ = y.to_scalar::<f32>()?;
        fwd.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let grads = y.backward()?;
        let _ = grads.get(x.as_tensor()).expect("gradient");
        bwd.push(t.elapsed().as_secs_f64());
    }
    fwd.sort_by(f64::total_cmp);
    bwd.sort_by(f64::total_cmp);
    Ok((fwd[2], bwd[2]))
}

fn report(
    name: &str,
    per_step: usize,
    x: &Var,
    slow: Op,
    fast: Op,
) -> adapterbot_engine::Result<()> {
    let (sf, sb) = time(x, slow)?;
    let (ff, fb) = time(x, fast)?;
    let ms = |s: f64| s * 1e3;
    println!(
        "{name:<16} ×{per_step:<3} slow: fwd {:6.2} ms bwd {:6.2} ms → {:5.0} ms/step | fused: fwd {:6.2} ms bwd {:6.2} ms → {:5.0} ms/step",
        ms(sf), ms(sb), ms(sf + sb) * per_step as f64, ms(ff), ms(fb), ms(ff + fb) * per_step as f64
    );
    Ok(())
}

fn main() -> adapterbot_engine::Result<()> {
    let dev = Device::Cpu;
    let (b, s, hidden, ffn, heads, kv, hd) = (4, 128, 576, 1536, 9, 3, 64);
    let x = Var::randn(0f32, 1.0, (b, s, hidden), &dev)?;
    let w = Tensor::randn(1f32, 0.1, hidden, &dev)?;
    report(
        "rms norm",
        61,
        &x,
        &|x| Ok(candle_nn::ops::rms_norm_slow(x, &w, 1e-5)?),
        &|x| train_ops::rms_norm(x, &w, 1e-5),
    )?;
    let bias = Tensor::zeros(hidden, DType::F32, &dev)?;
    report(
        "layer norm",
        30,
        &x,
        &|x| Ok(candle_nn::ops::layer_norm_slow(x, &w, &bias, 1e-5)?),
        &|x| train_ops::layer_norm(x, &w, &bias, 1e-5),
    )?;
    let angles = Tensor::randn(0f32, 1.0, (s, hd / 2), &dev)?;
    let (cos, sin) = (angles.cos()?, angles.sin()?);
    let q = Var::randn(0f32, 1.0, (b, heads, s, hd), &dev)?;
    report(
        "rope (q)",
        30,
        &q,
        &|x| Ok(candle_nn::rotary_emb::rope_i_slow(x, &cos, &sin)?),
        &|x| train_ops::rope_i(x, &cos, &sin),
    )?;
    let n_rep = heads / kv;
    let scores = Var::randn(0f32, 1.0, (b, kv, n_rep * s, s), &dev)?;
    let mask: Vec<f32> = (0..n_rep * s)
        .flat_map(|r| (0..s).map(move |j| if j > r % s { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    let mask = Tensor::from_vec(mask, (n_rep * s, s), &dev)?;
    report(
        "causal softmax",
        30,
        &scores,
        &|x| {
            Ok(candle_nn::ops::softmax(
                &(x * 0.125)?.broadcast_add(&mask)?,
                D::Minus1,
            )?)
        },
        &|x| train_ops::causal_softmax(x, 0.125, s, 0),
    )?;
    let gate_up = Var::randn(0f32, 1.0, (b, s, 2 * ffn), &dev)?;
    report(
        "silu × up",
        30,
        &gate_up,
        &|x| Ok((candle_nn::ops::silu(&x.narrow(2, 0, ffn)?)? * x.narrow(2, ffn, ffn)?)?),
        &|x| train_ops::swiglu(x, ffn),
    )?;
    let logits = Var::randn(0f32, 1.0, (b * s / 2, 49_152), &dev)?;
    let labels = Tensor::zeros(b * s / 2, DType::U32, &dev)?;
    report(
        "cross entropy",
        1,
        &logits,
        &|x| Ok(candle_nn::loss::cross_entropy(x, &labels)?),
        &|x| train_ops::cross_entropy(x, &labels),
    )?;
    Ok(())
}
