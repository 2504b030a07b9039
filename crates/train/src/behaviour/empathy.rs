//! The empathy judge: does a reply acknowledge the user's feeling with the right valence?
//!
//! A held-out rule set, written for evaluation only: the empathetic skill's training rows were
//! *selected* with the VADER sentiment lexicon, so judging its replies with VADER would reward
//! the selector's own quirks. These lexicons are short, hand-written lists of acknowledgement
//! phrases (sympathy and concern; congratulation and joy), not a general sentiment lexicon.

use super::text::{clauses, in_list, list, words, words_at, Word};
use crate::data::Valence;

/// Sympathy and concern: count wherever they occur (unless negated).
const SYMPATHY: &str = "\
    sorry, condolences, sympathies, awful, terrible, horrible, dreadful, heartbreaking, \
    heartbroken, devastating, devastated, sucks, oh no, feel better, get better, get well, \
    hang in there, here for you, poor thing, poor you, heart goes out, unfair, frightening, \
    terrifying, scary, painful, upsetting, stressful, nerve-wracking, frustrating, \
    disappointing, rough, tough, unfortunately, a shame, a pity, ugh, ouch, yikes, oof, \
    isolating, infuriating, maddening, humiliating, helpless, insulting, unbearable, gutting, \
    gutted, miserable, agonising, agonizing, distressing, alarming, worrying, unsettling, \
    shocking, irritating, exhausting, overwhelming, stress, grief, grieving, heartache, brutal, \
    draining, disorienting, discouraging, gut-wrenching, wrenching, hit hard, hits hard, \
    hurtful, stung, sting, stings, wretched, deflating, letdown, let down, gruelling, grueling, \
    dismissive, bittersweet, upheaval, on edge, heartache, heartbreak, knock your confidence, \
    pull at you, pulls at you, weighing on you, weigh on you, tiring, wearing you down, \
    outrageous, lonely, loneliness, worry, worrying, fear, anxious, dread, sinking feeling, \
    out of your control, no wonder, understandable, completely natural, so natural, \
    makes sense, completely fair, of course you, anyone would, hurts, hurting, ache, aches, \
    mourning, loss, losing, grieve, tear, tears, cry, crying, sick, sickening, unlucky, \
    nightmare, ordeal, setback, blow, cruel, harsh, insecure, rejection, ashamed, shame, \
    embarrassing, mortifying, crushing, crushed, shattered, sinking, panic, rattled";

/// Sympathy adjectives too common in other senses (`hard work`, `bad at maths`): they count
/// only as an evaluation — see [`evaluative`].
const SYMPATHY_ADJECTIVES: &str = "\
    hard, difficult, sad, bad, lonely, upset, worried, stressed, scared, afraid, angry, \
    annoying, heavy, worse, hurtful, anxious, nervous, frightened, hurt, awkward, unsettled, \
    shaken, lost, alone, emotional, empty, strange, enormous, worried, deep, deeply";

/// Congratulation and joy: count wherever they occur (unless negated).
const JOY: &str = "\
    congrats, congratulations, congratulation, happy for you, glad for you, proud of you, \
    good for you, well done, yay, hooray, hurray, woohoo, great news, good news, \
    excited for you, nice work, great job, good job, way to go, wonderful, amazing, awesome, \
    fantastic, terrific, brilliant, marvelous, marvellous, superb, delighted, thrilled, \
    relief, relieved, gorgeous, delightful, thrilling, well deserved, well-deserved, \
    deserve it, deserved it, earned it, celebrate, celebration, cheers, joy, bravo, remarkable, \
    spectacular, achievement, huge success, big success, big step, best feeling, \
    heartwarming, heart-warming, blissful, bliss, treasure, courage, courageous, brave, \
    rewarding, grinning, weight off, hard to beat, best kind, best outcome, milestone, \
    big moment, quite a moment, dream come true, thoughtful, generous, devotion, proud moment, \
    made my day, so happy, happiness, lucky, luck, fun, enjoy, enjoying, treat, win, won, \
    wins, victory, success, successful, cheerful, uplifting, inspiring, heart-melting, \
    love that, loved that, perfection, the best, so much fun, beaming, glowing";

/// Joy adjectives that count only as an evaluation (`that's great`, `how exciting`, `Nice!`,
/// `you must be so happy`). `glad` is left out: `I'm glad you're safe` comforts after bad news.
const JOY_ADJECTIVES: &str = "\
    great, nice, cool, exciting, excited, fun, lovely, incredible, sweet, perfect, beautiful, \
    excellent, proud, happy, special, magical, impressive, perfect, kind, rare, strong, \
    sensible, clever, smart, good, well, worth, delicious, tasty, cosy, cozy";

/// Words after which an adjective is an evaluation: `that is …`, `sounds …`, `must be …`,
/// `how …`, `what a …`.
const OPENERS: &str = "\
    is, are, was, were, be, been, am, sounds, sound, seems, seem, looks, feel, feels, felt, \
    feeling, how, what, such, must";
/// Words skipped between an opener and its adjective.
const INTENSIFIERS: &str = "\
    so, really, very, pretty, truly, just, absolutely, quite, super, incredibly, too, \
    extremely, totally, seriously, like, a, an, such, the, real";

/// The acknowledgements found in a reply, by valence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acknowledgements {
    pub sympathy: Vec<String>,
    pub joy: Vec<String>,
}

/// Finds the acknowledgements of a reply, clause by clause (a negation never reaches across
/// `,` `.` `!` `?` `;` `:`):
/// * a phrase of [`SYMPATHY`] or [`JOY`] counts wherever it occurs;
/// * an adjective of [`SYMPATHY_ADJECTIVES`] or [`JOY_ADJECTIVES`] counts only as an
///   evaluation: after an opener (`is`, `sounds`, `must be`, `how`, `what a` …, intensifiers such
///   as `so`, `really`, `a` skipped) or first in its clause (`Great!`, `So sad.`);
/// * a hit is dropped when `not`, `never` or `hardly` is among the three words before it, or
///   `no`/`nothing` right before it (`not great`, `not so bad`, `no fun`).
pub fn acknowledgements(reply: &str) -> Acknowledgements {
    let mut out = Acknowledgements::default();
    for clause in clauses(reply) {
        let w = words(&clause);
        for i in 0..w.len() {
            for (phrases, adjectives, into) in [
                (SYMPATHY, SYMPATHY_ADJECTIVES, &mut out.sympathy),
                (JOY, JOY_ADJECTIVES, &mut out.joy),
            ] {
                let phrase = list(phrases).find(|p| {
                    let parts: Vec<&str> = p.split(' ').collect();
                    words_at(&w, i, &parts)
                });
                let hit = match phrase {
                    Some(p) => Some(p.to_string()),
                    None => (in_list(adjectives, &w[i].text) && evaluative(&w, i))
                        .then(|| w[i].text.clone()),
                };
                if let Some(h) = hit {
                    if !negated(&w, i) {
                        into.push(h);
                    }
                }
            }
        }
    }
    out
}

/// Is the adjective `w[i]` an evaluation: first in its clause or after an opener, intensifiers
/// skipped?
fn evaluative(w: &[Word], i: usize) -> bool {
    // `what kind of`, `what sort of`: a question, not an evaluation.
    if i > 0 && w[i - 1].text == "what" && w.get(i + 1).is_some_and(|n| n.text == "of") {
        return false;
    }
    let mut j = i;
    while j > 0 && in_list(INTENSIFIERS, &w[j - 1].text) {
        j -= 1;
    }
    j == 0 || in_list(OPENERS, &w[j - 1].text)
}

fn negated(w: &[Word], i: usize) -> bool {
    let near = w[i.saturating_sub(3)..i]
        .iter()
        .any(|x| matches!(x.text.as_str(), "not" | "never" | "hardly"));
    let right_before = i > 0 && matches!(w[i - 1].text.as_str(), "no" | "nothing");
    near || right_before
}

/// Valence match: the reply acknowledges the feeling with the right valence (at least one hit of
/// that valence) and has no acknowledgement of the other.
pub fn valence_match(reply: &str, valence: Valence) -> bool {
    let a = acknowledgements(reply);
    let (right, wrong) = match valence {
        Valence::Negative => (&a.sympathy, &a.joy),
        Valence::Positive => (&a.joy, &a.sympathy),
    };
    !right.is_empty() && wrong.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Valence::{Negative, Positive};

    #[test]
    fn sympathy_matches_bad_news_only() {
        for reply in [
            "I'm so sorry for your loss.",
            "Oh no, that sucks.",
            "That must be hard.",
            "Hope you feel better soon!",
            "That must have been terrifying. I'm glad you're safe right now.",
            "So sad.",
            "No wonder you're angry. That's really unfair.",
            "That's not great, I'm sorry.",
        ] {
            assert!(
                valence_match(reply, Negative),
                "{reply}: {:?}",
                acknowledgements(reply)
            );
            assert!(!valence_match(reply, Positive), "{reply}");
        }
    }

    #[test]
    fn joy_matches_good_news_only() {
        for reply in [
            "Congratulations! That's great news.",
            "That's awesome, so happy for you!",
            "How exciting!",
            "Nice! All your hard work paid off.",
            "What a lovely surprise.",
            "Well done, you earned it.",
        ] {
            assert!(
                valence_match(reply, Positive),
                "{reply}: {:?}",
                acknowledgements(reply)
            );
            assert!(!valence_match(reply, Negative), "{reply}");
        }
    }

    #[test]
    fn the_wrong_valence_fails_even_beside_the_right_one() {
        // "wonderful" to a loss, "so sorry" to good news.
        assert!(!valence_match("That's wonderful!", Negative));
        assert!(!valence_match(
            "Oh, I'm so sorry, that's wonderful.",
            Negative
        ));
        assert!(!valence_match("So sorry to hear that!", Positive));
        assert!(!valence_match("Congrats! Sorry it took so long.", Positive));
    }

    #[test]
    fn negations_and_other_senses_are_not_acknowledgements() {
        let a = acknowledgements("That's not great.");
        assert!(a.joy.is_empty(), "{a:?}");
        let a = acknowledgements("It's not so bad, and it was never awful.");
        assert!(a.sympathy.is_empty(), "{a:?}");
        let a = acknowledgements("You worked hard for a great score, I bet.");
        assert_eq!(a, Acknowledgements::default());
        // Found failing on written training replies: a question (`what kind of`), an
        // intensifier (`a real gift`), a hope (`your dream`), comfort (`when you're ready`) and
        // an opener that fits either valence (`what a`) are no acknowledgement of their own.
        for reply in [
            "What kind of cake did you make?",
            "That's a real gift.",
            "Having your dream laughed at",
            "Call him when you're ready.",
            "What a day.",
        ] {
            assert_eq!(
                acknowledgements(reply),
                Acknowledgements::default(),
                "{reply}"
            );
        }
        assert!(valence_match("What a frustrating mess.", Negative));
        assert!(valence_match(
            "What a relief, and a real achievement.",
            Positive
        ));
        assert!(!valence_match("I hope the surgery goes well.", Negative));
        assert!(!valence_match("I hope the surgery goes well.", Positive));
        assert!(!valence_match("", Positive));
    }
}
