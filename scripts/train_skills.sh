#!/usr/bin/env bash
# Retrains the default skills' adapters from the repository's data (data/skills/<id>/) into
# models/skills/<id>/ (adapter.safetensors, skill.json's training summary, loss.svg), then prints
# the skill × adapter report on the test split (perplexity and behaviour). About 15–45 minutes
# per skill on a 2-core CPU.
#
#   scripts/train_skills.sh [SKILL…]        (default: every default skill)
#
# TRAIN_FLAGS adds flags to every `adapterbot train adapter` (e.g. TRAIN_FLAGS="--threads 1" on a
# busy machine); MAX_STEPS caps the updates of every skill (default: 600 for persona, 400 for
# knowledge, 300 for empathetic, 200 for chitchat, as the shipped adapters were trained); EVAL=0
# skips the report.
# The corpora themselves are rebuilt with scripts/data/make_skill_corpora.py.
set -euo pipefail
cd "$(dirname "$0")/.."
models/fetch.sh
cargo build --release --locked -p adapterbot
bin="${CARGO_TARGET_DIR:-target}/release/adapterbot"

skills=("$@")
if [ ${#skills[@]} -eq 0 ]; then
  skills=(empathetic persona knowledge chitchat)
fi
for skill in "${skills[@]}"; do
  case "$skill" in
    persona) steps="${MAX_STEPS:-600}" ;;
    knowledge) steps="${MAX_STEPS:-400}" ;;
    empathetic) steps="${MAX_STEPS:-300}" ;;
    *) steps="${MAX_STEPS:-200}" ;;
  esac
  echo "== training $skill ($steps updates)"
  # shellcheck disable=SC2086  # TRAIN_FLAGS is a list of flags
  "$bin" train adapter --skill "$skill" \
    --epochs 2 --max-steps "$steps" --batch-tokens 384 --max-len 384 \
    --lr 1e-3 --eval-every 100 --patience 3 --seed 0 ${TRAIN_FLAGS:-}
done
if [ "${EVAL:-1}" != 0 ]; then
  "$bin" eval adapters --split test
fi
