#!/usr/bin/env bash
# Sets up and runs every test: fetches the default model if missing, installs Chromium for the web
# page's test if missing, then builds once (release, so the real-model tests run at full speed)
# and runs the whole workspace's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo is required (install Rust with rustup)" >&2; exit 1; }
models/fetch.sh

# The web page's test (crates/server/tests/web_ui.rs) drives Debian's headless Chromium through
# chromedriver; install them once when they are missing.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing chromium and chromium-driver for the web page's browser test" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
fi

# One model thread per test: the test harness already runs tests in parallel on every core, and
# candle's spinning worker pools collapse when they compete for the cores (docs/engine.md).
export CANDLE_NUM_THREADS="${CANDLE_NUM_THREADS:-1}" RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
cargo test --release --workspace --locked "$@"
