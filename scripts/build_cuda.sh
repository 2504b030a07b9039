#!/usr/bin/env bash
# Builds the CUDA binary of adapterbot (`cargo build -p adapterbot --features cuda`) with CUDA's
# compiler and libraries taken from NVIDIA's Python wheels through pip: no system CUDA toolkit,
# no root and no GPU are needed on the build machine.
#
#   scripts/build_cuda.sh                      # CUDA 13.0, kernels for compute capability 9.0
#   CUDA_COMPUTE_CAP=80 scripts/build_cuda.sh  # for an A100 instead
#   scripts/build_cuda.sh --bundle DIR         # also copy the binary and the CUDA libraries it
#                                              # loads into DIR/bin and DIR/lib (self-contained)
#
# Targets CUDA 13.0 (nvcc 13.0.88, cuBLAS 13.1.0.3, cuRAND 10.4.0.35; pinned with sha256 in
# scripts/cuda/requirements.txt) and one GPU architecture, CUDA_COMPUTE_CAP (default 90 =
# H100/H200/GH200; 80 = A100/A30, 86 = A10/A40/RTX 30xx, 89 = L4/L40/RTX 40xx, 100 = B200,
# 120 = RTX 50xx). candle's kernels are compiled to PTX for that architecture (the driver turns
# them into GPU code at first use: they run on that architecture and newer ones) and its
# quantized-matmul library to machine code for exactly that architecture (`sm_90a` for 90), so a
# binary runs on GPUs of the architecture it was built for. The GPU host needs an NVIDIA driver
# of release 580 or newer (CUDA 13.0) and the CUDA 13 libraries the binary links
# (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10 and what `ldd` lists):
# --bundle puts them beside the binary. See docs/gpu.md.
#
# Environment:
#   CUDA_COMPUTE_CAP     GPU architecture to compile for (default 90)
#   ADAPTERBOT_CUDA_DIR  where the wheels and the unpacked toolkit are kept (default .cuda)
#   CUDA_TARGET_DIR      cargo's target folder for this build (default target-cuda), kept apart
#                        from the CPU build's so neither rebuilds the other
#   CARGO_BUILD_JOBS     parallel rustc jobs; CUDAFORGE_THREADS: parallel nvcc jobs (default 1)
# Output: $CUDA_TARGET_DIR/release/adapterbot
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

bundle=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle=${2:?--bundle needs a folder}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "error: $*" >&2; exit 1; }
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] \
  || die "the pinned CUDA wheels are for Linux x86_64; this is $(uname -s)-$(uname -m)"
python=$(command -v python3 || command -v python || true)
[ -n "$python" ] && "$python" -m pip --version >/dev/null 2>&1 \
  || die "needs Python 3 with pip to fetch CUDA (Debian: apt-get install python3-pip)"
command -v g++ >/dev/null || die "nvcc needs a host C++ compiler: apt-get install g++"
command -v cargo >/dev/null || die "needs Rust's cargo"

export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
case "$CUDA_COMPUTE_CAP" in
  [0-9][0-9]|[0-9][0-9][0-9]) ;;
  *) die "CUDA_COMPUTE_CAP must be a compute capability such as 90 (H100/H200) or 80 (A100), got '$CUDA_COMPUTE_CAP'" ;;
esac
[ "$CUDA_COMPUTE_CAP" -ge 75 ] || die "CUDA 13 compiles for compute capability 75 (Turing) and newer, not $CUDA_COMPUTE_CAP"
export CUDAFORGE_THREADS=${CUDAFORGE_THREADS:-1}
cuda_dir=${ADAPTERBOT_CUDA_DIR:-$repo/.cuda}
target_dir=${CUDA_TARGET_DIR:-$repo/target-cuda}
requirements=$repo/scripts/cuda/requirements.txt
root=$cuda_dir/toolkit-13.0
cuda=$root/nvidia/cu13
stamp=$root/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)

# 1. CUDA from the wheels, unpacked once into one folder (bin/ include/ lib/ nvvm/).
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "fetching CUDA 13.0 wheels (about 680 MB) into $cuda_dir/wheels"
  mkdir -p "$cuda_dir/wheels"
  "$python" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    -r "$requirements" -d "$cuda_dir/wheels" \
    || die "pip could not download the CUDA wheels; check the network or the index settings"
  rm -rf "$root.partial" "$root"
  "$python" -m pip install --quiet --no-deps --no-index --find-links "$cuda_dir/wheels" \
    --require-hashes -r "$requirements" --target "$root.partial" --disable-pip-version-check \
    --root-user-action=ignore \
    || die "pip could not unpack the CUDA wheels"
  c=$root.partial/nvidia/cu13
  # nvcc.profile looks for headers and libraries under targets/x86_64-linux, as in NVIDIA's
  # installer layout; the wheels put them at the top.
  mkdir -p "$c/targets/x86_64-linux"
  ln -sfn ../../include "$c/targets/x86_64-linux/include"
  ln -sfn ../../lib "$c/targets/x86_64-linux/lib"
  # The linker wants the unversioned names.
  for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libnvrtc.so.13; do
    [ -f "$c/lib/$lib" ] || die "the wheels have no $lib"
    ln -sfn "$lib" "$c/lib/${lib%%.so*}.so"
  done
  # libcuda (the driver's library) is not in any wheel: the link needs only its symbol names,
  # so a stub is made from cuda.h, as NVIDIA's own stubs are. Its soname is the driver's, so at
  # run time the real libcuda.so.1 of the GPU host is loaded.
  mkdir -p "$c/lib/stubs"
  { cc -E -P -I"$c/include" "$c/include/cuda.h" | grep -oE '\bcu[A-Z][A-Za-z0-9_]*[[:space:]]*\(' \
      | sed 's/[[:space:]]*($//'
    grep -oE 'CUDAAPI[[:space:]]+cu[A-Za-z0-9_]+' "$c/include/cuda.h" | awk '{print $2}'
  } | sort -u | awk '{print "void " $1 "(void) {}"}' >"$c/lib/stubs/cuda_stub.c"
  cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$c/lib/stubs/libcuda.so" "$c/lib/stubs/cuda_stub.c"
  echo "$want" >"$root.partial/.requirements.sha256"
  mv "$root.partial" "$root"
fi
"$cuda/bin/nvcc" --version | grep -q "release 13.0" || die "$cuda/bin/nvcc is not CUDA 13.0"

# 2. The build. cudarc (candle's CUDA bindings) finds the libraries through CUDA_ROOT and links
# them dynamically; candle-kernels runs nvcc from PATH for CUDA_COMPUTE_CAP.
export CUDA_ROOT=$cuda CUDA_PATH=$cuda CUDA_HOME=$cuda
export PATH=$cuda/bin:$PATH
export LD_LIBRARY_PATH=$cuda/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CARGO_TARGET_DIR=$target_dir
echo "building adapterbot with CUDA 13.0 for compute capability $CUDA_COMPUTE_CAP into $target_dir"
start=$SECONDS
# `cargo rustc` passes the run-time search path to the final link only, so the dependencies'
# builds are the same as a plain `cargo build --features cuda`: the binary finds a --bundle's
# libraries in ../lib, and otherwise the system's (LD_LIBRARY_PATH, ldconfig).
cargo rustc --release --locked -p adapterbot --bin adapterbot --features cuda \
  -- -C 'link-arg=-Wl,-rpath,$ORIGIN/../lib'
bin=$target_dir/release/adapterbot
echo "built $bin in $((SECONDS - start)) s, $(du -h "$bin" | cut -f1)"
echo "it links: $(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"

# 3. Optionally a folder to copy to a GPU host: bin/adapterbot and lib/ with the CUDA libraries
# it loads (cuBLAS's alone are ~600 MB). libcuda.so.1 comes from the host's driver.
if [ -n "$bundle" ]; then
  mkdir -p "$bundle/bin" "$bundle/lib"
  cp "$bin" "$bundle/bin/adapterbot"
  needed() { readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
  todo=$(needed "$bin")
  while [ -n "$todo" ]; do
    next=""
    for lib in $todo; do
      if [ -f "$cuda/lib/$lib" ] && [ ! -f "$bundle/lib/$lib" ]; then
        cp -L "$cuda/lib/$lib" "$bundle/lib/$lib"
        next="$next $(needed "$cuda/lib/$lib")"
      fi
    done
    todo=$next
  done
  echo "bundle $bundle: $(du -sh "$bundle" | cut -f1) ($(ls "$bundle/lib" | tr '\n' ' '))"
fi
