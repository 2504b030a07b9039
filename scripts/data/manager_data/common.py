# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Shared pieces of the dialogue-manager data builder: the row type, text keys, deterministic
per-item randomness and the "texting style" variations applied to turns."""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
from dataclasses import dataclass, field

SKILLS = ("chitchat", "empathetic", "knowledge", "persona")
SEED = "adapterbot-manager-data-v1"

# Licence names used in rows (SPDX where one exists).
APACHE = "Apache-2.0"
BSD3 = "BSD-3-Clause"
MIT = "MIT"
PUBLIC_DOMAIN = "Public-Domain"
WORDNET = "WordNet"

WRITTEN = "written-for-adapterbot"
WRITTEN_PROBE = "written-for-adapterbot-probe"


@dataclass(frozen=True)
class Row:
    text: str
    context: tuple[str, ...]
    skill: str
    source: str
    license: str
    # What the row was made from (a country, a word, a conversation, a situation, an exchange),
    # for carving the valid split; empty means the row's own text. Not written out.
    units: tuple[str, ...] = field(default=(), compare=False)

    def to_json(self) -> str:
        return json.dumps(
            {
                "text": self.text,
                "context": list(self.context),
                "skill": self.skill,
                "source": self.source,
                "license": self.license,
            },
            ensure_ascii=False,
        )


def written(text: str, skill: str, context: tuple[str, ...] = (), units: tuple[str, ...] = ()) -> Row:
    return Row(text, tuple(context), skill, WRITTEN, APACHE, tuple(units))


def rng_for(*parts: object) -> random.Random:
    """A generator seeded by the item itself, so editing one list never reshuffles another.
    (A str seed goes through SHA-512, so it does not depend on PYTHONHASHSEED.)"""
    return random.Random(SEED + "|" + "|".join(str(p) for p in parts))


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts`: used to split items between train and test."""
    digest = hashlib.sha256((SEED + "|" + "|".join(str(p) for p in parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


# Share of the items behind today's training rows that go to the valid split instead.
VALID_FRACTION = 0.2


def row_units(row: Row) -> tuple[str, ...]:
    return row.units or ("text:" + norm(row.text),)


def in_valid(row: Row) -> bool:
    """A training row goes to valid when any item it was made from is held out for valid, so
    training never sees a valid item (country, word, conversation, situation, exchange, line)."""
    return any(stable_fraction("valid-split", unit) < VALID_FRACTION for unit in row_units(row))


_PUNCT = re.compile(r"[^\w' ]+")
_SPACES = re.compile(r"\s+")


def norm(text: str) -> str:
    """The key two turns share when a reader would call them the same words: case, punctuation
    and spacing ignored (the sentence encoder is uncased, so case variants are duplicates)."""
    text = text.casefold().replace("’", "'")
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def row_key(row: Row) -> tuple[str, tuple[str, ...]]:
    return norm(row.text), tuple(norm(c) for c in row.context)


_TAGS = re.compile(r"<[^>]+>")


def clean_markup(text: str) -> str:
    """Factbook fields carry HTML entities and tags."""
    text = html.unescape(_TAGS.sub(" ", text)).replace("\xa0", " ")
    return _SPACES.sub(" ", text).strip()


def _typo(word: str, rng: random.Random) -> str:
    """One slip of the fingers: two neighbouring letters swapped, or one dropped."""
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


_TEXTING = [
    (re.compile(r"\byou\b"), "u"),
    (re.compile(r"\byour\b"), "ur"),
    (re.compile(r"\bare\b"), "r"),
    (re.compile(r"\bplease\b"), "pls"),
    (re.compile(r"\bthanks\b"), "thx"),
]


def restyle(text: str, *key: object) -> str:
    """Vary casing, end punctuation, typos and texting shorthand, the way people type in a chat
    box. The words that carry the meaning are kept; the variation is fixed by `key`."""
    rng = rng_for("style", text, *key)
    roll = rng.random()
    out = text
    if roll < 0.40:
        return out
    if roll < 0.58:
        out = out.lower()
    elif roll < 0.72:
        out = out.lower().rstrip("?.!")
    elif roll < 0.80:
        ends = ["??", "?!", " ?", "?"] if out.rstrip().endswith("?") else ["!!", "...", "!", "."]
        out = out.rstrip("?.!") + rng.choice(ends)
    elif roll < 0.90:
        words = out.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if candidates:
            i = rng.choice(candidates)
            words[i] = _typo(words[i], rng)
        out = " ".join(words)
    else:
        out = out.lower()
        for pattern, short in _TEXTING:
            out = pattern.sub(short, out)
    return out.strip() or text


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
