#!/usr/bin/env bash
# Engine benchmark: `adapterbot bench` and llama.cpp (llama-cpp-python, pinned, built here for this
# CPU with GGML_NATIVE) on the same prompt and token count, in one run, at 1 and 2 threads; prints
# tok/s and ratios. llama.cpp runs the shipped Q4_1 file and a Q8_0 conversion of it (equal bits
# against our Q8_0 path); ours runs the default (`auto`: the packed kernels where the CPU has
# AVX-512 VNNI) and `--weights q8_0` (candle's kernels) beside it.
# Usage: scripts/bench.sh [MAX_TOKENS=128] [RUNS=5]
# The first run builds llama.cpp (about 10 minutes on 2 cores); later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${1:-128}
runs=${2:-5}
model=models/SmolLM2-135M-Instruct.Q4_1.gguf
q8_model=target/bench/SmolLM2-135M-Instruct.Q8_0.gguf
prompt=$'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nI just lost my job and I feel terrible. What should I do?<|im_end|>\n<|im_start|>assistant\n'

models/fetch.sh >/dev/null
cargo build --release --locked -q -p adapterbot
bash scripts/reference/setup.sh >/dev/null
if [ ! -f "$q8_model" ]; then
  mkdir -p "$(dirname "$q8_model")"
  .venv-ref/bin/python scripts/reference/convert_q8_0.py "$model" "$q8_model.tmp" 2>/dev/null
  mv "$q8_model.tmp" "$q8_model"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

ours() { # threads, output name, extra flags...
  local t=$1 name=$2
  shift 2
  ./target/release/adapterbot --threads "$t" bench --model "$model" --prompt "$prompt" \
    --max-tokens "$tokens" --runs "$runs" --json "$@" | tail -n 1 >"$out/$name-$t.json"
}
llama() { # threads, output name, model
  .venv-ref/bin/python scripts/reference/bench_llamacpp.py "$3" --prompt "$prompt" \
    --max-tokens "$tokens" --threads "$1" --runs "$runs" --json | tail -n 1 >"$out/$2-$1.json"
}

# Interleave the engines so that a noisy machine slows all alike.
for threads in 1 2; do
  ours "$threads" ours
  llama "$threads" llama "$model"
  ours "$threads" q8 --weights q8_0
  llama "$threads" llama8 "$q8_model"
done

python3 - "$out" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
load = lambda n: json.loads((d / n).read_text())
print(f"{'threads':>7} {'engine':<34} {'prefill tok/s':>13} {'decode tok/s':>12} {'× llama.cpp Q4_1':>17} {'RSS MB':>7}")
for t in (1, 2):
    ref = load(f"llama-{t}.json")
    rows = []
    for name, f in (("llama.cpp Q4_1", "llama"), ("llama.cpp Q8_0", "llama8")):
        r = load(f"{f}-{t}.json")
        rows.append((name, r["prefill_tok_s"], r["decode_tok_s"], r["peak_rss_mb"]))
    for name, f in (("adapterbot (default)", "ours"), ("adapterbot --weights q8_0", "q8")):
        r = load(f"{f}-{t}.json")
        rows.append((name + ", no adapter", r["prefill_tok_s"], r["decode_tok_s"], r["peak_rss_mb"]))
        rows.append((name + ", adapter", r["adapter_prefill_tok_s"], r["adapter_decode_tok_s"], r["peak_rss_mb"]))
    for name, p, dec, rss in rows:
        ratio = f"{p / ref['prefill_tok_s']:.2f} / {dec / ref['decode_tok_s']:.2f}"
        print(f"{t:>7} {name:<34} {p:>13.1f} {dec:>12.1f} {ratio:>17} {rss:>7.0f}")
    o = load(f"ours-{t}.json")
    print(f"{t:>7} adapter cost (default, decode): {o['adapter_overhead_pct']:.1f} %")
print(f"prompt {load('ours-1.json')['prompt_tokens']} tokens, decode {load('ours-1.json')['decode_tokens']} tokens, median of each engine's runs")
PY
