//! What the training tests share: a one-turn dialogue row and a file's hash.

use std::path::Path;

use adapterbot_engine::ChatMessage;
use adapterbot_train::DialogueRow;
use sha2::{Digest, Sha256};

/// One user turn and the reply to learn.
pub fn row(user: &str, reply: &str) -> DialogueRow {
    DialogueRow {
        messages: vec![ChatMessage::new("user", user)],
        reply: reply.into(),
        knowledge: vec![],
        persona: vec![],
        source: "test".into(),
        license: "CC0-1.0".into(),
        expect: Default::default(),
    }
}

/// The file's sha256, hex.
pub fn sha(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}
