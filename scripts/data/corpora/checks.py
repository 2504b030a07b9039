"""The invariants every default corpus meets, enforced where they can be (reuse cap) and
reported (distinctness, sizes, contamination); crates/train/tests/corpora.rs checks them again
on the committed files."""

import collections

from common import SPLITS, norm, sentences, split_sentences
from split import fingerprints

MAX_SENTENCE_USES = 3


def cap_sentence_reuse(splits, limit=MAX_SENTENCE_USES):
    """Keeps every reply sentence to at most `limit` uses across the corpus (test first, then
    valid, then train, each in order). An over-used sentence (a stock "What about you?" or
    "Haha.") is cut from a reply that has other sentences of 3+ words; a reply that would be
    left with none is dropped. Returns (rows dropped, replies cut) per split."""
    uses = collections.Counter()
    dropped, cut = {}, {}
    for name in ("test", "valid", "train"):
        kept, cut[name] = [], 0
        for r in splits[name]:
            parts = split_sentences(r["reply"])
            fresh, here = [], collections.Counter()
            for p in parts:
                if norm(p) and uses[norm(p)] + here[norm(p)] < limit:
                    fresh.append(p)
                    here[norm(p)] += 1
            if len(fresh) < len(parts):
                if not any(len(p.split()) >= 3 for p in fresh):
                    continue
                r = dict(r, reply=" ".join(fresh))
                cut[name] += 1
            uses.update(here)
            kept.append(r)
        dropped[name] = len(splits[name]) - len(kept)
        splits[name] = kept
    return dropped, cut


def stats(splits):
    """Per split: rows, share of distinct reply sentences; corpus: the most-used sentence's count
    and the rows of train/valid that share a fingerprint with test (must be 0)."""
    out = {}
    every = collections.Counter()
    for name in SPLITS:
        ss = [s for r in splits[name] for s in sentences(r["reply"])]
        every.update(ss)
        out[name] = {"rows": len(splits[name]),
                     "distinct_sentences": round(len(set(ss)) / max(len(ss), 1), 3)}
    test = set().union(*(fingerprints(r) for r in splits["test"])) if splits["test"] else set()
    out["max_sentence_uses"] = max(every.values(), default=0)
    out["contaminated"] = sum(1 for n in ("train", "valid") for r in splits[n]
                              if fingerprints(r) & test)
    return out


def check(skill, splits, min_train):
    s = stats(splits)
    problems = []
    if s["train"]["rows"] < min_train:
        problems.append(f"{s['train']['rows']} train rows (< {min_train})")
    for name in SPLITS:
        if s[name]["distinct_sentences"] < 0.9:
            problems.append(f"{name}: {s[name]['distinct_sentences']:.0%} distinct reply sentences")
    if s["max_sentence_uses"] > MAX_SENTENCE_USES:
        problems.append(f"a reply sentence used {s['max_sentence_uses']} times")
    if s["contaminated"]:
        problems.append(f"{s['contaminated']} train/valid rows share text with test")
    print(f"  {skill}: {s}")
    for p in problems:
        print(f"  {skill}: PROBLEM {p}")
    return problems
