"""Builds every default skill's corpus: data/skills/<skill>/{train,valid,test}.jsonl."""

import json
import random
import sys

import chatterbot
import checks
import dialogues
import mining
import register
import written
from common import SPLITS, write_splits
from split import decontaminate

MIN_TRAIN = 1500
# Mined chitchat is plentiful: keep the corpus the size of the others.
CHITCHAT_CAP = {"train": 1900, "valid": 250, "test": 250}
# Empathetic training rows whose user turns are retyped casually (register.py).
CASUAL_SHARE = 0.35


def vader(sources):
    sys.path.insert(0, str(sources))
    from vader.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def merge(*parts):
    return {n: [r for p in parts for r in p[n]] for n in SPLITS}


def finish(skill, splits, rng, out_dir):
    for n in SPLITS:
        rng.shuffle(splits[n])
    dropped = decontaminate(splits)
    capped = checks.cap_sentence_reuse(splits)
    print(f"{skill}: dropped for overlap with held-out splits {dropped}, for sentence reuse {capped}")
    problems = checks.check(skill, splits, MIN_TRAIN)
    write_splits(out_dir, skill, splits)
    return problems


def build(sources, out_dir, store, only=None):
    """Builds the skills in `only` (default: all); returns the problems found."""
    wanted = set(only or ("empathetic", "persona", "chitchat", "knowledge"))
    data = json.loads((sources / "chitchat" / "dataset.json").read_text(encoding="utf-8"))
    prompts = {k: v.get("prompt", "") for k, v in data.items()}
    miner = mining.Miner(dialogues.load(sources), prompts, vader(sources))
    problems = []
    # Order matters: each exchange goes to the first skill that claims it, so every skill is
    # mined even when only some are written.
    empathetic = merge(miner.empathetic(), written.empathetic())
    empathetic["train"] = register.casual_rows(empathetic["train"], random.Random("casual"),
                                               CASUAL_SHARE)
    persona = miner.persona(random.Random("persona-2"))
    chit = miner.chitchat(random.Random("chitchat-2"))
    rng = random.Random("chitchat-order")
    for n in SPLITS:
        rng.shuffle(chit[n])
        chit[n] = chit[n][: CHITCHAT_CAP[n]]
    chit = merge(chit, chatterbot.rows(sources))
    for skill, splits in (("empathetic", empathetic), ("persona", persona), ("chitchat", chit)):
        if skill in wanted:
            problems += finish(skill, splits, random.Random(f"{skill}-order"), out_dir)
    if "knowledge" in wanted:
        import knowledge

        problems += finish("knowledge", knowledge.build(sources, store),
                           random.Random("knowledge-order"), out_dir)
    return problems
