#!/usr/bin/env bash
# Sets up and runs every test: fetches the default model and the data sources if missing, installs
# what the server's tests need (openai client, curl, Chromium) if missing, then builds once (release,
# so the real-model tests run at full speed), builds the knowledge index if missing, runs the
# whole workspace's tests, then a one-minute soak of the real server.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo is required (install Rust with rustup)" >&2; exit 1; }
models/fetch.sh

# The server's tests drive it with the official openai Python client (pinned, in .venv-test/)
# and with curl.
OPENAI_VERSION=3.51.0
if ! .venv-test/bin/python -c "import openai, sys; sys.exit(openai.__version__ != '$OPENAI_VERSION')" 2>/dev/null; then
  python3 -m venv .venv-test
  .venv-test/bin/pip install --quiet "openai==$OPENAI_VERSION"
fi
export ADAPTERBOT_TEST_PYTHON="$PWD/.venv-test/bin/python"

# Debian packages, installed once when missing: curl, and for the web page's test
# (crates/server/tests/web_ui.rs) headless Chromium with chromedriver.
missing=()
command -v curl >/dev/null || missing+=(curl)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing ${missing[*]} for the server's tests" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# The knowledge store's tests build an index from the real Factbook and WordNet.
data/fetch.sh
# One model thread per test: the test harness already runs tests in parallel on every core, and
# candle's spinning worker pools collapse when they compete for the cores (docs/engine.md).
export CANDLE_NUM_THREADS="${CANDLE_NUM_THREADS:-1}" RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
# Everything `cargo test` builds, built first (the same targets, so the tests reuse it) for the
# binary: the server's end-to-end tests answer from the knowledge index in models/knowledge
# (crates/server/tests/common/mod.rs, knowledge_store), which is not committed. Built here once
# when it is missing or cannot be read by this build (about 12 s).
cargo build --release --workspace --locked --all-targets
bin="${CARGO_TARGET_DIR:-target}/release/adapterbot"
if ! "$bin" knowledge search capital --k 1 >/dev/null 2>&1; then
  echo "Building the knowledge index (models/knowledge) for the server's tests" >&2
  "$bin" knowledge build
fi
cargo test --release --workspace --locked "$@"
# One minute of the soak test (docs/server.md): the real server at 4x its capacity with reloads,
# a skill added, dropped clients and bad requests; fails on a 5xx, a cut stream or a leak.
scripts/soak.sh 1
# Deployment files (docker/): Kubernetes manifests against the official schemas and against the
# Dockerfiles and compose file, and the variables they set against `adapterbot serve --help`.
scripts/check_deploy.sh --binary "$bin"
