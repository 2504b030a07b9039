//! WordNet 3.1 database files `data.{noun,verb,adj,adv}` (WordNet licence). Every synset gives a
//! text passage (its gloss and synonyms); its relations give triples ("dolphin — is a kind of —
//! toothed whale"), hypernyms with the ancestors above them so that "is a dolphin a mammal" finds
//! one passage.
//!
//! No crate reads the wndb(5) format, so this is a small reader of its own. A data line is
//! `offset lex_filenum ss_type w_cnt(hex) [word lex_id(hex)]… p_cnt [symbol offset pos
//! source/target(hex)]… [verb frames] | gloss`; lines starting with spaces are the licence header.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{read, require_dir, SourceDoc, SourceHasher, SourceRead};
use crate::knowledge::linearise::{triple, with_full_stop};
use crate::knowledge::{KnowledgeError, PassageKind};

pub const SOURCE: &str = "WordNet 3.1";

/// The data files and the part of speech each holds (adjective satellites live in `data.adj`).
const FILES: [(&str, char); 4] = [
    ("data.noun", 'n'),
    ("data.verb", 'v'),
    ("data.adj", 'a'),
    ("data.adv", 'r'),
];

/// Ancestors named after a hypernym: enough to reach "mammal" from "dolphin" (six up) without
/// dragging in "entity" and "physical object" everywhere.
const LINEAGE: usize = 8;

/// Malformed lines reported one by one before only the count is given.
const REPORTED_LINES: usize = 5;

/// Relations turned into triples: pointer symbol, id part, how the triple reads, and the words
/// people use when asking for it (searched, not shown).
const RELATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "@",
        "hypernym",
        "is a kind of",
        "kind type sort class category",
    ),
    (
        "@i",
        "instance-of",
        "is an instance of",
        "instance example kind",
    ),
    ("#m", "member-of", "is a member of", "member group belongs"),
    ("#p", "part-of", "is a part of", "part belongs component"),
    ("#s", "substance-of", "is a substance of", "substance made"),
    ("*", "entails", "entails", "entails involves"),
    (">", "causes", "causes", "causes cause"),
    (
        "!",
        "antonym",
        "is the opposite of",
        "opposite antonym contrary",
    ),
];

/// How often each sense is used (tagged-sense counts), beside the data files.
const SENSE_INDEX: &str = "index.sense";

/// The words of asking for a definition, searched with every gloss.
const GLOSS_KEYWORDS: &str = "mean meaning definition define";

/// What each kind of WordNet passage answers, keyed as [`intent_of`] keys a passage id: a
/// gloss, or a relation as it reads plus the words people ask for it with.
pub fn intents() -> Vec<(String, String)> {
    let mut out = vec![(intent_key("gloss"), format!("what is {GLOSS_KEYWORDS}"))];
    for &(_, slug, relation, keywords) in RELATIONS {
        out.push((intent_key(slug), format!("{relation} {keywords}")));
    }
    out
}

/// The intent of a WordNet passage id: `wordnet/<pos>/<offset>` is a gloss,
/// `wordnet/<pos>/<offset>/<relation>/…` a relation. `None` for another source's id.
pub fn intent_of(id: &str) -> Option<String> {
    let mut parts = id.strip_prefix("wordnet/")?.split('/').skip(2);
    Some(intent_key(parts.next().unwrap_or("gloss")))
}

fn intent_key(slug: &str) -> String {
    format!("wordnet:{slug}")
}

/// One synset as read from a data line.
#[derive(Debug, Clone, PartialEq)]
pub struct Synset {
    /// The file's part of speech (`n`, `v`, `a`, `r`); satellites count as `a`.
    pub pos: char,
    pub offset: u32,
    pub words: Vec<String>,
    pub pointers: Vec<Pointer>,
    /// The definition, without the quoted examples.
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pointer {
    pub symbol: String,
    pub pos: char,
    pub offset: u32,
    /// 1-based word numbers for a lexical pointer (an antonym links words, not synsets);
    /// 0 for a semantic one.
    pub source_word: usize,
    pub target_word: usize,
}

pub fn read_wordnet(dir: &Path) -> Result<SourceRead, KnowledgeError> {
    require_dir(dir)?;
    let mut out = SourceRead::default();
    let mut hasher = SourceHasher::new();
    let mut synsets = Vec::new();
    for (file, pos) in FILES {
        let path = dir.join(file);
        if !path.is_file() {
            return Err(KnowledgeError::SourceMissing { path });
        }
        let bytes = read(&path)?;
        hasher.add(file, &bytes);
        out.files += 1;
        let text = String::from_utf8_lossy(&bytes);
        for (i, line) in text.lines().enumerate() {
            if line.starts_with(' ') || line.trim().is_empty() {
                continue;
            }
            match parse_line(line, pos) {
                Ok(s) => synsets.push(s),
                Err(why) => {
                    out.skipped += 1;
                    if out.skipped <= REPORTED_LINES {
                        tracing::warn!("skipping {}:{}: {why}", path.display(), i + 1);
                    }
                }
            }
        }
    }
    if out.skipped > 0 {
        tracing::warn!("WordNet: skipped {} malformed line(s)", out.skipped);
    }
    let usage = read_usage(dir, &mut hasher, &mut out)?;
    out.sha256 = hasher.finish();
    out.docs = synset_docs(&synsets, &usage);
    Ok(out)
}

/// The tagged-sense counts of `index.sense` summed per synset, keyed by (part of speech,
/// offset). The file is optional: without it every count is 0.
fn read_usage(
    dir: &Path,
    hasher: &mut SourceHasher,
    out: &mut SourceRead,
) -> Result<HashMap<(char, u32), u32>, KnowledgeError> {
    let path = dir.join(SENSE_INDEX);
    let mut usage = HashMap::new();
    if !path.is_file() {
        return Ok(usage);
    }
    let bytes = read(&path)?;
    hasher.add(SENSE_INDEX, &bytes);
    out.files += 1;
    // `sense_key synset_offset sense_number tag_cnt`; the key's `%N` is the synset type.
    for line in String::from_utf8_lossy(&bytes).lines() {
        let mut t = line.split_whitespace();
        let (Some(key), Some(offset), Some(_), Some(count)) =
            (t.next(), t.next(), t.next(), t.next())
        else {
            continue;
        };
        let pos = match key.split_once('%').and_then(|(_, k)| k.chars().next()) {
            Some('1') => 'n',
            Some('2') => 'v',
            Some('3' | '5') => 'a',
            Some('4') => 'r',
            _ => continue,
        };
        if let (Ok(offset), Ok(count)) = (offset.parse::<u32>(), count.parse::<u32>()) {
            *usage.entry((pos, offset)).or_insert(0) += count;
        }
    }
    Ok(usage)
}

/// Reads one data line of the file holding part of speech `file_pos`.
pub fn parse_line(line: &str, file_pos: char) -> Result<Synset, String> {
    let (head, gloss) = line.split_once('|').ok_or("no `|` before the gloss")?;
    let mut t = head.split_whitespace();
    let mut next = |what: &str| t.next().ok_or_else(|| format!("line ends before {what}"));
    let offset = parse_offset(next("the offset")?)?;
    next("lex_filenum")?
        .parse::<u8>()
        .map_err(|_| "bad lex_filenum")?;
    let ss_type = next("ss_type")?;
    let expected = match file_pos {
        'a' => ["a", "s"].as_slice(),
        'n' => &["n"],
        'v' => &["v"],
        _ => &["r"],
    };
    if !expected.contains(&ss_type) {
        return Err(format!("synset type {ss_type:?} in the {file_pos} file"));
    }
    let w_cnt = usize::from_str_radix(next("w_cnt")?, 16).map_err(|_| "bad w_cnt")?;
    if w_cnt == 0 {
        return Err("a synset without words".into());
    }
    let mut words = Vec::with_capacity(w_cnt);
    for _ in 0..w_cnt {
        words.push(lemma(next("a word")?));
        u8::from_str_radix(next("a lex_id")?, 16).map_err(|_| "bad lex_id")?;
    }
    let p_cnt: usize = next("p_cnt")?.parse().map_err(|_| "bad p_cnt")?;
    let mut pointers = Vec::with_capacity(p_cnt);
    for _ in 0..p_cnt {
        let symbol = next("a pointer symbol")?.to_string();
        let offset = parse_offset(next("a pointer offset")?)?;
        let pos = match next("a pointer's part of speech")? {
            "n" => 'n',
            "v" => 'v',
            "a" | "s" => 'a',
            "r" => 'r',
            other => return Err(format!("bad pointer part of speech {other:?}")),
        };
        let st = next("source/target")?;
        let (source_word, target_word) = match (
            st.len(),
            usize::from_str_radix(st.get(..2).unwrap_or(""), 16),
            usize::from_str_radix(st.get(2..).unwrap_or(""), 16),
        ) {
            (4, Ok(s), Ok(t)) => (s, t),
            _ => return Err(format!("bad source/target {st:?}")),
        };
        pointers.push(Pointer {
            symbol,
            pos,
            offset,
            source_word,
            target_word,
        });
    }
    Ok(Synset {
        pos: file_pos,
        offset,
        words,
        pointers,
        definition: definition(gloss),
    })
}

fn parse_offset(s: &str) -> Result<u32, String> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().map_err(|_| format!("bad offset {s:?}"))
    } else {
        Err(format!("bad offset {s:?}"))
    }
}

/// "Falco_tinnunculus" → "Falco tinnunculus"; adjective markers such as "(p)" dropped.
fn lemma(word: &str) -> String {
    let w = word
        .strip_suffix("(a)")
        .or_else(|| word.strip_suffix("(p)"))
        .or_else(|| word.strip_suffix("(ip)"))
        .unwrap_or(word);
    w.replace('_', " ")
}

/// The gloss up to its quoted examples.
fn definition(gloss: &str) -> String {
    let g = gloss.trim();
    let cut = g.find("; \"").or_else(|| g.starts_with('"').then_some(0));
    match cut {
        Some(0) => g.to_string(),
        Some(i) => g[..i].trim().to_string(),
        None => g.to_string(),
    }
}

fn pos_name(pos: char) -> &'static str {
    match pos {
        'n' => "noun",
        'v' => "verb",
        'a' => "adjective",
        _ => "adverb",
    }
}

fn synset_id(pos: char, offset: u32) -> String {
    format!("wordnet/{pos}/{offset:08}")
}

/// The passages of every synset: its gloss, then its relations.
fn synset_docs(synsets: &[Synset], usage: &HashMap<(char, u32), u32>) -> Vec<SourceDoc> {
    let by_key: HashMap<(char, u32), &Synset> =
        synsets.iter().map(|s| ((s.pos, s.offset), s)).collect();
    let mut docs = Vec::with_capacity(synsets.len() * 2);
    let mut antonym_pairs = HashSet::new();
    for s in synsets {
        let used = usage.get(&(s.pos, s.offset)).copied().unwrap_or(0);
        let mut text = format!("{} ({}): {}", s.words[0], pos_name(s.pos), s.definition);
        if s.words.len() > 1 {
            text = format!(
                "{}. Synonyms: {}",
                text.trim_end_matches('.'),
                s.words[1..].join(", ")
            );
        }
        docs.push(SourceDoc {
            id: synset_id(s.pos, s.offset),
            source: SOURCE,
            kind: PassageKind::Text,
            title: s.words.join(", "),
            text: with_full_stop(text),
            keywords: GLOSS_KEYWORDS.to_string(),
            names: s.words.clone(),
            usage: used,
        });
        for p in &s.pointers {
            let Some(&(_, slug, relation, keywords)) = RELATIONS.iter().find(|r| r.0 == p.symbol)
            else {
                continue;
            };
            let Some(target) = by_key.get(&(p.pos, p.offset)) else {
                continue;
            };
            if slug == "antonym" {
                let a = (s.pos, s.offset, p.source_word);
                let b = (p.pos, p.offset, p.target_word);
                if !antonym_pairs.insert(if a < b { (a, b) } else { (b, a) }) {
                    continue;
                }
            }
            let subject = word(s, p.source_word);
            let object = word(target, p.target_word);
            let relation = if slug == "hypernym" && s.pos == 'v' {
                "is a way to"
            } else {
                relation
            };
            let mut text = triple(subject, relation, object);
            if matches!(slug, "hypernym" | "instance-of") {
                let above = lineage(target, &by_key);
                if !above.is_empty() {
                    text = format!("{text} (in turn a kind of {})", above.join(", "));
                }
            }
            docs.push(SourceDoc {
                id: format!(
                    "{}/{slug}/{}/{:08}",
                    synset_id(s.pos, s.offset),
                    p.pos,
                    p.offset
                ),
                source: SOURCE,
                kind: PassageKind::Triple,
                title: s.words.join(", "),
                text,
                keywords: keywords.to_string(),
                // An antonym pair is stored once, so it answers to both of its words.
                names: if slug == "antonym" {
                    s.words.iter().chain(&target.words).cloned().collect()
                } else {
                    s.words.clone()
                },
                usage: used,
            });
        }
    }
    docs
}

/// Word `n` (1-based) of a synset, or its first word for a semantic pointer (`n == 0`).
fn word(s: &Synset, n: usize) -> &str {
    s.words
        .get(n.wrapping_sub(1))
        .unwrap_or(&s.words[0])
        .as_str()
}

/// The first words of the synsets above `s`, nearest first, following the first hypernym.
fn lineage(s: &Synset, by_key: &HashMap<(char, u32), &Synset>) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = HashSet::from([(s.pos, s.offset)]);
    let mut cur = s;
    while out.len() < LINEAGE {
        let Some(up) = cur
            .pointers
            .iter()
            .find(|p| p.symbol == "@" || p.symbol == "@i")
            .and_then(|p| by_key.get(&(p.pos, p.offset)))
        else {
            break;
        };
        if !seen.insert((up.pos, up.offset)) {
            break;
        }
        out.push(up.words[0].clone());
        cur = up;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KESTREL: &str = "01614610 05 n 02 kestrel 1 Falco_tinnunculus 0 002 @ 01613596 n 0000 #m 01613893 n 0000 | small Old World falcon that hovers in the air against a wind  ";
    const ABLE: &str = "00001740 00 a 01 able 0 005 = 05207437 n 0000 = 05624029 n 0000 + 05624029 n 0101 + 05207437 n 0101 ! 00002098 a 0101 | (usually followed by `to') having the necessary means or skill; \"able to swim\"";
    const BREATHE: &str = "00001740 29 v 02 breathe 0 take_a_breath 0 001 * 00005041 v 0000 02 + 02 00 + 08 00 | draw air into, and expel out of, the lungs; \"I can breathe better\"";

    #[test]
    fn data_lines_parse() {
        let k = parse_line(KESTREL, 'n').unwrap();
        assert_eq!(k.offset, 1614610);
        assert_eq!(k.words, ["kestrel", "Falco tinnunculus"]);
        assert_eq!(k.pointers.len(), 2);
        assert_eq!(k.pointers[0].symbol, "@");
        assert_eq!(k.pointers[0].offset, 1613596);
        assert_eq!(
            k.definition,
            "small Old World falcon that hovers in the air against a wind"
        );
        let a = parse_line(ABLE, 'a').unwrap();
        assert_eq!(a.pointers[4].symbol, "!");
        assert_eq!(
            (a.pointers[4].source_word, a.pointers[4].target_word),
            (1, 1)
        );
        assert_eq!(
            a.definition,
            "(usually followed by `to') having the necessary means or skill"
        );
        let b = parse_line(BREATHE, 'v').unwrap();
        assert_eq!(b.words, ["breathe", "take a breath"]);
        assert_eq!(b.definition, "draw air into, and expel out of, the lungs");
    }

    #[test]
    fn malformed_lines_are_refused() {
        for bad in [
            "garbage",
            "0161461 05 n 01 kestrel 0 000 | short offset",
            "01614610 05 n 02 kestrel 0 000 | too few words",
            "01614610 05 v 01 kestrel 0 000 | verb in the noun file",
            "01614610 05 n 01 kestrel 0 001 @ 01613596 q 0000 | bad pointer pos",
            "01614610 05 n 01 kestrel 0 001 @ 01613596 n 0000 no gloss",
        ] {
            assert!(parse_line(bad, 'n').is_err(), "{bad}");
        }
    }

    #[test]
    fn relations_become_triples_with_their_lineage() {
        let lines = [
            ("00000001 03 n 01 animal 0 000 | a living organism", 'n'),
            (
                "00000002 05 n 01 mammal 0 001 @ 00000001 n 0000 | warm-blooded vertebrate",
                'n',
            ),
            (
                "00000003 05 n 01 whale 0 001 @ 00000002 n 0000 | large marine mammal",
                'n',
            ),
            (
                "00000004 05 n 02 dolphin 0 porpoise 0 001 @ 00000003 n 0000 | small toothed whale",
                'n',
            ),
        ];
        let synsets: Vec<_> = lines
            .iter()
            .map(|(l, p)| parse_line(l, *p).unwrap())
            .collect();
        let docs = synset_docs(&synsets, &HashMap::new());
        let gloss = docs.iter().find(|d| d.id == "wordnet/n/00000004").unwrap();
        assert_eq!(
            gloss.text,
            "dolphin (noun): small toothed whale. Synonyms: porpoise."
        );
        let t = docs
            .iter()
            .find(|d| d.id == "wordnet/n/00000004/hypernym/n/00000003")
            .unwrap();
        assert_eq!(
            t.text,
            "dolphin — is a kind of — whale (in turn a kind of mammal, animal)"
        );
        assert_eq!(t.kind, PassageKind::Triple);
    }
}
