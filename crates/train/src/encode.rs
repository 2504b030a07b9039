//! Turns a dialogue row into token ids the way serving does: the prompt comes from the skills
//! crate's `build_prompt` (persona and knowledge in the system message), followed by the reply
//! and the chat template's end-of-turn token. Only the reply and that token are learned.

use std::sync::Arc;

use adapterbot_engine::{ChatMessage, Engine};
use adapterbot_skills::manager::SentenceEncoder;
use adapterbot_skills::{build_prompt, PromptContext, PromptError, SkillSettings};

use crate::data::DialogueRow;
use crate::error::{Result, TrainError};

/// One tokenized example: `ids[..prompt_len]` is the prompt, the rest is learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub ids: Vec<u32>,
    pub prompt_len: usize,
}

impl Example {
    /// Tokens the loss is computed on (the reply and the end-of-turn token).
    pub fn target_tokens(&self) -> usize {
        self.ids.len() - self.prompt_len
    }
}

/// Encodes rows for one skill, with the prompt format that skill is served with.
pub struct Encoder<'a> {
    engine: &'a Engine,
    settings: SkillSettings,
    max_len: usize,
    /// Token ids that close an assistant turn (e.g. `<|im_end|>`).
    end_of_turn: Vec<u32>,
    specials: Vec<String>,
    /// Lists persona facts most relevant first, as serving does when it has the encoder.
    persona_order: Option<Arc<SentenceEncoder>>,
}

impl<'a> Encoder<'a> {
    /// `max_len` caps prompt + reply; older turns are dropped to fit, as when serving.
    pub fn new(engine: &'a Engine, settings: SkillSettings, max_len: usize) -> Result<Self> {
        let max_len = max_len.min(engine.backbone().context_length());
        Ok(Self {
            end_of_turn: end_of_turn_ids(engine)?,
            specials: engine
                .tokenizer()
                .special_tokens()
                .into_iter()
                .filter(|s| s.chars().count() > 1)
                .collect(),
            engine,
            settings,
            max_len,
            persona_order: None,
        })
    }

    /// Persona facts in relevance order ([`adapterbot_skills::persona`]), as a server with this
    /// encoder serves them; `None` keeps each row's order.
    pub fn with_persona_order(mut self, encoder: Option<Arc<SentenceEncoder>>) -> Self {
        self.persona_order = encoder;
        self
    }

    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The prompt and target ids of `row`, or why it cannot be used.
    pub fn encode(&self, row: &DialogueRow) -> Result<Example, String> {
        if let Some(s) = self
            .specials
            .iter()
            .find(|s| row.reply.contains(s.as_str()))
        {
            return Err(format!("the reply contains the special token text `{s}`"));
        }
        let tokenizer = self.engine.tokenizer();
        let mut target = tokenizer.encode(&row.reply).map_err(|e| e.to_string())?;
        target.extend_from_slice(&self.end_of_turn);
        if target.len() >= self.max_len {
            return Err(format!(
                "the reply needs {} tokens, more than the {}-token limit",
                target.len(),
                self.max_len
            ));
        }
        let prompt = self.prompt_ids(row, self.max_len - target.len())?;
        let prompt_len = prompt.len();
        let mut ids = prompt;
        ids.extend(target);
        Ok(Example { ids, prompt_len })
    }

    /// The prompt alone, as it is served (for perplexity and sample replies).
    pub fn prompt_ids(&self, row: &DialogueRow, budget: usize) -> Result<Vec<u32>, String> {
        let mut settings = self.settings.clone();
        // A row's own context always goes into its prompt.
        settings.uses_knowledge |= !row.knowledge.is_empty();
        settings.uses_persona |= !row.persona.is_empty();
        let ctx = PromptContext {
            knowledge: &row.knowledge,
            persona: &row.persona,
            persona_order: self.persona_order.as_deref(),
            ..Default::default()
        };
        let context = self.engine.backbone().context_length();
        let reserve = context.saturating_sub(budget);
        match build_prompt(self.engine, &row.messages, &settings, &ctx, reserve) {
            Ok(p) => Ok(p.ids),
            Err(PromptError::TurnTooLong { needed, .. }) => Err(format!(
                "the prompt needs {needed} tokens but only {budget} are left beside the reply (limit {})",
                self.max_len
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The ids the chat template writes right after an assistant message, up to and including the
/// first stop token (for ChatML: `<|im_end|>`).
fn end_of_turn_ids(engine: &Engine) -> Result<Vec<u32>> {
    const MARK: &str = "\u{1}REPLY\u{1}";
    let text = engine
        .template()
        .render(
            &[
                ChatMessage::new("user", "x"),
                ChatMessage::new("assistant", MARK),
            ],
            false,
        )
        .map_err(TrainError::Engine)?;
    let after = text
        .split_once(MARK)
        .map(|(_, rest)| rest)
        .ok_or_else(|| TrainError::Config("the chat template drops assistant messages".into()))?;
    let tokenizer = engine.tokenizer();
    let ids = tokenizer.encode(after)?;
    let stops = tokenizer.stop_ids();
    if let Some(end) = ids.iter().position(|id| stops.contains(id)) {
        return Ok(ids[..=end].to_vec());
    }
    // A template that writes no end-of-turn marker: the reply ends with EOS.
    tokenizer
        .eos_token()
        .and_then(|t| tokenizer.token_to_id(t))
        .map(|id| vec![id])
        .ok_or_else(|| {
            TrainError::Config(
                "the model has neither an end-of-turn token in its chat template nor an EOS token"
                    .into(),
            )
        })
}
