//! Text helpers shared by the behaviour judges: normalisation for containment tests, words with
//! contractions expanded, sentences and clauses, and the reply statistics every skill gets
//! (distinct-n, length in words).

use std::collections::HashSet;

/// Lowercase, every character that is not a letter or digit turned into a space, runs of spaces
/// collapsed, and one space at each end, so that `contains_phrase` matches whole words only.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(' ');
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// Removes thousands separators: a comma with a digit before it and exactly three digits after
/// it (and no fourth), so `3,298,000` becomes `3298000` while `1,2` and `Paris, 1990` stay.
pub fn strip_digit_commas(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &ch) in c.iter().enumerate() {
        let separator = ch == ','
            && i > 0
            && c[i - 1].is_ascii_digit()
            && c.len() > i + 3
            && c[i + 1..=i + 3].iter().all(char::is_ascii_digit)
            && c.get(i + 4).is_none_or(|d| !d.is_ascii_digit());
        if !separator {
            out.push(ch);
        }
    }
    out
}

/// Does `haystack` contain `needle` as a run of whole words, after [`normalize`] on both?
/// An empty needle is never contained.
pub fn contains_phrase(haystack: &str, needle: &str) -> bool {
    let n = normalize(needle);
    !n.trim().is_empty() && normalize(haystack).contains(&n)
}

/// The words of a reply for length and distinct-n: whitespace-separated pieces holding at least
/// one letter or digit, lowercased, with the punctuation at their ends removed.
pub fn reply_words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Distinct-n over many replies: distinct n-grams / all n-grams, n-grams taken inside each
/// reply (never across two). 0 when there is no n-gram at all.
pub fn distinct_n<S: AsRef<str>>(replies: &[S], n: usize) -> f64 {
    let mut all = 0usize;
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    for r in replies {
        let words = reply_words(r.as_ref());
        for gram in words.windows(n.max(1)) {
            all += 1;
            seen.insert(gram.to_vec());
        }
    }
    if all == 0 {
        0.0
    } else {
        seen.len() as f64 / all as f64
    }
}

/// The entries of a word list written as one string: comma-separated, trimmed.
pub fn list(entries: &'static str) -> impl Iterator<Item = &'static str> {
    entries.split(',').map(str::trim).filter(|e| !e.is_empty())
}

/// Is `word` an entry of the comma-separated `entries`?
pub fn in_list(entries: &'static str, word: &str) -> bool {
    list(entries).any(|e| e == word)
}

/// Function words: articles, pronouns, auxiliaries, prepositions, conjunctions and the like.
/// They carry no fact of their own.
pub const STOPWORDS: &str = "\
    a, about, above, after, again, all, also, am, an, and, any, are, as, at, be, because, been, \
    before, being, both, but, by, can, could, did, do, does, doing, each, few, for, from, \
    further, had, has, have, having, he, her, here, hers, herself, him, himself, his, how, i, \
    if, in, into, is, it, its, itself, just, me, more, most, my, myself, no, nor, not, now, of, \
    off, on, once, only, or, other, our, ours, ourselves, out, over, own, same, she, should, \
    so, some, such, than, that, the, their, theirs, them, themselves, then, there, these, they, \
    this, those, through, to, too, under, until, up, very, was, we, were, what, when, where, \
    which, while, who, whom, why, will, with, would, you, your, yours, yourself, yourselves, s, \
    t, really, much, many, lot, lots, get, got, go, going, like, love, enjoy, one, since, \
    still, yet";

/// One word of a sentence, lowercased, with whether it was written with a capital first letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub capital: bool,
}

/// Sentences: the text split after `.`, `!`, `?`, `;` and at line breaks (a `.` between two
/// digits, as in `3.5`, does not end a sentence).
pub fn sentences(s: &str) -> Vec<String> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &ch) in c.iter().enumerate() {
        let decimal = ch == '.'
            && i > 0
            && c[i - 1].is_ascii_digit()
            && c.get(i + 1).is_some_and(char::is_ascii_digit);
        let end = matches!(ch, '!' | '?' | ';' | '\n') || (ch == '.' && !decimal);
        if end {
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_string());
            }
            cur.clear();
        } else {
            cur.push(ch);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Clauses: sentences further split at `,`, `:`, dashes and brackets, so that a negation never
/// reaches across them.
pub fn clauses(s: &str) -> Vec<String> {
    sentences(s)
        .iter()
        .flat_map(|sentence| {
            sentence
                .split([',', ':', '(', ')', '—', '–', '"'])
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The words of one sentence or clause: pieces of letters, digits, apostrophes and inner hyphens,
/// lowercased, with English contractions expanded (`don't` → `do not`, `I'm` → `i am`,
/// `I've` → `i have`, `that's` → `that is`; any other `'s` is a possessive and dropped).
pub fn words(s: &str) -> Vec<Word> {
    let s = s.replace(['\u{2019}', '\u{2018}'], "'");
    let mut out = Vec::new();
    for raw in s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-')) {
        let raw = raw.trim_matches(['\'', '-']);
        if raw.is_empty() {
            continue;
        }
        let capital = raw.chars().next().is_some_and(char::is_uppercase);
        let lower = raw.to_lowercase();
        for (i, w) in expand(&lower).into_iter().enumerate() {
            out.push(Word {
                text: w,
                capital: capital && i == 0,
            });
        }
    }
    out
}

/// Words whose `'s` means "is" rather than a possessive.
const IS_CONTRACTIONS: &str = "that, it, what, he, she, there, here, who, how, where, this";

fn expand(w: &str) -> Vec<String> {
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    match w {
        "can't" | "cannot" => return own(&["can", "not"]),
        "won't" => return own(&["will", "not"]),
        "shan't" => return own(&["shall", "not"]),
        "ain't" => return own(&["am", "not"]),
        "i'm" => return own(&["i", "am"]),
        "dont" => return own(&["do", "not"]),
        "im" => return own(&["i", "am"]),
        "ive" => return own(&["i", "have"]),
        _ => {}
    }
    if let Some(base) = w.strip_suffix("n't") {
        return vec![base.to_string(), "not".into()];
    }
    for (suffix, full) in [
        ("'ve", "have"),
        ("'re", "are"),
        ("'ll", "will"),
        ("'d", "would"),
        ("'m", "am"),
    ] {
        if let Some(base) = w.strip_suffix(suffix) {
            return vec![base.to_string(), full.into()];
        }
    }
    if let Some(base) = w.strip_suffix("'s") {
        if in_list(IS_CONTRACTIONS, base) {
            return vec![base.to_string(), "is".into()];
        }
        return vec![base.to_string()];
    }
    vec![w.trim_end_matches('\'').to_string()]
}

/// Do the words `needle` occur, in order and adjacent, in `hay` starting at `at`?
pub fn words_at(hay: &[Word], at: usize, needle: &[&str]) -> bool {
    at + needle.len() <= hay.len()
        && needle
            .iter()
            .enumerate()
            .all(|(k, n)| hay[at + k].text == *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_letters_and_digits_as_whole_words() {
        assert_eq!(normalize("Kuwait-City,  (2023)!"), " kuwait city 2023 ");
        assert!(contains_phrase(
            "The capital is KUWAIT  city.",
            "Kuwait City"
        ));
        assert!(!contains_phrase("It has 10 states.", "1"));
        assert!(!contains_phrase("anything", "  "));
    }

    #[test]
    fn thousands_separators_only() {
        assert_eq!(strip_digit_commas("3,298,000 people"), "3298000 people");
        assert_eq!(
            strip_digit_commas("Paris, 1990 and 1,2"),
            "Paris, 1990 and 1,2"
        );
        assert_eq!(strip_digit_commas("12,3456"), "12,3456");
    }

    #[test]
    fn distinct_n_counts_inside_replies_only() {
        assert_eq!(distinct_n(&["a b", "a b"], 1), 0.5);
        assert_eq!(distinct_n(&["a b", "a b"], 2), 0.5);
        assert_eq!(distinct_n(&["a b c"], 2), 1.0);
        // No bigram spans the two replies.
        assert_eq!(distinct_n(&["a", "b"], 2), 0.0);
        assert_eq!(distinct_n::<&str>(&[], 1), 0.0);
        assert_eq!(reply_words("Hi, there! -- ok?"), ["hi", "there", "ok"]);
    }

    #[test]
    fn contractions_expand() {
        let w: Vec<String> = words("I'm sure that's my dog's, I don't  know")
            .into_iter()
            .map(|w| w.text)
            .collect();
        assert_eq!(
            w,
            ["i", "am", "sure", "that", "is", "my", "dog", "i", "do", "not", "know"]
        );
        let w = words("Ohio isn’t far");
        assert!(w[0].capital && !w[1].capital);
        assert_eq!(w[2].text, "not");
    }

    #[test]
    fn sentences_and_clauses() {
        assert_eq!(
            sentences("It is 3.5 km. Yes! ok"),
            ["It is 3.5 km", "Yes", "ok"]
        );
        assert_eq!(
            clauses("No, that is awful. Oh"),
            ["No", "that is awful", "Oh"]
        );
    }

    #[test]
    fn word_lists() {
        assert_eq!(list(" a, b c ,, d").collect::<Vec<_>>(), ["a", "b c", "d"]);
        assert!(in_list(STOPWORDS, "the") && in_list(STOPWORDS, "yourselves"));
        assert!(!in_list(STOPWORDS, "nurse"));
    }
}
