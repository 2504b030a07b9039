"""Passages written exactly as the knowledge store writes them
(crates/skills/src/knowledge/{linearise.rs,sources/factbook.rs,sources/wordnet.rs}), so that a
row's answer passage can be found among the store's hits and rows built without the store read
the same: Factbook table rows ("Australia — capital: Canberra."), WordNet glosses
("dolphin (noun): …") and hypernym triples ("dolphin — is a kind of — toothed whale (in turn …)").
"""

import html
import re

MAX_VALUE_WORDS = 90


def clean_html(s):
    s = html.unescape(re.sub(r"<[^>]*>", " ", s))
    return " ".join(w for w in re.split(r"[\s\u00a0]+", s) if w)


def tidy(s):
    return s.strip().rstrip(" -:;,")


def with_full_stop(s):
    return s if s.endswith((".", "!", "?", "…")) else s + "."


def table_row(entity, label, value):
    words = value.split(" ")
    if len(words) > MAX_VALUE_WORDS:
        value = " ".join(words[:MAX_VALUE_WORDS]) + " …"
    return with_full_stop(f"{entity} — {label}: {value}")


def year_suffix(key):
    last = key.strip().rsplit(" ", 1)
    if len(last) == 2 and len(last[1]) == 4 and last[1].isdigit() and 1900 <= int(last[1]) < 2200:
        return int(last[1])
    return None


def text_of(sub):
    if isinstance(sub, dict) and isinstance(sub.get("text"), str):
        return tidy(clean_html(sub["text"])) or None
    return None


def render(v, only=None):
    """A field's row value: `only` lists the subfields shown (one alone shown without its
    name), else every subfield but the notes, of a yearly series the latest year. Keys go in
    sorted order, as serde_json's map keeps them."""
    if not isinstance(v, dict):
        return None
    if isinstance(v.get("text"), str):
        return text_of(v)
    keys = sorted(v)
    if only is not None:
        pieces = []
        for k in only:
            name = next((n for n in keys if n.strip() == k), None)
            t = text_of(v[name]) if name is not None else None
            if t:
                pieces.append((k, t))
    else:
        latest = max((y for y in map(year_suffix, keys) if y), default=None)
        pieces = [("" if year_suffix(k) else k.strip()[:1].lower() + k.strip()[1:], text_of(v[k]))
                  for k in keys if k != "note" and year_suffix(k) in (None, latest)]
        pieces = [(k, t) for k, t in pieces if t]
    single = (only is not None and len(only) == 1) or len(pieces) == 1
    return "; ".join(t if single or not k else f"{k}: {t}" for k, t in pieces) or None


def currency_value(v):
    name = text_of(v.get("Currency")) if isinstance(v, dict) else None
    if not name:
        return None
    years = [(year_suffix(k), k) for k in v if year_suffix(k)]
    rate = text_of(v[max(years)[1]]) if years else None
    return f"{name}: {rate}" if rate else name


# (section, field, label, subfields shown or None for all): the store's Factbook rows.
G, E, P, C, M = "Government", "Geography", "People and Society", "Economy", "Communications"
FIELDS = [
    (G, "Capital", "capital", ["name"]), (G, "Capital", "time difference (capital)", ["time difference"]),
    (G, "Country name", "country name", ["conventional long form", "conventional short form",
                                         "local long form", "former", "etymology"]),
    (G, "Government type", "government type", None), (G, "Executive branch", "executive branch",
                                                      ["chief of state", "head of government"]),
    (G, "Independence", "independence", None), (G, "National holiday", "national holiday", None),
    (G, "Administrative divisions", "administrative divisions", None),
    (G, "Legal system", "legal system", None), (G, "Suffrage", "suffrage", None),
    (G, "National anthem(s)", "national anthem", ["title", "lyrics/music"]),
    (G, "National symbol(s)", "national symbols", None), (G, "National color(s)", "national colors", None),
    (G, "Flag", "flag", None), (E, "Location", "location", None),
    (E, "Geographic coordinates", "geographic coordinates", None),
    (E, "Area", "area", ["total", "land", "water"]), (E, "Area - comparative", "area comparison", None),
    (E, "Land boundaries", "land boundaries", ["total", "border countries"]),
    (E, "Coastline", "coastline", None), (E, "Climate", "climate", None), (E, "Terrain", "terrain", None),
    (E, "Elevation", "elevation", ["highest point", "lowest point", "mean elevation"]),
    (E, "Natural resources", "natural resources", None), (E, "Natural hazards", "natural hazards", None),
    (E, "Major rivers (by length in km)", "major rivers", None),
    (P, "Population", "population", ["total", "male", "female"]),
    (P, "Nationality", "nationality", ["noun", "adjective"]), (P, "Ethnic groups", "ethnic groups", None),
    (P, "Languages", "languages", None), (P, "Religions", "religions", None),
    (P, "Median age", "median age", ["total", "male", "female"]),
    (P, "Population growth rate", "population growth rate", None), (P, "Birth rate", "birth rate", None),
    (P, "Death rate", "death rate", None), (P, "Major urban areas - population", "major cities", None),
    (P, "Life expectancy at birth", "life expectancy at birth", ["total population", "male", "female"]),
    (P, "Total fertility rate", "total fertility rate", None),
    (P, "Literacy", "literacy", ["definition", "total population", "male", "female"]),
    (C, "Real GDP (purchasing power parity)", "real GDP (purchasing power parity)", None),
    (C, "Real GDP per capita", "real GDP per capita", None),
    (C, "Real GDP growth rate", "real GDP growth rate", None),
    (C, "Inflation rate (consumer prices)", "inflation rate", None),
    (C, "Unemployment rate", "unemployment rate", None), (C, "Industries", "industries", None),
    (C, "Agricultural products", "agricultural products", None),
    (C, "Exports - commodities", "export commodities", None),
    (C, "Exports - partners", "export partners", None),
    (C, "Imports - commodities", "import commodities", None),
    (M, "Internet country code", "internet country code", None),
]


def country_rows(country):
    """label → value of every row the store makes for a country (currency included)."""
    rows = {}
    for section, name, label, only in FIELDS:
        value = render(country.get(section, {}).get(name), only)
        if value:
            rows[label] = value
    money = currency_value(country.get(C, {}).get("Exchange rates"))
    if money:
        rows["currency"] = money
    return rows


def display_name(country, region):
    """The store's name for a country: the short form unless it is an abbreviation."""
    gov = country.get(G, {})
    def get(field, sub):
        t = text_of(gov.get(field, {}).get(sub)) if isinstance(gov.get(field), dict) else None
        return None if not t or t.lower() == "none" else clean_html(gov[field][sub]["text"])
    short = get("Country name", "conventional short form")
    long_ = get("Country name", "conventional long form") or get("Union name", "conventional long form")
    if short and any(c.islower() for c in short):
        return short
    return long_ or short or region[:1].upper() + region[1:]


# --- WordNet nouns --------------------------------------------------------------------------

LINEAGE = 8
def wn_lemma(w):
    for suffix in ("(a)", "(p)", "(ip)"):
        if w.endswith(suffix):
            w = w[: -len(suffix)]
    return w.replace("_", " ")


def wn_definition(gloss):
    g = gloss.strip()
    i = g.find('; "')
    return g if g.startswith('"') or i < 0 else g[:i].strip()


def read_nouns(path):
    synsets = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(" ") or "|" not in line:
            continue
        head, gloss = line.split("|", 1)
        f = head.split()
        w_cnt = int(f[3], 16)
        k = 4 + 2 * w_cnt
        pointers = [(f[k + 1 + 4 * j], int(f[k + 2 + 4 * j]), f[k + 3 + 4 * j]) for j in range(int(f[k]))]
        hyper = [(off, sym) for sym, off, pos in pointers if sym in ("@", "@i") and pos == "n"]
        synsets[int(f[0])] = {"words": [wn_lemma(f[4 + 2 * i]) for i in range(w_cnt)],
                              "hyper": [o for o, _ in hyper], "def": wn_definition(gloss),
                              "instance": bool(hyper) and hyper[0][1] == "@i"}
    return synsets


def gloss_passage(s):
    text = f"{s['words'][0]} (noun): {s['def']}"
    if len(s["words"]) > 1:
        text = f"{text.rstrip('.')}. Synonyms: {', '.join(s['words'][1:])}"
    return with_full_stop(text)


def lineage(synsets, s):
    out, seen, cur = [], {id(s)}, s
    while len(out) < LINEAGE and cur["hyper"] and cur["hyper"][0] in synsets:
        cur = synsets[cur["hyper"][0]]
        if id(cur) in seen:
            break
        seen.add(id(cur))
        out.append(cur["words"][0])
    return out


def hypernym_triple(synsets, s):
    target = synsets[s["hyper"][0]]
    above = lineage(synsets, target)
    text = f"{s['words'][0]} — is a kind of — {target['words'][0]}"
    return (f"{text} (in turn a kind of {', '.join(above)})" if above else text), [target["words"][0]] + above
