#!/usr/bin/env bash
# Sets up and runs every test: fetches the default model if missing, then builds once (release,
# so the real-model tests run at full speed) and runs the whole workspace's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo is required (install Rust with rustup)" >&2; exit 1; }
models/fetch.sh
cargo test --release --workspace --locked "$@"
