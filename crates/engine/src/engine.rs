//! The loaded model: backbone, tokenizer and chat template, and the entry to generation.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::adapter::Adapter;
use crate::backbone::Backbone;
use crate::chat_template::{ChatMessage, ChatTemplate, CHATML};
use crate::error::{EngineError, Result};
use crate::generate::{AdapterRef, Generation};
use crate::load::{load_gguf, load_safetensors_dir, LoadOptions};
use crate::sampling::SamplingParams;
use crate::tokenizer::Tokenizer;

#[derive(Debug)]
pub struct Engine {
    backbone: Backbone,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    source: PathBuf,
}

impl Engine {
    /// Loads a `.gguf` file, or a directory holding `config.json`, `model*.safetensors` and
    /// `tokenizer.json`.
    pub fn load(path: &Path, opts: &LoadOptions) -> Result<Self> {
        if !path.exists() {
            return Err(EngineError::ModelNotFound {
                path: path.to_path_buf(),
            });
        }
        let (backbone, tokenizer, template_src) = if path.is_dir() {
            let backbone = load_safetensors_dir(path, opts)?;
            let tokenizer = Tokenizer::from_file(&path.join("tokenizer.json"))?;
            let template = std::fs::read_to_string(path.join("tokenizer_config.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["chat_template"].as_str().map(str::to_string));
            (backbone, tokenizer, template)
        } else {
            let (backbone, file) = load_gguf(path, opts)?;
            let json = path.with_file_name("tokenizer.json");
            let tokenizer = if json.exists() {
                Tokenizer::from_file(&json)?
            } else {
                Tokenizer::from_gguf(&file.content)?
            };
            let template = file
                .content
                .metadata
                .get("tokenizer.chat_template")
                .and_then(|v| v.to_string().ok().cloned());
            (backbone, tokenizer, template)
        };
        if template_src.is_none() {
            tracing::warn!("the model has no chat template; using ChatML");
        }
        let template = ChatTemplate::new(
            template_src.as_deref().unwrap_or(CHATML),
            tokenizer.bos_token(),
            tokenizer.eos_token(),
        )?;
        tracing::info!(
            model = %path.display(),
            layers = backbone.config().num_layers,
            hidden = backbone.config().hidden_size,
            context = backbone.context_length(),
            "model loaded"
        );
        Ok(Self {
            backbone,
            tokenizer,
            template,
            source: path.to_path_buf(),
        })
    }

    pub fn backbone(&self) -> &Backbone {
        &self.backbone
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    pub fn template(&self) -> &ChatTemplate {
        &self.template
    }

    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The prompt text for a conversation, ready for the assistant's reply.
    pub fn render_chat(&self, messages: &[ChatMessage]) -> Result<String> {
        self.template.render(messages, true)
    }

    /// Token ids of a rendered prompt, with BOS when the model wants one and the template did
    /// not already write it.
    pub fn encode_prompt(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        if let Some(bos) = self.tokenizer.bos_token() {
            if !text.starts_with(bos) {
                ids.extend(self.tokenizer.token_to_id(bos));
            }
        }
        ids.extend(self.tokenizer.encode(text)?);
        Ok(ids)
    }

    /// Starts generating a reply to `prompt` with `adapter` after every block (or none).
    pub fn generate<'a>(
        &'a self,
        prompt: Vec<u32>,
        params: SamplingParams,
        adapter: Option<&'a Adapter>,
    ) -> Result<Generation<'a>> {
        Generation::new(self, prompt, params, adapter.map(AdapterRef::Borrowed))
    }

    /// Like [`Engine::generate`], with a shared adapter: the generation keeps it alive itself, so
    /// it can outlive any borrow (a server's worker holds many generations at once while the
    /// skill registry may replace adapters).
    pub fn generate_shared(
        &self,
        prompt: Vec<u32>,
        params: SamplingParams,
        adapter: Option<Arc<Adapter>>,
    ) -> Result<Generation<'_>> {
        Generation::new(self, prompt, params, adapter.map(AdapterRef::Shared))
    }
}
