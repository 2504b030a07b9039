#!/usr/bin/env python3
"""PyTorch baseline for scripts/bench_gpu.sh: Hugging Face `transformers` running the same GGUF
weights (dequantized by transformers' own GGUF loader), timed the way `adapterbot bench` times
the engine, in one JSON line.

Each run: prefill the prompt for --sequences copies at once (one real batch), then greedy-decode
--max-tokens tokens (argmax, EOS ignored) with the KV cache. Every step reads the chosen tokens
back to the host, as a server streaming them must (and as the engine's bench does), so the
GPU's queue is drained each step. Runs without and with a residual adapter of AdapterBot's shape
(`h + W_up relu(W_down LayerNorm(h) + b_down) + b_up` after every decoder layer, bottleneck 64,
random weights with std 0.01) alternate; medians are reported.

    python3 scripts/gpu/bench_torch.py MODEL.gguf --prompt-ids 1,2,3 [--max-tokens 128]
        [--runs 3] [--sequences 1] [--dtype float32|bfloat16|float16] [--device cuda] [--json]

Needs torch, transformers, accelerate and gguf (`pip install torch transformers accelerate gguf`;
checked with torch 2.15.0, transformers 5.23.0, accelerate 1.15.0, gguf 0.19.0); nothing is
downloaded (HF_HUB_OFFLINE is set).
"""
import argparse
import inspect
import json
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="a .gguf file (or a Hugging Face folder)")
    ap.add_argument("--prompt-ids", required=True,
                    help="comma-separated token ids (the engine's bench prints them)")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sequences", type=int, default=1)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--bottleneck", type=int, default=64)
    ap.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    a = ap.parse_args()
    if a.max_tokens < 2 or a.runs < 1 or a.sequences < 1:
        ap.error("need --max-tokens >= 2, --runs >= 1 and --sequences >= 1")
    return a


def load(torch, transformers, path, dtype, device):
    from transformers import AutoModelForCausalLM
    kwargs = {}
    if os.path.isfile(path):
        folder, name = os.path.split(os.path.abspath(path))
        kwargs["gguf_file"] = name
    else:
        folder = path
    # `dtype` replaced `torch_dtype` in newer transformers.
    key = "dtype" if "dtype" in inspect.signature(AutoModelForCausalLM.from_pretrained).parameters \
        or tuple(int(x) for x in transformers.__version__.split(".")[:2]) >= (4, 56) else "torch_dtype"
    kwargs[key] = dtype
    model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    return model.to(device).eval()


class Adapters:
    """AdapterBot's residual adapter after every decoder layer, as forward hooks."""

    def __init__(self, torch, model, bottleneck, dtype, device, seed=1, std=0.01):
        g = torch.Generator().manual_seed(seed)
        hidden = model.config.hidden_size
        self.torch = torch
        self.layers = []
        for _ in model.model.layers:
            t = lambda *shape: (torch.randn(*shape, generator=g) * std).to(device, dtype)
            self.layers.append({
                "norm_w": (1.0 + torch.randn(hidden, generator=g) * std).to(device, dtype),
                "norm_b": t(hidden),
                "down_w": (torch.randn(bottleneck, hidden, generator=g)
                           * (2.0 / hidden) ** 0.5).to(device, dtype),
                "down_b": t(bottleneck),
                "up_w": t(hidden, bottleneck),
                "up_b": t(hidden),
            })
        self.handles = []
        self.model = model

    def apply(self, p, h):
        F = self.torch.nn.functional
        x = F.layer_norm(h, (h.shape[-1],), p["norm_w"], p["norm_b"], 1e-5)
        return h + F.linear(F.relu(F.linear(x, p["down_w"], p["down_b"])), p["up_w"], p["up_b"])

    def __enter__(self):
        for layer, p in zip(self.model.model.layers, self.layers):
            def hook(_module, _inputs, output, p=p):
                if isinstance(output, tuple):
                    return (self.apply(p, output[0]),) + tuple(output[1:])
                return self.apply(p, output)
            self.handles.append(layer.register_forward_hook(hook))
        return self

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()
        self.handles.clear()


def one_run(torch, model, ids, n, sequences, device, last_only):
    x = torch.tensor([ids] * sequences, device=device)
    extra = {"logits_to_keep": 1} if last_only else {}
    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    with torch.inference_mode():
        sync()
        t0 = time.perf_counter()
        out = model(input_ids=x, use_cache=True, **extra)
        nxt = out.logits[:, -1, :].argmax(-1)
        tokens = [nxt.tolist()]
        t1 = time.perf_counter()
        past = out.past_key_values
        for _ in range(n - 1):
            out = model(input_ids=nxt[:, None], past_key_values=past, use_cache=True, **extra)
            past = out.past_key_values
            nxt = out.logits[:, -1, :].argmax(-1)
            tokens.append(nxt.tolist())
        t2 = time.perf_counter()
    return (sequences * len(ids) / (t1 - t0), sequences * (n - 1) / (t2 - t1),
            [t[0] for t in tokens])


def main():
    a = parse_args()
    try:
        import torch
        import transformers
    except ImportError as e:
        sys.exit(f"error: the PyTorch baseline needs torch and transformers ({e}); "
                 "install them with pip (and accelerate and gguf for a .gguf model)")
    if torch.device(a.device).type == "cuda" and not torch.cuda.is_available():
        sys.exit("error: this torch sees no CUDA GPU (a CPU-only build, or no driver)")
    ids = [int(t) for t in a.prompt_ids.split(",") if t.strip()]
    dtype = getattr(torch, a.dtype)
    model = load(torch, transformers, a.model, dtype, a.device)
    last_only = "logits_to_keep" in inspect.signature(model.forward).parameters
    adapters = Adapters(torch, model, a.bottleneck, dtype, a.device)

    # Warm-up: kernel selection, cuBLAS handles, the allocator's first blocks.
    one_run(torch, model, ids, 8, a.sequences, a.device, last_only)
    with adapters:
        one_run(torch, model, ids, 8, a.sequences, a.device, last_only)
    plain, with_adapter = [], []
    for _ in range(a.runs):
        plain.append(one_run(torch, model, ids, a.max_tokens, a.sequences, a.device, last_only))
        with adapters:
            with_adapter.append(
                one_run(torch, model, ids, a.max_tokens, a.sequences, a.device, last_only))
    med = lambda rows, i: statistics.median(r[i] for r in rows)
    report = {
        "engine": "torch",
        "device": a.device,
        "gpu": torch.cuda.get_device_name(0) if torch.device(a.device).type == "cuda" else None,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "dtype": a.dtype,
        "model": a.model,
        "prompt_tokens": len(ids),
        "decode_tokens": a.max_tokens,
        "sequences": a.sequences,
        "runs": a.runs,
        "prefill_tok_s": med(plain, 0),
        "decode_tok_s": med(plain, 1),
        "adapter_prefill_tok_s": med(with_adapter, 0),
        "adapter_decode_tok_s": med(with_adapter, 1),
        "peak_gpu_mb": (torch.cuda.max_memory_allocated() / 2**20
                        if torch.device(a.device).type == "cuda" else None),
        "greedy_tokens": plain[0][2],
        "adapter_greedy_tokens": with_adapter[0][2],
    }
    print(f"torch {report['torch']} transformers {report['transformers']} {a.dtype} on "
          f"{report['gpu'] or a.device}, {a.sequences} sequence(s): prefill "
          f"{report['prefill_tok_s']:.1f} / {report['adapter_prefill_tok_s']:.1f} tok/s, decode "
          f"{report['decode_tok_s']:.1f} / {report['adapter_decode_tok_s']:.1f} tok/s "
          "(without / with adapter)")
    if a.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
