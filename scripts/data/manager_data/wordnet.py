# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Questions about word meanings and relations ("is a kind of", synonyms, antonyms), with the
words and glosses taken from the WordNet 3.1 database files (WordNet licence).

Held out: each word belongs to train or test by a fixed hash of the word, and every question
shape has separate train and test phrasings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .common import WORDNET, Row, capitalize_first, restyle, rng_for, stable_fraction

SOURCE = "wordnet-template"
TEST_FRACTION = 0.3

# Words people look up; kept if WordNet has them (the rest of the pool is drawn by frequency).
CURATED = """serendipity ephemeral ubiquitous melancholy nostalgia euphoria paradox irony
metaphor empathy resilience procrastination catharsis hypothesis photosynthesis democracy
archipelago peninsula equinox solstice eclipse glacier volcano monsoon tundra savanna
algorithm entropy inertia velocity molecule enzyme protein mammal reptile amphibian marsupial
carnivore herbivore omnivore nocturnal migration ecosystem biodiversity erosion sediment
quarantine vaccine antibiotic placebo insomnia anxiety altruism cynicism pragmatism stoicism
utopia dystopia satire sonnet haiku allegory epiphany hubris nemesis zeitgeist wanderlust
gregarious meticulous ambiguous benevolent candid diligent eloquent frugal gullible
impeccable lethargic nonchalant obsolete pensive quaint reticent sporadic tenacious verbose
whimsical zealous abundant arbitrary benign cryptic diverse elusive futile hectic immense
lucid mundane novel obscure prudent rigorous subtle trivial vivid wary meander procrastinate
ponder scrutinize mitigate alleviate deteriorate embellish fluctuate hibernate improvise
""".split()

NOUN_TRAIN = (
    "What is {a} {w}?",
    "define {w}",
    "What does '{w}' mean?",
    "meaning of {w}?",
    "what's the definition of {w}",
    "Define the word {w}.",
    "what is {w}",
)
NOUN_TEST = (
    "can you explain what {a} {w} is?",
    "{w}: what's that?",
    "what do people mean by '{w}'?",
    "definition of {w} please",
    "I came across the word {w} in a book, what does it mean?",
)
KIND_TRAIN = ("Is {a} {w} a kind of {h}?", "is {a} {w} a type of {h}?", "what kind of thing is {a} {w}?")
KIND_TEST = ("would you call {a} {w} a sort of {h}?", "{w} - is that some kind of {h}?", "what category does {w} belong to?")
VERB_TRAIN = ("what does it mean to {w}?", "define the verb {w}", "What does '{w}' mean?", "meaning of {w}")
VERB_TEST = ("what does the verb '{w}' mean?", "explain the word '{w}'", "{w}, as in the verb: meaning?")
ADJ_TRAIN = ("what does {w} mean?", "Define {w}.", "What is the meaning of the word '{w}'?", "What does '{w}' mean")
ADJ_TEST = ("what does it mean if something is {w}?", "explain '{w}' to me", "{w}? definition pls")
ANTONYM_TRAIN = ("what's the opposite of {w}?", "antonym for {w}")
ANTONYM_TEST = ("what word means the reverse of {w}?",)
SYNONYM_TRAIN = ("give me a synonym for {w}", "another word for {w}?")
SYNONYM_TEST = ("what's a word that means the same as {w}?",)


@dataclass(frozen=True)
class Entry:
    word: str
    pos: str  # n, v, a
    gloss: str
    hypernym: str | None
    antonym: str | None
    synonym: str | None
    tag_count: int

    @property
    def countable(self) -> bool:
        """Glosses of count nouns start "a ..."/"an ..."; "what is a X" reads wrong for the rest."""
        return self.pos == "n" and re.match(r"an? ", self.gloss) is not None


def _parse_data(path: Path) -> dict[str, tuple[list[str], list[tuple[str, str, str]], str]]:
    """offset -> (words, pointers (symbol, offset, pos), gloss)."""
    synsets = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("  ") or "|" not in line:
            continue
        head, gloss = line.split("|", 1)
        parts = head.split()
        offset, w_cnt = parts[0], int(parts[3], 16)
        words = [parts[4 + 2 * i] for i in range(w_cnt)]
        i = 4 + 2 * w_cnt
        p_cnt = int(parts[i])
        pointers = [(parts[i + 1 + 4 * k], parts[i + 2 + 4 * k], parts[i + 3 + 4 * k]) for k in range(p_cnt)]
        synsets[offset] = (words, pointers, gloss.strip().split(";")[0].strip())
    return synsets


def _lemma(word: str) -> str:
    return re.sub(r"\(.*\)$", "", word).replace("_", " ")


def load_entries(root: Path) -> list[Entry]:
    data = {pos: _parse_data(root / f"data.{name}") for pos, name in (("n", "noun"), ("v", "verb"), ("a", "adj"))}
    first_senses: dict[tuple[str, str], tuple[str, int]] = {}
    for line in (root / "index.sense").read_text(encoding="utf-8").splitlines():
        key, offset, sense_number, tag_count = line.split()
        lemma, rest = key.split("%")
        pos = {"1": "n", "2": "v", "3": "a", "5": "a"}.get(rest[0])
        if pos and sense_number == "1":
            first_senses[(lemma, pos)] = (offset, int(tag_count))
    curated = set(CURATED)
    entries = []
    for (lemma, pos), (offset, tag_count) in sorted(first_senses.items()):
        if not re.fullmatch(r"[a-z]{4,14}", lemma):
            continue
        if lemma not in curated and not 2 <= tag_count <= 30:
            continue
        words, pointers, gloss = data[pos][offset]
        if len(gloss) < 8 or lemma not in words:
            continue  # too short a gloss, or a name ("Voltaire": the database keeps its capital)
        hypernym = antonym = None
        for symbol, target, target_pos in pointers:
            if symbol in ("@", "@i") and hypernym is None and target_pos == "n":
                hypernym = _lemma(data["n"][target][0][0])
            if symbol == "!" and antonym is None and target_pos in ("a", "s"):
                antonym = _lemma(data["a"][target][0][0])
        synonyms = [_lemma(w) for w in words if _lemma(w) != lemma and "_" not in w]
        entries.append(Entry(lemma, pos, gloss, hypernym, antonym, synonyms[0] if synonyms else None, tag_count))
    # One entry per word: its most frequent part of speech.
    best: dict[str, Entry] = {}
    for entry in entries:
        if entry.word not in best or entry.tag_count > best[entry.word].tag_count:
            best[entry.word] = entry
    return sorted(best.values(), key=lambda e: e.word)


def is_test_word(entry: Entry) -> bool:
    return stable_fraction("wordnet-split", entry.word) < TEST_FRACTION


def pick(entries: list[Entry], split: str, count: int) -> list[Entry]:
    """Curated words first, then others by a fixed pseudo-random order."""
    pool = [e for e in entries if is_test_word(e) == (split == "test")]
    curated = set(CURATED)
    pool.sort(key=lambda e: (e.word not in curated, stable_fraction("wordnet-order", e.word, e.pos)))
    return pool[:count]


def _fill(template: str, entry: Entry) -> str:
    if "{a} " in template:
        vowel = entry.word[:1] in "aeiou" and not entry.word.startswith(("eu", "uni", "use", "usu", "one"))
        article = ("an " if vowel else "a ") if entry.countable else ""
        template = template.replace("{a} ", article)
    return template.replace("{w}", entry.word)


def _question(entry: Entry, split: str, rng) -> str:
    train = split == "train"
    roll = rng.random()
    if entry.pos == "n" and entry.hypernym and roll < 0.25:
        hypernym = entry.hypernym
        if rng.random() < 0.4:  # a wrong guess is just as much a knowledge question
            hypernym = rng.choice(["fish", "tool", "plant", "bird", "disease", "feeling", "building", "game"])
        template = rng.choice(KIND_TRAIN if train else KIND_TEST).replace("{h}", hypernym)
    elif entry.pos == "a" and entry.antonym and roll < 0.3:
        template = rng.choice(ANTONYM_TRAIN if train else ANTONYM_TEST)
    elif entry.synonym and roll < 0.4:
        template = rng.choice(SYNONYM_TRAIN if train else SYNONYM_TEST)
    else:
        by_pos = {"n": (NOUN_TRAIN, NOUN_TEST), "v": (VERB_TRAIN, VERB_TEST), "a": (ADJ_TRAIN, ADJ_TEST)}
        template = rng.choice(by_pos[entry.pos][0 if train else 1])
    text = _fill(template, entry)
    return capitalize_first(text) if template[:1].isupper() else text


def questions(entries: list[Entry], split: str, count: int) -> list[Row]:
    rows = []
    for entry in pick(entries, split, count):
        rng = rng_for("wordnet", split, entry.word, entry.pos)
        text = restyle(_question(entry, split, rng), "wordnet", entry.word)
        rows.append(Row(text, (), "knowledge", SOURCE, WORDNET, (f"word:{entry.word}",)))
    return rows


def qa_pairs(entries: list[Entry], split: str, skip: int, count: int) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    """(question, the bot's gloss answer, source, licence) for context rows, from words after the first `skip`
    (those are the plain questions), so a word is asked about in one way only."""
    pool = pick(entries, split, skip + count)[skip:]
    pairs = []
    for entry in pool:
        rng = rng_for("wordnet-qa", split, entry.word)
        by_pos = {"n": (NOUN_TRAIN, NOUN_TEST), "v": (VERB_TRAIN, VERB_TEST), "a": (ADJ_TRAIN, ADJ_TEST)}
        template = rng.choice(by_pos[entry.pos][0 if split == "train" else 1])
        question = _fill(template, entry)
        kind = {"n": "noun", "v": "verb", "a": "adjective"}[entry.pos]
        answer = f"{capitalize_first(entry.word)} ({kind}): {entry.gloss}."
        if entry.hypernym and rng.random() < 0.5:
            answer += f" It is a kind of {entry.hypernym}."
        pairs.append((capitalize_first(question), answer, SOURCE, WORDNET, (f"word:{entry.word}",)))
    return pairs
