//! Every skill folder under one directory, loaded at start-up; skills can be added and removed
//! while the program runs. A broken folder is refused with a message and the rest still load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use adapterbot_engine::adapter::{ADAPTER_FILE, MANIFEST_FILE};
use adapterbot_engine::{Adapter, AdapterManifest, Backbone};

use crate::settings::SkillSettings;

const MAX_ID_LEN: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum SkillError {
    #[error("invalid skill id {0:?}: use 1 to 64 characters from a-z, 0-9, '_' and '-'")]
    InvalidId(String),
    #[error("skill folder {dir} holds skill `{id}`: the folder name and the id must match")]
    IdMismatch { dir: PathBuf, id: String },
    #[error("{dir}/skill.json: {reason}")]
    BadSettings { dir: PathBuf, reason: String },
    #[error("unknown skill `{id}`; known: {known}")]
    Unknown { id: String, known: String },
    #[error(transparent)]
    Engine(#[from] adapterbot_engine::EngineError),
}

/// Checks that `id` is safe as a folder name and an API value (no paths, no spaces).
pub fn validate_id(id: &str) -> Result<(), SkillError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SkillError::InvalidId(id.to_string()))
    }
}

#[derive(Debug, Clone)]
pub struct Skill {
    pub manifest: AdapterManifest,
    pub settings: SkillSettings,
    /// `None` until the skill is trained: it then answers with the backbone alone.
    pub adapter: Option<Arc<Adapter>>,
    pub dir: PathBuf,
}

impl Skill {
    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    /// Loads one skill folder, checking its id, settings and (if present) adapter.
    pub fn load(dir: &Path, backbone: &Backbone) -> Result<Skill, SkillError> {
        Self::load_with(dir, backbone, None)
    }

    /// [`Skill::load`], taking `adapter` — already loaded from this folder's unchanged weights
    /// file — instead of reading the weights again.
    fn load_with(
        dir: &Path,
        backbone: &Backbone,
        adapter: Option<Arc<Adapter>>,
    ) -> Result<Skill, SkillError> {
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        validate_id(&folder)?;
        let manifest = AdapterManifest::read(&dir.join(MANIFEST_FILE))?;
        validate_id(&manifest.id)?;
        if manifest.id != folder {
            return Err(SkillError::IdMismatch {
                dir: dir.to_path_buf(),
                id: manifest.id,
            });
        }
        let settings =
            SkillSettings::from_manifest(&manifest).map_err(|reason| SkillError::BadSettings {
                dir: dir.to_path_buf(),
                reason,
            })?;
        let weights = dir.join(ADAPTER_FILE);
        // The manifest may have changed beside an unchanged weights file: the adapter loaded
        // before is kept only where loading the file again would accept it.
        let still_fits = |a: &Adapter| {
            manifest.bottleneck == Some(a.bottleneck())
                && manifest.base_model_sha256.as_deref() == Some(backbone.fingerprint())
        };
        let adapter = match adapter {
            Some(a) if still_fits(&a) => Some(a),
            _ if weights.exists() => {
                Some(Arc::new(Adapter::load_file(&weights, &manifest, backbone)?))
            }
            _ => None,
        };
        Ok(Skill {
            manifest,
            settings,
            adapter,
            dir: dir.to_path_buf(),
        })
    }
}

/// A skill folder that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub dir: PathBuf,
    pub reason: String,
}

/// What identifies an adapter file's contents without reading it: its size and modification
/// time (a retrained skill's folder is swapped in whole, with new files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: std::time::SystemTime,
}

impl FileStamp {
    fn of(path: &Path) -> Option<Self> {
        let m = std::fs::metadata(path).ok()?;
        Some(Self {
            len: m.len(),
            modified: m.modified().ok()?,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct SkillRegistry {
    /// The adapter file each loaded skill's weights were read from, by folder.
    stamps: BTreeMap<PathBuf, FileStamp>,
    skills: BTreeMap<String, Skill>,
}

impl SkillRegistry {
    /// Loads every sub-folder of `dir` that has a `skill.json`. Broken ones are reported (and
    /// logged), not fatal.
    pub fn load_dir(dir: &Path, backbone: &Backbone) -> std::io::Result<(Self, Vec<LoadProblem>)> {
        Self::load_dir_reusing(dir, backbone, None)
    }

    /// [`SkillRegistry::load_dir`] again (a reload): a skill whose adapter file is the one
    /// `previous` read (same folder, size and modification time) keeps that adapter instead of
    /// reading and holding a second copy; everything else is read afresh.
    pub fn load_dir_reusing(
        dir: &Path,
        backbone: &Backbone,
        previous: Option<&SkillRegistry>,
    ) -> std::io::Result<(Self, Vec<LoadProblem>)> {
        let mut registry = Self::default();
        let mut problems = Vec::new();
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join(MANIFEST_FILE).is_file())
            .collect();
        dirs.sort();
        for d in dirs {
            let stamp = FileStamp::of(&d.join(ADAPTER_FILE));
            let unchanged = previous.and_then(|p| {
                let skill = p.skills.values().find(|s| s.dir == d)?;
                (stamp.is_some() && p.stamps.get(&d) == stamp.as_ref())
                    .then(|| skill.adapter.clone())?
            });
            match Skill::load_with(&d, backbone, unchanged) {
                Ok(skill) => {
                    if let (Some(stamp), Some(_)) = (stamp, &skill.adapter) {
                        registry.stamps.insert(d.clone(), stamp);
                    }
                    registry.add(skill);
                }
                Err(e) => {
                    tracing::warn!(skill = %d.display(), error = %e, "skill refused");
                    problems.push(LoadProblem {
                        dir: d,
                        reason: e.to_string(),
                    });
                }
            }
        }
        Ok((registry, problems))
    }

    /// Adds or replaces a skill; returns the one it replaced.
    pub fn add(&mut self, skill: Skill) -> Option<Skill> {
        self.skills.insert(skill.id().to_string(), skill)
    }

    pub fn remove(&mut self, id: &str) -> Option<Skill> {
        self.skills.remove(id)
    }

    pub fn get(&self, id: &str) -> Result<&Skill, SkillError> {
        self.skills.get(id).ok_or_else(|| SkillError::Unknown {
            id: id.to_string(),
            known: if self.skills.is_empty() {
                "none".into()
            } else {
                self.ids().join(", ")
            },
        })
    }

    /// Skill ids in sorted order.
    pub fn ids(&self) -> Vec<&str> {
        self.skills.keys().map(String::as_str).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Skill> {
        self.skills.values()
    }

    pub fn len(&self) -> usize {
        self.skills.len()
    }

    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::validate_id;

    #[test]
    fn ids_are_plain_names() {
        for ok in ["chitchat", "persona_2", "small-talk", "a"] {
            assert!(validate_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../etc",
            "a/b",
            "Empathy",
            "two words",
            "é",
            ".hidden",
            &"x".repeat(65),
        ] {
            assert!(validate_id(bad).is_err(), "{bad}");
        }
    }
}
