#!/usr/bin/env bash
# What the HTTP/SSE layer costs: TTFT and tokens/s through POST /api/chat for 1 and 4 concurrent
# clients against the engine alone (same process, same prompt, alternating runs), then
# `adapterbot bench` for the engine's own reference numbers. Run it on a quiet machine: candle's
# spinning thread pools slow down sharply when other busy programs share the cores.
# Usage: scripts/bench_server.sh [RUNS] [MAX_TOKENS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"
MAX_TOKENS="${2:-128}"
models/fetch.sh >/dev/null
cargo build --release --quiet -p adapterbot -p adapterbot-server --examples --bins
cargo run --release --quiet -p adapterbot-server --example bench_server -- \
  --runs "$RUNS" --max-tokens "$MAX_TOKENS" --json
echo
echo "adapterbot bench (engine alone, EOS ignored, $MAX_TOKENS tokens):"
cargo run --release --quiet -p adapterbot -- bench --runs "$RUNS" --max-tokens "$MAX_TOKENS" --json | tail -n 1
