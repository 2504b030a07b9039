//! Fast tests on a tiny random-weight model written in the real GGUF and safetensors formats.

use adapterbot_engine::testing::{write_tiny_gguf, write_tiny_hf_dir};
use adapterbot_engine::{
    Adapter, AdapterInit, BlockHook, Engine, Event, FinishReason, LlamaConfig, LoadOptions,
    SamplingParams, Tensor, WeightMode,
};

struct Tiny {
    _dir: tempfile::TempDir,
    gguf: std::path::PathBuf,
    hf: std::path::PathBuf,
}

fn tiny() -> Tiny {
    let dir = tempfile::tempdir().unwrap();
    let cfg = LlamaConfig::tiny_for_tests();
    let gguf = dir.path().join("tiny.gguf");
    write_tiny_gguf(&gguf, &cfg, 7).unwrap();
    let hf = dir.path().join("hf");
    write_tiny_hf_dir(&hf, &cfg, 7, &gguf).unwrap();
    Tiny {
        _dir: dir,
        gguf,
        hf,
    }
}

fn load(path: &std::path::Path, weights: WeightMode) -> Engine {
    Engine::load(
        path,
        &LoadOptions {
            weights,
            ..LoadOptions::default()
        },
    )
    .unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    adapterbot_engine::testing::max_abs_diff(a, b).unwrap()
}

const IDS: [u32; 9] = [1, 40, 72, 101, 150, 2, 260, 33, 90];

fn last_logits(e: &Engine, ids: &[u32], hook: Option<&dyn BlockHook>) -> Tensor {
    let mut cache = e.backbone().new_cache();
    e.backbone().forward_last(ids, &mut cache, hook).unwrap()
}

/// Prefill all but the last id, then one decode step: the path a served reply takes per token.
fn decode_step_logits(e: &Engine, ids: &[u32], hook: Option<&dyn BlockHook>) -> Tensor {
    let mut cache = e.backbone().new_cache();
    e.backbone()
        .forward_last(&ids[..ids.len() - 1], &mut cache, hook)
        .unwrap();
    e.backbone()
        .forward_last(&ids[ids.len() - 1..], &mut cache, hook)
        .unwrap()
}

#[test]
fn gguf_and_safetensors_checkpoints_give_the_same_logits() {
    let t = tiny();
    let a = last_logits(&load(&t.gguf, WeightMode::F32), &IDS, None);
    let b = last_logits(&load(&t.hf, WeightMode::F32), &IDS, None);
    assert_eq!(a.dims(), &[271]);
    let d = max_diff(&a, &b);
    assert!(d < 1e-4, "GGUF vs safetensors logits differ by {d}");
}

#[test]
fn quantized_weight_modes_stay_close_to_f32() {
    let t = tiny();
    let f = last_logits(&load(&t.gguf, WeightMode::F32), &IDS, None);
    let spread = f.max_all().unwrap().to_scalar::<f32>().unwrap()
        - f.min_all().unwrap().to_scalar::<f32>().unwrap();
    // 8-bit within 5 % of the logit spread, 4-bit within 15 %. Random tiny weights have
    // near-ties, so compare values, not the argmax. Packed holds the tiny file's f32 weights as
    // Q8_0 with 8-bit inputs.
    for (mode, bound) in [
        (WeightMode::Q8_0, 0.05),
        (WeightMode::Q4_0, 0.15),
        (WeightMode::Packed, 0.05),
    ] {
        let d = max_diff(&f, &last_logits(&load(&t.gguf, mode), &IDS, None));
        assert!(
            d < bound * spread,
            "{mode:?} error {d} vs logit spread {spread}"
        );
        assert!(
            d > 0.0,
            "{mode:?} is bit-identical to f32: was the conversion skipped?"
        );
    }
    // As stored (f32 in the tiny file) is exact.
    let stored = last_logits(&load(&t.gguf, WeightMode::AsStored), &IDS, None);
    assert!(max_diff(&f, &stored) < 1e-4);
}

#[test]
fn incremental_decoding_with_the_cache_matches_a_full_pass() {
    let t = tiny();
    let e = load(&t.gguf, WeightMode::F32);
    let full = last_logits(&e, &IDS, None);
    let mut cache = e.backbone().new_cache();
    e.backbone()
        .forward_last(&IDS[..4], &mut cache, None)
        .unwrap();
    let mut last = None;
    for &id in &IDS[4..] {
        last = Some(e.backbone().forward_last(&[id], &mut cache, None).unwrap());
    }
    assert_eq!(cache.len(), IDS.len());
    let d = max_diff(&full, &last.unwrap());
    assert!(d < 1e-4, "cached vs full logits differ by {d}");
    // The training path (all positions, differentiable ops) agrees at the last position too.
    let ids = Tensor::new(&IDS[..], e.backbone().device())
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let all = e.backbone().forward_train(&ids, None).unwrap();
    let d = max_diff(&full, &all.get(0).unwrap().get(IDS.len() - 1).unwrap());
    assert!(d < 1e-4, "training path differs by {d}");
}

#[test]
fn zero_adapter_is_bit_identical_and_a_random_one_is_not() {
    let t = tiny();
    for mode in [WeightMode::Q8_0, WeightMode::F32] {
        let e = load(&t.gguf, mode);
        let cfg = e.backbone().config();
        let dev = e.backbone().device();
        let zero = Adapter::new("zero", cfg, 8, AdapterInit::Identity { seed: 3 }, dev).unwrap();
        let random = Adapter::new(
            "rand",
            cfg,
            8,
            AdapterInit::Random { seed: 3, std: 0.2 },
            dev,
        )
        .unwrap();
        let bits = |t: Tensor| {
            t.to_vec1::<f32>()
                .unwrap()
                .iter()
                .map(|x| x.to_bits())
                .collect::<Vec<_>>()
        };
        // Both the prompt path and the one-token decoding path.
        for step in [last_logits, decode_step_logits] {
            let base = bits(step(&e, &IDS, None));
            assert_eq!(
                base,
                bits(step(&e, &IDS, Some(&zero))),
                "{mode:?}: a zero adapter changed the logits"
            );
        }
        let base: Vec<f32> = last_logits(&e, &IDS, None).to_vec1().unwrap();
        let with_random = last_logits(&e, &IDS, Some(&random));
        let d = max_diff(&Tensor::new(base.as_slice(), dev).unwrap(), &with_random);
        assert!(
            d > 1e-3,
            "{mode:?}: a random adapter left the logits unchanged ({d})"
        );
    }
}

#[test]
fn fused_serving_adapter_matches_the_differentiable_one() {
    let t = tiny();
    let e = load(&t.gguf, WeightMode::F32);
    let cfg = e.backbone().config();
    let a = Adapter::new(
        "rand",
        cfg,
        8,
        AdapterInit::Random { seed: 5, std: 0.2 },
        e.backbone().device(),
    )
    .unwrap();
    let served = decode_step_logits(&e, &IDS, Some(&a));
    let ids = Tensor::new(&IDS[..], e.backbone().device())
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let trained = e.backbone().forward_train(&ids, Some(&a)).unwrap();
    let trained = trained.get(0).unwrap().get(IDS.len() - 1).unwrap();
    let base = decode_step_logits(&e, &IDS, None);
    // The served adapter holds its projections in bf16 (8 significant bits): its output may
    // differ from the f32 one by a fraction of a percent of what the adapter changes.
    let effect = max_diff(&trained, &base);
    let d = max_diff(&served, &trained);
    eprintln!("served vs trained: {d}; adapter effect: {effect}");
    assert!(
        effect > 0.1,
        "the random adapter changes the logits by only {effect}"
    );
    assert!(
        d < 0.02 * effect,
        "fused vs differentiable adapter differ by {d} (the adapter's effect is {effect})"
    );
}

#[test]
fn every_adapter_tensor_gets_a_gradient_and_no_backbone_weight_does() {
    let t = tiny();
    let e = load(&t.gguf, WeightMode::F32);
    let cfg = e.backbone().config();
    // Random, not identity: with W_up = 0 the layers below it would get exactly zero gradient.
    let a = Adapter::new(
        "train",
        cfg,
        8,
        AdapterInit::Random { seed: 9, std: 0.1 },
        e.backbone().device(),
    )
    .unwrap();
    let (trainable, vars) = a.to_trainable().unwrap();
    assert_eq!(vars.len(), 6 * cfg.num_layers);
    let ids = Tensor::new(&IDS[..], e.backbone().device())
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let logits = e.backbone().forward_train(&ids, Some(&trainable)).unwrap();
    let (_, seq, vocab) = logits.dims3().unwrap();
    let targets = Tensor::new(&IDS[1..], e.backbone().device()).unwrap();
    let loss = candle_nn::loss::cross_entropy(
        &logits
            .narrow(1, 0, seq - 1)
            .unwrap()
            .reshape((seq - 1, vocab))
            .unwrap(),
        &targets,
    )
    .unwrap();
    let grads = loss.backward().unwrap();
    for (i, v) in vars.iter().enumerate() {
        let g = grads
            .get(v.as_tensor())
            .unwrap_or_else(|| panic!("adapter tensor {i} got no gradient"));
        let norm = g
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(
            norm > 0.0,
            "adapter tensor {i} (layer {}) got a zero gradient",
            i / 6
        );
    }
    let frozen = e.backbone().frozen_tensors();
    assert!(frozen.len() > 4 * cfg.num_layers);
    for (i, w) in frozen.iter().enumerate() {
        assert!(
            grads.get(w).is_none(),
            "backbone tensor {i} received a gradient"
        );
    }
}

#[test]
fn generation_honours_max_tokens_stop_strings_and_seed() {
    let t = tiny();
    let e = load(&t.gguf, WeightMode::Q8_0);
    let prompt = e
        .encode_prompt("<|im_start|>user\nthe cat<|im_end|>\n<|im_start|>assistant\n")
        .unwrap();
    let run = |p: SamplingParams| -> (String, FinishReason, usize) {
        let mut text = String::new();
        for ev in e.generate(prompt.clone(), p, None).unwrap() {
            match ev.unwrap() {
                Event::Text { text: t } => text.push_str(&t),
                Event::Done {
                    finish_reason,
                    usage,
                    ..
                } => return (text, finish_reason, usage.completion_tokens),
            }
        }
        panic!("no Done event");
    };
    let sampled = SamplingParams {
        temperature: 1.0,
        seed: 11,
        max_tokens: 12,
        ..Default::default()
    };
    let (a, reason, n) = run(sampled.clone());
    assert!(n <= 12);
    if reason == FinishReason::Length {
        assert_eq!(n, 12);
    }
    assert_eq!(run(sampled.clone()).0, a, "same seed, same reply");
    assert!(
        (1..6).any(|s| run(SamplingParams {
            seed: s,
            ..sampled.clone()
        })
        .0 != a),
        "different seeds never changed a 12-token sample"
    );
    // Cut at a stop string taken from the reply itself: what comes back is the text before it.
    if let Some(mid) = a.char_indices().map(|(i, _)| i).nth(3) {
        let stop: String = a[mid..].chars().take(2).collect();
        let (cut, reason, _) = run(SamplingParams {
            stop: vec![stop.clone()],
            ..sampled
        });
        assert_eq!(reason, FinishReason::Stop);
        assert_eq!(cut, a[..a.find(&stop).unwrap()]);
    }
}

#[test]
fn prompts_that_cannot_fit_are_refused_with_the_sizes() {
    let t = tiny();
    let e = load(&t.gguf, WeightMode::Q8_0);
    let ctx = e.backbone().context_length();
    let err = e
        .generate(vec![5; ctx], SamplingParams::default(), None)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains(&ctx.to_string()) && err.contains("context"),
        "{err}"
    );
    let err = e
        .generate(vec![], SamplingParams::default(), None)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn the_engine_and_adapters_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Engine>();
    shareable::<Adapter>();
    shareable::<adapterbot_engine::AdapterBank>();
}

#[test]
fn a_shared_adapter_generates_what_a_borrowed_one_does_and_outlives_its_owner() {
    let t = tiny();
    let e = load(&t.gguf, WeightMode::Q8_0);
    let a = Adapter::new(
        "rand",
        e.backbone().config(),
        8,
        AdapterInit::Random { seed: 5, std: 0.2 },
        e.backbone().device(),
    )
    .unwrap();
    let prompt = e
        .encode_prompt("<|im_start|>user\nthe cat<|im_end|>\n<|im_start|>assistant\n")
        .unwrap();
    let text = |events: adapterbot_engine::Generation<'_>| -> String {
        events
            .filter_map(|ev| match ev.unwrap() {
                Event::Text { text } => Some(text),
                Event::Done { .. } => None,
            })
            .collect()
    };
    let p = SamplingParams::greedy(8);
    let borrowed = text(e.generate(prompt.clone(), p.clone(), Some(&a)).unwrap());
    let none = text(e.generate(prompt.clone(), p.clone(), None).unwrap());
    let shared = std::sync::Arc::new(a);
    let generation = e.generate_shared(prompt, p, Some(shared.clone())).unwrap();
    drop(shared); // the generation keeps its own reference
    assert_eq!(text(generation), borrowed);
    assert_ne!(borrowed, none, "the random adapter should change the reply");
}
