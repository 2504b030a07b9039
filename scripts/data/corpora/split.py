"""Train / valid / test assignment by group (a conversation, a country, a word) and
decontamination at sentence level: no test reply sentence and no test user turn may appear in
train or valid."""

import hashlib

from common import norm, sentences, user_turns


def fraction(salt, key):
    """A stable number in [0, 1) for a key: the same on every machine and Python run."""
    h = hashlib.sha256(f"{salt}\0{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def assign(salt, key, valid=0.1, test=0.1):
    x = fraction(salt, key)
    return "test" if x < test else "valid" if x < test + valid else "train"


def fingerprints(r):
    """What must not be shared with test: the reply's sentences and the user turns."""
    return {("s", s) for s in sentences(r["reply"])} | {("u", norm(t)) for t in user_turns(r)}


def decontaminate(splits, generic=3):
    """First drops test and valid rows built on stock text (a reply sentence or user turn found `generic`
    or more times in train and valid, such as "What about you?"), so that test keeps the
    distinctive rows; then drops train and valid rows sharing any reply sentence or user turn
    with test, and train rows sharing one with valid (so validation measures what test
    measures). Returns the rows dropped per split."""
    counts = {}
    for name in ("train", "valid"):
        for r in splits[name]:
            for f in fingerprints(r):
                counts[f] = counts.get(f, 0) + 1
    dropped = {}
    for name in ("test", "valid"):
        before = len(splits[name])
        splits[name] = [r for r in splits[name]
                        if all(counts.get(f, 0) < generic for f in fingerprints(r))]
        dropped[name] = before - len(splits[name])
    test = set().union(*(fingerprints(r) for r in splits["test"])) if splits["test"] else set()
    before = len(splits["valid"])
    splits["valid"] = [r for r in splits["valid"] if not fingerprints(r) & test]
    dropped["valid"] += before - len(splits["valid"])
    held = test | (set().union(*(fingerprints(r) for r in splits["valid"])) if splits["valid"] else set())
    before = len(splits["train"])
    splits["train"] = [r for r in splits["train"] if not fingerprints(r) & held]
    dropped["train"] = before - len(splits["train"])
    return dropped
