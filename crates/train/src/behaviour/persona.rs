//! The persona fact-use judge: does a reply use the persona fact the user asked about? (Whether
//! it contradicts the persona is [`super::contradiction`].)

use std::collections::BTreeSet;

use super::text::{in_list, list, words, STOPWORDS};

/// Content words too common in persona facts to show, alone, that a fact was used: they never
/// count as content words (compared after [`stem`]).
const GENERIC: &str = "\
    work, live, favorite, favourite, want, make, play, time, thing, people, person, day, week, \
    year, old, good, great, new, big, small, little, help, use, spend, free, way, life, kind, \
    best, need, try, feel, think, know, say, see, come, take, look, start, keep, well, always, \
    never, every, everything, something, anything, someone, back, first, last, two, three, \
    four, five, ten, lot, able, currently, usually, actually, grew, grow, grown, raise, born, \
    yeah, yes, yep, yup, oh, haha, hahaha, lol, ok, okay, um, hmm, wow, probably, definitely, sure, \
    pretty, fine";

/// A crude English stemmer, the same on both sides of every comparison: `ies`/`ied` → `y`,
/// then `ing`, `ed` or a plural `s` (not `ss`, `us`, `is`) removed when the word stays long
/// enough, a doubled final consonant undone (`running` → `run`), and a final `e` dropped
/// (`nurse`, `nurses` → `nurs`; `loved`, `love` → `lov`).
pub fn stem(w: &str) -> String {
    let mut s = w.to_lowercase();
    let n = s.chars().count();
    let mut stripped = false;
    if n > 4 && (s.ends_with("ies") || s.ends_with("ied")) {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if n > 5 && s.ends_with("ing") {
        s.truncate(s.len() - 3);
        stripped = true;
    } else if n > 4 && s.ends_with("ed") {
        s.truncate(s.len() - 2);
        stripped = true;
    } else if n > 3
        && s.ends_with('s')
        && !(s.ends_with("ss") || s.ends_with("us") || s.ends_with("is"))
    {
        s.truncate(s.len() - 1);
    }
    let b = s.as_bytes();
    if stripped && b.len() >= 3 {
        let (x, y) = (b[b.len() - 1], b[b.len() - 2]);
        if x == y && x.is_ascii_alphabetic() && !b"aeioulsz".contains(&x) {
            s.pop();
        }
    }
    if s.len() > 3 && s.ends_with('e') {
        s.pop();
    }
    s
}

/// The content words of a text, stemmed, each once: words (contractions expanded) that are not
/// function words ([`STOPWORDS`]), not [`GENERIC`], and hold a letter or digit.
pub fn content_stems(text: &str) -> Vec<String> {
    let generic: BTreeSet<String> = list(GENERIC).map(stem).collect();
    let mut out: Vec<String> = Vec::new();
    for w in words(text) {
        let t = w.text.trim_matches('-');
        if t.is_empty() || in_list(STOPWORDS, t) || !t.chars().any(char::is_alphanumeric) {
            continue;
        }
        let s = stem(t);
        if !generic.contains(&s) && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Fact use: the reply uses `fact` when
/// 1. it contains at least one of the fact's *distinctive* content words — a content word
///    ([`content_stems`]) that the user's turn does not contain, so that echoing the question's
///    "job" or "pets" proves nothing (when the user's turn contains every content word of the
///    fact, as in "How long have you been tap dancing?", all of them are distinctive), and
/// 2. it contains at least a quarter of the fact's content words.
///
/// Words are compared after [`stem`]. `None` when the fact has no content word at all
/// ("I have two more years."): such a fact cannot be judged.
pub fn fact_used(reply: &str, fact: &str, user_turn: &str) -> Option<bool> {
    let fact_words = content_stems(fact);
    if fact_words.is_empty() {
        return None;
    }
    let reply_words: BTreeSet<String> = content_stems(reply).into_iter().collect();
    let user_words: BTreeSet<String> = content_stems(user_turn).into_iter().collect();
    let all_asked = fact_words.iter().all(|w| user_words.contains(w));
    let hits: Vec<&String> = fact_words
        .iter()
        .filter(|w| reply_words.contains(*w))
        .collect();
    let distinctive = hits.iter().any(|w| all_asked || !user_words.contains(*w));
    Some(distinctive && hits.len() * 4 >= fact_words.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_agree_across_word_forms() {
        assert_eq!(stem("nurses"), stem("nurse"));
        assert_eq!(stem("studying"), stem("studies"));
        assert_eq!(stem("studied"), stem("study"));
        assert_eq!(stem("running"), "run");
        assert_eq!(stem("loved"), stem("love"));
        assert_eq!(stem("class"), "class");
        assert_eq!(stem("ohio"), "ohio");
    }

    #[test]
    fn content_words_leave_out_function_and_generic_words() {
        assert_eq!(
            content_stems("I work as a nurse at the local hospital."),
            ["nurs", "local", "hospital"]
        );
        assert_eq!(content_stems("I am 45 years old."), ["45"]);
    }

    #[test]
    fn a_fact_is_used_when_its_distinctive_words_come_back() {
        let nurse = "I work as a nurse at the local hospital.";
        assert_eq!(
            Some(true),
            fact_used("I'm a nurse, so long shifts!", nurse, "What do you do?")
        );
        assert_eq!(
            Some(true),
            fact_used("Nurses work hard; I do too.", nurse, "What do you do?")
        );
        assert_eq!(
            Some(false),
            fact_used("I work at a bank.", nurse, "What do you do?")
        );
        let ohio = "I grew up in Ohio.";
        assert_eq!(
            Some(true),
            fact_used("I'm from ohio!", ohio, "Where are you from?")
        );
        assert_eq!(
            Some(false),
            fact_used("I grew up in Texas.", ohio, "Where are you from?")
        );
        let fur = "I don't have pets because I'm allergic to fur.";
        assert_eq!(
            Some(true),
            fact_used(
                "Sadly I'm allergic to fur.",
                fur,
                "Are you an animal person?"
            )
        );
        // Echoing the question's own word is not using the fact.
        assert_eq!(
            Some(false),
            fact_used("Pets are nice.", fur, "Do you have pets?")
        );
        assert_eq!(
            Some(true),
            fact_used("No pets for me.", fur, "Are you an animal person?")
        );
        // A long fact needs a quarter of its content words.
        let long = "I restore vintage motorcycles and race them at weekend track days.";
        assert_eq!(Some(false), fact_used("I like racing.", long, "Hobbies?"));
        assert_eq!(
            Some(true),
            fact_used("I race vintage bikes.", long, "Hobbies?")
        );
        // Every content word asked about: the reply must still bring them back.
        let tap = "I have been tap dancing for about a year.";
        let asked = "How long have you been tap dancing?";
        assert_eq!(
            Some(true),
            fact_used("Tap dancing? About a year now.", tap, asked)
        );
        assert_eq!(Some(false), fact_used("For a while, I guess.", tap, asked));
        // A fact without content words is not judged.
        assert_eq!(None, fact_used("anything", "I am.", "hi"));
        assert_eq!(
            None,
            fact_used("anything", "Yeah, I have two more years.", "hi")
        );
    }
}
