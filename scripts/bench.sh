#!/usr/bin/env bash
# Engine benchmark: `adapterbot bench` and llama.cpp (llama-cpp-python, pinned, built here) on the
# same GGUF, prompt and token count, in one run, at 1 and 2 threads; prints tok/s and ratios.
# Usage: scripts/bench.sh [MAX_TOKENS=128] [RUNS=3]
# The first run builds llama.cpp (about 10 minutes on 2 cores); later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${1:-128}
runs=${2:-3}
model=models/SmolLM2-135M-Instruct.Q4_1.gguf
prompt=$'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nI just lost my job and I feel terrible. What should I do?<|im_end|>\n<|im_start|>assistant\n'

models/fetch.sh >/dev/null
cargo build --release --locked -q -p adapterbot
bash scripts/reference/setup.sh >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Interleave the engines so that a noisy machine slows both alike.
for threads in 1 2; do
  ./target/release/adapterbot --threads "$threads" bench --model "$model" --prompt "$prompt" \
    --max-tokens "$tokens" --runs "$runs" --json | tail -n 1 >"$out/ours-$threads.json"
  ./target/release/adapterbot --threads "$threads" bench --compact --model "$model" --prompt "$prompt" \
    --max-tokens "$tokens" --runs "$runs" --json | tail -n 1 >"$out/compact-$threads.json"
  .venv-ref/bin/python scripts/reference/bench_llamacpp.py "$model" --prompt "$prompt" \
    --max-tokens "$tokens" --threads "$threads" --runs "$runs" --json | tail -n 1 >"$out/llama-$threads.json"
done

python3 - "$out" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
load = lambda n: json.loads((d / n).read_text())
print(f"{'threads':>7} {'engine':<28} {'prefill tok/s':>13} {'decode tok/s':>12} {'× llama.cpp':>16} {'RSS MB':>7}")
for t in (1, 2):
    ref = load(f"llama-{t}.json")
    rows = [("llama.cpp Q4_1", ref["prefill_tok_s"], ref["decode_tok_s"], ref["peak_rss_mb"])]
    for name, f in (("adapterbot", f"ours-{t}.json"), ("adapterbot --compact", f"compact-{t}.json")):
        r = load(f)
        rows.append((name + " (no adapter)", r["prefill_tok_s"], r["decode_tok_s"], r["peak_rss_mb"]))
        rows.append((name + " (adapter)", r["adapter_prefill_tok_s"], r["adapter_decode_tok_s"], r["peak_rss_mb"]))
    for name, p, dec, rss in rows:
        ratio = f"{p / ref['prefill_tok_s']:.2f} / {dec / ref['decode_tok_s']:.2f}"
        print(f"{t:>7} {name:<28} {p:>13.1f} {dec:>12.1f} {ratio:>16} {rss:>7.0f}")
    o = load(f"ours-{t}.json")
    print(f"{t:>7} adapter overhead (decode): {o['adapter_overhead_pct']:.1f} %")
print(f"prompt {load('ours-1.json')['prompt_tokens']} tokens, decode {load('ours-1.json')['decode_tokens']} tokens, median of each engine's runs")
PY
