"""The `knowledge` skill's corpus: questions about CIA World Factbook countries and WordNet nouns,
each with the passages the knowledge store retrieves for it and a reply built only from them.

`build(sources, store)` returns {"train": [...], "valid": [...], "test": [...]}. A country or a
word lies in one split (split.assign); test rows also use question phrasings and openings that
train and valid never use (knowledge_phrases.py). Passages are written exactly as the store
writes them (crates/skills/src/knowledge/sources/{factbook,wordnet}.rs), so that the answer's
passage can be found among the store's hits. Deterministic: same sources and index, same rows.

Standalone: knowledge.py [--sources data/sources] [--search-bin BIN --index DIR] [--out DIR]
"""

import json
import random
import re
import string
import subprocess
import time
from collections import Counter
from pathlib import Path

import checks
import common
import split
from knowledge_passages import (C, E, G, P, country_rows, display_name, gloss_passage,
                                hypernym_triple, read_nouns, table_row, text_of)
from knowledge_phrases import FACTBOOK, MISSING, PREFACE, PREFACE_TEST, WORDNET

SALT = "knowledge"
FACTS_PER_COUNTRY = 6
N_WORDS = 560
MISSING_RATE = 0.08      # Factbook rows whose answer's passage is left out
# Rows that try to add a related fact from another passage (≈ 25 % end up with one: the store's
# hits hold fewer facts of the same entity than the passages picked without it).
ALSO_RATE = {"store": 0.45, "no store": 0.3}
PREFACE_RATE = 0.2
VALID = 0.08           # of the countries and words (test: 0.1); ~200 rows


# --- the store ------------------------------------------------------------------------------

class Store:
    """The knowledge store's own retrieval (`adapterbot knowledge search`), so that rows carry
    the passages serving would put into the prompt."""

    def __init__(self, binary, index):
        self.binary, self.index = str(binary), str(index)

    def search(self, question, k):
        out = subprocess.run([self.binary, "knowledge", "search", "--index", self.index,
                              "--json", "--k", str(k), question],
                             capture_output=True, text=True, check=True)
        return [hit["text"] for hit in json.loads(out.stdout)]


# How a country is said in a sentence, where the store's name reads badly.
SPOKEN = {"Congo (Brazzaville)": "the Republic of the Congo", "The Dominican": "the Dominican Republic",
          "Gaza, Gaza Strip": "the Gaza Strip", "Svalbard (sometimes referred to as Spitsbergen, the "
          "largest island in the archipelago)": "Svalbard"}
THE = re.compile(r"(Islands|Republic|Kingdom|States|Emirates|Lands|Territory|Netherlands|Philippines|"
                 r"Maldives|See|Bank)$|^(Republic|Federated|Isle|Democratic|United) ")


def spoken_name(display):
    if display in SPOKEN:
        return SPOKEN[display]
    name = re.sub(r" \([^)]*\)$", "", display)
    if name.startswith("The "):
        return "the " + name[4:]
    if "," in name and ", and " not in name:
        return None
    return "the " + name if THE.search(name) else name


# --- Factbook facts -------------------------------------------------------------------------

def cap(s):
    return s[:1].upper() + s[1:]


def article(word):
    w = word.lower()
    return "an" if w[:1] in "aeio" or w.startswith(("uzb", "hour")) else "a"


def possessive(name):
    return name + ("'" if name.startswith("the ") and name.endswith("s") else "'s")


def approx(figure):
    """"26,768,598" → "27 million": said only beside the exact figure."""
    try:
        x = float(figure.replace(",", ""))
    except ValueError:
        return None
    if x >= 1e9:
        s = f"{x / 1e9:.1f} billion"
    elif x >= 1e7:
        s = f"{round(x / 1e6)} million"
    elif x >= 1e6:
        s = f"{x / 1e6:.1f} million"
    elif x >= 1e4:
        s = f"{round(x / 1e3)} thousand"       # "644,000" would claim more precision
    else:
        return None
    return s.replace(".0 ", " ")


def place(name):
    """A place as said in a sentence: "the Pacific Ocean", "an unnamed location …"."""
    if name.startswith("unnamed"):
        return "an " + name
    if (re.search(r"\b(Ocean|Sea|River|Gulf|Bay|Channel|Strait|Depression)$", name)
            or re.match(r"(Gulf|Bay|Sea|Strait|Bight) of ", name)):
        return "the " + name
    return name


def sub(field, key):
    if not isinstance(field, dict):
        return None
    name = next((n for n in field if n.strip() == key), None)
    return text_of(field[name]) if name is not None else None


def listing(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def factbook_facts(country, rows):
    """field → (row label, values for the phrasings, gold answers) for the fields whose row
    reads cleanly enough to be answered from."""
    gov, geo, ppl, econ = (country.get(s, {}) for s in (G, E, P, C))
    out = {}
    m = re.fullmatch(r"([A-Z][\w.'’-]*(?: [\w.'’-]+){0,3})(?: \(((?:on|in) [^()]+)\))?",
                     rows.get("capital", ""))
    if m:
        out["capital"] = ("capital", {"cap": m[1], "where": m[2]}, [m[1]])
    m = re.fullmatch(r"([\d,]+) \((\d{4}) est\.\)", sub(ppl.get("Population"), "total") or "")
    if m and "population" in rows:
        vals = {"pop": m[1], "year": m[2], "approx": approx(m[1]),
                "male": sub(ppl.get("Population"), "male"), "female": sub(ppl.get("Population"), "female")}
        out["population"] = ("population", vals, [m[1]])
    area = sub(geo.get("Area"), "total") or ""
    if re.fullmatch(r"[\d,.]+(?: million)? sq km", area) and area != "0 sq km" and "area" in rows:
        land = sub(geo.get("Area"), "land")
        vals = {"area": area, "land": None if land == area else land, "water": sub(geo.get("Area"), "water"),
                "approx": None if "million" in area else approx(area.split()[0])}
        out["area"] = ("area", vals, [area])
    coast = rows.get("coastline", "")
    if coast == "0 km (landlocked)":
        out["landlocked"] = ("coastline", {}, ["landlocked"])
    elif re.fullmatch(r"[\d,.]+ km", coast) and coast != "0 km":
        out["coastline"] = ("coastline", {"coast": coast}, [coast])
    for key, field in (("highest point", "hi"), ("lowest point", "lo")):
        m = re.fullmatch(r"(.+?)(?: \([^()]*\))? (-?[\d,.]+ m)", sub(geo.get("Elevation"), key) or "")
        if m and len(m[1].split()) <= 6:
            said = place(m[1])
            out[key] = ("elevation", {field: said, cap(field): cap(said), field + "h": m[2]}, [m[1], m[2]])
    for key, field, total, vname in (("median age", "Median age", "total", "age"),
                                     ("life expectancy", "Life expectancy at birth", "total population", "life")):
        m = re.fullmatch(r"([\d.]+ years) \((\d{4}) est\.\)", sub(ppl.get(field), total) or "")
        if m:
            vals = {vname: m[1], "year": m[2], "male": sub(ppl.get(field), "male"),
                    "female": sub(ppl.get(field), "female")}
            out[key] = (key if key == "median age" else "life expectancy at birth", vals, [m[1]])
    g = rows.get("government type", "")
    if re.fullmatch(r"[\w -]+ (republic|monarchy|democracy|state|federation|regime|sultanate|"
                    r"monarchies|territory|collectivity)", g) and len(g.split()) <= 6:
        out["government type"] = ("government type", {"gov": g, "agov": f"{article(g)} {g}"}, [g])
    m = re.fullmatch(r"([^,();]+?)(?: \(([^()]+)\))?, (\d{1,2}(?:-\d{1,2})? [A-Z][a-z]+)(?: \([\d, ]+\))?",
                     rows.get("national holiday", ""))
    if m:
        out["national holiday"] = ("national holiday", {"hol": m[1], "why": m[2], "date": m[3]}, [m[1], m[3]])
    if re.fullmatch(r"\.[a-z]{2}", rows.get("internet country code", "")):
        out["internet code"] = ("internet country code", {"code": rows["internet country code"]},
                                [rows["internet country code"]])
    m = re.fullmatch(r"([A-Za-z' -]+?) \(([A-Z]{3})\) per US dollar(?:: ([\d,.]+) \((\d{4}) est\.\))?",
                     rows.get("currency", ""))
    if m:
        money = m[1] if m[1].endswith("s") else "the " + m[1]
        out["currency"] = ("currency", {"money": money, "Money": cap(money), "cur": m[2], "rate": m[3],
                                        "year": m[4]}, [m[1]])
    langs = re.findall(r"(?:^|, | and |: )([A-Z][A-Za-z'-]+(?: [A-Z][A-Za-z'-]+)?)(?: [\d.]+%)? \(official[,;)]",
                       rows.get("languages", ""))
    if 1 <= len(langs) <= 3 and len(set(langs)) == len(langs):
        out["languages"] = ("languages", {"langs": listing(langs), "is": "is" if len(langs) == 1 else "are",
                                          "langword": "language" if len(langs) == 1 else "languages"}, langs)
    m = re.fullmatch(r"(\d{1,2} [A-Z][a-z]+ \d{4}) \(from ((?:the )?[^();]+)\)", rows.get("independence", ""))
    if m and len(m[2].split()) <= 4:
        out["independence"] = ("independence", {"indep": m[1], "frm": m[2]}, [m[1]])
    m = re.fullmatch(r"([A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?)\(s\)", sub(ppl.get("Nationality"), "noun") or "")
    adj = sub(ppl.get("Nationality"), "adjective")
    if m and adj:
        out["nationality"] = ("nationality", {"noun": m[1], "anoun": f"{article(m[1])} {m[1]}",
                                              "Anoun": cap(f"{article(m[1])} {m[1]}"), "adj": adj}, [m[1]])
    m = re.fullmatch(r"([A-Z][\w-]*(?: [A-Z][\w-]*){0,3})(?:, ((?:bordering|between|north|south|east|west|"
                     r"on |in |off |along)[^;()]*))?", rows.get("location", ""))
    if m and len((m[2] or "").split()) <= 14:
        out["location"] = ("location", {"region": m[1], "rest": m[2]}, [m[1]])
    m = re.fullmatch(r"(UTC(?: 0|[+-][\d.]+)) \(([^()]+)\)", rows.get("time difference (capital)", ""))
    if m:
        diff = m[2] if "Washington" in m[2] else None      # not "(during Standard Time)" alone
        out["time difference"] = ("time difference (capital)", {"utc": m[1], "diff": diff}, [m[1]])
    m = re.fullmatch(r"([\d.]+) births/1,000 population \((\d{4}) est\.\)", rows.get("birth rate", ""))
    if m:
        out["birth rate"] = ("birth rate", {"births": m[1], "year": m[2]}, [m[1]])
    m = re.fullmatch(r"(\$[\d,]+) \((\d{4}) est\.\)", rows.get("real GDP per capita", ""))
    if m:
        out["gdp per capita"] = ("real GDP per capita", {"gdp": m[1], "year": m[2]}, [m[1]])
    return out


# --- WordNet (gloss passages and hypernym triples, as the store writes them) ---------------

STOP = set("a an the of in on at to for from by with and or that which who whom whose is are was "
           "be been being as its it their this these those into onto over under than then such "
           "used especially usually often any some other something someone one ones person thing "
           "having has have made make small large very more most".split())


# Ancestors that make a noun uncountable ("brass is an alloy", not "a brass").
MASS = {"substance", "material", "chemical element", "alloy", "compound", "mixture", "metal", "fluid",
        "liquid", "gas", "fabric", "feeling", "emotion"}
MASS_WORDS = {"data", "information", "news", "advice", "equipment", "furniture", "luggage", "money",
              "music", "evidence", "knowledge", "software", "research", "traffic", "weather", "work"}


def wordnet_words(sources):
    """(lemma, synset, other senses' synsets) for common nouns with a plain definition."""
    wn = sources / "wordnet"
    synsets = read_nouns(wn / "data.noun")
    senses = {}
    for line in (wn / "index.sense").read_text(encoding="utf-8").splitlines():
        key, offset, number, tags = line.split()
        lemma, rest = key.split("%", 1)
        if rest[0] == "1":
            senses.setdefault(lemma, []).append((int(number), int(offset), int(tags)))
    out = []
    for lemma in sorted(senses):
        ordered = sorted(senses[lemma])
        number, offset, tags = ordered[0]
        s = synsets.get(offset)
        if (number != 1 or tags < 3 or not re.fullmatch(r"[a-z]{3,}", lemma) or not s or s["instance"]
                or re.search(r"[^suio]s$", lemma)      # plural forms: thanks, pants
                or s["words"][0] != lemma or not s["hyper"] or s["hyper"][0] not in synsets):
            continue
        d = s["def"]
        if not re.match(r"an? [a-z]", d) or len(d.split()) > 22 or '"' in d or "(" in d:
            continue
        out.append((lemma, s, [synsets[o] for _, o, _ in ordered[1:] if o in synsets]))
    return synsets, out


def distinctive(definition, lemma, df):
    words = [w for w in re.findall(r"[a-z][a-z-]+", definition.lower())
             if len(w) >= 4 and w not in STOP and not w.startswith(lemma[:4])]
    chosen = set(sorted(dict.fromkeys(words), key=lambda w: (df[w], -len(w), w))[:3])
    return [w for w in dict.fromkeys(words) if w in chosen]


# --- questions and replies -------------------------------------------------------------------

def fill(template, vals):
    """The template with its placeholders filled, or None when one has no value."""
    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    if not all(vals.get(n) for n in names):
        return None
    return template.format(**vals)


def ask(rng, templates, vals, test):
    """A question in one of the split's phrasings, sometimes after a few opening words."""
    t, q = rng.choice([(t, q) for t, q in ((t, fill(t, vals)) for t in templates) if q])
    if rng.random() < PREFACE_RATE:
        pre = rng.choice([p for p in (PREFACE_TEST if test else PREFACE)
                          if not (p.endswith(": ") and ":" in q)])     # no "…: degree: what …"
        if pre.endswith((", ", ": ")) and not t.startswith(("{N}", "{P}", "I ")):
            q = q[0].lower() + q[1:]
        q = pre + q
    return cap(q)


def say(rng, templates, vals, used, answers=()):
    """A reply shape that says every answer and whose sentences are not used up (≤ 3 times in
    the corpus), preferring fresh ones; None when every shape lacks a value."""
    filled = [cap(r) for r in (fill(t, vals) for t in templates) if r and all(a in r for a in answers)]
    rng.shuffle(filled)
    for limit in (1, 2, 3):
        for r in filled:
            if all(used[s] < limit for s in common.sentences(r)):
                return r
    return None


def country_vals(name):
    return {"n": name, "N": cap(name), "p": possessive(name), "P": cap(possessive(name))}


def factbook_plans(rng, sources):
    plans = []
    for path in sorted((sources / "factbook").glob("*/*.json")):
        region = path.parent.name
        if region == "world":
            continue
        country = json.loads(path.read_text(encoding="utf-8"))
        display = display_name(country, region)
        name = spoken_name(display)
        if not name or display == "European Union":
            continue
        rows = country_rows(country)
        facts = factbook_facts(country, rows)
        if len(facts) < 3:
            continue
        part = split.assign(SALT, "country:" + display, valid=VALID)
        passages = {label: table_row(display, label, v) for label, v in sorted(rows.items())}
        related = {}
        for key, (label, vals, _) in sorted(facts.items()):
            related.setdefault(passages[label], []).append((key, {**country_vals(name), **vals}))
        for key in rng.sample(sorted(facts), min(FACTS_PER_COUNTRY, len(facts))):
            label, vals, answers = facts[key]
            vals = {**country_vals(name), **vals}
            phr = FACTBOOK["coastline" if key == "landlocked" else key]
            gold = passages[label]
            others = [p for l, p in passages.items() if l != label]
            missing = rng.random() < MISSING_RATE
            if missing:
                others = [p for p in others if not gives(p, answers)]
            known = [p for p in others if p in related]
            fallback = [rng.choice(known)] if known and not missing and rng.random() < 0.5 else []
            fallback += rng.sample([p for p in others if p not in fallback],
                                   min(len(others), 3 if missing else 2) - len(fallback))
            plans.append(dict(
                part=part, question=ask(rng, phr["ask_test" if part == "test" else "ask"], vals, part == "test"),
                gold=gold, fallback=fallback,
                missing=missing, answers=answers, key=key, vals=vals, related=related,
                say=FACTBOOK[key]["say"],
                source=f"{common.FACTBOOK}: {region}/{path.name} {label}", license=common.FACTBOOK_LICENSE))
    return plans


def wordnet_plans(rng, sources):
    synsets, words = wordnet_words(sources)
    df = Counter(w for s in synsets.values() for w in set(re.findall(r"[a-z][a-z-]+", s["def"].lower())))
    rng.shuffle(words)
    plans = []
    for lemma, s, other_senses in sorted(words[:N_WORDS], key=lambda t: t[0]):
        part = split.assign(SALT, "word:" + lemma, valid=VALID)
        gloss = gloss_passage(s)
        triple, ancestors = hypernym_triple(synsets, s)
        d = re.split(r" ?;", s["def"])[0].strip().rstrip(".")
        mass = lemma.endswith(("ness", "ism")) or lemma in MASS_WORDS or bool(MASS & set(ancestors[:3]))
        a = None if mass else article(lemma)
        vals = {"w": lemma, "a": a, "A": a and cap(a), "m": mass and lemma, "M": mass and cap(lemma),
                "d": d, "parent": ancestors[0],
                "grand": ancestors[1] if len(ancestors) > 1 else None,
                "syn": s["words"][1] if len(s["words"]) > 1 else None}
        related = {gloss: [("meaning", vals)], triple: [("kind", vals)]}
        # Other senses of the word; else the parent's definition.
        others = [gloss_passage(o) for o in other_senses[:2]] + [gloss_passage(synsets[s["hyper"][0]])]
        tasks = []
        if rng.random() < 0.75:
            tasks.append("meaning")
        if not tasks or rng.random() < 0.55:
            tasks.append(rng.choice(["kind", "kind", "is-kind"]))
        for task in tasks:
            v = dict(vals)
            if task == "meaning":
                gold, answers, fallback = gloss, distinctive(d, lemma, df), [triple, others[0]]
            else:
                gold, fallback = triple, [gloss, others[0]]
                answers = [ancestors[0]]
                if task == "is-kind":
                    i = rng.randrange(min(4, len(ancestors)))
                    v["x"], answers = ancestors[i], [ancestors[i]]
                    chain = f"{a + ' ' if a else ''}{lemma} is a kind of {ancestors[0]}"
                    if i:
                        chain += f", in turn a kind of {listing(ancestors[1:i + 1])}"
                    v["chain"], v["Chain"] = chain, cap(chain)
            if not answers:
                continue
            phr = WORDNET[task]
            plans.append(dict(
                part=part, question=ask(rng, phr["ask_test" if part == "test" else "ask"], v, part == "test"),
                gold=gold, fallback=fallback, missing=False, answers=answers, key=task, vals=v,
                related={p: r for p, r in related.items() if p != gold}, say=phr["say"],
                source=f"{common.WORDNET}: noun {lemma} ({'definition' if task == 'meaning' else 'hypernym'})",
                license=common.WORDNET_LICENSE))
    return plans


def gives(passage, answers):
    """Whether a passage states an answer (after its "Country — " prefix: "Somali" is in
    "Somalia")."""
    text = passage.split(" — ", 1)[-1]
    return any(a in text for a in answers)


def passages_for(rng, plan, hits):
    """Three passages. With the store: its top three, the answer's passage put in place of the
    third where retrieval missed it, or left out for a row whose reply says the facts don't
    cover it. Without: the answer's passage among other passages of the same entity."""
    gold, missing = plan["gold"], plan["missing"]
    if hits is None:
        passages = list(plan["fallback"])
        rng.shuffle(passages)
        if not missing:
            passages.insert(rng.randrange(len(passages) + 1), gold)
        return passages, False
    if missing:
        rest = [h for h in hits if h != gold][:3]
        if not any(gives(h, plan["answers"]) for h in rest):
            return rest, False
        plan["missing"] = False       # another passage gives the answer: answer from it
    top = hits[:3]
    if gold in top:
        return top, False
    top = top[:2]
    top.insert(rng.randrange(len(top) + 1), gold)
    return top, True


def reply_for(rng, plan, passages, used, also_rate):
    vals = plan["vals"]
    if plan["missing"]:
        what = FACTBOOK["coastline" if plan["key"] == "landlocked" else plan["key"]]["what"]
        return say(rng, MISSING, {**vals, "what": what}, used), False
    main = say(rng, plan["say"], vals, used, plan["answers"])
    if main is None or rng.random() >= also_rate:
        return main, False
    extra = [(k, v) for p in passages if p != plan["gold"] for k, v in plan["related"].get(p, [])
             if k != plan["key"] and not (plan["key"] in ("highest point", "lowest point")
                                          and k in ("highest point", "lowest point"))]
    if not extra:
        return main, False
    key, v = rng.choice(extra)
    table = WORDNET if plan["license"] == common.WORDNET_LICENSE else FACTBOOK
    also = say(rng, table[key]["also"], v, used)
    if also and len(f"{main} {also}".split()) <= common.MAX_REPLY_WORDS:
        return f"{main} {also}", True
    return main, False


def build(sources, store=None):
    """The knowledge corpus: {"train": [...], "valid": [...], "test": [...]}. `store` is None
    or has `.search(question, k)` returning the passage texts the knowledge store retrieves
    (one call per question: the CLI answers in ~5 ms, so no batch mode is needed)."""
    sources = Path(sources)
    rng = random.Random("knowledge-2")
    plans = factbook_plans(rng, sources) + wordnet_plans(rng, sources)
    hits = [store.search(p["question"], 4) if store else None for p in plans]
    splits = {name: [] for name in common.SPLITS}
    used, stats = Counter(), Counter()
    for plan, found in zip(plans, hits):
        passages, inserted = passages_for(rng, plan, found)
        reply, also = reply_for(rng, plan, passages, used, ALSO_RATE["store" if store else "no store"])
        if not reply or len(reply.split()) > common.MAX_REPLY_WORDS:
            stats["dropped"] += 1
            continue
        used.update(common.sentences(reply))
        stats.update({"rows": 1, "missing": plan["missing"], "also": also, "inserted": inserted})
        expect = None if plan["missing"] else {"answers": plan["answers"]}
        splits[plan["part"]].append(common.row([("user", plan["question"])], reply, plan["source"],
                                               plan["license"], knowledge=passages, expect=expect))
    for name in common.SPLITS:
        rng.shuffle(splits[name])
    stats.update({f"decontaminated {k}": v for k, v in split.decontaminate(splits).items()})
    print(f"knowledge ({'store' if store else 'no store'}): {dict(stats)}")
    return splits


# --- standalone run ------------------------------------------------------------------------

def report(splits):
    """The corpus invariants (checks.stats) and the most used reply sentences."""
    every = Counter(s for n in common.SPLITS for r in splits[n] for s in common.sentences(r["reply"]))
    for name in common.SPLITS:
        ss = [s for r in splits[name] for s in common.sentences(r["reply"])]
        print(f"{name}: {len(splits[name])} rows ({sum('expect' not in r for r in splits[name])} "
              f"without the answer's passage), {len(set(ss))}/{len(ss)} distinct reply sentences")
    print("checks.stats:", checks.stats(splits))
    print("most used sentences:", every.most_common(3))


def main():
    import argparse
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sources", type=Path, default=common.ROOT / "data" / "sources")
    p.add_argument("--search-bin", help="an adapterbot binary (`knowledge search`)")
    p.add_argument("--index", type=Path, default=common.ROOT / "models" / "knowledge")
    p.add_argument("--out", type=Path, help="write <out>/knowledge/{train,valid,test}.jsonl")
    p.add_argument("--samples", type=int, default=15)
    a = p.parse_args()
    store = Store(a.search_bin, a.index) if a.search_bin else None
    t0 = time.time()
    splits = build(a.sources, store)
    print(f"built in {time.time() - t0:.1f} s")
    report(splits)
    if a.out:
        common.write_splits(a.out, "knowledge", splits)
    rng = random.Random("samples")
    for name in common.SPLITS:
        print(f"\n--- {name} samples")
        for r in rng.sample(splits[name], min(a.samples, len(splits[name]))):
            print(json.dumps({k: r[k] for k in ("messages", "reply", "knowledge", "expect") if k in r},
                             ensure_ascii=False))


if __name__ == "__main__":
    main()
