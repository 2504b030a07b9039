#!/usr/bin/env bash
# GPU benchmark, run on a machine with an NVIDIA GPU. In one run it
#  1. checks the CUDA build's greedy output on the reference prompt against the CPU path of the
#     same binary (`--device cpu`), with f32 weights (must agree on the first 16 tokens) and with
#     the default Q8_0 weights (the agreeing prefix is reported), without and with an adapter;
#  2. measures prefill and decode tok/s on the GPU for 1 and 8 sequences at once, without and
#     with an adapter, for the engine (Q8_0 and f32 weights) and for PyTorch `transformers` on
#     the same GGUF weights (float32 and bfloat16), and prints one table with the ratios.
# The engine runs N sequences in one batched forward pass per token (as the server does); PyTorch
# runs them as one batch. Speeds are totals over the N sequences.
#
# Usage: scripts/bench_gpu.sh [MAX_TOKENS=128] [RUNS=3]
#
# The GPU machine needs no network, but these must be there (checked first, each named if
# missing):
#   - the CUDA binary: ADAPTERBOT_CUDA_BIN, default target-cuda/release/adapterbot, made by
#     scripts/build_cuda.sh; `scripts/build_cuda.sh --bundle DIR` makes DIR/bin/adapterbot with
#     the CUDA libraries it loads in DIR/lib (about 750 MB, mostly cuBLAS);
#   - an NVIDIA driver of release 580 or newer (CUDA 13.0) and `nvidia-smi`;
#   - the model: BENCH_MODEL, default models/SmolLM2-135M-Instruct.Q4_1.gguf (98 MB, models/fetch.sh);
#   - for the PyTorch rows: a python3 (BENCH_PYTHON) with torch (CUDA build), transformers,
#     accelerate and gguf (transformers needs the last two to read a GGUF file); without them
#     those rows are skipped and the reason is printed. PyTorch's CUDA 13 wheels also bring the
#     CUDA libraries the binary needs: when they are missing, nvidia/cu13/lib there is used.
# Settings: BENCH_SEQUENCES (default "1 8"), BENCH_TORCH_DTYPES (default "float32 bfloat16"),
# BENCH_DEVICE (default cuda; `cpu` dry-runs the whole script on a machine without a GPU, any
# build of the binary, both sides of every comparison on the CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${1:-128}
runs=${2:-3}
bin=${ADAPTERBOT_CUDA_BIN:-target-cuda/release/adapterbot}
model=${BENCH_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
python=${BENCH_PYTHON:-python3}
sequences=${BENCH_SEQUENCES:-1 8}
dtypes=${BENCH_TORCH_DTYPES:-float32 bfloat16}
device=${BENCH_DEVICE:-cuda}
prompt=$'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nI just lost my job and I feel terrible. What should I do?<|im_end|>\n<|im_start|>assistant\n'

die() { echo "error: $*" >&2; exit 1; }

# --- What must be there ---------------------------------------------------------------------
if [ "$device" = cpu ]; then
  gpu="none (BENCH_DEVICE=cpu: a dry run on the CPU)"
else
  command -v nvidia-smi >/dev/null || die "nvidia-smi not found: this machine has no NVIDIA driver (or it is not on PATH)"
  gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -n 1) \
    || die "nvidia-smi sees no GPU"
  driver=$(echo "$gpu" | cut -d, -f2 | tr -d ' ')
  [ "${driver%%.*}" -ge 580 ] 2>/dev/null \
    || die "driver $driver is older than release 580, which the CUDA 13.0 build needs (docs/gpu.md)"
fi
[ -x "$bin" ] || die "no CUDA binary at $bin: build it with scripts/build_cuda.sh (or --bundle DIR) where there is a network and carry it here, then set ADAPTERBOT_CUDA_BIN"
missing() { ldd "$bin" | awk '/not found/ {print $1}' | tr '\n' ' '; }
if [ -n "$(missing)" ]; then
  # PyTorch's CUDA 13 wheels bring the same libraries (nvidia/cu13/lib in site-packages).
  wheel_libs=$("$python" -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13", "lib"))' 2>/dev/null || true)
  if [ -n "$wheel_libs" ] && [ -d "$wheel_libs" ]; then
    export LD_LIBRARY_PATH=$wheel_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    echo "using the CUDA 13 libraries of $python's nvidia wheels: $wheel_libs"
  fi
fi
missing=$(missing)
[ -z "$missing" ] || die "$bin cannot find: $missing— carry the bundle's lib/ folder (scripts/build_cuda.sh --bundle DIR) or point LD_LIBRARY_PATH at CUDA 13 libraries"
[ -f "$model" ] || die "no model at $model: run models/fetch.sh where there is a network and carry models/ here"
echo "GPU: $gpu"
echo "binary: $bin ($("$bin" --version)); model: $model; $tokens tokens, median of $runs runs"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bench() { # NAME ARGS...: one `adapterbot bench` run, its JSON line kept as $out/NAME.json
  local name=$1; shift
  "$bin" bench --model "$model" --prompt "$prompt" --json "$@" >"$out/$name.log" 2>&1 \
    || { cat "$out/$name.log" >&2; die "adapterbot bench $* failed"; }
  tail -n 1 "$out/$name.log" >"$out/$name.json"
}

# --- 1. Greedy output: GPU against CPU --------------------------------------------------------
for w in f32 q8_0; do
  bench "check-cpu-$w" --device cpu --weights "$w" --max-tokens 32 --runs 1
  bench "check-gpu-$w" --device "$device" --weights "$w" --max-tokens 32 --runs 1
done

# --- 2. Speed ---------------------------------------------------------------------------------
for s in $sequences; do
  for w in q8_0 f32; do
    bench "gpu-$w-$s" --device "$device" --weights "$w" --sequences "$s" --max-tokens "$tokens" --runs "$runs"
  done
done
ids=$(python3 -c 'import json,sys; print(",".join(map(str, json.load(open(sys.argv[1]))["prompt_ids"])))' "$out/gpu-q8_0-1.json")
torch_note=""
if "$python" -c "import torch, transformers, accelerate, gguf; assert '$device' == 'cpu' or torch.cuda.is_available(), 'torch sees no GPU'" 2>"$out/torch-import.log"; then
  for s in $sequences; do
    for d in $dtypes; do
      "$python" scripts/gpu/bench_torch.py "$model" --prompt-ids "$ids" --max-tokens "$tokens" \
        --runs "$runs" --sequences "$s" --dtype "$d" --device "$device" --json >"$out/torch-$d-$s.log" 2>&1 \
        || { cat "$out/torch-$d-$s.log" >&2; die "the PyTorch baseline failed ($d, $s sequences)"; }
      tail -n 1 "$out/torch-$d-$s.log" >"$out/torch-$d-$s.json"
    done
  done
else
  torch_note="PyTorch rows skipped: $python ($("$python" --version 2>&1)) cannot run them ($(tail -n 1 "$out/torch-import.log")); install torch (CUDA), transformers, accelerate and gguf, or set BENCH_PYTHON"
fi

python3 - "$out" "$sequences" "$dtypes" "$torch_note" "$device" <<'PY'
import json, pathlib, sys
d, sequences, dtypes, torch_note, device = (pathlib.Path(sys.argv[1]), sys.argv[2].split(),
                                            sys.argv[3].split(), sys.argv[4], sys.argv[5])
load = lambda n: json.loads((d / f"{n}.json").read_text())

def agree(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n

print(f"\nGreedy tokens on the reference prompt, {device} against cpu (same binary), first 32:")
failed = False
for w in ("f32", "q8_0"):
    cpu, gpu = load(f"check-cpu-{w}"), load(f"check-gpu-{w}")
    for key, label in (("greedy_tokens", "no adapter"), ("adapter_greedy_tokens", "adapter")):
        n = agree(cpu[key], gpu[key])
        need = 16 if w == "f32" else 0
        verdict = "ok" if n >= need else f"FAIL (need {need})"
        failed |= n < need
        print(f"  {w:<5} {label:<11} {n:>2}/{len(cpu[key])} equal  {verdict}")
        if n < len(cpu[key]):
            print(f"        cpu {cpu[key][:n + 3]}\n        {device} {gpu[key][:n + 3]}")
torch_rows = {}
for s in sequences:
    for t in dtypes:
        p = d / f"torch-{t}-{s}.json"
        if p.exists():
            torch_rows[(t, s)] = json.loads(p.read_text())
if ("float32", sequences[0]) in torch_rows:
    ours, theirs = load(f"check-gpu-f32"), torch_rows[("float32", sequences[0])]
    n = agree(ours["greedy_tokens"], theirs["greedy_tokens"])
    print(f"  engine f32 on {device} against PyTorch float32: {n}/{min(len(ours['greedy_tokens']), len(theirs['greedy_tokens']))} first tokens equal")

first = load(f"gpu-q8_0-{sequences[0]}")
print(f"\nSpeed on {device}: prompt {first['prompt_tokens']} tokens, {first['decode_tokens']} greedy tokens, "
      f"median of {first['runs']} runs; tok/s summed over the sequences")
hdr = f"{'seqs':>4} {'engine':<34} {'prefill':>9} {'decode':>8}"
refs = [t for t in dtypes if any(k[0] == t for k in torch_rows)]
for t in refs:
    hdr += f" {'× torch ' + t:>18}"
print(hdr)
for s in sequences:
    rows = []
    for w in ("q8_0", "f32"):
        r = load(f"gpu-{w}-{s}")
        rows.append((f"adapterbot {w}", r["prefill_tok_s"], r["decode_tok_s"], False))
        rows.append((f"adapterbot {w} + adapter", r["adapter_prefill_tok_s"], r["adapter_decode_tok_s"], True))
    for t in dtypes:
        r = torch_rows.get((t, s))
        if r:
            rows.append((f"torch {t}", r["prefill_tok_s"], r["decode_tok_s"], False))
            rows.append((f"torch {t} + adapter", r["adapter_prefill_tok_s"], r["adapter_decode_tok_s"], True))
    for name, p, dec, ad in rows:
        line = f"{s:>4} {name:<34} {p:>9.1f} {dec:>8.1f}"
        for t in refs:
            r = torch_rows.get((t, s))
            if r:
                rp = r["adapter_prefill_tok_s"] if ad else r["prefill_tok_s"]
                rd = r["adapter_decode_tok_s"] if ad else r["decode_tok_s"]
                line += f" {p / rp:>8.2f} / {dec / rd:<7.2f}"
        print(line)
if refs:
    print("(× torch: prefill / decode against PyTorch with the same number of sequences, the same"
          " adapter setting and the given dtype; both batch the sequences)")
if torch_note:
    print(torch_note)
if failed:
    sys.exit("error: the GPU's greedy output differs from the CPU's within the first 16 tokens (f32)")
PY
