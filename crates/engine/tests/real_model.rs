//! End-to-end checks on the real default model (SmolLM2-135M-Instruct, fetched by
//! `models/fetch.sh`) against references made independently by
//! `scripts/reference/make_fixtures.py`: llama.cpp's tokenizer and logits, and a numpy forward
//! pass over the `gguf` package's dequantized weights.

use std::path::PathBuf;
use std::sync::OnceLock;

use adapterbot_engine::{
    Adapter, AdapterInit, BlockHook, ChatMessage, Engine, Event, LoadOptions, SamplingParams,
    StreamDetokenizer, Tensor, WeightMode,
};
use proptest::prelude::*;
use serde::Deserialize;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn engine(mode: WeightMode) -> &'static Engine {
    static Q8: OnceLock<Engine> = OnceLock::new();
    static F32: OnceLock<Engine> = OnceLock::new();
    static PACKED: OnceLock<Engine> = OnceLock::new();
    let cell = match mode {
        WeightMode::F32 => &F32,
        WeightMode::Packed => &PACKED,
        _ => &Q8,
    };
    cell.get_or_init(|| {
        let path = root().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
        assert!(
            path.exists(),
            "the real model is missing: run models/fetch.sh"
        );
        Engine::load(
            &path,
            &LoadOptions {
                weights: mode,
                ..LoadOptions::default()
            },
        )
        .unwrap()
    })
}

#[derive(Deserialize)]
struct TokCase {
    text: String,
    ids: Vec<u32>,
}

#[derive(Deserialize)]
struct LogitsRef {
    prompt: String,
    prompt_ids: Vec<u32>,
    numpy_argmax_per_position: Vec<u32>,
    greedy_text: String,
}

fn logits_ref() -> LogitsRef {
    serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("logits_reference.json")).unwrap(),
    )
    .unwrap()
}

fn read_f32(name: &str) -> Vec<f32> {
    std::fs::read(fixtures().join(name))
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn top_k(v: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[b].total_cmp(&v[a]));
    idx.truncate(k);
    idx
}

struct Agreement {
    max_abs: f32,
    mean_abs: f32,
    top1: bool,
    top10_overlap: usize,
}

fn compare(ours: &[f32], reference: &[f32]) -> Agreement {
    assert_eq!(ours.len(), reference.len());
    let max_abs = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    let mean_abs = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / ours.len() as f32;
    let (a, b) = (top_k(ours, 10), top_k(reference, 10));
    Agreement {
        max_abs,
        mean_abs,
        top1: a[0] == b[0],
        top10_overlap: a.iter().filter(|i| b.contains(i)).count(),
    }
}

#[test]
fn tokenizer_ids_match_llama_cpp() {
    let cases: Vec<TokCase> = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("tokenizer_reference.json")).unwrap(),
    )
    .unwrap();
    assert!(cases.len() >= 25);
    let tok = engine(WeightMode::Q8_0).tokenizer();
    for c in &cases {
        assert_eq!(
            tok.encode(&c.text).unwrap(),
            c.ids,
            "ids differ for {:?}",
            c.text
        );
        assert_eq!(
            tok.decode(&c.ids, false).unwrap(),
            c.text,
            "decode differs for {:?}",
            c.text
        );
    }
}

#[test]
fn the_chat_template_renders_the_reference_prompt() {
    let e = engine(WeightMode::Q8_0);
    let r = logits_ref();
    let text = e
        .render_chat(&[ChatMessage::new(
            "user",
            "I just lost my job and I feel terrible. What should I do?",
        )])
        .unwrap();
    assert_eq!(
        text, r.prompt,
        "default system prompt and ChatML come from the GGUF template"
    );
    assert_eq!(e.encode_prompt(&text).unwrap(), r.prompt_ids);
}

/// Logits at every position of the reference prompt, `[positions, vocab]`.
fn prompt_logits(e: &Engine, r: &LogitsRef) -> Tensor {
    let ids = Tensor::new(r.prompt_ids.as_slice(), e.backbone().device())
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    e.backbone()
        .forward_train(&ids, None)
        .unwrap()
        .squeeze(0)
        .unwrap()
}

/// f32 path: the same dequantized weights as the numpy reference, so only the order of float
/// operations differs. Measured: max |Δ| 4e-5 (logits std 3.6); the bound 1e-3 allows
/// summation-order noise and nothing more.
#[test]
fn f32_logits_match_the_numpy_reference() {
    let e = engine(WeightMode::F32);
    let r = logits_ref();
    let all = prompt_logits(e, &r);
    let argmax: Vec<u32> = all.argmax(1).unwrap().to_vec1().unwrap();
    assert_eq!(
        argmax, r.numpy_argmax_per_position,
        "argmax at some prompt position differs"
    );
    let last: Vec<f32> = all.get(r.prompt_ids.len() - 1).unwrap().to_vec1().unwrap();
    let a = compare(&last, &read_f32("logits_numpy_f32.bin"));
    assert!(a.max_abs < 1e-3, "max |Δ| {} vs numpy", a.max_abs);
    assert!(a.top1 && a.top10_overlap == 10);
}

/// Serving path: weights re-quantized from Q4_1 to Q8_0 and activations quantized inside
/// candle's kernels (in 256-wide blocks for the VNNI kernels, where one outlier coarsens the
/// whole block). Measured here: max |Δ| 2.07, mean |Δ| 0.36 against the exact f32 answer, where
/// llama.cpp's own path has 0.67 and 0.13 (logits std 3.6). The bounds leave ~20 % headroom over
/// what was measured, and the ranking must hold: same top token, 8 of the top 10 shared.
#[test]
fn q8_0_logits_agree_with_numpy_and_llama_cpp() {
    let e = engine(WeightMode::Q8_0);
    let r = logits_ref();
    let mut cache = e.backbone().new_cache();
    let last: Vec<f32> = e
        .backbone()
        .forward_last(&r.prompt_ids, &mut cache, None)
        .unwrap()
        .to_vec1()
        .unwrap();
    for name in ["logits_numpy_f32.bin", "logits_llamacpp.bin"] {
        let a = compare(&last, &read_f32(name));
        eprintln!(
            "{name}: max |Δ| {} mean |Δ| {} top-1 {} top-10 overlap {}",
            a.max_abs, a.mean_abs, a.top1, a.top10_overlap
        );
        assert!(
            a.max_abs < 2.5 && a.mean_abs < 0.45,
            "too far from {name}: max {} mean {}",
            a.max_abs,
            a.mean_abs
        );
        assert!(a.top1, "top-1 differs from {name}");
        assert!(
            a.top10_overlap >= 8,
            "top-10 overlap {} with {name}",
            a.top10_overlap
        );
    }
}

/// Packed path: the file's own 4-bit values (and the head's 8-bit ones) with inputs quantized to
/// 8 bits per block of 32, as llama.cpp does. Measured: the top token equals the numpy
/// reference's at 44 of the prompt's 45 positions; at the other (position 25) the two leading
/// tokens are 0.11 apart and llama.cpp itself picks the same as we do (it differs from numpy at 2
/// positions). So: at most one position may differ, and only by a near-tie; the last position's
/// logits must be about as close as llama.cpp's own; the greedy reply must be llama.cpp's for
/// its first 24 tokens.
#[test]
fn packed_logits_agree_with_numpy_at_every_position() {
    let e = engine(WeightMode::Packed);
    let r = logits_ref();
    let all = prompt_logits(e, &r);
    let argmax: Vec<u32> = all.argmax(1).unwrap().to_vec1().unwrap();
    let differing: Vec<usize> = (0..argmax.len())
        .filter(|&i| argmax[i] != r.numpy_argmax_per_position[i])
        .collect();
    assert!(differing.len() <= 1, "top-1 differs at {differing:?}");
    for &i in &differing {
        let row: Vec<f32> = all.get(i).unwrap().to_vec1().unwrap();
        let gap = row[argmax[i] as usize] - row[r.numpy_argmax_per_position[i] as usize];
        assert!(
            gap < 0.2,
            "position {i}: numpy's top token is {gap} below ours"
        );
    }
    let last: Vec<f32> = all.get(r.prompt_ids.len() - 1).unwrap().to_vec1().unwrap();
    let a = compare(&last, &read_f32("logits_numpy_f32.bin"));
    eprintln!(
        "packed vs numpy: top-1 differs at {differing:?}; last position max |Δ| {} mean |Δ| {} top-10 overlap {}",
        a.max_abs, a.mean_abs, a.top10_overlap
    );
    assert!(a.top1 && a.top10_overlap >= 8);
    // Measured 0.82 and 0.144 (llama.cpp's own: 0.67 and 0.13; the Q8_0 path's: 2.07 and 0.36);
    // the bounds leave ~20 % headroom.
    assert!(
        a.max_abs < 1.0 && a.mean_abs < 0.17,
        "max {} mean {}",
        a.max_abs,
        a.mean_abs
    );

    let mut reply = String::new();
    for ev in e
        .generate(r.prompt_ids.clone(), SamplingParams::greedy(24), None)
        .unwrap()
    {
        match ev.unwrap() {
            Event::Text { text } => reply.push_str(&text),
            Event::Done { usage, .. } => assert_eq!(usage.completion_tokens, 24),
        }
    }
    assert!(
        r.greedy_text.starts_with(&reply),
        "packed greedy reply {reply:?} is not how llama.cpp's begins: {:?}",
        r.greedy_text
    );
}

#[test]
fn greedy_reply_to_the_job_loss_prompt_begins_with_sympathy() {
    let e = engine(WeightMode::Q8_0);
    let text = e
        .render_chat(&[ChatMessage::new(
            "user",
            "I just lost my job and I feel terrible. What should I do?",
        )])
        .unwrap();
    let mut reply = String::new();
    for ev in e
        .generate(
            e.encode_prompt(&text).unwrap(),
            SamplingParams::greedy(12),
            None,
        )
        .unwrap()
    {
        if let Event::Text { text } = ev.unwrap() {
            reply.push_str(&text);
        }
    }
    assert!(reply.starts_with("I'm so sorry to hear that"), "{reply:?}");
    assert!(
        logits_ref().greedy_text.starts_with(&reply),
        "llama.cpp's greedy reply starts the same way"
    );
}

#[test]
fn on_the_real_model_a_zero_adapter_is_exact_and_a_random_one_is_not() {
    let e = engine(WeightMode::Q8_0);
    let r = logits_ref();
    let cfg = e.backbone().config();
    let zero = Adapter::new(
        "zero",
        cfg,
        64,
        AdapterInit::Identity { seed: 1 },
        e.backbone().device(),
    )
    .unwrap();
    let random = Adapter::new(
        "random",
        cfg,
        64,
        AdapterInit::Random { seed: 1, std: 0.05 },
        e.backbone().device(),
    )
    .unwrap();
    let run = |hook: Option<&dyn BlockHook>| -> Vec<Vec<u32>> {
        let mut cache = e.backbone().new_cache();
        let prefill = e
            .backbone()
            .forward_last(&r.prompt_ids, &mut cache, hook)
            .unwrap();
        let step = e.backbone().forward_last(&[57], &mut cache, hook).unwrap();
        [prefill, step]
            .iter()
            .map(|t| {
                t.to_vec1::<f32>()
                    .unwrap()
                    .iter()
                    .map(|x| x.to_bits())
                    .collect()
            })
            .collect()
    };
    let base = run(None);
    assert_eq!(
        base,
        run(Some(&zero)),
        "prefill and decode logits must be bit-identical"
    );
    assert_ne!(base, run(Some(&random)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Byte-level BPE loses nothing: any text comes back exactly.
    #[test]
    fn any_text_round_trips(text in "\\PC{0,40}|[ \t\n0-9a-zA-Zé日本語😀<|>_]{0,60}") {
        let tok = engine(WeightMode::Q8_0).tokenizer();
        let ids = tok.encode(&text).unwrap();
        prop_assert_eq!(tok.decode(&ids, false).unwrap(), text);
    }

    /// Streaming pieces add up to the whole decode and never carry a broken character.
    #[test]
    fn streamed_pieces_concatenate_to_the_full_text(text in "\\PC{0,40}") {
        let tok = engine(WeightMode::Q8_0).tokenizer();
        let ids = tok.encode(&text).unwrap();
        let mut detok = StreamDetokenizer::new();
        let mut out = String::new();
        for id in ids {
            if let Some(piece) = detok.push(tok, id).unwrap() {
                let broken = piece.contains(char::REPLACEMENT_CHARACTER) && !text.contains(char::REPLACEMENT_CHARACTER);
                prop_assert!(!broken, "piece {:?} has a broken character", piece);
                out.push_str(&piece);
            }
        }
        // A real U+FFFD looks like an unfinished character until the stream ends.
        out.push_str(&detok.flush(tok).unwrap().unwrap_or_default());
        prop_assert_eq!(out, text);
    }
}
