#!/usr/bin/env bash
# Fetches the offline data sources (chitchat-dataset, chatterbot-corpus, CIA World Factbook,
# WordNet, and the VADER sentiment lexicon used to build the skill corpora)
# into data/sources/, pinned by sha256. Needed to rebuild the knowledge index and the
# training data; idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/../scripts/fetch_packages.py" sources
