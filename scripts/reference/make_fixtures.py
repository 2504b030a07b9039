#!/usr/bin/env python3
"""Reference fixtures for the Rust engine (crates/engine/tests/fixtures/).

What it writes:
  tokenizer_reference.json  [{"text", "ids"}] for ~30 tricky strings, ids from
                            llama.cpp's tokenizer (add_bos=False, special=True).
  logits_numpy_f32.bin      last-position logits of an independent numpy f32
                            forward pass over the GGUF's dequantized weights.
  logits_llamacpp.bin       llama.cpp's last-position logits for the same prompt.
  logits_reference.json     prompt + ids, numpy argmax per position, llama.cpp's
                            greedy continuation, model sha256, package versions
                            and the numpy-vs-llama.cpp comparison.
  (.bin files: little-endian float32, n_vocab values.)

How: the numpy pass reads tensors with gguf.GGUFReader, dequantizes them with
gguf.quants.dequantize and runs the llama block by hand, so it shares no code
with llama.cpp. The two differ slightly by design: llama.cpp quantizes
activations to 8 bits for its Q4_1/Q8_0 dot products, numpy stays in f32.

Command (from the repo root, after `bash scripts/reference/setup.sh`):
  .venv-ref/bin/python scripts/reference/make_fixtures.py [--model PATH]
"""
import argparse
import hashlib
import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import gguf
from gguf.quants import dequantize
from llama_cpp import Llama

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = ROOT / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = ROOT / "crates" / "engine" / "tests" / "fixtures"

# ChatML with the default system prompt from the GGUF chat template.
PROMPT = (
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nI just lost my job and I feel terrible. What should I do?<|im_end|>\n"
    "<|im_start|>assistant\n"
)
N_GREEDY = 24

TOKENIZER_TEXTS = [
    "",
    "Hello, world!",
    "12345 and 3.14159",
    "Call 555-0199 before 2024-06-01; it costs $1,000,000.50 or 1e10.",
    "col1\tcol2\t\tcol4\n\tindented with a tab",
    "line one\nline two\n\n\nline five\r\nwindows line",
    "multiple   spaces    between     words",
    "   leading and trailing spaces   ",
    "hello \n  world\t\n",
    "Où est la bibliothèque ? Ça coûte très cher, à mon avis. Noël, naïve, œuvre.",
    "Die Größe der Straße überrascht mich: Äpfel, Öl, Übung, Fußball.",
    "Tiếng Việt có nhiều dấu: người, được, những, đặc biệt, Hà Nội.",
    "我今天很难过，因为我失去了工作。你能帮我吗？",
    "こんにちは、世界！カタカナとひらがなと漢字を混ぜる。",
    "안녕하세요, 만나서 반갑습니다. 오늘 날씨가 좋네요.",
    "I love pizza 🍕😀👍🏽 so much!!",
    "family 👨‍👩‍👧‍👦, rainbow flag 🏳️‍🌈, technologist 🧑🏿‍💻",
    "flags 🇫🇷🇩🇪🇯🇵🇰🇷🇻🇳 done",
    "def greet(name):\n    if name:\n        return f\"Hello, {name}!\"\n    return None\n",
    "fn main() {\n    let xs: Vec<u32> = (0..10).map(|x| x * 2).collect();\n    println!(\"{:?}\", xs);\n}\n",
    "<|im_start|>user\nhi<|im_end|>\n",
    "<|im_start|>assistant\nSure!<|im_end|><|endoftext|>",
    "not special: <|im_sta rt|> and <im_end>",
    "I told mon ami 你好 in the Straße, then said こんにちは and cảm ơn.",
    "The committee met on a grey Tuesday morning to review the proposal. After two hours "
    "of careful discussion, they agreed that the budget was reasonable, the timeline was "
    "ambitious but achievable, and the team had the experience needed to deliver. Still, "
    "several members asked for monthly progress reports, clearer milestones, and a plan "
    "for what would happen if key people left the project before it was finished.",
    "Wait... what?!?! ---- *** ((nested)) [[x]] {{y}} ;;; :: ~~~ ___ ...",
    "I'm sure you don't know it's what they're doing; we'll see, I've been, she'd go.",
    "I'M SURE YOU DON'T KNOW IT'S THEIR'S, y'all 'quoted' ’curly’ apostrophes",
    "Visit example.com/path?q=1&x=2#frag or mail a.b+c@example.org",
    " ",
    "\n",
]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path, obj):
    """One list item or top-level key per line: short, diff-friendly fixtures."""
    dump = lambda v: json.dumps(v, ensure_ascii=False)
    if isinstance(obj, list):
        body = "[\n" + ",\n".join(" " + dump(v) for v in obj) + "\n]"
    else:
        body = "{\n" + ",\n".join(f" {dump(k)}: {dump(v)}" for k, v in obj.items()) + "\n}"
    path.write_text(body + "\n", encoding="utf-8")


def tokenize(llm, text):
    # The exact call the Rust tokenizer is checked against.
    return llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)


# ---------------------------------------------------------------- numpy forward

class Weights:
    """GGUF tensors dequantized to f32 on demand; 2-D ones come back as (out, in)."""

    def __init__(self, path):
        self.reader = gguf.GGUFReader(str(path))
        self.tensors = {t.name: t for t in self.reader.tensors}

    def field(self, key):
        return self.reader.fields[key].contents()

    def __contains__(self, name):
        return name in self.tensors

    def __getitem__(self, name):
        t = self.tensors[name]
        return dequantize(t.data, t.tensor_type).astype(np.float32).reshape(
            tuple(int(d) for d in reversed(t.shape)))


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope_interleaved(x, base):
    """x: (T, heads, head_dim). Rotates adjacent pairs (2i, 2i+1) by pos * base^(-2i/d).

    This is llama.cpp's "normal" RoPE; it is correct here because the GGUF
    converter permuted the Q/K rows of the HF checkpoint (which uses the
    half-split NeoX layout) into this interleaved order."""
    T, _, d = x.shape
    inv_freq = base ** (-np.arange(0, d, 2, dtype=np.float64) / d)          # (d/2,)
    ang = np.arange(T, dtype=np.float64)[:, None] * inv_freq[None, :]     # (T, d/2)
    cos = np.cos(ang).astype(np.float32)[:, None, :]
    sin = np.sin(ang).astype(np.float32)[:, None, :]
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


def numpy_forward(w, ids):
    """Logits (T, n_vocab) for every prompt position, all in float32."""
    n_layer = int(w.field("llama.block_count"))
    n_head = int(w.field("llama.attention.head_count"))
    n_kv = int(w.field("llama.attention.head_count_kv"))
    eps = float(w.field("llama.attention.layer_norm_rms_epsilon"))
    base = float(w.field("llama.rope.freq_base"))

    emb = w["token_embd.weight"]                      # (n_vocab, n_embd)
    x = emb[np.asarray(ids)]                          # (T, n_embd)
    T, n_embd = x.shape
    hd = n_embd // n_head
    group = n_head // n_kv                            # query heads per KV head
    causal = np.triu(np.full((T, T), -np.inf, dtype=np.float32), k=1)

    for l in range(n_layer):
        p = f"blk.{l}."
        h = rms_norm(x, w[p + "attn_norm.weight"], eps)
        q = (h @ w[p + "attn_q.weight"].T).reshape(T, n_head, hd)
        k = (h @ w[p + "attn_k.weight"].T).reshape(T, n_kv, hd)
        v = (h @ w[p + "attn_v.weight"].T).reshape(T, n_kv, hd)
        q, k = rope_interleaved(q, base), rope_interleaved(k, base)
        # GQA: query head j reads KV head j // group (consecutive heads share one).
        k = np.repeat(k, group, axis=1)
        v = np.repeat(v, group, axis=1)
        scores = np.einsum("thd,shd->hts", q, k) / np.float32(np.sqrt(hd)) + causal
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        attn = np.einsum("hts,shd->thd", probs, v).reshape(T, n_embd)
        x = x + attn @ w[p + "attn_output.weight"].T

        h = rms_norm(x, w[p + "ffn_norm.weight"], eps)
        gate = h @ w[p + "ffn_gate.weight"].T
        up = h @ w[p + "ffn_up.weight"].T
        x = x + ((gate / (1.0 + np.exp(-gate))) * up) @ w[p + "ffn_down.weight"].T  # SwiGLU

    x = rms_norm(x, w["output_norm.weight"], eps)
    # SmolLM2 ties the output head to the embedding when output.weight is absent.
    head = w["output.weight"] if "output.weight" in w else emb
    return (x @ head.T).astype(np.float32)


# ---------------------------------------------------------------- llama.cpp side

def llamacpp_run(model, ids):
    """Last-position logits for the prompt, plus greedy continuation ids."""
    llm = Llama(model_path=str(model), n_ctx=512, n_threads=2, n_threads_batch=2,
                logits_all=True, verbose=False)
    llm.eval(ids)
    last = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    out, logits = [], last
    for _ in range(N_GREEDY):                          # plain argmax, no sampler state
        tok = int(np.argmax(logits))
        out.append(tok)
        if tok == llm.token_eos():
            break
        llm.eval([tok])
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    text = llm.detokenize(out).decode("utf-8", errors="replace")
    return llm, last, out, text


def compare(a, b, k=10):
    d = np.abs(a.astype(np.float64) - b.astype(np.float64))
    topa, topb = np.argsort(-a)[:k], np.argsort(-b)[:k]
    return {
        "max_abs_diff": float(d.max()),
        "mean_abs_diff": float(d.mean()),
        "std_numpy": float(a.std()),
        "std_llamacpp": float(b.std()),
        "top1_numpy": int(topa[0]),
        "top1_llamacpp": int(topb[0]),
        "top1_agree": bool(topa[0] == topb[0]),
        f"top{k}_overlap": len(set(topa.tolist()) & set(topb.tolist())),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    # (a) tokenizer fixture
    vocab = Llama(model_path=str(args.model), vocab_only=True, verbose=False)
    cases = [{"text": t, "ids": tokenize(vocab, t)} for t in TOKENIZER_TEXTS]
    write_json(OUT / "tokenizer_reference.json", cases)
    prompt_ids = tokenize(vocab, PROMPT)

    # (b-i) numpy forward
    w = Weights(args.model)
    np_logits = numpy_forward(w, prompt_ids)
    np_last = np_logits[-1]
    np_last.astype("<f4").tofile(OUT / "logits_numpy_f32.bin")

    # (b-ii) llama.cpp
    llm, cpp_last, greedy, greedy_text = llamacpp_run(args.model, prompt_ids)
    assert tokenize(llm, PROMPT) == prompt_ids, "full-model and vocab-only tokenizers disagree"
    cpp_last.astype("<f4").tofile(OUT / "logits_llamacpp.bin")
    cpp_argmax = [int(np.argmax(llm.scores[i])) for i in range(len(prompt_ids))]

    # (b-iii) summary
    cmp = compare(np_last, cpp_last)
    np_argmax = [int(i) for i in np_logits.argmax(axis=-1)]
    cmp["argmax_agree_positions"] = sum(a == b for a, b in zip(np_argmax, cpp_argmax))
    cmp["positions"] = len(prompt_ids)
    ref = {
        "model_file": args.model.name,
        "model_sha256": sha256(args.model),
        "tied_embeddings": "output.weight" not in w,
        "prompt": PROMPT,
        "prompt_ids": prompt_ids,
        "numpy_argmax_per_position": np_argmax,
        "llamacpp_argmax_per_position": cpp_argmax,
        "greedy_ids": greedy,
        "greedy_text": greedy_text,
        "logits_files": {"numpy_f32": "logits_numpy_f32.bin", "llamacpp": "logits_llamacpp.bin",
                         "format": "little-endian float32, n_vocab values, last prompt position"},
        "n_vocab": int(np_last.shape[0]),
        "llamacpp_settings": {"n_ctx": 512, "n_threads": 2},
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "gguf": version("gguf"), "llama_cpp_python": version("llama_cpp_python")},
        "comparison_last_position": cmp,
    }
    write_json(OUT / "logits_reference.json", ref)

    print(f"tokenizer cases: {len(cases)}  prompt tokens: {len(prompt_ids)}  "
          f"tied embeddings: {ref['tied_embeddings']}")
    for key, val in cmp.items():
        print(f"  {key:24s} {val}")
    print(f"greedy ({len(greedy)}): {greedy_text!r}")
    if not cmp["top1_agree"]:
        sys.exit("error: numpy and llama.cpp disagree on top-1 at the last position")
    if not greedy_text.startswith("I'm so sorry to hear that"):
        print("warning: greedy reply does not start with the expected text", file=sys.stderr)


if __name__ == "__main__":
    main()
