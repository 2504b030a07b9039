//! Every skill's adapter, resident at once: choosing a skill is a lookup, never a load.

use std::sync::Arc;

use super::Adapter;
use crate::error::{EngineError, Result};

#[derive(Debug, Clone, Default)]
pub struct AdapterBank {
    adapters: Vec<Arc<Adapter>>,
}

impl AdapterBank {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `adapter`, replacing one with the same id; returns its index.
    pub fn insert(&mut self, adapter: Adapter) -> usize {
        let adapter = Arc::new(adapter);
        match self.index_of(adapter.id()) {
            Some(i) => {
                self.adapters[i] = adapter;
                i
            }
            None => {
                self.adapters.push(adapter);
                self.adapters.len() - 1
            }
        }
    }

    pub fn remove(&mut self, id: &str) -> Option<Arc<Adapter>> {
        let i = self.index_of(id)?;
        Some(self.adapters.remove(i))
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.adapters.iter().position(|a| a.id() == id)
    }

    pub fn by_index(&self, i: usize) -> Option<&Arc<Adapter>> {
        self.adapters.get(i)
    }

    pub fn get(&self, id: &str) -> Result<Arc<Adapter>> {
        self.index_of(id)
            .map(|i| self.adapters[i].clone())
            .ok_or_else(|| EngineError::UnknownAdapter {
                id: id.to_string(),
                known: if self.adapters.is_empty() {
                    "none loaded".into()
                } else {
                    self.ids().join(", ")
                },
            })
    }

    pub fn ids(&self) -> Vec<&str> {
        self.adapters.iter().map(|a| a.id()).collect()
    }

    pub fn len(&self) -> usize {
        self.adapters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.adapters.is_empty()
    }
}
