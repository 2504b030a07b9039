#!/usr/bin/env bash
# Create .venv-ref/ at the repo root with the pinned reference packages
# (numpy, gguf, llama-cpp-python built from source for this CPU).
# Idempotent: a venv that already has the pinned versions is left alone.
# Usage: bash scripts/reference/setup.sh   (the llama.cpp build takes ~10 min on 2 cores)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/.venv-ref"
req="$here/requirements.txt"

# Keep the venv out of git without clobbering lines others added.
touch "$root/.gitignore"
grep -qxF '/.venv-ref/' "$root/.gitignore" || echo '/.venv-ref/' >> "$root/.gitignore"

python=$(command -v python3 || command -v python || true)
[ -n "$python" ] || { echo "error: python3 not found" >&2; exit 1; }
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
py="$venv/bin/python"

# Versions wanted, read from the pins so there is one source of truth.
pin() { sed -n "s/^$1==\(.*\)$/\1/p" "$req"; }
have() { "$py" -c "import importlib.metadata as m; import sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null; }

if have numpy "$(pin numpy)" && have gguf "$(pin gguf)" && have llama_cpp_python "$(pin llama-cpp-python)"; then
  echo "reference venv ready: $venv"
  exit 0
fi

"$py" -m pip install --quiet --upgrade pip
# The pure-Python pins first (and cmake/ninja for the native build when the system lacks them).
"$py" -m pip install --quiet "numpy==$(pin numpy)" "gguf==$(pin gguf)"
command -v cmake >/dev/null || "$py" -m pip install --quiet cmake ninja
export PATH="$venv/bin:$PATH"

if ! have llama_cpp_python "$(pin llama-cpp-python)"; then
  # GGML_NATIVE: tune for this CPU (AVX2/AVX-512 as present), as a fair baseline for the Rust engine.
  # LLAMA_CURL off: the library never downloads models here, and libcurl headers may be absent.
  export CMAKE_ARGS="${CMAKE_ARGS:-} -DGGML_NATIVE=ON -DLLAMA_CURL=OFF"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
  echo "building llama-cpp-python from source (CMAKE_ARGS=$CMAKE_ARGS); this takes several minutes ..."
  # --no-binary: always compile here; --no-cache-dir: never reuse a wheel built with other flags.
  "$py" -m pip install --no-cache-dir --no-binary llama-cpp-python \
    "llama-cpp-python==$(pin llama-cpp-python)" "numpy==$(pin numpy)"
fi

"$py" -c "import numpy, gguf, llama_cpp; print('numpy', numpy.__version__, '| llama_cpp', llama_cpp.__version__)"
echo "reference venv ready: $venv"
