"""Dialogue material written for this project where no offline source has it: empathetic
exchanges (scripts/data/written/empathetic_*.jsonl). Files named *_test.jsonl were written
separately, on other situations and in another register, and form the test split; the rest is
split into train and valid by user turn; those get an explicit acknowledgement in front of
their reply where it has none (acknowledge.py)."""

import json

from acknowledge import acknowledge, common_words
from common import WRITTEN, WRITTEN_LICENSE, ROOT, row
from split import assign

FOLDER = ROOT / "scripts" / "data" / "written"


def empathetic():
    out = {"train": [], "valid": [], "test": []}
    texts = {p: p.read_text(encoding="utf-8") for p in sorted(FOLDER.glob("empathetic_*.jsonl"))}
    lower_words = common_words(texts.values())
    for path, text in texts.items():
        held_out = path.stem.endswith("_test")
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            context = item.get("context") or []
            messages = [("user" if k % 2 == 0 else "assistant", t) for k, t in enumerate(context)]
            messages.append(("user", item["user"]))
            split = "test" if held_out else assign("written-empathetic", item["user"], 0.1, 0.0)
            reply = item["reply"]
            if not held_out:
                reply = acknowledge(reply, item["user"], item["feeling"], item["valence"],
                                    lower_words)
            out[split].append(row(messages, reply,
                                  f"{WRITTEN}: {path.name}:{n} ({item['feeling']})",
                                  WRITTEN_LICENSE, expect={"valence": item["valence"]}))
    return out
