"""Dialogue material written for this project where no offline source has it: empathetic
exchanges (scripts/data/written/empathetic_*.jsonl). Files named *_test.jsonl were written
separately, on other situations and in another register, and form the test split; the rest is
split into train and valid by user turn."""

import json

from common import WRITTEN, WRITTEN_LICENSE, ROOT, row
from split import assign

FOLDER = ROOT / "scripts" / "data" / "written"


def empathetic():
    out = {"train": [], "valid": [], "test": []}
    for path in sorted(FOLDER.glob("empathetic_*.jsonl")):
        held_out = path.stem.endswith("_test")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            context = item.get("context") or []
            messages = [("user" if k % 2 == 0 else "assistant", t) for k, t in enumerate(context)]
            messages.append(("user", item["user"]))
            split = "test" if held_out else assign("written-empathetic", item["user"], 0.1, 0.0)
            out[split].append(row(messages, item["reply"],
                                  f"{WRITTEN}: {path.name}:{n} ({item['feeling']})",
                                  WRITTEN_LICENSE, expect={"valence": item["valence"]}))
    return out
