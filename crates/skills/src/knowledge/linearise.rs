//! Turning source records into the plain text that is indexed and put into the prompt:
//! table rows ("Australia — capital: Canberra."), triples ("dolphin — is a kind of — toothed
//! whale") and text split into passages of a few sentences.

use unicode_segmentation::UnicodeSegmentation;

/// Sentences per text passage at most, and the word count past which a passage is closed.
const MAX_SENTENCES: usize = 3;
const TARGET_WORDS: usize = 60;
/// Table values longer than this many words are cut: a row that lists everything matches
/// everything and answers nothing.
const MAX_VALUE_WORDS: usize = 90;

/// Plain text from the Factbook's HTML fragments: tags dropped, entities decoded, whitespace
/// collapsed.
pub fn clean_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        match rest[start..].find('>') {
            Some(end) => {
                // A tag separates words (`a<br>b`), so it becomes a space.
                out.push(' ');
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let decoded = html_escape::decode_html_entities(&out);
    collapse_whitespace(&decoded)
}

/// One space between words, none at the ends (non-breaking spaces count as spaces).
pub fn collapse_whitespace(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` cut to at most `max` words, with an ellipsis when something was cut.
pub fn truncate_words(text: &str, max: usize) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    if words.len() <= max {
        return text.to_string();
    }
    format!("{} …", words[..max].join(" "))
}

/// "Australia — capital: Canberra." The entity and the field name stay in the text so that
/// "capital of Australia" matches it and the prompt says what the value is.
pub fn table_row(entity: &str, field: &str, value: &str) -> String {
    let value = truncate_words(value, MAX_VALUE_WORDS);
    with_full_stop(format!("{entity} — {field}: {value}"))
}

/// "dolphin — is a kind of — toothed whale".
pub fn triple(subject: &str, relation: &str, object: &str) -> String {
    format!("{subject} — {relation} — {object}")
}

/// Adds a full stop unless the text already ends with punctuation.
pub fn with_full_stop(mut s: String) -> String {
    if !s.ends_with(['.', '!', '?', '…']) {
        s.push('.');
    }
    s
}

/// Splits running text into passages of one to three sentences (fewer when they are long).
pub fn split_passages(text: &str) -> Vec<String> {
    let mut passages = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut words = 0;
    for sentence in text.split_sentence_bounds() {
        let sentence = sentence.trim();
        if sentence.is_empty() {
            continue;
        }
        let n = sentence.split_whitespace().count();
        if !current.is_empty() && (current.len() >= MAX_SENTENCES || words + n > TARGET_WORDS) {
            passages.push(current.join(" "));
            current.clear();
            words = 0;
        }
        current.push(sentence);
        words += n;
    }
    if !current.is_empty() {
        passages.push(current.join(" "));
    }
    passages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_cleaned() {
        assert_eq!(
            clean_html("<p>San Jos&eacute;<br><br><strong>note:</strong>&nbsp;x</p>"),
            "San José note: x"
        );
        assert_eq!(clean_html("a < b"), "a < b");
    }

    #[test]
    fn rows_and_triples_read_as_text() {
        assert_eq!(
            table_row("Australia", "capital", "Canberra"),
            "Australia — capital: Canberra."
        );
        assert_eq!(
            table_row("X", "area", "1 sq km (est.)"),
            "X — area: 1 sq km (est.)."
        );
        assert_eq!(
            triple("dolphin", "is a kind of", "toothed whale"),
            "dolphin — is a kind of — toothed whale"
        );
    }

    #[test]
    fn long_values_are_cut() {
        let long = vec!["w"; 200].join(" ");
        let row = table_row("X", "f", &long);
        assert!(row.ends_with("w ….") || row.ends_with("w …"), "{row}");
        assert!(row.split(' ').count() < 100);
    }

    #[test]
    fn text_is_split_into_short_passages() {
        let text = "One. Two is here. Three. Four. Five.";
        let p = split_passages(text);
        assert_eq!(p, vec!["One. Two is here. Three.", "Four. Five."]);
        // (A full stop before a lower-case word is no sentence end in Unicode's rules.)
        let long_sentence = format!("Long {}.", vec!["word"; 70].join(" "));
        let p = split_passages(&format!("Short. {long_sentence} End."));
        assert_eq!(p.len(), 3);
    }
}
