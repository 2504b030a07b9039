"""User turns rewritten in a casual register, for the empathetic skill's training rows.

People type to a chat bot the way they text: lower case, apostrophes left out, sentences run
together with commas or "and", a letter slipped here and there. The written empathetic turns
are tidy, so an adapter trained on them only has seen news told in full sentences. A share of
the training rows gets its user turns rewritten in that register (the reply is untouched:
the feeling to acknowledge is the same). Deterministic: one seeded draw per row.

`casual(text, rng)` is also what makes a casual copy of the validation rows to measure on
(docs/training.md): `python3 scripts/data/corpora/register.py IN OUT`.
"""

import copy
import json
import random
import re
import sys

# Contractions whose apostrophe people drop (`i'm` -> `im`); the others keep theirs.
APOSTROPHES = re.compile(r"\b(i|you|we|they|he|she|it|that|there|what|can|don|didn|doesn|isn|"
                         r"wasn|won|wouldn|couldn|shouldn|haven|hasn|aren|weren)'(m|re|ve|ll|d|s|t)\b",
                         re.IGNORECASE)
SHORT_FORMS = [(r"\byou\b", "u"), (r"\bbecause\b", "cuz"), (r"\bsomething\b", "smth"),
               (r"\bpeople\b", "ppl"), (r"\breally\b", "rly")]


def typo(word, rng):
    """One slip of the keys: two letters swapped, one dropped or one doubled."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def casual(text, rng):
    """`text` as someone texting might type it; each habit drawn on its own."""
    if rng.random() < 0.8:
        text = text.lower()
    if rng.random() < 0.6:
        text = APOSTROPHES.sub(lambda m: m.group(1) + m.group(2), text)
    if rng.random() < 0.5:
        # Sentences run together: the full stops between them become commas or "and".
        joiner = rng.choice([", ", " and ", " "])
        text = re.sub(r"(?<=[a-z])\.\s+(?=\S)", joiner, text, flags=re.IGNORECASE)
    if rng.random() < 0.5:
        text = re.sub(r"[.!]+$", "", text.strip())
    if rng.random() < 0.25:
        pattern, short = rng.choice(SHORT_FORMS)
        text = re.sub(pattern, short, text, flags=re.IGNORECASE)
    words = text.split(" ")
    for k, w in enumerate(words):
        if len(w) >= 5 and w.isalpha() and rng.random() < 0.05:
            words[k] = typo(w, rng)
    return " ".join(words)


def casual_rows(rows, rng, share):
    """`rows` with the user turns of about `share` of them (drawn with `rng`) rewritten."""
    out = []
    for r in rows:
        if rng.random() >= share:
            out.append(r)
            continue
        r = copy.deepcopy(r)
        for m in r["messages"]:
            if m["role"] == "user":
                m["content"] = casual(m["content"], rng)
        r["source"] += " (user turns retyped in a casual register)"
        out.append(r)
    return out


if __name__ == "__main__":
    src, dst = sys.argv[1:3]
    rows = [json.loads(line) for line in open(src, encoding="utf-8")]
    with open(dst, "w", encoding="utf-8") as f:
        for r in casual_rows(rows, random.Random("casual-copy"), 1.0):
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
