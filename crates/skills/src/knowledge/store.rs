//! Opening a built index and searching it with free user text.

use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term};

use super::conversation::Rewriter;
use super::manifest::Manifest;
use super::rerank::{HybridSettings, Reranker};
use super::schema::{self, Fields, FORMAT_VERSION};
use super::sources;
use super::{KnowledgeError, Passage, PassageKind};

/// How the parts of a query count against each other. The defaults were tuned on
/// `data/knowledge/questions.jsonl` (`adapterbot eval knowledge` takes each as a flag).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchWeights {
    /// A query term found in the title, against one in the text (both BM25).
    pub title: f32,
    /// A keyword match, in units of the keyword's idf.
    pub keywords: f32,
    /// A run of words that is exactly one of the subject's names, in units of the name's idf.
    pub names: f32,
}

impl Default for SearchWeights {
    fn default() -> Self {
        // A grid over 0.5–3 moved recall@3 on the tuning questions by at most 0.03; equal
        // weights were among the best.
        SearchWeights {
            title: 1.0,
            keywords: 1.0,
            names: 1.0,
        }
    }
}
/// Distinct query terms used at most: a pasted essay must not make a query of thousands.
const MAX_QUERY_TERMS: usize = 32;

/// A built index, opened read-only. Cheap to share between threads (`Send + Sync`); every
/// search takes its own snapshot of the index.
pub struct KnowledgeStore {
    dir: PathBuf,
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    keyword_analyzer: TextAnalyzer,
    manifest: Manifest,
    weights: SearchWeights,
    pub(super) rewriter: Rewriter,
    /// Dense re-ranking and abstaining, when an encoder was given ([`Self::with_reranker`]).
    pub(super) hybrid: Option<(Reranker, HybridSettings)>,
}

impl KnowledgeStore {
    /// Opens the index in `dir` (written by `adapterbot knowledge build`).
    pub fn open(dir: &Path) -> Result<Self, KnowledgeError> {
        if !dir.is_dir() {
            return Err(KnowledgeError::Missing(dir.to_path_buf()));
        }
        let manifest = Manifest::read(dir, FORMAT_VERSION)?;
        let incompatible = |found: String| KnowledgeError::Incompatible {
            dir: dir.to_path_buf(),
            found,
            expected: FORMAT_VERSION,
        };
        let index = Index::open_in_dir(dir)
            .map_err(|e| incompatible(format!("tantivy cannot open it: {e}")))?;
        schema::register(&index);
        let fields = Fields::of(&index.schema())
            .map_err(|name| incompatible(format!("no `{name}` field")))?;
        // The index never changes under a reader: a rebuild makes a new folder.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(KnowledgeStore {
            dir: dir.to_path_buf(),
            reader,
            fields,
            analyzer: schema::query_analyzer(),
            keyword_analyzer: schema::keyword_analyzer(),
            manifest,
            weights: SearchWeights::default(),
            rewriter: Rewriter::new(
                sources::factbook::intents().iter().map(|(_, t)| t.as_str()),
                sources::wordnet::intents().iter().map(|(_, t)| t.as_str()),
            ),
            hybrid: None,
        })
    }

    /// The same store, searching with other weights.
    pub fn with_weights(mut self, weights: SearchWeights) -> Self {
        self.weights = weights;
        self
    }

    /// The same store, re-ranking its candidates with `reranker` and abstaining as `settings`
    /// say ([`Self::retrieve`]).
    pub fn with_reranker(mut self, reranker: Reranker, settings: HybridSettings) -> Self {
        self.hybrid = Some((reranker, settings));
        self
    }

    /// The re-ranking settings, when the store re-ranks.
    pub fn hybrid_settings(&self) -> Option<HybridSettings> {
        self.hybrid.as_ref().map(|(_, s)| *s)
    }

    pub fn weights(&self) -> SearchWeights {
        self.weights
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the index was built from, and how many passages of each kind it holds.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The `k` best passages for `query`, best first. `query` is plain user text: quotes,
    /// colons, brackets and the like are just characters, never query syntax. A query with no
    /// searchable words returns nothing.
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<Passage>, KnowledgeError> {
        if k == 0 {
            return Ok(Vec::new());
        }
        self.lexical(&self.reader.searcher(), query, k)
    }

    /// A snapshot of the index to search with.
    pub(super) fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// The passage with this id, if the index holds it (for checking labelled questions).
    pub fn get(&self, id: &str) -> Result<Option<Passage>, KnowledgeError> {
        let searcher = self.reader.searcher();
        self.address(&searcher, id)?
            .map(|addr| self.passage(&searcher, addr, 0.0))
            .transpose()
    }

    /// How the passage `id` scores for `query`, term by term, as tantivy's explanation (JSON);
    /// `None` when the passage does not match at all or does not exist.
    pub fn explain(&self, query: &str, id: &str) -> Result<Option<String>, KnowledgeError> {
        let searcher = self.reader.searcher();
        let (Some(q), Some(addr)) = (self.query(&searcher, query)?, self.address(&searcher, id)?)
        else {
            return Ok(None);
        };
        Ok(q.explain(&searcher, addr).ok().map(|e| e.to_pretty_json()))
    }

    /// The query for user text, one optional clause per (term, field) so that the scores of
    /// whatever matches add up: BM25 over the text and the title for the question's content
    /// words; a constant (the term's idf) for each keyword and for each run of words that is
    /// exactly a name. Keywords and names are short lists, and BM25's length normalisation
    /// would punish the passages that have them against the many that have none.
    /// `None` when the text has nothing to search for.
    fn query(
        &self,
        searcher: &Searcher,
        text: &str,
    ) -> Result<Option<BooleanQuery>, KnowledgeError> {
        let f = &self.fields;
        let w = self.weights;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut bm25 = |field: Field, term: &str, boost: f32| {
            let q = TermQuery::new(
                Term::from_field_text(field, term),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
        };
        for t in schema::terms(&mut self.analyzer.clone(), text, MAX_QUERY_TERMS) {
            bm25(f.text, &t, 1.0);
            bm25(f.title, &t, w.title);
        }
        let keyword_terms =
            schema::terms(&mut self.keyword_analyzer.clone(), text, MAX_QUERY_TERMS);
        let names = schema::name_candidates(text, MAX_QUERY_TERMS);
        let constant = keyword_terms
            .iter()
            .map(|t| (f.keywords, t.as_str(), w.keywords))
            .chain(names.iter().map(|n| (f.names, n.as_str(), w.names)));
        for (field, t, weight) in constant {
            let term = Term::from_field_text(field, t);
            let df = searcher.doc_freq(&term)?;
            if df == 0 {
                continue;
            }
            let q = TermQuery::new(term, IndexRecordOption::Basic);
            let score = weight * idf(df, searcher.num_docs());
            clauses.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(q), score)),
            ));
        }
        Ok((!clauses.is_empty()).then(|| BooleanQuery::new(clauses)))
    }

    /// The name to show of the Factbook country one of whose names is exactly `name` (as
    /// [`schema::normalise_name`] gives it), if any.
    /// With `fuzzy`, a single word of at least five letters that is no name of anything may
    /// differ from a country's name by one edit (two from eight letters): "portugl".
    pub(super) fn country_named(
        &self,
        searcher: &Searcher,
        name: &str,
        fuzzy: bool,
    ) -> Option<String> {
        let term = Term::from_field_text(self.fields.names, name);
        let known = searcher.doc_freq(&term).ok()? > 0;
        let letters = name.chars().count();
        let name_query: Box<dyn Query> = match (known, fuzzy) {
            (true, false) => Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            (false, true) if letters >= 5 && !name.contains(' ') => {
                let edits = if letters >= 8 { 2 } else { 1 };
                Box::new(FuzzyTermQuery::new(term, edits, true))
            }
            _ => return None,
        };
        let factbook = Term::from_field_text(self.fields.source, sources::factbook::SOURCE);
        let q = BooleanQuery::new(vec![
            (Occur::Must, name_query),
            (
                Occur::Must,
                Box::new(TermQuery::new(factbook, IndexRecordOption::Basic)),
            ),
        ]);
        let (_, addr) = searcher
            .search(&q, &TopDocs::with_limit(1).order_by_score())
            .ok()?
            .into_iter()
            .next()?;
        self.passage(searcher, addr, 0.0).ok().map(|p| p.title)
    }

    /// The `k` best hits for `query` with the searcher given (BM25 and constant clauses).
    pub(super) fn lexical(
        &self,
        searcher: &Searcher,
        query: &str,
        k: usize,
    ) -> Result<Vec<Passage>, KnowledgeError> {
        let Some(query) = self.query(searcher, query)? else {
            return Ok(Vec::new());
        };
        let hits = searcher.search(&query, &TopDocs::with_limit(k).order_by_score())?;
        hits.into_iter()
            .map(|(score, addr)| self.passage(searcher, addr, score))
            .collect()
    }

    fn address(&self, searcher: &Searcher, id: &str) -> Result<Option<DocAddress>, KnowledgeError> {
        let q = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        Ok(searcher
            .search(&q, &TopDocs::with_limit(1).order_by_score())?
            .into_iter()
            .next()
            .map(|(_, addr)| addr))
    }

    fn passage(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
        score: f32,
    ) -> Result<Passage, KnowledgeError> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let f = &self.fields;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let kind = doc
            .get_first(f.kind)
            .and_then(|v| v.as_u64())
            .and_then(PassageKind::from_code)
            .ok_or_else(|| KnowledgeError::Index(format!("passage {} has no kind", text(f.id))))?;
        Ok(Passage {
            id: text(f.id),
            source: text(f.source),
            kind,
            title: text(f.title),
            text: text(f.text),
            score,
            usage: doc
                .get_first(f.usage)
                .and_then(|v| v.as_u64())
                .map_or(0, |u| u32::try_from(u).unwrap_or(u32::MAX)),
        })
    }
}

/// Inverse document frequency, as BM25 computes it.
fn idf(doc_freq: u64, docs: u64) -> f32 {
    let (n, df) = (docs as f32, doc_freq as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}
