//! The dialogue manager with the real sentence encoder (models/minilm, fetched by
//! models/fetch.sh), trained here on the repository's labelled turns.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use adapterbot_engine::Device;
use adapterbot_skills::manager::{
    evaluate, read_turns, train_manager, train_manager_validated, DialogueManager, HeadOptions,
    SentenceEncoder, DEFAULT_ENCODER_LAYERS,
};
use adapterbot_skills::RouteSource;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn encoder() -> SentenceEncoder {
    SentenceEncoder::load_layers(
        &root().join("models/minilm"),
        &Device::Cpu,
        Some(DEFAULT_ENCODER_LAYERS),
    )
    .expect("models/minilm missing: run models/fetch.sh (scripts/test.sh does)")
}

/// One manager trained as the shipped one is (data/manager/train.jsonl, early stopping on
/// data/manager/valid.jsonl), shared by the tests of this file.
fn manager() -> &'static DialogueManager {
    static M: OnceLock<(tempfile::TempDir, DialogueManager)> = OnceLock::new();
    &M.get_or_init(|| {
        let (rows, problems) = read_turns(&root().join("data/manager/train.jsonl")).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let (valid, problems) = read_turns(&root().join("data/manager/valid.jsonl")).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("manager");
        let (m, report) = train_manager_validated(
            encoder(),
            &rows,
            &valid,
            &HeadOptions::default(),
            0.45,
            &out,
        )
        .unwrap();
        assert!(report.train_accuracy > 0.95, "{report:?}");
        // Every epoch was scored on valid and the head kept is the best-scoring epoch's.
        let scores: Vec<f64> = report
            .history
            .iter()
            .map(|h| h.valid_accuracy.unwrap())
            .collect();
        let best = scores.iter().copied().fold(0.0, f64::max);
        assert_eq!(report.valid_accuracy, Some(best), "{report:?}");
        assert_eq!(scores[report.best_epoch - 1], best, "{report:?}");
        assert!(best > 0.9, "{report:?}");
        (dir, m)
    })
    .1
}

fn ctx(msgs: &[&str]) -> Vec<String> {
    msgs.iter().map(|s| s.to_string()).collect()
}

#[test]
fn embeddings_are_unit_length_and_similar_texts_are_close() {
    let e = encoder();
    let v = e
        .embed(&[
            "What is the capital of France?",
            "capital city of France",
            "I feel so lonely tonight",
        ])
        .unwrap();
    let v: Vec<Vec<f32>> = v.to_vec2().unwrap();
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    for row in &v {
        assert!((dot(row, row) - 1.0).abs() < 1e-4);
    }
    assert!(dot(&v[0], &v[1]) > dot(&v[0], &v[2]) + 0.2);
    // Padding must not change an embedding: the same text alone and in a batch with a longer one.
    let alone: Vec<Vec<f32>> = e
        .embed(&["capital city of France"])
        .unwrap()
        .to_vec2()
        .unwrap();
    let diff = alone[0]
        .iter()
        .zip(&v[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(diff < 1e-4, "padding changed the embedding by {diff}");
}

#[test]
fn the_same_short_turn_routes_by_its_context() {
    let m = manager();
    let cases = [
        (
            vec![
                "What is the capital of Australia?",
                "The capital of Australia is Canberra.",
            ],
            "knowledge",
        ),
        (
            vec![
                "My grandmother passed away last night and I can't stop crying.",
                "I'm so sorry for your loss. That must hurt terribly.",
            ],
            "empathetic",
        ),
        (
            vec![
                "Do you have any pets?",
                "I have a grey cat called Admiral who sleeps on my old sea charts.",
            ],
            "persona",
        ),
    ];
    for turn in ["Tell me more", "Why?"] {
        let mut chosen = Vec::new();
        for (context, want) in &cases {
            let d = m.route(turn, &ctx(context), "chitchat").unwrap();
            assert_eq!(d.skill, *want, "{turn:?} after {context:?}: {d:?}");
            chosen.push(d.skill);
        }
        chosen.dedup();
        assert_eq!(chosen.len(), cases.len());
    }
}

#[test]
fn a_clear_turn_keeps_its_skill_after_an_unrelated_context() {
    let m = manager();
    let context = ctx(&[
        "I failed my driving test again today.",
        "Oh no, I'm sorry. That is really frustrating.",
    ]);
    let d = m
        .route(
            "What languages do people speak in Switzerland?",
            &context,
            "chitchat",
        )
        .unwrap();
    assert_eq!(d.skill, "knowledge", "{d:?}");
}

#[test]
fn decisions_carry_a_probability_for_every_skill_and_fall_back_when_unsure() {
    let mut m = {
        let (rows, _) = read_turns(&root().join("data/manager/train.jsonl")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        train_manager(
            encoder(),
            &rows[..rows.len().min(400)],
            &HeadOptions {
                epochs: 5,
                ..Default::default()
            },
            0.4,
            &dir.path().join("m"),
        )
        .unwrap()
        .0
    };
    let d = m.route("hello!", &[], "chitchat").unwrap();
    assert_eq!(d.probabilities.len(), m.skills().len());
    let total: f32 = d.probabilities.values().sum();
    assert!((total - 1.0).abs() < 1e-4);
    m.set_threshold(1.01);
    let d = m
        .route("What is the capital of Peru?", &[], "persona")
        .unwrap();
    assert_eq!(
        (d.skill.as_str(), d.source),
        ("persona", RouteSource::Fallback)
    );
}

#[test]
fn held_out_turns_meet_the_targets_and_the_saved_manager_reloads_identically() {
    let (test, _) = read_turns(&root().join("data/manager/test.jsonl")).unwrap();
    let report = evaluate(manager(), &test).unwrap();
    // The shipped manager measures 93.8 % with every recall ≥ 0.86 (docs/manager.md); the
    // margin here absorbs float differences between thread counts, not a worse manager.
    assert!(report.accuracy >= 0.91, "accuracy {:.3}", report.accuracy);
    for s in &report.per_skill {
        assert!(s.recall >= 0.8, "{s:?}");
    }
    // Training is seeded: the same data gives the same head, and it survives a save and load.
    let (rows, _) = read_turns(&root().join("data/manager/train.jsonl")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let opts = HeadOptions {
        epochs: 3,
        ..Default::default()
    };
    let (a, _) = train_manager(encoder(), &rows[..300], &opts, 0.4, &out).unwrap();
    let b = DialogueManager::load(&out, &root().join("models/minilm"), &Device::Cpu).unwrap();
    let (pa, pb) = (
        a.route("Tell me about your family", &[], "chitchat")
            .unwrap()
            .probabilities,
        b.route("Tell me about your family", &[], "chitchat")
            .unwrap()
            .probabilities,
    );
    for (k, v) in &pa {
        assert!((v - pb[k]).abs() < 1e-5, "{k}: {v} vs {}", pb[k]);
    }
}

#[test]
fn a_missing_manager_or_encoder_says_what_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let e = DialogueManager::load(dir.path(), &root().join("models/minilm"), &Device::Cpu)
        .err()
        .unwrap();
    assert!(e.to_string().contains("adapterbot train manager"), "{e}");
    let e = SentenceEncoder::load(dir.path(), &Device::Cpu)
        .err()
        .unwrap();
    assert!(e.to_string().contains("models/fetch.sh"), "{e}");
    let e = SentenceEncoder::load_layers(&root().join("models/minilm"), &Device::Cpu, Some(7))
        .err()
        .unwrap();
    assert!(e.to_string().contains("has 6 layers"), "{e}");
}

/// The persona ordering's full encoder is made over the manager's 3-layer encoder's weights:
/// it must embed exactly as the full encoder loaded from the files does, and a view may not
/// claim layers the file does not have.
#[test]
fn an_encoder_over_more_layers_of_the_same_weights_equals_one_loaded_whole() {
    let dir = root().join("models/minilm");
    let three = SentenceEncoder::load_layers(&dir, &Device::Cpu, Some(3)).unwrap();
    let view = three.with_layers(None).unwrap();
    let whole = SentenceEncoder::load(&dir, &Device::Cpu).unwrap();
    assert_eq!((three.layers(), view.layers()), (3, 6));
    let texts = [
        "I adopted a grey cat last spring.",
        "What is the capital of Peru?",
    ];
    let a: Vec<Vec<f32>> = view.embed(&texts).unwrap().to_vec2().unwrap();
    let b: Vec<Vec<f32>> = whole.embed(&texts).unwrap().to_vec2().unwrap();
    assert_eq!(a, b);
    let c: Vec<Vec<f32>> = three.embed(&texts).unwrap().to_vec2().unwrap();
    assert_ne!(a, c, "three layers embed differently from six");
    let e = three.with_layers(Some(7)).err().unwrap();
    assert!(e.to_string().contains("has 6 layers"), "{e}");
}

#[test]
fn a_context_embedded_ahead_gives_the_same_decision_as_one_encoded_with_the_turn() {
    let m = manager();
    let context = ctx(&[
        "My grandmother passed away last night and I can't stop crying.",
        "I'm so sorry for your loss. That must hurt terribly.",
    ]);
    m.encoder().clear_cache();
    let cold = m.route("Why?", &context, "chitchat").unwrap();
    m.encoder().clear_cache();
    m.prepare_context(&context).unwrap();
    let prepared = m.route("Why?", &context, "chitchat").unwrap();
    assert_eq!(cold.skill, prepared.skill);
    for (skill, p) in &cold.probabilities {
        let q = prepared.probabilities[skill];
        assert!((p - q).abs() < 1e-5, "{skill}: {p} vs {q}");
    }
    // The embedding is the encoder's, not a stale one: another context changes the decision.
    let other = ctx(&["What is the capital of Australia?", "Canberra."]);
    m.prepare_context(&other).unwrap();
    assert_eq!(
        m.route("Why?", &other, "chitchat").unwrap().skill,
        "knowledge"
    );
}

#[test]
fn a_reloaded_manager_reads_with_the_encoder_it_replaces() {
    let dir = root().join("models/manager");
    let enc = root().join("models/minilm");
    let first = DialogueManager::load(&dir, &enc, &Device::Cpu).unwrap();
    let again =
        DialogueManager::load_reusing(&dir, &enc, &Device::Cpu, Some(first.shared_encoder()))
            .unwrap();
    assert!(std::sync::Arc::ptr_eq(
        &first.shared_encoder(),
        &again.shared_encoder()
    ));
    let turn = "What is the capital of Peru?";
    let (a, b) = (
        first.route(turn, &[], "chitchat").unwrap(),
        again.route(turn, &[], "chitchat").unwrap(),
    );
    assert_eq!((a.skill, a.probabilities), (b.skill, b.probabilities));
    // Another encoder folder: loaded, not shared.
    let copy = tempfile::tempdir().unwrap();
    for f in ["config.json", "model.safetensors", "tokenizer.json"] {
        std::fs::copy(enc.join(f), copy.path().join(f)).unwrap();
    }
    let other = DialogueManager::load_reusing(
        &dir,
        copy.path(),
        &Device::Cpu,
        Some(first.shared_encoder()),
    )
    .unwrap();
    assert!(!std::sync::Arc::ptr_eq(
        &first.shared_encoder(),
        &other.shared_encoder()
    ));
}
