//! Importers from the published formats of public dialogue data sets into the dialogue JSONL
//! format, so that a user who has these sets can train skills on them. Each importer keeps the
//! conversation so far as `messages` and the turn to learn as `reply`.

mod bst;
mod convai2;
mod empathetic;
mod wow;

use std::path::Path;

use crate::data::DialogueRow;
use crate::error::{Result, TrainError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// EmpatheticDialogues CSV: the listener's turns, after the speaker's.
    EmpatheticDialogues,
    /// PersonaChat / ConvAI2 in ParlAI's text format: our side's turns, with "your persona".
    Convai2,
    /// Wizard of Wikipedia JSON: the wizard's turns, with the sentence the wizard checked.
    WizardOfWikipedia,
    /// Blended Skill Talk JSON: the guided worker's turns, with that worker's persona.
    BlendedSkillTalk,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "empathetic-dialogues" | "ed" => Ok(Self::EmpatheticDialogues),
            "convai2" | "personachat" => Ok(Self::Convai2),
            "wow" | "wizard-of-wikipedia" => Ok(Self::WizardOfWikipedia),
            "bst" | "blended-skill-talk" => Ok(Self::BlendedSkillTalk),
            other => Err(format!(
                "unknown format `{other}` (empathetic-dialogues, convai2, wow, bst)"
            )),
        }
    }
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Self::EmpatheticDialogues => "EmpatheticDialogues",
            Self::Convai2 => "ConvAI2",
            Self::WizardOfWikipedia => "Wizard of Wikipedia",
            Self::BlendedSkillTalk => "Blended Skill Talk",
        }
    }
}

/// Rows that were imported, and how many conversation turns were left out (and why, counted).
#[derive(Debug, Default)]
pub struct Imported {
    pub rows: Vec<DialogueRow>,
    pub skipped: usize,
}

/// Reads `input` in `format`. `license` is recorded on every row; by default a note to check the
/// data set's own terms (the importer cannot know which copy the user has).
pub fn import(format: Format, input: &Path, license: Option<&str>) -> Result<Imported> {
    let text = std::fs::read_to_string(input).map_err(|e| TrainError::io(input, e))?;
    let file = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let license = license
        .map(str::to_string)
        .unwrap_or_else(|| format!("see the {} terms of use", format.name()));
    let ctx = Ctx {
        path: input,
        source: format!("{} {file}", format.name()),
        license,
    };
    let rows = match format {
        Format::EmpatheticDialogues => empathetic::import(&text, &ctx)?,
        Format::Convai2 => convai2::import(&text, &ctx)?,
        Format::WizardOfWikipedia => wow::import(&text, &ctx)?,
        Format::BlendedSkillTalk => bst::import(&text, &ctx)?,
    };
    let total = rows.len();
    let rows: Vec<DialogueRow> = rows.into_iter().filter(|r| r.problem().is_none()).collect();
    Ok(Imported {
        skipped: total - rows.len(),
        rows,
    })
}

/// What every importer needs to label its rows and its errors.
pub(crate) struct Ctx<'a> {
    pub path: &'a Path,
    pub source: String,
    pub license: String,
}

impl Ctx<'_> {
    pub fn row(
        &self,
        messages: Vec<adapterbot_engine::ChatMessage>,
        reply: &str,
        id: &str,
    ) -> DialogueRow {
        DialogueRow {
            messages,
            reply: reply.trim().to_string(),
            knowledge: Vec::new(),
            persona: Vec::new(),
            source: format!("{} {id}", self.source),
            license: self.license.clone(),
            expect: Default::default(),
        }
    }

    pub fn error(&self, line: usize, reason: impl Into<String>) -> TrainError {
        TrainError::Import {
            path: self.path.to_path_buf(),
            line,
            reason: reason.into(),
        }
    }
}

/// The turns so far as chat messages: `ours` marks the turns spoken by the side we learn.
pub(crate) fn history(turns: &[(bool, String)]) -> Vec<adapterbot_engine::ChatMessage> {
    turns
        .iter()
        .map(|(ours, text)| {
            let role = if *ours { "assistant" } else { "user" };
            adapterbot_engine::ChatMessage::new(role, text.trim())
        })
        .collect()
}
