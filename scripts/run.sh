#!/usr/bin/env bash
# Sets up and starts AdapterBot with the default model and skills: fetches the backbone, the
# manager's sentence encoder and the knowledge sources (pinned, once), builds the binary and the
# knowledge index (once), then starts the server, which prints the address to open.
# Extra arguments go to `adapterbot serve` (e.g. --port 9000); `scripts/run.sh chat [FLAGS]` starts
# the terminal chat with the same bot instead.
set -euo pipefail
cd "$(dirname "$0")/.."
models/fetch.sh
data/fetch.sh
cargo build --release --locked --bin adapterbot
bin="${CARGO_TARGET_DIR:-target}/release/adapterbot"
# Built once, and again when this build cannot read it (a new index format).
"$bin" knowledge search capital --k 1 >/dev/null 2>&1 || "$bin" knowledge build
if [ "${1:-}" = chat ]; then
  shift
  exec "$bin" chat "$@"
fi
exec "$bin" serve "$@"
