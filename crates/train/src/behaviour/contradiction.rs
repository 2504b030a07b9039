//! The persona contradiction judge: does a reply assert a value for a slot (pet, job, home,
//! family, age) that conflicts with the persona facts?

use std::collections::BTreeSet;

use super::text::{clauses, contains_phrase, in_list, words, words_at, Word};

/// A slot value the reply asserts against the persona.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// `pet`, `job`, `home`, `married`, `kids` or `age`.
    pub slot: &'static str,
    pub persona: String,
    pub reply: String,
}

/// Every slot on which the reply contradicts the persona facts (empty: none). Slots are read
/// by rules from first-person clauses (`I …`, `my …`, `we …`; questions to the user and
/// third persons are not claims), skipping hypotheticals (`would`, `want`, `wish`, `someday`,
/// `if`, `used to` … before the value):
///
/// * **pet**: `I have (a|two|…) dog`, `my cat` → has that pet (dog, cat, fish, bird, hamster,
///   rabbit, horse, snake, turtle, lizard, ferret, gerbil, guinea pig; `puppy` is a dog, `kitten`
///   a cat, `parrot` a bird …); `I don't have (any) pets`, `no pets` → no pets; `I don't have a
///   dog` → not that pet. Conflict: the persona has pets and the reply says no pets or denies
///   one of them; the persona has no pets and the reply has one; the persona names its pets and
///   the reply claims another kind.
/// * **job**: `I am a/an [up to two words] X`, `I work as (a/an) [up to two words] X`, X in a
///   list of occupations. Conflict: both name an occupation and the reply's are all outside the
///   persona's.
/// * **home**: `I/we (currently|now) live in X` with X the capitalised words after `in` (or
///   after a later `in` in the same clause: `a small town in Maine`). Conflict: both name a
///   place, neither contains the other, and the reply's place occurs nowhere in the persona.
/// * **married**: `I am/got married`, `my wife/husband` → married; `I am single/divorced/
///   widowed`, `I am not married`, `I don't have a wife` → not married. Conflict: they differ.
/// * **kids**: `I have (a|two|…) kids/children/son/daughter`, `my son` → has children;
///   `I don't have kids`, `no children` → none. Conflict: they differ.
/// * **age**: `I am N`, `I'm N years old`, `I just turned N` (N from 1 to 120, followed by the
///   clause's end or `years`/`year`). Conflict: the reply's age is not the persona's.
pub fn contradictions(reply: &str, facts: &[String]) -> Vec<Conflict> {
    let persona = Claims::read(&facts.join(". "));
    let said = Claims::read(reply);
    let mut out = Vec::new();
    let mut conflict = |slot, persona: String, reply: String| {
        out.push(Conflict {
            slot,
            persona,
            reply,
        })
    };
    let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");

    // Pets.
    let persona_has = !persona.pets.is_empty();
    let persona_kinds: BTreeSet<String> =
        persona.pets.iter().filter(|p| *p != PET).cloned().collect();
    if persona_has && said.no_pets {
        conflict("pet", list(&persona.pets), "no pets".into());
    }
    if let Some(denied) = said.not_pets.iter().find(|p| persona.pets.contains(*p)) {
        conflict("pet", list(&persona.pets), format!("no {denied}"));
    }
    if persona.no_pets && !said.pets.is_empty() {
        conflict("pet", "no pets".into(), list(&said.pets));
    } else if let Some(other) = said
        .pets
        .iter()
        .find(|p| *p != PET && !persona_kinds.is_empty() && !persona_kinds.contains(*p))
    {
        conflict("pet", list(&persona_kinds), other.clone());
    }
    if let Some(kind) = said.pets.iter().find(|p| persona.not_pets.contains(*p)) {
        conflict("pet", format!("no {kind}"), kind.clone());
    }

    // Job: every occupation the reply claims lies outside the persona's.
    if !persona.jobs.is_empty() && !said.jobs.is_empty() && said.jobs.is_disjoint(&persona.jobs) {
        conflict("job", list(&persona.jobs), list(&said.jobs));
    }

    // Home.
    let persona_text = facts.join(" ");
    for place in &said.homes {
        let agrees = persona
            .homes
            .iter()
            .any(|h| contains_phrase(h, place) || contains_phrase(place, h))
            || contains_phrase(&persona_text, place);
        if !persona.homes.is_empty() && !agrees {
            conflict("home", persona.homes.join(", "), place.clone());
        }
    }

    // Family.
    for (slot, mine, theirs) in [
        ("married", &persona.married, &said.married),
        ("kids", &persona.kids, &said.kids),
    ] {
        if let Some(v) = theirs
            .iter()
            .find(|v| !mine.is_empty() && !mine.contains(*v))
        {
            conflict(slot, list_bools(mine), v.to_string());
        }
    }

    // Age.
    if !persona.ages.is_empty() {
        if let Some(a) = said.ages.iter().find(|a| !persona.ages.contains(*a)) {
            let ages: Vec<String> = persona.ages.iter().map(u32::to_string).collect();
            conflict("age", ages.join(", "), a.to_string());
        }
    }
    out
}

/// Does the reply contradict the persona facts on any slot?
pub fn contradicts(reply: &str, facts: &[String]) -> bool {
    !contradictions(reply, facts).is_empty()
}

fn list_bools(s: &BTreeSet<bool>) -> String {
    s.iter().map(bool::to_string).collect::<Vec<_>>().join(", ")
}

/// "Pets" in general, as in `I have pets`.
const PET: &str = "pet";

/// Pet kinds, each with the words that name it (`kind: word word …; …`).
const PETS: &str = "\
    pet: pet pets; dog: dog dogs puppy puppies; cat: cat cats kitten kittens kitty; \
    fish: fish goldfish; bird: bird birds parrot parrots budgie canary; \
    hamster: hamster hamsters; rabbit: rabbit rabbits bunny; horse: horse horses pony; \
    snake: snake snakes; turtle: turtle turtles tortoise; lizard: lizard lizards; \
    ferret: ferret ferrets; gerbil: gerbil gerbils; guinea pig: guinea";

/// The pet kind a word names, if any.
fn pet_kind(word: &str) -> Option<&'static str> {
    PETS.split(';').find_map(|entry| {
        let (kind, names) = entry.split_once(':')?;
        names
            .split_whitespace()
            .any(|n| n == word)
            .then(|| kind.trim())
    })
}

const OCCUPATIONS: &str = "\
    accountant, actor, actress, architect, artist, astronaut, athlete, author, baker, banker, \
    barber, barista, bartender, builder, butcher, carpenter, cashier, chef, chemist, cleaner, \
    clerk, coach, cook, dancer, dentist, designer, developer, doctor, driver, economist, \
    editor, electrician, engineer, farmer, firefighter, fisherman, florist, gardener, \
    hairdresser, janitor, journalist, judge, lawyer, librarian, lifeguard, mechanic, miner, \
    musician, nurse, painter, paramedic, pharmacist, photographer, physician, pilot, plumber, \
    poet, policeman, politician, postman, professor, programmer, psychologist, receptionist, \
    reporter, researcher, sailor, salesman, scientist, secretary, singer, soldier, student, \
    surgeon, tailor, teacher, therapist, trucker, tutor, veterinarian, vet, waiter, waitress, \
    welder, writer, zookeeper, officer, guard, keeper, detective, mathematician, biologist, \
    physicist, translator, pianist, guitarist, drummer, comedian, model, housekeeper, nanny, \
    rancher";

const KIDS: &str = "kid, kids, child, children, son, sons, daughter, daughters, baby, babies";
const SPOUSES: &str = "wife, husband, spouse";
const NEGATIONS: &str = "not, no, never, without, nor";
const HYPOTHETICAL: &str = "\
    would, want, wants, wish, someday, hope, if, might, maybe, could, used, plan, planning, \
    dream, should, will, wanted";
/// Words that may stand between a subject and `have`, or between `have` and the thing had.
const FILLERS: &str = "\
    also, just, actually, still, do, really, currently, now, got, a, an, one, two, three, four, \
    five, some, few, couple, of, pet, little, big, old, young, new, cute, lovely, beautiful, \
    own, the, three-year-old";

#[derive(Debug, Default)]
struct Claims {
    /// Pet kinds had (`pet` for pets in general).
    pets: BTreeSet<String>,
    no_pets: bool,
    /// Pet kinds denied.
    not_pets: BTreeSet<String>,
    jobs: BTreeSet<String>,
    homes: Vec<String>,
    married: BTreeSet<bool>,
    kids: BTreeSet<bool>,
    ages: BTreeSet<u32>,
}

impl Claims {
    fn read(text: &str) -> Self {
        let mut c = Claims::default();
        for clause in clauses(text) {
            let w = words(&clause);
            c.read_clause(&w);
        }
        c
    }

    fn read_clause(&mut self, w: &[Word]) {
        for i in 0..w.len() {
            let t = w[i].text.as_str();
            if let Some(kind) = pet_kind(t) {
                if kind == "guinea pig" && !words_at(w, i, &["guinea", "pig"]) {
                    continue;
                }
                self.pet(w, i, kind);
            }
            if in_list(KIDS, t) {
                if let Some(has) = possession(w, i) {
                    self.kids.insert(has);
                }
            }
            if in_list(SPOUSES, t) {
                if let Some(has) = possession(w, i) {
                    self.married.insert(has);
                }
            }
        }
        self.job(w);
        self.home(w);
        self.marital(w);
        self.age(w);
    }

    fn pet(&mut self, w: &[Word], i: usize, kind: &str) {
        match possession(w, i) {
            Some(true) => {
                self.pets.insert(kind.to_string());
            }
            Some(false) if kind == PET => self.no_pets = true,
            Some(false) => {
                self.not_pets.insert(kind.to_string());
            }
            None => {}
        }
    }

    fn job(&mut self, w: &[Word]) {
        for i in 0..w.len() {
            let after = if words_at(w, i, &["i", "am"]) && i + 2 < w.len() && is_article(&w[i + 2])
            {
                i + 3
            } else if words_at(w, i, &["i", "work", "as"]) {
                i + 3 + usize::from(w.get(i + 3).is_some_and(is_article))
            } else {
                continue;
            };
            let mut found = BTreeSet::new();
            for x in w.iter().skip(after).take(3) {
                if ["and", "who", "but", "at", "in", "of", "for", "with", "from"]
                    .contains(&x.text.as_str())
                {
                    break;
                }
                if in_list(OCCUPATIONS, &x.text) {
                    found.insert(x.text.clone());
                }
            }
            // `student nurse` claims both; the reply agrees when any of its occupations does.
            self.jobs.extend(found);
        }
    }

    fn home(&mut self, w: &[Word]) {
        for i in 0..w.len() {
            let subject = matches!(w[i].text.as_str(), "i" | "we");
            if !subject {
                continue;
            }
            let mut j = i + 1;
            while j < w.len()
                && ["currently", "now", "still", "also", "am", "are"].contains(&w[j].text.as_str())
            {
                j += 1;
            }
            if !(j < w.len() && matches!(w[j].text.as_str(), "live" | "living")) {
                continue;
            }
            // The capitalised words after the first `in` that is followed by some.
            let mut k = j + 1;
            while k < w.len() {
                if w[k].text == "in" {
                    let mut m = k + 1;
                    if m < w.len() && w[m].text == "the" {
                        m += 1;
                    }
                    let place: Vec<&str> = w[m..]
                        .iter()
                        .take_while(|x| x.capital)
                        .map(|x| x.text.as_str())
                        .collect();
                    if !place.is_empty() {
                        self.homes.push(place.join(" "));
                        break;
                    }
                }
                k += 1;
            }
        }
    }

    fn marital(&mut self, w: &[Word]) {
        for i in 0..w.len() {
            let t = w[i].text.as_str();
            let first_person = subject_before(w, i, 4);
            match t {
                "married" if first_person => {
                    let negated = negated(w, i, 3);
                    self.married.insert(!negated);
                }
                "single" | "divorced" | "widowed" | "widow" | "widower"
                    if first_person && !negated(w, i, 3) =>
                {
                    self.married.insert(false);
                }
                "childless" if first_person && !negated(w, i, 3) => {
                    self.kids.insert(false);
                }
                _ => {}
            }
        }
    }

    fn age(&mut self, w: &[Word]) {
        for i in 0..w.len() {
            let at = if words_at(w, i, &["i", "am"]) {
                i + 2
            } else if words_at(w, i, &["i", "just", "turned"]) {
                i + 3
            } else if words_at(w, i, &["i", "turned"]) {
                i + 2
            } else {
                continue;
            };
            let Some(n) = w.get(at).and_then(|x| x.text.parse::<u32>().ok()) else {
                continue;
            };
            let next = w.get(at + 1).map(|x| x.text.as_str());
            if (1..=120).contains(&n) && matches!(next, None | Some("years" | "year" | "yrs")) {
                self.ages.insert(n);
            }
        }
    }
}

fn is_article(w: &Word) -> bool {
    matches!(w.text.as_str(), "a" | "an")
}

/// Is one of the `window` words before `i` a negation?
fn negated(w: &[Word], i: usize, window: usize) -> bool {
    w[i.saturating_sub(window)..i]
        .iter()
        .any(|x| in_list(NEGATIONS, &x.text))
}

/// Is a first-person subject (`i`, `we`) among the `window` words before `i`?
fn subject_before(w: &[Word], i: usize, window: usize) -> bool {
    w[i.saturating_sub(window)..i]
        .iter()
        .any(|x| matches!(x.text.as_str(), "i" | "we"))
}

/// Does this clause say the speaker has (`Some(true)`) or has not (`Some(false)`) the thing
/// named by `w[i]`? `my X`/`our X` (up to two words between) or `I/we [fillers] have|own
/// [fillers] X` (`have got`, `no X`, `don't have any X` …); nothing after a hypothetical word.
fn possession(w: &[Word], i: usize) -> Option<bool> {
    if w[..i].iter().any(|x| in_list(HYPOTHETICAL, &x.text)) {
        return None;
    }
    // `my dog`, `my two little kids`, `our cat`.
    for back in 1..=3.min(i) {
        let x = w[i - back].text.as_str();
        if matches!(x, "my" | "our") {
            return Some(!negated(w, i - back, 3));
        }
        if !in_list(FILLERS, x) {
            break;
        }
    }
    // `I (do not) have (any) X`, `we have no X`, `no pets`.
    let mut j = i;
    while j > 0
        && (in_list(FILLERS, &w[j - 1].text) || matches!(w[j - 1].text.as_str(), "any" | "no"))
    {
        j -= 1;
    }
    let between_no = w[j..i].iter().any(|x| x.text == "no");
    if j > 0 && matches!(w[j - 1].text.as_str(), "have" | "own" | "has" | "had") {
        let verb = j - 1;
        // The subject: `i`/`we`, with fillers and a negation (`do not`, `never`) between.
        let mut k = verb;
        let mut negative = between_no;
        while k > 0 {
            let x = w[k - 1].text.as_str();
            if in_list(NEGATIONS, x) {
                negative = true;
            } else if !in_list(FILLERS, x) && !matches!(x, "does" | "did") {
                break;
            }
            k -= 1;
        }
        let first_person = |x: &Word| matches!(x.text.as_str(), "i" | "we");
        // `I am married and have three kids`: the subject before `and` carries over.
        let subject = k > 0
            && (first_person(&w[k - 1])
                || (w[k - 1].text == "and" && w[..k - 1].iter().any(first_person)));
        return subject.then_some(!negative);
    }
    // `No pets, sadly.` / `no kids here`.
    if between_no && j == 0 {
        return Some(false);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(f: &[&str]) -> Vec<String> {
        f.iter().map(|s| s.to_string()).collect()
    }

    fn slots(reply: &str, f: &[&str]) -> Vec<&'static str> {
        contradictions(reply, &facts(f))
            .into_iter()
            .map(|c| c.slot)
            .collect()
    }

    #[test]
    fn pets() {
        let dog = ["I have a dog named Rex."];
        assert_eq!(slots("I have a cat.", &dog), ["pet"]);
        assert_eq!(slots("I don't have any pets.", &dog), ["pet"]);
        assert_eq!(slots("I don't have a dog.", &dog), ["pet"]);
        assert!(slots("My dog loves walks.", &dog).is_empty());
        assert!(slots("I have a puppy, he's great.", &dog).is_empty());
        assert!(slots("Do you have a cat?", &dog).is_empty());
        assert!(slots("I would love to have a cat someday.", &dog).is_empty());
        assert!(slots("My sister has a cat.", &dog).is_empty());
        let none = ["I don't have pets because I'm allergic to fur."];
        assert_eq!(slots("My cat is asleep.", &none), ["pet"]);
        assert_eq!(slots("I have two hamsters.", &none), ["pet"]);
        assert!(slots("No pets for me, I'm allergic.", &none).is_empty());
        assert!(slots("I'm allergic to cats.", &none).is_empty());
    }

    #[test]
    fn jobs() {
        let nurse = ["I am a nurse at the local hospital."];
        assert_eq!(slots("I'm a teacher.", &nurse), ["job"]);
        assert_eq!(slots("I work as an engineer.", &nurse), ["job"]);
        assert!(slots("I'm a nurse, night shifts mostly.", &nurse).is_empty());
        assert!(slots("I'm a registered nurse.", &nurse).is_empty());
        assert!(slots("I'm a big fan of soup.", &nurse).is_empty());
        assert!(slots("I'm not a teacher.", &nurse).is_empty());
        assert!(slots("My son is a teacher.", &nurse).is_empty());
    }

    #[test]
    fn homes() {
        let ohio = ["I live in Ohio with my two cats."];
        assert_eq!(slots("I live in Texas.", &ohio), ["home"]);
        assert_eq!(
            slots("We currently live in New York City.", &ohio),
            ["home"]
        );
        assert!(slots("I live in Ohio, near Columbus.", &ohio).is_empty());
        assert!(slots("I live in a small town in Ohio.", &ohio).is_empty());
        assert!(slots("I'd love to visit Texas.", &ohio).is_empty());
        // A persona without a home takes no side.
        assert!(slots("I live in Texas.", &["I am a nurse."]).is_empty());
    }

    #[test]
    fn family() {
        let married = ["I am married and have three kids."];
        assert_eq!(slots("I'm single.", &married), ["married"]);
        assert_eq!(slots("I'm not married.", &married), ["married"]);
        assert_eq!(slots("I don't have kids.", &married), ["kids"]);
        assert!(slots("My wife and I love our kids.", &married).is_empty());
        assert!(slots("I have a son and two daughters.", &married).is_empty());
        let single = ["I am single.", "I have no children."];
        assert_eq!(slots("My husband cooks.", &single), ["married"]);
        assert_eq!(slots("I have two kids.", &single), ["kids"]);
        assert!(slots("No kids yet.", &single).is_empty());
        assert!(slots("I want kids someday.", &single).is_empty());
        assert!(slots("I teach kids.", &single).is_empty());
    }

    #[test]
    fn ages() {
        let age = ["I am 45 years old."];
        assert_eq!(slots("I'm 30.", &age), ["age"]);
        assert_eq!(slots("I just turned 50 years old.", &age), ["age"]);
        assert!(slots("I'm 45, time flies.", &age).is_empty());
        assert!(slots("I'm 5 minutes away.", &age).is_empty());
        assert!(slots("I am 30.", &["I am a nurse."]).is_empty());
        assert!(!contradicts("Hello there!", &facts(&age)));
    }
}
