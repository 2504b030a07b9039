//! One user turn, planned: which skill answers (the manager's choice or the caller's), what the
//! knowledge store gives it, and the prompt and sampling settings it runs with. The server and
//! the CLI both go through here, so a turn flows the same way everywhere:
//! request → manager → prompt → engine.

use std::collections::BTreeMap;
use std::sync::Arc;

use adapterbot_engine::{Adapter, ChatMessage, Engine, SamplingParams};
use serde::Deserialize;

use crate::knowledge::{KnowledgeError, KnowledgeStore, Passage, RetrievalDecision, Said};
use crate::manager::{DialogueManager, ManagerError, RouteDecision, RouteSource, SentenceEncoder};
use crate::prompt::{build_prompt, BuiltPrompt, PromptContext, PromptError};
use crate::registry::{SkillError, SkillRegistry};
use crate::settings::SkillSettings;

/// How many previous messages the manager reads besides the current turn.
pub const MANAGER_CONTEXT_TURNS: usize = 3;
/// How many passages the knowledge store gives a turn.
pub const KNOWLEDGE_PASSAGES: usize = 3;

/// Who picks the skill.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SkillChoice {
    #[default]
    Auto,
    Manual(String),
}

impl SkillChoice {
    /// `"auto"` (or nothing) lets the manager decide; anything else names a skill.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            None | Some("auto") => SkillChoice::Auto,
            Some(id) => SkillChoice::Manual(id.to_string()),
        }
    }
}

/// Sampling values a request may set; unset ones come from the skill, then the engine.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SamplingOverrides {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<usize>,
    pub repetition_penalty: Option<f32>,
    pub max_tokens: Option<usize>,
    pub seed: Option<u64>,
    pub stop: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct TurnRequest {
    pub messages: Vec<ChatMessage>,
    pub skill: SkillChoice,
    /// Persona facts for this request; the skill's own apply when empty.
    pub persona: Vec<String>,
    pub sampling: SamplingOverrides,
}

/// Everything the engine needs for this turn, and what a client may want to show about it.
#[derive(Debug, Clone)]
pub struct PlannedTurn {
    pub route: RouteDecision,
    pub adapter: Option<Arc<Adapter>>,
    pub knowledge: Vec<Passage>,
    /// How the passages were found (the query as rewritten, whether retrieval abstained);
    /// `None` when the skill uses no knowledge or there is no store.
    pub retrieval: Option<RetrievalDecision>,
    pub prompt: BuiltPrompt,
    pub sampling: SamplingParams,
    /// The reply, when it was decided without the model (the skill's `no_facts_reply` when
    /// retrieval abstained); the prompt is then not run.
    pub decided_reply: Option<DecidedReply>,
}

/// A reply decided without the model.
#[derive(Debug, Clone, PartialEq)]
pub struct DecidedReply {
    pub text: String,
    /// Its length in the backbone's tokens, for the usage a client is shown.
    pub tokens: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    #[error(transparent)]
    Skill(#[from] SkillError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error("{0}")]
    Sampling(String),
    #[error(transparent)]
    Manager(#[from] ManagerError),
    #[error(transparent)]
    Knowledge(#[from] KnowledgeError),
}

impl TurnError {
    /// True when the request itself was wrong (a client error), not the server.
    pub fn is_client_error(&self) -> bool {
        match self {
            // Ranking persona facts fails only if the server's encoder does.
            TurnError::Prompt(e) => !matches!(e, PromptError::Ranking(_)),
            TurnError::Skill(SkillError::Unknown { .. } | SkillError::InvalidId(_))
            | TurnError::Sampling(_) => true,
            _ => false,
        }
    }
}

/// The parts a turn is planned with. Built once at start-up; the registry can change later.
pub struct TurnPlanner {
    pub registry: SkillRegistry,
    pub manager: Option<DialogueManager>,
    pub knowledge: Option<KnowledgeStore>,
    /// Answers when the manager is unsure, absent, or names a skill that is not loaded.
    pub default_skill: String,
    /// The full sentence encoder that lists persona facts most relevant first, as the persona
    /// adapters were trained ([`crate::persona`]); `None` keeps the facts in their given order.
    pub persona_order: Option<Arc<SentenceEncoder>>,
}

impl TurnPlanner {
    pub fn plan(&self, engine: &Engine, req: &TurnRequest) -> Result<PlannedTurn, TurnError> {
        let route = self.route(&req.messages, &req.skill)?;
        let skill = self.registry.get(&route.skill)?;
        let sampling = merge_sampling(&skill.settings, &req.sampling)?;
        let (knowledge, retrieval) = self.retrieve(&skill.settings, &req.messages)?;
        let texts: Vec<String> = knowledge.iter().map(|p| p.text.clone()).collect();
        let ctx = PromptContext {
            knowledge: &texts,
            knowledge_abstained: retrieval.as_ref().is_some_and(|r| r.abstained),
            persona: &req.persona,
            persona_order: self.persona_order.as_deref(),
        };
        let prompt = build_prompt(
            engine,
            &req.messages,
            &skill.settings,
            &ctx,
            sampling.max_tokens,
        )?;
        let decided_reply = match (&retrieval, &skill.settings.no_facts_reply) {
            (Some(r), Some(text)) if r.abstained => Some(DecidedReply {
                tokens: engine
                    .tokenizer()
                    .encode(text)
                    .map_err(|e| TurnError::Prompt(PromptError::Engine(e.to_string())))?
                    .len(),
                text: text.clone(),
            }),
            _ => None,
        };
        Ok(PlannedTurn {
            route,
            adapter: skill.adapter.clone(),
            knowledge,
            retrieval,
            prompt,
            sampling,
            decided_reply,
        })
    }

    /// The skill for this turn: the caller's, the manager's, or the default.
    pub fn route(
        &self,
        messages: &[ChatMessage],
        choice: &SkillChoice,
    ) -> Result<RouteDecision, TurnError> {
        if let SkillChoice::Manual(id) = choice {
            self.registry.get(id)?;
            return Ok(RouteDecision {
                skill: id.clone(),
                source: RouteSource::Manual,
                probabilities: BTreeMap::new(),
                elapsed_ms: 0.0,
            });
        }
        let fallback = || RouteDecision {
            skill: self.default_skill.clone(),
            source: RouteSource::Fallback,
            probabilities: BTreeMap::new(),
            elapsed_ms: 0.0,
        };
        let (Some(manager), Some((turn, context))) = (&self.manager, split_turn(messages)) else {
            return Ok(fallback());
        };
        let mut decision = manager.route(&turn, &context, &self.default_skill)?;
        if self.registry.get(&decision.skill).is_err() {
            decision.skill = self.default_skill.clone();
            decision.source = RouteSource::Fallback;
        }
        Ok(decision)
    }

    /// Called when a reply has ended: embeds now what the user's next turn will be read after
    /// (the conversation plus this reply), so routing that turn only has to encode the turn.
    pub fn prepare_next_turn(
        &self,
        messages: &[ChatMessage],
        reply: &str,
    ) -> Result<(), TurnError> {
        let Some(manager) = &self.manager else {
            return Ok(());
        };
        let reply = ChatMessage::new("assistant", reply);
        let context = manager_context(messages.iter().chain(std::iter::once(&reply)));
        Ok(manager.prepare_context(&context)?)
    }

    /// The passages for the newest user turn, read in the conversation before it.
    fn retrieve(
        &self,
        settings: &SkillSettings,
        messages: &[ChatMessage],
    ) -> Result<(Vec<Passage>, Option<RetrievalDecision>), TurnError> {
        let (Some(store), true) = (&self.knowledge, settings.uses_knowledge) else {
            return Ok((Vec::new(), None));
        };
        let Some(last) = messages.iter().rposition(|m| m.role == "user") else {
            return Ok((Vec::new(), None));
        };
        let conversation: Vec<Said> = messages[..=last]
            .iter()
            .filter(|m| m.role != "system")
            .map(|m| Said {
                user: m.role == "user",
                text: &m.content,
            })
            .collect();
        let r = store.retrieve(&conversation, KNOWLEDGE_PASSAGES)?;
        Ok((r.passages, Some(r.decision)))
    }
}

/// The newest user turn and the context the manager reads it after, or `None` when the last
/// message is not the user's.
fn split_turn(messages: &[ChatMessage]) -> Option<(String, Vec<String>)> {
    let (last, earlier) = messages.split_last()?;
    if last.role != "user" {
        return None;
    }
    Some((last.content.clone(), manager_context(earlier.iter())))
}

/// Up to `MANAGER_CONTEXT_TURNS` of the latest messages (oldest first), leaving out the system
/// message: what the manager reads the next user turn after.
fn manager_context<'a>(messages: impl DoubleEndedIterator<Item = &'a ChatMessage>) -> Vec<String> {
    let mut context: Vec<String> = messages
        .rev()
        .filter(|m| m.role != "system")
        .take(MANAGER_CONTEXT_TURNS)
        .map(|m| m.content.clone())
        .collect();
    context.reverse();
    context
}

/// Persona facts as a turn takes them: trimmed, empty ones left out. The server cleans a
/// request's facts and the terminal chat a typed list with it.
pub fn clean_persona<'a>(facts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    facts
        .into_iter()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect()
}

/// Request values win over the skill's defaults, which win over the engine's.
pub fn merge_sampling(
    settings: &SkillSettings,
    o: &SamplingOverrides,
) -> Result<SamplingParams, TurnError> {
    let d = &settings.generation;
    let base = SamplingParams::default();
    let p = SamplingParams {
        temperature: o.temperature.or(d.temperature).unwrap_or(base.temperature),
        top_p: o.top_p.or(d.top_p).unwrap_or(base.top_p),
        top_k: o.top_k.or(d.top_k).unwrap_or(base.top_k),
        repetition_penalty: o
            .repetition_penalty
            .or(d.repetition_penalty)
            .unwrap_or(base.repetition_penalty),
        max_tokens: o.max_tokens.or(d.max_tokens).unwrap_or(base.max_tokens),
        seed: o.seed.unwrap_or(base.seed),
        stop: o.stop.clone().unwrap_or_default(),
    };
    p.validate()
        .map_err(|e| TurnError::Sampling(e.to_string()))?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_values_win_over_skill_defaults() {
        let mut s = SkillSettings::default();
        s.generation.temperature = Some(0.7);
        s.generation.max_tokens = Some(100);
        let o = SamplingOverrides {
            max_tokens: Some(5),
            ..Default::default()
        };
        let p = merge_sampling(&s, &o).unwrap();
        assert_eq!((p.temperature, p.max_tokens), (0.7, 5));
        let bad = SamplingOverrides {
            top_p: Some(0.0),
            ..Default::default()
        };
        assert!(matches!(
            merge_sampling(&s, &bad),
            Err(TurnError::Sampling(m)) if m.contains("top_p")
        ));
    }

    #[test]
    fn manager_reads_the_last_turns_without_the_system_message() {
        let msgs: Vec<ChatMessage> = ["system", "user", "assistant", "user", "assistant", "user"]
            .iter()
            .enumerate()
            .map(|(i, r)| ChatMessage::new(*r, format!("m{i}")))
            .collect();
        let (turn, ctx) = split_turn(&msgs).unwrap();
        assert_eq!(turn, "m5");
        assert_eq!(ctx, vec!["m2", "m3", "m4"]);
        assert!(split_turn(&msgs[..5]).is_none());
    }

    #[test]
    fn the_context_prepared_after_a_reply_is_the_one_the_next_turn_is_read_after() {
        let mut msgs = vec![
            ChatMessage::new("system", "Be kind."),
            ChatMessage::new("user", "I adopted a dog."),
        ];
        for (reply, next) in [("How lovely!", "Tell me more"), ("Sure.", "Why?")] {
            let prepared =
                manager_context(msgs.iter().chain([&ChatMessage::new("assistant", reply)]));
            msgs.push(ChatMessage::new("assistant", reply));
            msgs.push(ChatMessage::new("user", next));
            let (_, read_after) = split_turn(&msgs).unwrap();
            assert_eq!(prepared, read_after);
        }
        assert_eq!(
            split_turn(&msgs).unwrap().1,
            vec!["How lovely!", "Tell me more", "Sure."]
        );
    }
}
