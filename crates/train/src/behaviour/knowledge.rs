//! The knowledge judges: does a reply give a gold answer, and does it state a value (a number or
//! a name) that none of the passages and none of the user's messages contains?

use super::text::{
    contains_phrase, in_list, normalize, sentences, strip_digit_commas, words, STOPWORDS,
};

/// Answer accuracy for one reply: some gold answer occurs in the reply as a run of whole words,
/// both sides lowercased with punctuation turned into spaces ([`normalize`]); and, for figures,
/// also with the thousands separators removed on both sides (`3,298` matches `3298`).
pub fn answer_correct(reply: &str, answers: &[String]) -> bool {
    let bare_reply = strip_digit_commas(reply);
    answers
        .iter()
        .any(|a| contains_phrase(reply, a) || contains_phrase(&bare_reply, &strip_digit_commas(a)))
}

/// Capitalised words that never state a value.
const NOT_VALUES: &str = "\
    i, ok, okay, mr, mrs, ms, dr, hi, hello, hey, yes, no, oh, well, sure, thanks, thank, \
    please, wow, sorry, yeah";

/// The values a reply states that no source supports (empty: no hallucination). `sources` are
/// the row's knowledge passages and the user's messages. Two kinds of value are checked:
///
/// * **numbers**: every run of digits, with a decimal part (`3.5`) and with thousands
///   separators removed (`3,298` → 3298), scaled when the next word is `thousand`, `million`,
///   `billion` or `trillion`. A reply number is supported when some source number equals it
///   once rounded to the reply's precision, scaled or not (`3.3 million` is supported by
///   `3,298,000` and by `3.298 million`; `1990` is not supported by `1991`).
/// * **names**: words written with a capital first letter that are not the first word of a
///   sentence, have at least two letters, and are neither a function word (`The` after a colon)
///   nor one of `I`, `OK`, `Hi`, `Yes`, `No`, `Oh`, `Sorry` …. Supported when the sources contain
///   the word as a whole word, in any case (a multi-word name is checked word by word).
///
/// Number words (`three`) and lowercase words are not checked.
pub fn unsupported_values(reply: &str, sources: &[&str]) -> Vec<String> {
    let source_numbers: Vec<Number> = sources.iter().flat_map(|s| numbers(s)).collect();
    let source_text = normalize(&sources.join(" \n "));
    let mut out = Vec::new();
    for n in numbers(reply) {
        if !source_numbers.iter().any(|s| n.supported_by(s)) {
            out.push(n.text);
        }
    }
    for sentence in sentences(reply) {
        for w in words(&sentence).into_iter().skip(1) {
            let letters = w.text.chars().filter(|c| c.is_alphabetic()).count();
            if !w.capital
                || letters < 2
                || in_list(NOT_VALUES, &w.text)
                || in_list(STOPWORDS, &w.text)
            {
                continue;
            }
            if !source_text.contains(&normalize(&w.text)) {
                out.push(w.text);
            }
        }
    }
    out
}

/// Does the reply state any value that no source supports?
pub fn hallucinates(reply: &str, sources: &[&str]) -> bool {
    !unsupported_values(reply, sources).is_empty()
}

/// A number as written, its value, the digits after its decimal point, and the scale word after
/// it (1 when none).
#[derive(Debug, Clone)]
struct Number {
    text: String,
    value: f64,
    decimals: i32,
    scale: f64,
}

impl Number {
    /// The values this number may stand for: as written, and scaled when a scale word follows.
    fn readings(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        std::iter::once((self.value, 1.0))
            .chain((self.scale != 1.0).then_some((self.value * self.scale, self.scale)))
    }

    /// Does `source` round to this number at this number's precision (either reading of each)?
    fn supported_by(&self, source: &Number) -> bool {
        self.readings().any(|(mine, scale)| {
            let tolerance = 0.5 * 10f64.powi(-self.decimals) * scale;
            source
                .readings()
                .any(|(theirs, _)| (mine - theirs).abs() <= tolerance * (1.0 + 1e-9))
        })
    }
}

fn numbers(text: &str) -> Vec<Number> {
    let s = strip_digit_commas(text);
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if !c[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < c.len() && c[i].is_ascii_digit() {
            i += 1;
        }
        let mut decimals = 0;
        if i + 1 < c.len() && c[i] == '.' && c[i + 1].is_ascii_digit() {
            i += 1;
            while i < c.len() && c[i].is_ascii_digit() {
                i += 1;
                decimals += 1;
            }
        }
        let digits: String = c[start..i].iter().collect();
        // A scale word right after the number (spaces between allowed): `3.3 million`.
        let next: String = c[i..]
            .iter()
            .skip_while(|ch| **ch == ' ')
            .take_while(|ch| ch.is_alphabetic())
            .collect::<String>()
            .to_lowercase();
        let scale = match next.as_str() {
            "thousand" => 1e3,
            "million" => 1e6,
            "billion" => 1e9,
            "trillion" => 1e12,
            _ => 1.0,
        };
        if let Ok(value) = digits.parse::<f64>() {
            out.push(Number {
                text: digits,
                value,
                decimals,
                scale,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_gold_answer_is_found_whatever_its_case_and_punctuation() {
        let gold = answers(&["Kuwait City"]);
        assert!(answer_correct("It's kuwait-city.", &gold));
        assert!(answer_correct("The capital is KUWAIT CITY!", &gold));
        assert!(!answer_correct("The capital is Kuwait.", &gold));
        assert!(!answer_correct("anything", &[]));
    }

    #[test]
    fn figures_match_with_or_without_thousands_separators() {
        assert!(answer_correct(
            "About 3298000 people.",
            &answers(&["3,298,000"])
        ));
        assert!(answer_correct(
            "About 3,298,000 people.",
            &answers(&["3298000"])
        ));
        assert!(answer_correct("It is 536 km long.", &answers(&["536 km"])));
        // Whole numbers only: 10 is not 1, 5360 is not 536.
        assert!(!answer_correct("It has 10 states.", &answers(&["1"])));
        assert!(!answer_correct("It is 5360 km.", &answers(&["536"])));
    }

    #[test]
    fn values_from_the_passages_or_the_user_are_not_hallucinations() {
        let passages = [
            "Kuwait — capital: Kuwait City.",
            "Kuwait — major cities: 3.298 million KUWAIT (capital) (2023).",
            "Kenya — coastline: 536 km.",
        ];
        for reply in [
            "The capital of Kuwait is Kuwait City.",
            "About 3.298 million people live in Kuwait City, as of 2023.",
            "Roughly 3.3 million, I think.",
            "It has 3,298,000 people.",
            "The coastline of Kenya is 536 km.",
            "I think the answer is kuwait city. I'm not sure.",
            "Yes, Kuwait is small. OK, the coast is short.",
            "Well: The capital is Kuwait City.",
        ] {
            assert!(
                unsupported_values(reply, &passages).is_empty(),
                "{reply}: {:?}",
                unsupported_values(reply, &passages)
            );
        }
        // A value from the user's own message is supported too.
        assert!(!hallucinates(
            "Yes, Nairobi is in Kenya.",
            &["Kenya — capital: Nairobi.", "Is Nairobi near Mombasa?"]
        ));
    }

    #[test]
    fn invented_numbers_and_names_are_hallucinations() {
        let passages = [
            "Kuwait — capital: Kuwait City.",
            "Kuwait — population: 3,298,000 (2023).",
        ];
        assert_eq!(
            unsupported_values("The capital of Kuwait is Riyadh.", &passages),
            ["riyadh"]
        );
        assert_eq!(
            unsupported_values("It had 4 million people in 1990.", &passages),
            ["4", "1990"]
        );
        // Rounding is fine; a different figure is not.
        assert!(!hallucinates("About 3.3 million people.", &passages));
        assert!(hallucinates("About 3.5 million people.", &passages));
        assert!(hallucinates("It was founded in 2024.", &passages));
        // The first word of a sentence is never taken for a name; later ones are.
        assert!(!hallucinates("Indeed. Kuwait is hot.", &passages));
        assert!(hallucinates("It borders Iraq.", &passages));
    }
}
