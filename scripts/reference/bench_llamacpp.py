#!/usr/bin/env python3
"""llama.cpp prefill/decode speed on a GGUF model, as a baseline for the Rust engine.

Each run: clear the KV cache, prefill the prompt in one batch, then greedy-decode
--max-tokens tokens (plain argmax, EOS ignored so every run does the same work).
The first generated token comes from the prefill logits; the other N-1 each cost
one single-token decode. Rates come from llama.cpp's own perf counters
(llama_perf_context: t_p_eval_ms / n_p_eval, t_eval_ms / n_eval); wall clock
around the eval calls is used only if those are unavailable. Median of --runs,
after --warmup untimed runs.

Command (from the repo root, after `bash scripts/reference/setup.sh`):
  .venv-ref/bin/python scripts/reference/bench_llamacpp.py MODEL.gguf \
      --prompt TEXT --max-tokens 128 [--threads 2] [--runs 3] [--warmup 1] [--json]
"""
import argparse
import json
import resource
import statistics
import time

import numpy as np
import llama_cpp
from llama_cpp import Llama


def perf(llm):
    """(prefill_ms, n_prefill, decode_ms, n_decode) from llama.cpp, or None."""
    try:
        d = llama_cpp.llama_perf_context(llm._ctx.ctx)
        return d.t_p_eval_ms, d.n_p_eval, d.t_eval_ms, d.n_eval
    except (AttributeError, TypeError):
        return None


def last_logits(llm):
    """Logits of the last evaluated token. llama-cpp-python 0.3.x no longer copies them into
    llm.scores unless logits_all=True; reading them also synchronizes the context, which is
    when llama.cpp books the prefill/decode time into its perf counters."""
    ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),))


def cpu_busy(seconds=0.5):
    """Share of all CPUs busy over a short window (Linux /proc/stat), None elsewhere.
    Counts processes of other containers too, which ps and the load average hide or blur."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]                # total, idle + iowait
    try:
        t0, i0 = sample()
        time.sleep(seconds)
        t1, i1 = sample()
    except OSError:
        return None
    return 1 - (i1 - i0) / max(1, t1 - t0)


def one_run(llm, prompt_ids, max_tokens):
    llm.reset()                                  # n_tokens = 0; eval() then drops the old KV entries
    if hasattr(llama_cpp, "llama_perf_context_reset"):
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)

    t0 = time.perf_counter()
    llm.eval(prompt_ids)
    t1 = time.perf_counter()
    generated = []
    for i in range(max_tokens):
        tok = int(np.argmax(last_logits(llm)))
        generated.append(tok)
        if i + 1 < max_tokens:                   # the last token needs no decode
            llm.eval([tok])
    t2 = time.perf_counter()

    p = perf(llm)
    # llama.cpp reports counts as max(1, n), so trust the counters only when time was booked.
    if p and p[0] > 0 and (p[2] > 0 or len(generated) < 2):
        prefill_ms, n_prefill, decode_ms, n_decode = p
        n_decode = min(n_decode, len(generated) - 1)
        source = "llama_perf_context"
    else:
        prefill_ms, n_prefill = (t1 - t0) * 1e3, len(prompt_ids)
        decode_ms, n_decode = (t2 - t1) * 1e3, len(generated) - 1
        source = "wall clock"
    return {
        "prefill_tok_s": n_prefill / prefill_ms * 1e3,
        "decode_tok_s": n_decode / decode_ms * 1e3 if n_decode and decode_ms > 0 else float("nan"),
        "prefill_ms": prefill_ms,
        "decode_ms": decode_ms,
        "n_decode_evals": n_decode,
        "generated": len(generated),
        "source": source,
    }


def main():
    ap = argparse.ArgumentParser(description="llama.cpp prefill/decode benchmark")
    ap.add_argument("model", help="path to a GGUF file")
    ap.add_argument("--prompt", default="Hello", help="raw text, tokenized with special=True")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs before the timed ones")
    ap.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    args = ap.parse_args()
    busy_before = cpu_busy()                     # before loading: our own threads may spin after

    # Load once (load time is not part of either rate); logits_all=False: only the
    # last row is computed, as a server would.
    probe = Llama(model_path=args.model, vocab_only=True, verbose=False)
    prompt_ids = probe.tokenize(args.prompt.encode("utf-8"), add_bos=False, special=True)
    del probe
    n_ctx = max(512, len(prompt_ids) + args.max_tokens + 8)
    llm = Llama(model_path=args.model, n_ctx=n_ctx, n_batch=max(512, len(prompt_ids)),
                n_threads=args.threads, n_threads_batch=args.threads, verbose=False)

    # One untimed run first: the first pass pages the weights in and spins up the
    # OpenMP pool, which made run 1 up to 5x slower than the rest on this machine.
    for _ in range(args.warmup):
        one_run(llm, prompt_ids, args.max_tokens)
    runs = [one_run(llm, prompt_ids, args.max_tokens) for _ in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs)
           for k in ("prefill_tok_s", "decode_tok_s", "prefill_ms", "decode_ms")}
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB

    print(f"llama.cpp (llama-cpp-python {llama_cpp.__version__}), threads={args.threads}, "
          f"timings from {runs[0]['source']}")
    # Threads that share cores with other work stall at every barrier: rates can drop 10x.
    if busy_before is not None and busy_before > 0.15:
        print(f"warning: the CPUs were {busy_before:.0%} busy with other work just before "
              "the runs; the numbers may be low")
    print(f"{'run':>4} {'prefill tok/s':>14} {'decode tok/s':>13} {'prefill ms':>11} {'decode ms':>10}")
    for i, r in enumerate(runs, 1):
        print(f"{i:>4} {r['prefill_tok_s']:>14.1f} {r['decode_tok_s']:>13.1f} "
              f"{r['prefill_ms']:>11.1f} {r['decode_ms']:>10.1f}")
    print(f"{'med':>4} {med['prefill_tok_s']:>14.1f} {med['decode_tok_s']:>13.1f} "
          f"{med['prefill_ms']:>11.1f} {med['decode_ms']:>10.1f}")
    print(f"prompt tokens {len(prompt_ids)}, generated {runs[0]['generated']} "
          f"({runs[0]['n_decode_evals']} decode steps), peak RSS {peak_rss_mb:.0f} MB")

    if args.json:
        print(json.dumps({
            "engine": "llama.cpp",
            "version": f"llama-cpp-python {llama_cpp.__version__}",
            "prompt_tokens": len(prompt_ids),
            "decode_tokens": runs[0]["generated"],
            "prefill_tok_s": round(med["prefill_tok_s"], 2),
            "decode_tok_s": None if med["decode_tok_s"] != med["decode_tok_s"] else round(med["decode_tok_s"], 2),  # NaN is not JSON
            "peak_rss_mb": round(peak_rss_mb, 1),
        }))


if __name__ == "__main__":
    main()
