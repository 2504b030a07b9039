//! The training path's fused ops give the values and gradients of candle's slow differentiable
//! forms (to 1e-4), so training learns the same thing faster.

use adapterbot_engine::train_ops;
use candle_core::{DType, Device, Tensor, Var, D};

type R = Result<(), Box<dyn std::error::Error>>;

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// Compares `fast` with `slow` on the same inputs: outputs, and the gradients of
/// `Σ y · probe` (a random probe, so every output element's gradient matters) for every var.
fn check(vars: &[&Var], fast: &dyn Fn() -> Tensor, slow: &dyn Fn() -> Tensor) {
    let (yf, ys) = (fast(), slow());
    assert_eq!(yf.dims(), ys.dims());
    let d = max_diff(&yf, &ys);
    assert!(d < 1e-4, "outputs differ by {d}");
    let probe = Tensor::randn(0f32, 1.0, ys.shape(), &Device::Cpu).unwrap();
    let gf = (yf * &probe)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let gs = (ys * &probe)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    for (i, v) in vars.iter().enumerate() {
        let (a, b) = (gf.get(v.as_tensor()), gs.get(v.as_tensor()));
        let (a, b) = (a.expect("fast gradient"), b.expect("slow gradient"));
        let d = max_diff(a, b);
        assert!(d < 1e-4, "gradient of input {i} differs by {d}");
    }
}

fn var(shape: &[usize]) -> Var {
    Var::randn(0f32, 1.0, shape, &Device::Cpu).unwrap()
}

#[test]
fn rms_norm_matches_the_slow_form() -> R {
    let x = var(&[2, 5, 64]);
    let w = Tensor::randn(1f32, 0.2, 64, &Device::Cpu)?;
    check(
        &[&x],
        &|| train_ops::rms_norm(x.as_tensor(), &w, 1e-5).unwrap(),
        &|| candle_nn::ops::rms_norm_slow(x.as_tensor(), &w, 1e-5).unwrap(),
    );
    Ok(())
}

#[test]
fn layer_norm_matches_the_slow_form_for_input_weight_and_bias() -> R {
    // 150 rows: more than one of the fixed row chunks the weight gradient is summed in.
    let x = var(&[3, 50, 32]);
    let w = Var::randn(1f32, 0.2, 32, &Device::Cpu)?;
    let b = Var::randn(0f32, 0.2, 32, &Device::Cpu)?;
    check(
        &[&x, &w, &b],
        &|| train_ops::layer_norm(x.as_tensor(), w.as_tensor(), b.as_tensor(), 1e-5).unwrap(),
        &|| {
            candle_nn::ops::layer_norm_slow(x.as_tensor(), w.as_tensor(), b.as_tensor(), 1e-5)
                .unwrap()
        },
    );
    Ok(())
}

#[test]
fn rope_matches_the_slow_form() -> R {
    let x = var(&[2, 3, 7, 16]);
    let angles = Tensor::randn(0f32, 2.0, (7, 8), &Device::Cpu)?;
    let (cos, sin) = (angles.cos()?, angles.sin()?);
    check(
        &[&x],
        &|| train_ops::rope_i(x.as_tensor(), &cos, &sin).unwrap(),
        &|| candle_nn::rotary_emb::rope_i_slow(x.as_tensor(), &cos, &sin).unwrap(),
    );
    Ok(())
}

/// The mask the serving path adds: query `i` (of `seq`, after `offset` cached keys) sees keys
/// `0..=offset + i`; query heads stacked along the row axis, `n_rep` blocks of `seq` rows.
fn masked_softmax(scores: &Tensor, scale: f64, seq: usize, offset: usize, n_rep: usize) -> Tensor {
    let keys = offset + seq;
    let mask: Vec<f32> = (0..n_rep * seq)
        .flat_map(|r| {
            (0..keys).map(move |j| {
                if j > offset + r % seq {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
        })
        .collect();
    let mask = Tensor::from_vec(mask, (n_rep * seq, keys), &Device::Cpu).unwrap();
    let s = (scores * scale).unwrap().broadcast_add(&mask).unwrap();
    candle_nn::ops::softmax(&s, D::Minus1).unwrap()
}

#[test]
fn causal_softmax_matches_mask_and_softmax() -> R {
    for (seq, offset) in [(6, 0), (4, 3), (1, 5)] {
        let s = var(&[2, 3, 2 * seq, offset + seq]);
        check(
            &[&s],
            &|| train_ops::causal_softmax(s.as_tensor(), 0.3, seq, offset).unwrap(),
            &|| masked_softmax(s.as_tensor(), 0.3, seq, offset, 2),
        );
    }
    Ok(())
}

#[test]
fn causal_softmax_refuses_scores_that_do_not_fit() {
    let s = Tensor::zeros((1, 1, 6, 5), DType::F32, &Device::Cpu).unwrap();
    assert!(train_ops::causal_softmax(&s, 1.0, 4, 0).is_err());
}

#[test]
fn swiglu_matches_silu_times_up() -> R {
    let x = var(&[2, 5, 2 * 24]);
    check(
        &[&x],
        &|| train_ops::swiglu(x.as_tensor(), 24).unwrap(),
        &|| {
            let gate = x.as_tensor().narrow(2, 0, 24).unwrap();
            let up = x.as_tensor().narrow(2, 24, 24).unwrap();
            (candle_nn::ops::silu(&gate).unwrap() * up).unwrap()
        },
    );
    Ok(())
}

#[test]
fn cross_entropy_matches_the_slow_form() -> R {
    let logits = Var::randn(0f32, 3.0, (9, 40), &Device::Cpu)?;
    let labels = Tensor::new(&[0u32, 5, 39, 7, 7, 1, 20, 33, 2], &Device::Cpu)?;
    let fast = train_ops::cross_entropy(logits.as_tensor(), &labels)?;
    let slow = candle_nn::loss::cross_entropy(logits.as_tensor(), &labels)?;
    assert!(max_diff(&fast, &slow) < 1e-5);
    let gf = fast.backward()?;
    let gs = slow.backward()?;
    let d = max_diff(
        gf.get(logits.as_tensor()).unwrap(),
        gs.get(logits.as_tensor()).unwrap(),
    );
    assert!(d < 1e-5, "gradient differs by {d}");
    assert!(
        train_ops::cross_entropy(logits.as_tensor(), &Tensor::new(&[40u32; 9], &Device::Cpu)?)
            .is_err()
    );
    Ok(())
}
