#!/usr/bin/env python3
# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Builds the dialogue manager's labelled turns: data/manager/{train,valid,test,probe}.jsonl.

Reads the offline sources under data/sources/ (fetched by data/fetch.sh) plus the turns written
for this project in scripts/data/manager_data/. Deterministic: the same sources give the same
bytes. Needs Python 3.11 and PyYAML (for the chatterbot corpus).

Three held-out sets: test (its own countries, words, files, conversations and written lists,
built apart from training), valid (carved from the training rows: every row made from an item
held out for valid by a fixed hash, see common.in_valid) and probe (hand-written, another style).
Settings are chosen on valid only.

    python3 scripts/data/make_manager_data.py
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from manager_data import (  # noqa: E402
    broaden,
    chatterbot,
    chatty,
    chitchat_dataset,
    contexts,
    factbook,
    probe,
    wordnet,
    written_chitchat,
    written_empathetic,
    written_knowledge,
    written_persona,
)
from manager_data.common import SKILLS, Row, in_valid, norm, row_key, stable_fraction  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# How much of each source goes in (tuned so every skill lands at roughly 450–550 train rows).
SIZES = {
    "train": {"factbook_per_country": 1.3, "wordnet": 110, "wordnet_qa": 30, "chitchat_dataset": 230,
              "chitchat_combos": 50, "empathetic_frames": 5, "persona_shapes": 3, "context": 60, "mismatched": 12},
    "test": {"factbook_per_country": 0.6, "wordnet": 35, "wordnet_qa": 12, "chitchat_dataset": 60,
             "chitchat_combos": 15, "empathetic_frames": 4, "persona_shapes": 2, "context": 30, "mismatched": 6},
}
# Trivia is one file of 261 questions; keep it from outweighing the Factbook and WordNet rows.
TRIVIA_CAP = {"train": 110, "test": 35}
CONTEXT_TEXTS = set(contexts.AMBIGUOUS) | set(contexts.ASK_BACK)


def build_split(split: str, sources: dict) -> list[Row]:
    size = SIZES[split]
    countries, entries = sources["countries"], sources["entries"]
    rows: list[Row] = []
    rows += factbook.questions(countries, split, size["factbook_per_country"])
    rows += wordnet.questions(entries, split, size["wordnet"])
    rows += written_knowledge.rows(split)
    cb = sources["chatterbot"][split]
    trivia = [r for r in cb if r.source.endswith("trivia.yml")]
    trivia.sort(key=lambda r: stable_fraction("trivia-order", r.text))
    rows += [r for r in cb if not r.source.endswith("trivia.yml")] + trivia[: TRIVIA_CAP[split]]
    rows += sources["chitchat"][split]
    rows += written_chitchat.rows(split, size["chitchat_combos"])
    rows += written_empathetic.rows(split, size["empathetic_frames"])
    rows += written_persona.rows(split, size["persona_shapes"])
    if split == "train":
        rows += broaden.rows()  # more families of phrasing; test keeps its own lists

    knowledge_pairs = factbook.qa_pairs(countries, split)
    knowledge_pairs += wordnet.qa_pairs(entries, split, size["wordnet"], size["wordnet_qa"])
    knowledge_pairs += written_knowledge.qa_pairs(split)
    knowledge_pairs.sort(key=lambda p: stable_fraction("kqa-order", p[0]))
    split_countries = [c.name for c in countries if factbook.is_test_country(c) == (split == "test")]
    clear = collections.defaultdict(list)
    for row in rows:
        if not row.context and row.source != chitchat_dataset.SOURCE and norm(row.text) not in {norm(t) for t in CONTEXT_TEXTS}:
            clear[row.skill].append(row)
    for skill in clear:
        clear[skill].sort(key=lambda r: stable_fraction("clear-order", r.text))
    rows += contexts.build(
        split,
        size["context"],
        size["mismatched"],
        knowledge_pairs,
        split_countries,
        written_empathetic.situations(split),
        clear,
    )
    if split == "train":
        rows += broaden.context_rows()
        # The chat-box register (long, several sentences, emoji, typos) and more conversations;
        # added last so the rows above stay as they were.
        rows += chatty.rows() + chatty.context_rows()
    return rows


def dedupe(rows: list[Row], split: str) -> list[Row]:
    """One row per (text, context) as a reader sees them; two labels for one key is a bug."""
    seen: dict[tuple, Row] = {}
    out = []
    for row in rows:
        key = row_key(row)
        if key in seen:
            if seen[key].skill != row.skill:
                raise SystemExit(f"error: {split}: {row.text!r} (context {row.context}) is labelled both "
                                 f"{seen[key].skill} ({seen[key].source}) and {row.skill} ({row.source}); fix the lists")
            continue
        seen[key] = row
        out.append(row)
    return out


def hold_out(train: list[Row], test: list[Row]) -> tuple[list[Row], int]:
    """Drop test rows whose text training already has (short openings such as "hello!" occur in
    many human conversations). Context-decided turns are kept: their contexts are new."""
    train_texts = {norm(r.text) for r in train}
    context_texts = {norm(t) for t in CONTEXT_TEXTS}
    kept = [r for r in test if norm(r.text) in context_texts and r.context or norm(r.text) not in train_texts]
    return kept, len(test) - len(kept)


def carve_valid(rows: list[Row]) -> tuple[list[Row], list[Row], int]:
    """Splits today's training rows into train and valid by the items they were made from, then
    drops valid rows that training has anyway: the same text (unless a context-decided turn), or a
    context-decided turn under a context training also has."""
    train = [r for r in rows if not in_valid(r)]
    valid = [r for r in rows if in_valid(r)]
    train_texts = {norm(r.text) for r in train}
    train_contexts = {tuple(norm(c) for c in r.context) for r in train if r.context}
    context_texts = {norm(t) for t in CONTEXT_TEXTS}
    kept = []
    for r in valid:
        if norm(r.text) in context_texts and r.context:
            if tuple(norm(c) for c in r.context) not in train_contexts:
                kept.append(r)
        elif norm(r.text) not in train_texts:
            kept.append(r)
    return train, kept, len(valid) - len(kept)


def check(train: list[Row], valid: list[Row], test: list[Row], probe_rows: list[Row]) -> None:
    for name, rows in (("train", train), ("valid", valid), ("test", test), ("probe", probe_rows)):
        for row in rows:
            assert row.text.strip(), f"{name}: empty text"
            assert row.skill in SKILLS, f"{name}: unknown skill {row.skill}"
            assert len(row.context) <= 3 and all(c.strip() for c in row.context), f"{name}: bad context {row.context}"
    counts = {name: collections.Counter(r.skill for r in rows) for name, rows in (("train", train), ("valid", valid), ("test", test))}
    for skill in SKILLS:
        assert counts["train"][skill] >= 300, f"train has only {counts['train'][skill]} {skill} rows"
        assert counts["valid"][skill] >= 100, f"valid has only {counts['valid'][skill]} {skill} rows"
        assert counts["test"][skill] >= 100, f"test has only {counts['test'][skill]} {skill} rows"
    probe_counts = collections.Counter(r.skill for r in probe_rows)
    probe_context = collections.Counter(r.skill for r in probe_rows if r.context)
    for skill in SKILLS:
        assert probe_counts[skill] >= 50, f"probe has only {probe_counts[skill]} {skill} rows"
        assert probe_context[skill] >= 10, f"probe has only {probe_context[skill]} {skill} rows with context"
    for name, rows in (("train", train), ("valid", valid), ("test", test)):
        share = sum(1 for r in rows if r.context) / len(rows)
        assert share >= 0.15, f"{name}: only {share:.0%} of rows have context"

    # Nothing in test appears verbatim in train: a test turn is new, or it is a context-decided
    # turn under a context (its last message) that training never had.
    train_texts = {norm(r.text) for r in train}
    train_keys = {row_key(r) for r in train}
    train_last = {norm(r.context[-1]) for r in train if r.context}
    context_texts = {norm(t) for t in CONTEXT_TEXTS}
    for row in test:
        assert row_key(row) not in train_keys, f"test row also in train: {row}"
        if norm(row.text) in train_texts:
            assert norm(row.text) in context_texts and row.context, f"test text also in train: {row.text!r}"
            assert norm(row.context[-1]) not in train_last, f"test context also in train: {row.context[-1]!r}"
    # Valid holds out items the same way: nothing training has, bar context-decided turns under a
    # context training never had.
    train_contexts = {tuple(norm(c) for c in r.context) for r in train if r.context}
    for row in valid:
        assert row_key(row) not in train_keys, f"valid row also in train: {row}"
        if norm(row.text) in train_texts:
            assert norm(row.text) in context_texts and row.context, f"valid text also in train: {row.text!r}"
            assert tuple(norm(c) for c in row.context) not in train_contexts, f"valid context also in train: {row.context!r}"
    all_texts = train_texts | {norm(r.text) for r in valid} | {norm(r.text) for r in test}
    for row in probe_rows:
        assert norm(row.text) not in all_texts or norm(row.text) in context_texts and row.context, \
            f"probe text also in train/valid/test: {row.text!r}"
    probe_keys = {row_key(r) for r in probe_rows}
    for row in train + valid + test:
        assert row_key(row) not in probe_keys, f"probe row also in a split: {row}"

    # The same short turn carries different labels under different contexts, in both splits.
    # (Valid, a fifth of the exchanges, is too small for that per turn: there the short turns
    # together must carry every skill.)
    for name, rows in (("train", train), ("valid", valid), ("test", test)):
        labels = collections.defaultdict(set)
        for row in rows:
            if row.text in CONTEXT_TEXTS and row.context:
                labels[row.text].add(row.skill)
        if name == "valid":
            assert set().union(*labels.values()) == set(SKILLS), f"valid: short turns carry only {labels}"
            continue
        for text in contexts.AMBIGUOUS:
            assert len(labels[text]) >= 2, f"{name}: {text!r} has labels {labels[text]}, needs two or more"


def write_jsonl(path: Path, rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            for row in rows:
                f.write(row.to_json() + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def report(name: str, rows: list[Row]) -> None:
    by_skill = collections.Counter(r.skill for r in rows)
    with_context = collections.Counter(r.skill for r in rows if r.context)
    print(f"{name}: {len(rows)} rows, {sum(with_context.values())} with context "
          f"({sum(with_context.values()) / max(1, len(rows)):.0%})")
    for skill in SKILLS:
        print(f"  {skill:<11} {by_skill[skill]:>4}  (with context {with_context[skill]})")
    by_source = collections.Counter((r.source, r.skill) for r in rows)
    for (source, skill), n in sorted(by_source.items()):
        print(f"    {source:<56} {skill:<11} {n:>4}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, default=ROOT / "data" / "sources")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "manager")
    args = parser.parse_args()
    src = args.sources
    missing = [p for p in ("chatterbot", "chitchat/dataset.json", "factbook", "wordnet/index.sense") if not (src / p).exists()]
    if missing:
        raise SystemExit(f"error: missing {', '.join(missing)} under {src}; run data/fetch.sh first")

    sources = {
        "countries": factbook.load_countries(src / "factbook"),
        "entries": wordnet.load_entries(src / "wordnet"),
        "chatterbot": chatterbot.rows(src / "chatterbot"),
        "chitchat": chitchat_dataset.rows(
            src / "chitchat" / "dataset.json",
            {split: SIZES[split]["chitchat_dataset"] for split in ("train", "test")},
        ),
    }
    train, valid, valid_dropped = carve_valid(dedupe(build_split("train", sources), "train"))
    test, dropped = hold_out(train + valid, dedupe(build_split("test", sources), "test"))
    probe_rows = probe.rows()
    check(train, valid, test, probe_rows)

    order = lambda r: stable_fraction("row-order", r.to_json())  # noqa: E731 - a fixed shuffle
    train.sort(key=order)
    valid.sort(key=order)
    test.sort(key=order)
    write_jsonl(args.out / "train.jsonl", train)
    write_jsonl(args.out / "valid.jsonl", valid)
    write_jsonl(args.out / "test.jsonl", test)
    write_jsonl(args.out / "probe.jsonl", probe_rows)
    report("train", train)
    report("valid", valid)
    report("test", test)
    report("probe", probe_rows)
    print(f"valid rows dropped because training has the same text or context: {valid_dropped}")
    print(f"test rows dropped because training or valid has the same text: {dropped}")


if __name__ == "__main__":
    main()
