//! Building the index: read the sources, index every passage in a folder beside the target,
//! then swap it into place, so a reader never sees half an index and a failed build leaves the
//! old one untouched.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tantivy::{Index, IndexWriter, TantivyDocument};

use super::manifest::{Manifest, PassageCounts, SourceSummary, MANIFEST_FILE};
use super::schema::{self, Fields, FORMAT_VERSION};
use super::sources::{factbook, wordnet, SourceRead};
use super::{KnowledgeError, PassageKind};

/// Memory tantivy may use for indexing: enough for every source in one segment.
const WRITER_HEAP_BYTES: usize = 256 << 20;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The folder `data/fetch.sh` fills: `factbook/`, `wordnet/`.
    pub sources: PathBuf,
    /// The index folder to create or replace.
    pub out: PathBuf,
    pub factbook: bool,
    pub wordnet: bool,
    /// Draw a progress bar on stderr (never drawn when stderr is not a terminal).
    pub progress: bool,
}

impl BuildOptions {
    /// Every source, no progress bar.
    pub fn new(sources: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        BuildOptions {
            sources: sources.into(),
            out: out.into(),
            factbook: true,
            wordnet: true,
            progress: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BuildReport {
    pub manifest: Manifest,
    /// Size of the index folder on disk.
    pub bytes: u64,
}

pub fn build_index(opts: &BuildOptions) -> Result<BuildReport, KnowledgeError> {
    let start = Instant::now();
    if !opts.factbook && !opts.wordnet {
        return Err(KnowledgeError::NoSources);
    }
    refuse_foreign_dir(&opts.out)?;

    let mut reads: Vec<(&str, &str, SourceRead)> = Vec::new();
    if opts.factbook {
        let read = factbook::read_factbook(&opts.sources.join("factbook"))?;
        reads.push((factbook::SOURCE, "factbook", read));
    }
    if opts.wordnet {
        let read = wordnet::read_wordnet(&opts.sources.join("wordnet"))?;
        reads.push((wordnet::SOURCE, "wordnet", read));
    }
    let total: usize = reads.iter().map(|(_, _, r)| r.docs.len()).sum();

    let parent = opts
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| KnowledgeError::io(parent, e))?;
    let tmp = sibling(&opts.out, "building");
    remove_dir_if_present(&tmp)?;
    std::fs::create_dir_all(&tmp).map_err(|e| KnowledgeError::io(&tmp, e))?;

    let result = (|| {
        let mut counts = PassageCounts::default();
        let index = Index::create_in_dir(&tmp, schema::schema())?;
        schema::register(&index);
        let fields = Fields::of(&index.schema()).map_err(KnowledgeError::Index)?;
        // One indexing thread: documents get their ids in the order they are read, so every
        // build of the same sources is the same index. Search breaks equal scores by document id,
        // and equal scores are common (thousands of WordNet passages share a weak match), so
        // with several threads the same question could get other passages from each build (and
        // the knowledge corpus, built from retrieval as served, other rows). A full build still
        // takes ~5 s on two cores (docs/knowledge.md).
        let mut writer: IndexWriter = index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?;
        let bar = progress_bar(total as u64, opts.progress);
        for (_, _, read) in &reads {
            for d in &read.docs {
                let mut doc = TantivyDocument::default();
                doc.add_text(fields.id, &d.id);
                doc.add_text(fields.source, d.source);
                doc.add_u64(fields.kind, d.kind.code());
                doc.add_text(fields.title, &d.title);
                doc.add_text(fields.text, &d.text);
                doc.add_text(fields.keywords, &d.keywords);
                doc.add_u64(fields.usage, u64::from(d.usage));
                for name in &d.names {
                    doc.add_text(fields.names, schema::normalise_name(name));
                }
                writer.add_document(doc)?;
                match d.kind {
                    PassageKind::Text => counts.text += 1,
                    PassageKind::Table => counts.table += 1,
                    PassageKind::Triple => counts.triple += 1,
                }
                bar.inc(1);
            }
        }
        bar.set_message("committing");
        writer.commit()?;
        // One segment: smaller on disk and one pass per term at search time.
        let segments = index.searchable_segment_ids()?;
        if segments.len() > 1 {
            bar.set_message("merging");
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        bar.finish_and_clear();
        counts.total = total;
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            built_by: concat!("adapterbot-skills ", env!("CARGO_PKG_VERSION")).to_string(),
            built_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            build_seconds: start.elapsed().as_secs_f64(),
            passages: counts,
            sources: reads
                .iter()
                .map(|(name, dir, r)| SourceSummary {
                    name: name.to_string(),
                    dir: dir.to_string(),
                    files: r.files,
                    passages: r.docs.len(),
                    skipped: r.skipped,
                    sha256: r.sha256.clone(),
                })
                .collect(),
        };
        manifest.write(&tmp)?;
        Ok(manifest)
    })();
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    swap_into_place(&tmp, &opts.out)?;
    Ok(BuildReport {
        bytes: dir_size(&opts.out),
        manifest,
    })
}

/// Refuses to replace a folder that holds something other than an index (a mistyped `--out`
/// must not delete a user's files).
fn refuse_foreign_dir(out: &Path) -> Result<(), KnowledgeError> {
    if !out.exists() || out.join(MANIFEST_FILE).is_file() {
        return Ok(());
    }
    let empty = out.is_dir()
        && std::fs::read_dir(out)
            .map_err(|e| KnowledgeError::io(out, e))?
            .next()
            .is_none();
    if empty {
        Ok(())
    } else {
        Err(KnowledgeError::NotAnIndex(out.to_path_buf()))
    }
}

/// `models/knowledge` → `models/.knowledge.<tag>-<pid>`: beside the target, so the rename
/// stays on one file system.
fn sibling(out: &Path, tag: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "knowledge".into());
    out.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// Moves the finished index to `out` in one atomic step (readers that already opened the old
/// one keep their open files; one that opens now finds the old index or the new one, never
/// neither, even if the build is killed).
fn swap_into_place(tmp: &Path, out: &Path) -> Result<(), KnowledgeError> {
    adapterbot_engine::fsutil::swap_dir_into_place(tmp, out).map_err(|e| {
        let _ = std::fs::remove_dir_all(tmp);
        KnowledgeError::io(out, std::io::Error::other(e.to_string()))
    })
}

fn remove_dir_if_present(dir: &Path) -> Result<(), KnowledgeError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(KnowledgeError::io(dir, e)),
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn progress_bar(len: u64, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "indexing {bar:40.cyan/blue} {human_pos}/{human_len} passages, {per_sec} {msg}",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    bar
}
