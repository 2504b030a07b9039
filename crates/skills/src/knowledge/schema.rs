//! The index's schema and text analysis, shared by building and searching.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};
use tantivy::Index;

/// Bumped whenever the schema, the analyzer or the meaning of a field changes, so that an old
/// index is refused with a clear message instead of answering badly.
pub const FORMAT_VERSION: u32 = 2;

/// tantivy's `en_stem` chain plus ASCII folding, so "Bogota" finds "Bogotá".
const ANALYZER: &str = "adapterbot_en";
/// The same without English function words, for the keyword lists ("seat of government").
const KEYWORD_ANALYZER: &str = "adapterbot_en_keywords";

pub struct Fields {
    pub id: Field,
    pub source: Field,
    pub kind: Field,
    pub title: Field,
    pub text: Field,
    pub keywords: Field,
    pub names: Field,
    pub usage: Field,
}

pub fn schema() -> Schema {
    let text = |tokenizer: &str, record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(record),
        )
    };
    let mut b = Schema::builder();
    b.add_text_field("id", STRING | STORED);
    b.add_text_field("source", STRING | STORED);
    b.add_u64_field("kind", NumericOptions::default().set_stored().set_fast());
    // BM25 needs frequencies; there are no phrase queries, so no positions.
    b.add_text_field(
        "title",
        text(ANALYZER, IndexRecordOption::WithFreqs).set_stored(),
    );
    b.add_text_field(
        "text",
        text(ANALYZER, IndexRecordOption::WithFreqs).set_stored(),
    );
    // Keywords and names score a constant per matching term (see the store), so they need
    // neither frequencies nor lengths.
    let unscored = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        )
    };
    b.add_text_field("keywords", unscored(KEYWORD_ANALYZER));
    // Each name is one term, already normalised by `normalise_name`.
    b.add_text_field("names", unscored("raw"));
    // How common the passage's sense is (re-ranking reads it; not searched).
    b.add_u64_field("usage", NumericOptions::default().set_stored());
    b.build()
}

impl Fields {
    /// The fields of `schema`, or the name of the first one missing.
    pub fn of(schema: &Schema) -> Result<Fields, String> {
        let f = |name: &str| schema.get_field(name).map_err(|_| name.to_string());
        Ok(Fields {
            id: f("id")?,
            source: f("source")?,
            kind: f("kind")?,
            title: f("title")?,
            text: f("text")?,
            keywords: f("keywords")?,
            names: f("names")?,
            usage: f("usage")?,
        })
    }
}

fn words() -> tantivy::tokenizer::TextAnalyzerBuilder<impl tantivy::tokenizer::Tokenizer> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
}

fn analyzer() -> TextAnalyzer {
    words().filter(Stemmer::new(Language::English)).build()
}

/// The analyzer of the keywords field, for indexing and for queries alike.
pub fn keyword_analyzer() -> TextAnalyzer {
    words()
        .filter(StopWordFilter::new(Language::English).expect("tantivy has English stop words"))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Registers the analyzers the schema names (tantivy stores only their names).
pub fn register(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer());
    index
        .tokenizers()
        .register(KEYWORD_ANALYZER, keyword_analyzer());
}

/// A name as one term: lower case, ASCII, words joined by single spaces ("Côte d'Ivoire" →
/// "cote d ivoire"), so a run of words in a question can be looked up exactly.
pub fn normalise_name(name: &str) -> String {
    let mut a = words().build();
    let mut out = String::new();
    let mut stream = a.token_stream(name);
    while let Some(t) = stream.next() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

/// The runs of one to `MAX_NAME_WORDS` words in a question that could be a name: those that
/// neither start nor end with a query stop word ("a kestrel" → "kestrel").
pub fn name_candidates(text: &str, limit: usize) -> Vec<String> {
    const MAX_NAME_WORDS: usize = 4;
    let w: Vec<String> = normalise_name(text)
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let stop = |s: &str| QUERY_STOP_WORDS.contains(&s);
    let mut out: Vec<String> = Vec::new();
    for n in 1..=MAX_NAME_WORDS {
        for run in w.windows(n) {
            if stop(&run[0]) || stop(&run[n - 1]) {
                continue;
            }
            let name = run.join(" ");
            // A plural names its singular ("ostriches" → "ostrich", "bees" → "bee").
            let singulars = singular_forms(&name);
            for name in std::iter::once(name).chain(singulars) {
                if !out.contains(&name) && out.len() < limit {
                    out.push(name);
                }
            }
        }
    }
    out
}

/// The singulars an English plural may have, by the regular rules: "-ies" → "-y", "-es" →
/// "" and "-s" → "". Empty for a name whose last word does not end in "s".
pub fn singular_forms(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if name.len() < 4 || !name.ends_with('s') || name.ends_with("ss") {
        return out;
    }
    if let Some(stem) = name.strip_suffix("ies") {
        out.push(format!("{stem}y"));
    }
    if let Some(stem) = name.strip_suffix("es") {
        out.push(stem.to_string());
    }
    out.push(name[..name.len() - 1].to_string());
    out
}

/// Words left out of the text and title parts of a query: English function words and the words
/// of asking ("what does … mean", "how many …") that say how a question is put, not what it is
/// about. They still reach the keywords field, whose lists say how people ask for each kind of
/// fact ("how many people" for a population), with a stem of their own there ("many" must not
/// find "Manis" in the text).
#[rustfmt::skip]
pub const QUERY_STOP_WORDS: &[&str] = &[
    "a", "about", "an", "and", "any", "are", "as", "at", "be", "but", "by", "can", "could",
    "define", "definition", "describe", "did", "do", "does", "explain", "for", "from", "give",
    "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "know", "many", "me", "mean",
    "meaning", "means", "meant", "much", "my", "no", "not", "of", "on", "or", "please", "s", "say",
    "should", "so", "some", "such", "tell", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "to", "us", "want", "was", "we", "were", "what", "when",
    "where", "which", "who", "whom", "whose", "why", "will", "with", "word", "would", "you",
    "your",
];

/// The analyzer for user questions against text and titles: the index's, with the query stop
/// words removed before stemming.
pub fn query_analyzer() -> TextAnalyzer {
    words()
        .filter(StopWordFilter::remove(
            QUERY_STOP_WORDS.iter().map(|w| w.to_string()),
        ))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The distinct terms of `text` under `analyzer`, in order of first appearance.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str, limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(tok) = stream.next() {
        if out.len() >= limit {
            break;
        }
        if !out.contains(&tok.text) {
            out.push(tok.text.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_keep_only_their_subject() {
        let mut a = query_analyzer();
        assert_eq!(
            terms(&mut a, "What is the capital of Australia?", 64),
            ["capit", "australia"]
        );
        assert_eq!(
            terms(&mut a, "What does \"photosynthesis\" mean?", 64),
            ["photosynthesi"]
        );
        assert_eq!(
            terms(&mut a, "Bogotá", 64),
            terms(&mut analyzer(), "bogota", 64)
        );
        assert!(terms(&mut a, "what is it?", 64).is_empty());
        assert_eq!(terms(&mut a, "a b c d e f", 3), ["b", "c", "d"]);
        assert_eq!(
            terms(&mut keyword_analyzer(), "How many people live here?", 64),
            ["how", "mani", "peopl", "live", "here"]
        );
    }

    #[test]
    fn names_are_looked_up_by_runs_of_words() {
        assert_eq!(normalise_name("Côte d'Ivoire"), "cote d ivoire");
        assert_eq!(name_candidates("What is a kestrel?", 64), ["kestrel"]);
        assert_eq!(
            name_candidates("ostriches", 64),
            ["ostriches", "ostrich", "ostriche"]
        );
        assert_eq!(
            name_candidates("berries glass", 64)[..3],
            ["berries", "berry", "berri"]
        );
        assert_eq!(
            name_candidates("capital of South Africa", 64),
            [
                "capital",
                "south",
                "africa",
                "south africa",
                "capital of south",
                "capital of south africa"
            ]
        );
    }
}
