#!/usr/bin/env bash
# Sets up and runs every test: fetches the default model and the data sources if missing, then
# builds once (release, so the real-model tests run at full speed) and runs the workspace's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo is required (install Rust with rustup)" >&2; exit 1; }
models/fetch.sh
# The knowledge store's tests build an index from the real Factbook and WordNet.
data/fetch.sh
# One model thread per test: the test harness already runs tests in parallel on every core, and
# candle's spinning worker pools collapse when they compete for the cores (docs/engine.md).
export CANDLE_NUM_THREADS="${CANDLE_NUM_THREADS:-1}" RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
cargo test --release --workspace --locked "$@"
