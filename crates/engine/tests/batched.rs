//! Batched decoding on the real model: sequences with different adapters (and none), at
//! different positions, joining and leaving mid-flight, get exactly the replies they get alone.

use std::path::PathBuf;

use adapterbot_engine::{
    Adapter, AdapterInit, ChatMessage, Engine, EngineError, Event, FinishReason, Generation,
    LoadOptions, ReplyJob, SamplingParams, Usage,
};

const MAX_TOKENS: usize = 48;

fn engine() -> Engine {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        path.exists(),
        "the real model is missing: run models/fetch.sh"
    );
    Engine::load(&path, &LoadOptions::default()).expect("the model loads")
}

/// A reply as the events tell it.
#[derive(Debug, Default, PartialEq)]
struct Reply {
    text: String,
    done: Option<(FinishReason, Usage)>,
}

impl Reply {
    fn take(&mut self, event: Event) {
        match event {
            Event::Text { text } => self.text.push_str(&text),
            Event::Done {
                finish_reason,
                usage,
                ..
            } => {
                assert!(self.done.is_none(), "a second Done");
                self.done = Some((finish_reason, usage));
            }
        }
    }
}

/// One sequence of the test: its prompt, adapter (index) and sampling.
struct Case {
    prompt: Vec<u32>,
    adapter: Option<usize>,
    params: SamplingParams,
}

#[test]
fn batched_replies_equal_the_replies_alone() {
    let engine = engine();
    let b = engine.backbone();
    let adapters: Vec<Adapter> = (0..4)
        .map(|i| {
            let init = AdapterInit::Random {
                seed: 10 + i,
                std: 0.02,
            };
            Adapter::new(&format!("a{i}"), b.config(), 16, init, b.device()).unwrap()
        })
        .collect();
    let turns = [
        "Hi!",
        "What is the capital of Australia?",
        "I just lost my job and I feel terrible. What should I do?",
        "Tell me a long story about a lighthouse keeper and his cat, with many details about \
         the sea, the storms, the ships that pass at night and the people of the village \
         nearby, and how the cat once saved a fishing boat from the rocks.",
        "Why is the sky blue?",
        "Write a haiku about autumn.",
        "My sister got married last weekend and it was wonderful.",
        "Name three fruits.",
    ];
    let cases: Vec<Case> = turns
        .iter()
        .enumerate()
        .map(|(i, turn)| {
            let text = engine
                .render_chat(&[ChatMessage::new("user", *turn)])
                .unwrap();
            let mut params = SamplingParams::greedy(MAX_TOKENS);
            if i == 5 {
                // A sampled reply: a seed gives the same reply batched or alone.
                params.temperature = 0.8;
                params.top_p = 0.9;
                params.seed = 7;
            }
            Case {
                prompt: engine.encode_prompt(&text).unwrap(),
                // Four adapters over seven sequences, and one with none.
                adapter: (i != 2).then_some(i % 4),
                params,
            }
        })
        .collect();
    assert!(cases[3].prompt.len() > adapterbot_engine::PREFILL_CHUNK);

    let start = |c: &Case| -> Generation<'_> {
        engine
            .generate(
                c.prompt.clone(),
                c.params.clone(),
                c.adapter.map(|i| &adapters[i]),
            )
            .unwrap()
    };
    let alone: Vec<Reply> = cases
        .iter()
        .map(|c| {
            let mut r = Reply::default();
            for e in start(c) {
                r.take(e.unwrap());
            }
            r
        })
        .collect();

    // Batched: sequence 7 joins after 6 steps, sequence 1 is cancelled after 4.
    let mut gens: Vec<Option<Generation<'_>>> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (i != 7).then(|| start(c)))
        .collect();
    let mut batched: Vec<Reply> = (0..cases.len()).map(|_| Reply::default()).collect();
    let mut step = 0;
    while gens.iter().any(Option::is_some) {
        if step == 6 {
            gens[7] = Some(start(&cases[7]));
        }
        if step == 4 {
            gens[1] = None;
        }
        let mut running: Vec<(usize, &mut Generation<'_>)> = gens
            .iter_mut()
            .enumerate()
            .filter_map(|(i, g)| g.as_mut().map(|g| (i, g)))
            .collect();
        let (ids, mut refs): (Vec<usize>, Vec<&mut Generation<'_>>) =
            running.iter_mut().map(|(i, g)| (*i, &mut **g)).unzip();
        let events = engine.step_batch(&mut refs);
        drop(refs);
        drop(running);
        for (i, event) in ids.into_iter().zip(events) {
            if let Some(event) = event {
                let event = event.unwrap();
                let done = matches!(event, Event::Done { .. });
                batched[i].take(event);
                if done {
                    gens[i] = None;
                }
            }
        }
        step += 1;
        assert!(step < 10 * MAX_TOKENS, "the batch never finished");
    }

    for (i, (b, a)) in batched.iter().zip(&alone).enumerate() {
        if i == 1 {
            assert!(
                b.done.is_none() && a.text.starts_with(&b.text),
                "{b:?} {a:?}"
            );
            continue;
        }
        assert_eq!(b, a, "sequence {i}");
    }
    // The test means something only if the replies differ and most run for a while (a greeting,
    // a one-line answer and a short list may end early).
    assert!(
        alone.iter().filter(|r| r.text.len() > 40).count() >= 5,
        "{alone:?}"
    );
    assert_ne!(alone[0].text, alone[4].text);

    // The offline runner, three at a time (sequences leave and join as each ends), with a
    // prompt too long to start among them: the same replies, and that one's error.
    let mut jobs: Vec<ReplyJob<'_>> = cases
        .iter()
        .map(|c| ReplyJob {
            prompt: c.prompt.clone(),
            params: c.params.clone(),
            adapter: c.adapter.map(|i| &adapters[i]),
        })
        .collect();
    jobs.insert(
        2,
        ReplyJob {
            prompt: vec![1; b.context_length()],
            params: SamplingParams::greedy(4),
            adapter: None,
        },
    );
    let mut many = engine.generate_many(jobs, 3);
    assert!(
        matches!(many.remove(2), Err(EngineError::PromptTooLong { .. })),
        "the long prompt is refused"
    );
    for (i, (m, a)) in many.into_iter().zip(&alone).enumerate() {
        let m = m.unwrap();
        let (finish_reason, usage) = a.done.unwrap();
        assert_eq!(
            (m.text.as_str(), m.finish_reason, m.usage),
            (a.text.as_str(), finish_reason, usage),
            "sequence {i}"
        );
    }
}
