#!/usr/bin/env bash
# Runs every fuzz target (property tests over damaged and random bytes) for CASES cases each
# (default 1 000 000): the two request decoders, the GGUF model and adapter safetensors loaders,
# skill.json, manager.json and the dialogue JSONL reader. `scripts/test.sh` runs the same
# targets with a few hundred cases. Prints each target's case count and time.
#
#   scripts/fuzz.sh [CASES]
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-1000000}"
models/fetch.sh >/dev/null
export CANDLE_NUM_THREADS=1 RAYON_NUM_THREADS=1 PROPTEST_CASES="$cases"
targets=(
  "adapterbot-server decoder_props"
  "adapterbot-engine fuzz_files"
  "adapterbot-skills fuzz_files"
  "adapterbot-train fuzz_files"
)
cargo build --release --locked --tests -p adapterbot-server -p adapterbot-engine \
  -p adapterbot-skills -p adapterbot-train
for t in "${targets[@]}"; do
  read -r crate test <<<"$t"
  start=$(date +%s)
  cargo test --release --locked -q -p "$crate" --test "$test" -- --test-threads 2
  echo "== $crate $test: $cases cases per property, $(($(date +%s) - start)) s"
done
