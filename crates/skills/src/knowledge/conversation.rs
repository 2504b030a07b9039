//! The retrieval query for a turn, read in its conversation: a follow-up such as "What about
//! South Korea?" or "And what currency do they use there?" names no subject or no field on its
//! own, so the query carries them over from the turns before it.
//!
//! Rules, applied to every user turn in order (each earlier turn rewritten as it was served):
//! - A turn that refers back ("it", "they", "there", "its" …) or names no subject at all gets
//!   the last subject added: "How many people live there? (Japan)".
//! - A turn that only swaps the subject ("What about South Korea?", "And Chile?", "Peru too?")
//!   becomes the previous query with the new subject in the old one's place: "What's the
//!   population of South Korea?".
//! - Any other turn is its own query.
//!
//! Subjects are countries (any name of a Factbook country, found in the index) and, for other
//! questions, the first content word that asks for no field ("bat" in "Is a bat a bird?"). An
//! assistant reply names the subject when the user's turn before it had none ("Which country
//! is the largest?" → "Russia …" → "What's its capital?").

use std::collections::HashSet;

use super::schema::{self, QUERY_STOP_WORDS};

/// A message of the conversation, as the rewriter reads it.
#[derive(Debug, Clone, Copy)]
pub struct Said<'a> {
    pub user: bool,
    pub text: &'a str,
}

impl<'a> Said<'a> {
    /// A conversation whose turns alternate, the user's first.
    pub fn alternating<S: AsRef<str>>(turns: &'a [S]) -> Vec<Said<'a>> {
        turns
            .iter()
            .enumerate()
            .map(|(i, t)| Said {
                user: i % 2 == 0,
                text: t.as_ref(),
            })
            .collect()
    }
}

/// The query retrieval runs for a turn, and whether the conversation changed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContextualQuery {
    pub text: String,
    /// True when the text is not the turn as typed.
    pub rewritten: bool,
    /// The subject the query is about, if one was found (a country's name or a word).
    pub subject: Option<String>,
    /// What the query asks, without its subject ("what do people speak in"): what decides
    /// which of the subject's passages answers.
    #[serde(skip)]
    pub asks: String,
    /// The subject is a country of the Factbook.
    #[serde(skip)]
    pub about_country: bool,
}

/// Words that refer back to the subject of an earlier turn.
const BACK_REFERENCES: &[&str] = &[
    "it", "its", "they", "them", "their", "theirs", "there", "he", "she", "his", "her", "this",
    "that", "these", "those",
];

/// Words that name "the country" talked about, when no country is named.
const COUNTRY_WORDS: &[&str] = &["country", "countries", "nation"];

/// Openings of a turn that keeps the previous question and swaps its subject.
const SWAP_OPENINGS: &[&[&str]] = &[
    &["and"],
    &["what", "about"],
    &["how", "about"],
    &["what", "of"],
    &["same", "for"],
    &["now"],
];

/// Words that are neither a subject nor a field: conversational filler and the generic
/// adjectives of superlative questions.
#[rustfmt::skip]
const FILLER: &[&str] = &[
    "tell", "more", "also", "else", "ok", "okay", "thanks", "thank", "yes", "yeah", "yep", "like",
    "usually", "really", "right", "actually", "just", "one", "same", "other", "too", "again",
    "hmm", "well", "cool", "interesting", "wow", "great", "nice", "oh", "got", "get", "country",
    "countries", "nation", "place", "thing", "things", "kind", "lot", "lots", "roughly", "exactly",
    "approximately", "around", "currently", "now", "today", "these", "days", "main", "largest",
    "biggest", "smallest", "highest", "lowest", "longest", "most", "best", "top", "famous",
    "known", "called", "go", "going", "use", "used", "uses", "using", "doing", "need", "guess",
    "wonder", "curious", "quick", "question", "btw", "anyway", "sure", "hey", "hi", "hello",
    "please", "pls", "u", "ur", "r", "im", "s", "t", "d", "ll", "re", "ve", "m", "gonna", "wanna",
    "kinda", "sorta", "stuff", "whats", "hows", "wheres", "whos", "thats", "dont", "isnt", "arent",
    // Words about words: what is asked of the subject, never the subject.
    "noun", "nouns", "verb", "verbs", "adjective", "adverb", "word", "words", "meaning", "meanings",
    "sense", "senses", "term", "synonym", "synonyms", "another",
];

/// What a subject is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SubjectKind {
    Country,
    Word,
}

/// A subject as named in a text: its words as the index normalises them, and how to show it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Subject {
    kind: SubjectKind,
    words: Vec<String>,
    shown: String,
    /// Found by a near spelling, not by one of its names.
    misspelt: bool,
}

/// What one message says, for rewriting.
struct Reading {
    country: Option<Subject>,
    word: Option<Subject>,
    refers_back: bool,
    swaps_subject: bool,
    asks_field: bool,
    /// Asks for a field only a country's passages hold.
    asks_country_field: bool,
    /// Says "country" without naming one.
    asks_country: bool,
}

/// How a country is looked up: `(normalised run of words, fuzzy)` → the name to show. Fuzzy
/// allows a slip of a letter or two in a word that is no name at all ("portugl").
pub type FindCountry<'a> = dyn Fn(&str, bool) -> Option<String> + 'a;

/// Rewrites turns in context. Built once per store.
pub struct Rewriter {
    /// The words of every intent, as names are normalised.
    intent_words: HashSet<String>,
    /// The words of the intents that only a country's passages answer (Factbook fields).
    country_intent_words: HashSet<String>,
}

impl Rewriter {
    /// `country_intents` and `other_intents`: the words of every passage intent (what people
    /// ask each field with), of the countries' passages and of the others.
    pub fn new<'a>(
        country_intents: impl IntoIterator<Item = &'a str>,
        other_intents: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        // Whole words, not stems: "polite" and "political" share a stem.
        let words = |texts: &mut dyn Iterator<Item = &'a str>| -> HashSet<String> {
            texts
                .flat_map(str::split_whitespace)
                .map(schema::normalise_name)
                .filter(|w| is_plain(w))
                .collect()
        };
        let country_intent_words = words(&mut country_intents.into_iter());
        let mut intent_words = words(&mut other_intents.into_iter());
        intent_words.extend(country_intent_words.iter().cloned());
        Rewriter {
            intent_words,
            country_intent_words,
        }
    }

    /// The query for the last message of `conversation` (a user turn), oldest message first.
    pub fn rewrite(
        &self,
        conversation: &[Said<'_>],
        find_country: &FindCountry<'_>,
    ) -> ContextualQuery {
        let mut subject: Option<Subject> = None;
        // The previous user turn's query and the subject it was about.
        let mut previous: Option<(String, Option<Subject>)> = None;
        // Whether the reply to the last user turn may name the subject: that turn named none,
        // or asked which country ("Which country is the largest?").
        let mut reply_names_subject = false;
        // The newest user turn as typed.
        let mut typed = "";
        for said in conversation {
            if !said.user {
                // Only a reply that may name the subject is read (a country lookup per run of
                // its words).
                if reply_names_subject {
                    if let Some(c) = self.read(said.text, find_country).country {
                        subject = Some(c);
                    }
                }
                continue;
            }
            let reading = self.read(said.text, find_country);
            // A country's field asked after a country ("And the highest mountain on the
            // islands?") is about that country, whatever other word it has.
            let country_field_follows = reading.country.is_none()
                && reading.asks_country_field
                && subject
                    .as_ref()
                    .is_some_and(|s| s.kind == SubjectKind::Country);
            let own = if country_field_follows {
                None
            } else {
                reading.country.clone().or(reading.word.clone())
            };
            reply_names_subject =
                reading.country.is_none() && (own.is_none() || reading.asks_country);
            let (text, about) = match (&own, &subject, &previous) {
                (_, Some(before), _) if reading.refers_back && own.as_ref() != Some(before) => {
                    (with_subject(said.text, before), Some(before.clone()))
                }
                // A swap keeps the kind: "What about for men?" after a country's life
                // expectancy does not make "men" the subject.
                (Some(new), _, Some((query, Some(old))))
                    if reading.swaps_subject
                        && !reading.asks_field
                        && new != old
                        && new.kind == old.kind =>
                {
                    (swap_subject(query, old, new), Some(new.clone()))
                }
                (Some(new), Some(before), _)
                    if reading.swaps_subject
                        && new.kind == SubjectKind::Word
                        && before.kind == SubjectKind::Country =>
                {
                    (with_subject(said.text, before), Some(before.clone()))
                }
                // A misspelt country is searched by its name.
                (Some(new), _, _) if new.misspelt => (with_subject(said.text, new), own.clone()),
                (Some(_), _, _) => (said.text.to_string(), own.clone()),
                (None, Some(before), _) => (with_subject(said.text, before), Some(before.clone())),
                (None, None, _) => (said.text.to_string(), None),
            };
            subject = about.clone().or(subject);
            typed = said.text;
            previous = Some((text, about));
        }
        let (text, about) = previous.unwrap_or_default();
        ContextualQuery {
            rewritten: text != typed,
            subject: about.as_ref().map(|s| s.shown.clone()),
            asks: asked_clause(&text, about.as_ref()),
            about_country: about
                .as_ref()
                .is_some_and(|s| s.kind == SubjectKind::Country),
            text,
        }
    }

    fn read(&self, text: &str, find_country: &FindCountry<'_>) -> Reading {
        let words: Vec<String> = schema::normalise_name(text)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let candidates = longest_first(schema::name_candidates(text, 32));
        let look_up = |fuzzy: bool| {
            candidates.iter().find_map(|name| {
                find_country(name, fuzzy).map(|shown| Subject {
                    kind: SubjectKind::Country,
                    words: name.split(' ').map(str::to_string).collect(),
                    shown,
                    misspelt: fuzzy,
                })
            })
        };
        let country = look_up(false).or_else(|| look_up(true));
        let in_country = |w: &str| {
            country
                .as_ref()
                .is_some_and(|c| c.words.iter().any(|x| x == w))
        };
        let mut asks_field = false;
        let mut asks_country_field = false;
        let mut word = None;
        for w in &words {
            if !is_plain(w) || in_country(w) {
                continue;
            }
            if let Some(country_field) = self.intent(w) {
                asks_field = true;
                asks_country_field |= country_field;
            } else if word.is_none() && w.chars().any(|c| c.is_alphabetic()) {
                word = Some(Subject {
                    kind: SubjectKind::Word,
                    words: vec![w.clone()],
                    shown: w.clone(),
                    misspelt: false,
                });
            }
        }
        let asks_country =
            country.is_none() && words.iter().any(|w| COUNTRY_WORDS.contains(&w.as_str()));
        let opens_with = |opening: &[&str]| {
            words.len() >= opening.len() && words.iter().zip(opening).all(|(w, o)| w == o)
        };
        // A turn that names its own subject before the back reference is about that subject
        // ("And a seal, is that a fish too?").
        let first_back = words
            .iter()
            .position(|w| BACK_REFERENCES.contains(&w.as_str()));
        let named_first = |subject: &Option<Subject>| {
            subject.as_ref().is_some_and(|s| {
                let at = words.iter().position(|w| w == &s.words[0]);
                matches!((at, first_back), (Some(a), Some(b)) if a < b)
            })
        };
        let opens_swap = SWAP_OPENINGS.iter().any(|o| opens_with(o));
        let refers_back = (first_back.is_some()
            && !(opens_swap && (named_first(&country) || named_first(&word))))
            || asks_country;
        // "Chile?" or "Chile too?": nothing but the subject (and filler).
        let only_subject = words.iter().all(|w| {
            in_country(w)
                || word.as_ref().is_some_and(|s| &s.shown == w)
                || QUERY_STOP_WORDS.contains(&w.as_str())
                || FILLER.contains(&w.as_str())
        });
        Reading {
            swaps_subject: opens_swap || only_subject,
            country,
            word,
            refers_back,
            asks_field,
            asks_country_field,
            asks_country,
        }
    }

    /// `Some(true)` for a word that asks for a country's field, `Some(false)` for one that asks
    /// for another intent, `None` for any other word. A plural counts as its singular.
    fn intent(&self, word: &str) -> Option<bool> {
        let forms: Vec<String> = std::iter::once(word.to_string())
            .chain(schema::singular_forms(word))
            .collect();
        let found = |set: &HashSet<String>| forms.iter().any(|f| set.contains(f));
        found(&self.intent_words).then(|| found(&self.country_intent_words))
    }
}

/// A word that can be a subject or a field: not a function word, filler or back reference.
fn is_plain(w: &str) -> bool {
    !w.is_empty()
        && !QUERY_STOP_WORDS.contains(&w)
        && !FILLER.contains(&w)
        && !BACK_REFERENCES.contains(&w)
}

fn longest_first(mut names: Vec<String>) -> Vec<String> {
    // Stable: among names of one length, the first in the text stays first.
    names.sort_by_key(|n| std::cmp::Reverse(n.split(' ').count()));
    names
}

fn with_subject(turn: &str, subject: &Subject) -> String {
    format!("{} ({})", turn.trim_end(), subject.shown)
}

/// `query` with the words of `old` replaced by `new`'s name; `new` appended when `old` cannot
/// be found in it.
fn swap_subject(query: &str, old: &Subject, new: &Subject) -> String {
    match find_subject(query, old) {
        Some(at) => format!("{}{}{}", &query[..at.start], new.shown, &query[at.end..]),
        None => with_subject(query, new),
    }
}

/// What `query` asks: the clause that holds its subject (or, without one, the last clause with
/// a content word), without the subject. Chatter around a question ("Trivia night question:",
/// "my kid asked me this:") is no part of what it asks.
fn asked_clause(query: &str, subject: Option<&Subject>) -> String {
    let query = match subject {
        Some(s) => query
            .strip_suffix(&format!(" ({})", s.shown))
            .unwrap_or(query),
        None => query,
    };
    let clauses: Vec<&str> = query
        .split([':', ';', '.', '!', '?', '—'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let has_content = |c: &&&str| {
        word_spans(c)
            .iter()
            .any(|(w, _)| is_plain(w) && w.chars().any(char::is_alphabetic))
    };
    let clause = subject
        .and_then(|s| clauses.iter().find(|c| find_subject(c, s).is_some()))
        .or_else(|| clauses.iter().rev().find(has_content))
        .copied()
        .unwrap_or(query);
    match subject.and_then(|s| find_subject(clause, s)) {
        Some(at) => format!("{}{}", &clause[..at.start], &clause[at.end..])
            .trim()
            .to_string(),
        None => clause.to_string(),
    }
}

/// Where the words of `subject` first stand in `text`.
fn find_subject(text: &str, subject: &Subject) -> Option<std::ops::Range<usize>> {
    let spans = word_spans(text);
    let n = subject.words.len();
    spans
        .windows(n)
        .find(|run| run.iter().zip(&subject.words).all(|((w, _), o)| w == o))
        .map(|run| run[0].1.start..run[n - 1].1.end)
}

/// The words of `text`, normalised as names are, with their byte ranges.
fn word_spans(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((schema::normalise_name(&text[s..i]), s..i));
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewriter() -> Rewriter {
        Rewriter::new(
            [
                "population people inhabitants live how many",
                "capital city",
                "currency money",
                "languages language speak spoken",
                "climate weather",
                "elevation highest mountain",
            ],
            [
                "is a kind of kind type",
                "is the opposite of opposite antonym",
            ],
        )
    }

    fn country(name: &str) -> Option<String> {
        match name {
            "japan" => Some("Japan".into()),
            "south korea" => Some("South Korea".into()),
            "peru" => Some("Peru".into()),
            "chile" => Some("Chile".into()),
            _ => None,
        }
    }

    fn query(turns: &[&str]) -> ContextualQuery {
        rewriter().rewrite(&Said::alternating(turns), &|name, _| country(name))
    }

    #[test]
    fn a_turn_with_its_own_subject_is_its_own_query() {
        let q = query(&["What's the population of Japan?"]);
        assert_eq!(q.text, "What's the population of Japan?");
        assert!(!q.rewritten);
        assert_eq!(q.subject.as_deref(), Some("Japan"));
        assert_eq!(q.asks, "What's the population of");
        let q = query(&["Trivia night: what do they speak in Peru? I have no idea."]);
        assert_eq!(q.asks, "what do they speak in");
        let q = query(&["What languages do they speak in Peru?"]);
        assert_eq!(q.subject.as_deref(), Some("Peru"));
        assert!(!q.rewritten, "{q:?}");
    }

    #[test]
    fn a_new_subject_alone_takes_the_previous_question() {
        let q = query(&[
            "What's the population of Japan?",
            "About 123 million people live in Japan.",
            "What about South Korea?",
        ]);
        assert_eq!(q.text, "What's the population of South Korea?");
        assert!(q.rewritten);
        let q = query(&[
            "capital of peru",
            "Lima.",
            "and chile?",
            "Santiago.",
            "Japan too",
        ]);
        assert_eq!(q.text, "capital of Japan");
    }

    #[test]
    fn a_back_reference_carries_the_subject_over() {
        let q = query(&[
            "Tell me about Peru.",
            "Peru is in South America.",
            "And what currency do they use there?",
        ]);
        assert_eq!(q.text, "And what currency do they use there? (Peru)");
        assert_eq!(q.asks, "And what currency do they use there");
        let q = query(&["What is a bat?", "A nocturnal mammal.", "Is it a bird?"]);
        assert_eq!(q.text, "Is it a bird? (bat)");
        let q = query(&[
            "Is a shark a fish?",
            "Yes.",
            "And a seal, is that a fish too?",
        ]);
        assert_eq!(q.subject.as_deref(), Some("seal"));
        let q = query(&[
            "What does generous mean?",
            "Willing to give.",
            "what's its opposite",
        ]);
        assert_eq!(q.text, "what's its opposite (generous)");
    }

    #[test]
    fn a_reply_names_the_subject_a_question_left_open() {
        let q = query(&[
            "Which country has the most people?",
            "Japan has the most, I think.",
            "What's its capital?",
        ]);
        assert_eq!(q.text, "What's its capital? (Japan)");
        // Nor one about a word ("Where do koalas live?" → "In Australia.").
        let q = query(&[
            "Where do koalas live?",
            "In Japan.",
            "What family is it in?",
        ]);
        assert_eq!(q.subject.as_deref(), Some("koalas"));
        // The reply to a question that named its subject does not move it.
        let q = query(&[
            "What borders Peru?",
            "Chile and others.",
            "How many people live there?",
        ]);
        assert_eq!(q.subject.as_deref(), Some("Peru"));
    }

    #[test]
    fn a_field_without_a_subject_takes_the_last_one() {
        let q = query(&[
            "population of chile",
            "About 18 million.",
            "and the climate?",
        ]);
        assert_eq!(q.text, "and the climate? (Chile)");
        let q = query(&["What's the capital?"]);
        assert!(!q.rewritten && q.subject.is_none());
        // Another word beside the field does not make a new subject.
        let q = query(&[
            "Tell me about Peru",
            "It is in South America.",
            "highest mountain on the coast?",
        ]);
        assert_eq!(q.subject.as_deref(), Some("Peru"));
        let q = query(&[
            "Tell me about Peru",
            "It is in South America.",
            "Is the country mostly dry?",
        ]);
        assert_eq!(q.subject.as_deref(), Some("Peru"));
    }
}
