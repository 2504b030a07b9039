#!/usr/bin/env python3
"""Quality checker for hand-written empathetic dialogue files (JSON Lines).

Usage:
    python3 check_written.py FILE [FILE ...] [--max-reuse 2] [--opener-pct 3.0]

Each line must be an object with keys: context (list of 0 or 2 strings),
user, reply, valence, feeling.  Files whose name contains "_test" are treated
as held-out test files: none of their reply sentences or user turns may appear
in a non-test file.

Reports: item counts, context share, feeling distribution, word-length bound
violations, distinct reply-sentence %, most reused sentences, opener (first
three words) frequency, duplicate user turns, and overlap between files.
Exits with status 1 when any hard rule is violated.
"""
import argparse
import collections
import json
import re
import sys

USER_WORDS = (6, 45)
REPLY_WORDS = (8, 40)
REPLY_SENTS = (1, 3)
BANNED = ["as an ai"]
# congratulatory phrases are only wrong when the item's valence is negative
BANNED_NEGATIVE = ["that's great", "congratulations", "congrats"]

SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'A-Z0-9])")


def norm(s):
    s = s.lower().replace("\u2019", "'")
    s = re.sub(r"[^a-z0-9' ]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def sentences(text):
    return [s for s in (x.strip() for x in SENT_SPLIT.split(text.strip())) if s]


def words(text):
    return len(text.split())


def opener(text, n=3):
    return " ".join(norm(text).split()[:n])


def load(path, problems):
    items = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"{path}:{i}: bad JSON ({e})")
                continue
            for k in ("context", "user", "reply", "valence", "feeling"):
                if k not in obj:
                    problems.append(f"{path}:{i}: missing key {k}")
            ctx = obj.get("context", [])
            if not isinstance(ctx, list) or len(ctx) not in (0, 2) or not all(
                    isinstance(c, str) and c.strip() for c in ctx):
                problems.append(f"{path}:{i}: context must be [] or two strings")
            obj["_line"] = i
            items.append(obj)
    return items


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--max-reuse", type=int, default=2)
    ap.add_argument("--opener-pct", type=float, default=3.0)
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()

    problems, warnings = [], []
    data = {p: load(p, problems) for p in args.files}

    sent_count = collections.Counter()
    sent_files = collections.defaultdict(set)
    user_seen = collections.defaultdict(list)
    openers = collections.Counter()
    user_openers = collections.Counter()
    total_sents = 0
    total_items = 0

    for path, items in data.items():
        n = len(items)
        total_items += n
        ctx_n = sum(1 for o in items if o.get("context"))
        valences = collections.Counter(o.get("valence") for o in items)
        feelings = collections.Counter(o.get("feeling") for o in items)
        uw = [words(o.get("user", "")) for o in items]
        rw = [words(o.get("reply", "")) for o in items]
        print(f"== {path}")
        print(f"  items: {n}   with context: {ctx_n} ({100.0 * ctx_n / max(n, 1):.1f}%)")
        print(f"  valence: {dict(valences)}")
        print(f"  feelings ({len(feelings)}): " + ", ".join(
            f"{k}={v}" for k, v in feelings.most_common()))
        if n:
            print(f"  user words: min {min(uw)} max {max(uw)} mean {sum(uw) / n:.1f}")
            print(f"  reply words: min {min(rw)} max {max(rw)} mean {sum(rw) / n:.1f}")
        for o in items:
            loc = f"{path}:{o['_line']}"
            u, r = o.get("user", ""), o.get("reply", "")
            if not USER_WORDS[0] <= words(u) <= USER_WORDS[1]:
                problems.append(f"{loc}: user has {words(u)} words")
            if not REPLY_WORDS[0] <= words(r) <= REPLY_WORDS[1]:
                problems.append(f"{loc}: reply has {words(r)} words")
            ns = len(sentences(r))
            if not REPLY_SENTS[0] <= ns <= REPLY_SENTS[1]:
                problems.append(f"{loc}: reply has {ns} sentences")
            banned = BANNED + (BANNED_NEGATIVE if o.get("valence") == "negative" else [])
            for b in banned:
                if b in r.lower():
                    problems.append(f"{loc}: reply contains banned phrase '{b}'")
            user_seen[norm(u)].append(loc)
            openers[opener(r)] += 1
            user_openers[opener(u, 2)] += 1
            for s in sentences(r):
                k = norm(s)
                if k:
                    sent_count[k] += 1
                    sent_files[k].add(path)
                    total_sents += 1

    distinct = len(sent_count)
    print("== all files")
    print(f"  items: {total_items}")
    print(f"  reply sentences: {total_sents}, distinct: {distinct} "
          f"({100.0 * distinct / max(total_sents, 1):.2f}%)")
    max_reuse = max(sent_count.values()) if sent_count else 0
    print(f"  max sentence reuse: {max_reuse}")
    for s, c in sent_count.most_common(args.top):
        if c < 2:
            break
        print(f"    {c}x  {s}")
    if total_sents and 100.0 * distinct / total_sents < 95.0:
        problems.append("distinct reply sentences below 95%")
    for s, c in sent_count.items():
        if c > args.max_reuse:
            problems.append(f"sentence used {c} times: {s}")

    print(f"  top reply openers (first 3 words), limit {args.opener_pct}%:")
    for o, c in openers.most_common(args.top):
        pct = 100.0 * c / max(total_items, 1)
        print(f"    {c:4d} ({pct:4.1f}%)  {o}")
        if pct > args.opener_pct:
            warnings.append(f"reply opener '{o}' in {pct:.1f}% of items")
    print("  top user openers (first 2 words):")
    for o, c in user_openers.most_common(8):
        print(f"    {c:4d} ({100.0 * c / max(total_items, 1):4.1f}%)  {o}")

    dup_users = {k: v for k, v in user_seen.items() if len(v) > 1}
    print(f"  duplicate user turns: {len(dup_users)}")
    for k, v in list(dup_users.items())[:10]:
        print(f"    {v}: {k[:70]}")
        problems.append(f"duplicate user turn at {v}")

    test_files = {p for p in data if "_test" in p}
    train_files = set(data) - test_files
    if test_files and train_files:
        shared = [s for s, fs in sent_files.items() if fs & test_files and fs & train_files]
        print(f"  reply sentences shared between test and non-test files: {len(shared)}")
        for s in shared[:10]:
            print(f"    {s}")
            problems.append(f"test/train shared sentence: {s}")
        cross_users = [v for v in dup_users.values()
                       if any(l.split(':')[0] in test_files for l in v)
                       and any(l.split(':')[0] in train_files for l in v)]
        print(f"  user turns shared between test and non-test files: {len(cross_users)}")

    print("== result")
    for w in warnings:
        print(f"  WARN {w}")
    for p in problems[:50]:
        print(f"  FAIL {p}")
    if len(problems) > 50:
        print(f"  ... and {len(problems) - 50} more")
    print(f"  {len(problems)} problem(s), {len(warnings)} warning(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
