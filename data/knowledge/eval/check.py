#!/usr/bin/env python3
"""Checks the knowledge-retrieval evaluation sets (tuning.jsonl, valid.jsonl, valid2.jsonl,
test.jsonl).

    python3 data/knowledge/eval/check.py            # format, counts, split separation, ids in sources
    python3 data/knowledge/eval/check.py --search   # also confirm every id with `adapterbot knowledge search`

Asserts: one JSON object per line with the expected keys; kinds and counts per file; at least
35 % follow-up and 35 % loose among the answerable questions; `relevant` empty exactly for
unanswerable questions; no question repeated within or across files; the Factbook country codes
and the WordNet offsets named in `relevant` are disjoint between the splits; at least 25 Factbook
fields per split; every id exists in the source files (a Factbook field present in the country's
JSON, a WordNet synset present in data.<pos> with the named pointer) and, with --search, is
returned by the index for a plain query on its subject and field.
"""

import glob
import json
import os
import re
import subprocess
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FACTBOOK = os.path.join(ROOT, "data", "sources", "factbook")
WORDNET = os.path.join(ROOT, "data", "sources", "wordnet")
BIN = os.path.join(ROOT, "target", "release", "adapterbot")

SPLITS = {  # file: (answerable, unanswerable)
    "tuning.jsonl": (120, 20),
    "valid.jsonl": (90, 20),
    "valid2.jsonl": (120, 25),
    "test.jsonl": (130, 30),
}
KINDS = {"single", "follow-up", "loose", "unanswerable"}
POINTERS = {"hypernym": "@", "instance-of": "@i", "member-of": "#m", "part-of": "#p",
            "substance-of": "#s", "entails": "*", "causes": ">", "antonym": "!"}
WN_FILES = {"n": "data.noun", "v": "data.verb", "a": "data.adj", "r": "data.adv"}


def factbook_fields():
    """slug -> (section, field name), read from the index builder's table."""
    src = open(os.path.join(ROOT, "crates", "skills", "src", "knowledge", "sources", "factbook.rs")).read()
    sections = {"GOV": "Government", "GEO": "Geography", "PEOPLE": "People and Society",
                "ECON": "Economy", "COMMS": "Communications"}
    out = {}
    for sec, name, slug in re.findall(r'field\((\w+), "([^"]+)", "([^"]+)"', src):
        out[slug] = (sections[sec], name)
    out["currency"] = ("Economy", "Exchange rates")
    out["background"] = ("Introduction", "Background")
    out["economy"] = ("Economy", "Economic overview")
    return out


def load_wordnet():
    data = {}
    for pos, fn in WN_FILES.items():
        d = {}
        for line in open(os.path.join(WORDNET, fn), encoding="latin-1"):
            if line.startswith(" "):
                continue
            head = line.split("|", 1)[0].split()
            w = int(head[3], 16)
            words = [head[4 + 2 * i].replace("_", " ") for i in range(w)]
            i = 4 + 2 * w
            ptrs = set()
            for _ in range(int(head[i])):
                sym, off, p = head[i + 1], head[i + 2], head[i + 3]
                ptrs.add((sym, "a" if p in "as" else p, off))
                i += 4
            d[head[0]] = (words, ptrs)
        data[pos] = d
    return data


def source_problem(rid, fields, wn, fb_cache):
    """Why `rid` is not in the sources, or None."""
    p = rid.split("/")
    if p[0] == "factbook":
        files = glob.glob(os.path.join(FACTBOOK, "*", p[1] + ".json"))
        if len(files) != 1 or len(p) not in (3, 4) or p[2] not in fields:
            return "no such country file or field"
        if (len(p) == 4) != (p[2] in ("background", "economy")):
            return "bad id shape"
        if files[0] not in fb_cache:
            fb_cache[files[0]] = json.load(open(files[0]))
        sec, name = fields[p[2]]
        if not fb_cache[files[0]].get(sec, {}).get(name):
            return f"{sec} / {name} missing in {os.path.basename(files[0])}"
        return None
    if p[0] == "wordnet":
        if len(p) not in (3, 6) or p[1] not in wn or p[2] not in wn[p[1]]:
            return "no such synset"
        if len(p) == 6:
            sym = POINTERS.get(p[3])
            if sym is None or p[5] not in wn.get(p[4], {}):
                return "bad relation or target"
            if (sym, p[4], p[5]) not in wn[p[1]][p[2]][1]:
                return "synset has no such pointer"
        return None
    return "unknown source"


def search_query(rid, fb_names, wn):
    p = rid.split("/")
    if p[0] == "factbook":
        words = {"background": "history background", "economy": "economy economic overview"}
        return f"{fb_names.get(p[1], p[1])} {words.get(p[2], p[2].replace('-', ' '))}"
    words = wn[p[1]][p[2]][0]
    if len(p) == 3:
        return f"{words[0]} meaning"
    rel = {"hypernym": "kind", "antonym": "opposite"}.get(p[3], p[3].split("-")[0])
    return f"{words[0]} {rel} {wn[p[4]][p[5]][0][0]}"


def found_by_search(rid, query):
    for k in (50, 500):
        out = subprocess.run([BIN, "knowledge", "search", query, "--k", str(k), "--json"],
                             capture_output=True, text=True, cwd=ROOT, check=True).stdout
        if any(h["id"] == rid for h in json.loads(out)):
            return True
    return False


def main():
    use_search = "--search" in sys.argv[1:]
    fields = factbook_fields()
    wn = load_wordnet()
    fb_cache = {}
    questions = {}
    codes, offsets, ids_by_split = {}, {}, {}
    for fn, (n_ans, n_unans) in SPLITS.items():
        rows = []
        with open(os.path.join(HERE, fn), encoding="utf-8") as f:
            for ln, line in enumerate(f, 1):
                o = json.loads(line)
                assert set(o) == {"context", "question", "relevant", "kind", "note"}, (fn, ln, set(o))
                assert o["kind"] in KINDS, (fn, ln, o["kind"])
                assert isinstance(o["question"], str) and o["question"].strip(), (fn, ln)
                assert isinstance(o["note"], str) and o["note"].strip(), (fn, ln)
                assert (o["relevant"] == []) == (o["kind"] == "unanswerable"), (fn, ln)
                assert len(set(o["relevant"])) == len(o["relevant"]), (fn, ln, "duplicate id")
                ctx = o["context"]
                assert isinstance(ctx, list) and len(ctx) % 2 == 0, (fn, ln)
                for i, m in enumerate(ctx):
                    assert set(m) == {"role", "content"} and m["content"].strip(), (fn, ln)
                    assert m["role"] == ("user" if i % 2 == 0 else "assistant"), (fn, ln)
                if o["kind"] == "follow-up":
                    assert ctx, (fn, ln, "a follow-up needs context")
                if o["kind"] in ("single", "loose"):
                    assert not ctx, (fn, ln, "single and loose questions are first turns")
                key = o["question"].strip().lower()
                assert key not in questions, (fn, ln, "question repeated", questions.get(key))
                questions[key] = (fn, ln)
                rows.append(o)
        kinds = Counter(o["kind"] for o in rows)
        answerable = [o for o in rows if o["kind"] != "unanswerable"]
        assert len(answerable) == n_ans and kinds["unanswerable"] == n_unans, (fn, kinds)
        assert kinds["follow-up"] >= 0.35 * n_ans, (fn, kinds)
        assert kinds["loose"] >= 0.35 * n_ans, (fn, kinds)
        fb = sum(o["relevant"][0].startswith("factbook/") for o in answerable)
        split_fields = {i.split("/")[2] for o in rows for i in o["relevant"] if i.startswith("factbook/")}
        assert len(split_fields) >= 25, (fn, len(split_fields))
        codes[fn] = {i.split("/")[1] for o in rows for i in o["relevant"] if i.startswith("factbook/")}
        offsets[fn] = {x for o in rows for i in o["relevant"] if i.startswith("wordnet/")
                       for x in re.findall(r"\d{8}", i)}
        ids_by_split[fn] = {i for o in rows for i in o["relevant"]}
        print(f"{fn}: {dict(sorted(kinds.items()))}; answerable {len(answerable)} "
              f"(Factbook {fb}, {100 * fb / len(answerable):.0f} %; WordNet {len(answerable) - fb}); "
              f"{len(split_fields)} Factbook fields; {len(codes[fn])} countries; {len(offsets[fn])} WordNet offsets")

    names = list(SPLITS)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not codes[a] & codes[b], (a, b, "share countries", codes[a] & codes[b])
            assert not offsets[a] & offsets[b], (a, b, "share WordNet offsets", offsets[a] & offsets[b])

    all_ids = sorted(set().union(*ids_by_split.values()))
    bad = [(i, why) for i in all_ids if (why := source_problem(i, fields, wn, fb_cache))]
    for i, why in bad:
        print("NOT IN SOURCES:", i, "-", why)
    assert not bad, f"{len(bad)} ids not in the sources"
    print(f"{len(all_ids)} distinct ids, all present in the source files")

    if use_search:
        fb_names = {}
        for path in glob.glob(os.path.join(FACTBOOK, "*", "*.json")):
            gov = json.load(open(path)).get("Government", {})
            cn = gov.get("Country name") or gov.get("Union name") or {}
            short = (cn.get("conventional short form") or {}).get("text", "")
            long_ = (cn.get("conventional long form") or {}).get("text", "")
            name = short if short and short.lower() != "none" else long_
            name = name or os.path.basename(os.path.dirname(path)).title()
            fb_names[os.path.basename(path)[:-5]] = re.sub(r"<[^>]*>", "", name)
        missing = [i for i in all_ids if not found_by_search(i, search_query(i, fb_names, wn))]
        for i in missing:
            print("NOT FOUND BY SEARCH:", i)
        assert not missing, f"{len(missing)} ids not confirmed by search"
        print(f"{len(all_ids)} ids confirmed by `adapterbot knowledge search`")
    print("OK")


if __name__ == "__main__":
    main()
