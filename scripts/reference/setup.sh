#!/usr/bin/env bash
# Create .venv-ref/ at the repo root with the pinned reference packages
# (numpy, gguf, llama-cpp-python built from source for this CPU).
# Idempotent: a venv with the pinned versions, built with the same flags, is left alone.
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

# GGML_NATIVE: tune for this CPU (AVX2/AVX-512 as present), a fair baseline for the Rust engine.
# -mno-amx-*: this VM's CPU reports AMX but the kernel does not grant the tile state, so
#   -march=native alone builds a library that dies with SIGILL on its first matmul.
# LLAMA_CURL off: the library never downloads models here, and libcurl headers may be absent.
# LLAVA_BUILD off: the multimodal library is only loaded lazily by vision chat handlers.
noamx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
flags="-DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAVA_BUILD=OFF ${CMAKE_ARGS:-}"
# The stamp records the flags of the installed build, so changing them forces a rebuild.
stamp="$venv/llama-cpp-build-flags"
built_ok() { have llama_cpp_python "$(pin llama-cpp-python)" && [ "$(cat "$stamp" 2>/dev/null)" = "$flags $noamx" ]; }

if have numpy "$(pin numpy)" && have gguf "$(pin gguf)" && built_ok; then
  echo "reference venv ready: $venv"
  exit 0
fi

"$py" -m pip install --quiet --upgrade pip
# The pure-Python pins first (and cmake/ninja for the native build when the system lacks them).
"$py" -m pip install --quiet "numpy==$(pin numpy)" "gguf==$(pin gguf)"
command -v cmake >/dev/null || "$py" -m pip install --quiet cmake ninja
export PATH="$venv/bin:$PATH"

if ! built_ok; then
  export CMAKE_ARGS="$flags"
  # CMake seeds CMAKE_C(XX)_FLAGS from these; gcc lets an explicit -mno-* beat -march=native.
  export CFLAGS="${CFLAGS:-} $noamx" CXXFLAGS="${CXXFLAGS:-} $noamx"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
  echo "building llama-cpp-python from source (CMAKE_ARGS=$CMAKE_ARGS); this takes several minutes ..."
  # --no-binary: always compile here; --no-cache-dir: never reuse a wheel built with other
  # flags; --force-reinstall: replace a build whose flags differ (dependencies stay as they are).
  "$py" -m pip install --no-cache-dir --no-binary llama-cpp-python --force-reinstall --no-deps \
    "llama-cpp-python==$(pin llama-cpp-python)"
  "$py" -m pip install --quiet "llama-cpp-python==$(pin llama-cpp-python)" "numpy==$(pin numpy)"
  echo "$flags $noamx" > "$stamp"
fi

# Smoke test: one decode on the real model catches a build that traps on this CPU.
model="$root/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -f "$model" ]; then
  "$py" -c "from llama_cpp import Llama; m = Llama('$model', n_ctx=64, verbose=False); m.eval([1, 2])" \
    || { rm -f "$stamp"; echo "error: the llama.cpp build fails on this CPU" >&2; exit 1; }
fi

"$py" -c "import numpy, gguf, llama_cpp; print('numpy', numpy.__version__, '| llama_cpp', llama_cpp.__version__)"
echo "reference venv ready: $venv"
