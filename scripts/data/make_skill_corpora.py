#!/usr/bin/env python3
"""Builds the default skills' corpora, deterministically: data/skills/<skill>/{train,valid,test}.jsonl
in the dialogue format of docs/training.md. The work is in scripts/data/corpora/, one module per
concern (sources and row format, mining real conversations, knowledge questions, written
material, splitting and decontamination, checks); docs/training.md is the data card.

Usage: scripts/data/make_skill_corpora.py [--sources data/sources] [--out data/skills]
       [--search-bin target/release/adapterbot --index models/knowledge] [--only SKILL ...]
Needs Python 3 and PyYAML; the sources come from data/fetch.sh.
"""

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "corpora"))

import build  # noqa: E402
from common import ROOT  # noqa: E402
from knowledge import Store  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sources", type=Path, default=ROOT / "data" / "sources")
    p.add_argument("--out", type=Path, default=ROOT / "data" / "skills")
    p.add_argument("--search-bin", help="an adapterbot binary with `knowledge search`: knowledge "
                   "rows then carry the passages the store retrieves (else: the answer's passage "
                   "among other passages of the same country or word, in the store's text format)")
    p.add_argument("--index", type=Path, default=ROOT / "models" / "knowledge",
                   help="the knowledge index for --search-bin")
    p.add_argument("--only", nargs="+", choices=["empathetic", "persona", "chitchat", "knowledge"])
    a = p.parse_args()
    for d in ("factbook", "wordnet", "chatterbot", "chitchat", "vader"):
        if not (a.sources / d).is_dir():
            sys.exit(f"missing {a.sources / d}: run data/fetch.sh first")
    store = Store(a.search_bin, a.index) if a.search_bin else None
    problems = build.build(a.sources, a.out, store, a.only)
    if problems:
        sys.exit("the corpora break their invariants:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main()
