# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Knowledge questions about countries, asked of the CIA World Factbook (public domain).

Held out: countries whose name sorts A–M go to train, N–Z to test, and every field has
separate train and test phrasings, so a test question names a country the classifier never
saw, in words it never saw."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .common import PUBLIC_DOMAIN, Row, capitalize_first, clean_markup, restyle, rng_for

SOURCE = "factbook-template"

# Conventional short names that read badly in a question (or are "none" in the data).
NAME_OVERRIDES = {
    "ae": "the United Arab Emirates",
    "cf": "the Republic of the Congo",
    "cg": "the Democratic Republic of the Congo",
    "ct": "the Central African Republic",
    "dr": "the Dominican Republic",
    "fm": "Micronesia",
    "sh": "Saint Helena",
    "us": "the United States",
    "uk": "the United Kingdom",
    "nl": "the Netherlands",
    "rp": "the Philippines",
}
# Not countries a user would ask about this way (aggregates, bases, uninhabited rocks).
SKIP_CODES = {"xx", "ee", "ax", "dx", "io", "um", "wi", "gz", "we"}


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    data: dict

    @property
    def sort_key(self) -> str:
        return re.sub(r"^the ", "", self.name, flags=re.I).casefold()


def _text(node) -> str | None:
    if isinstance(node, dict):
        node = node.get("text")
    if not isinstance(node, str):
        return None
    value = clean_markup(node)
    return value or None


def _get(data: dict, path: tuple[str, ...]) -> str | None:
    node = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return _text(node)


def load_countries(root: Path) -> list[Country]:
    countries = []
    for path in sorted(root.glob("*/*.json")):
        code = path.stem
        if code in SKIP_CODES:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        name = NAME_OVERRIDES.get(code) or _get(data, ("Government", "Country name", "conventional short form"))
        if not name or name.lower() == "none":
            continue
        name = re.sub(r"\s+", " ", re.sub(r"\(.*\)", " ", name)).strip()
        population = _get(data, ("People and Society", "Population", "total")) or ""
        if not _get(data, ("Government", "Capital", "name")) or not re.match(r"[\d,]+", population):
            continue
        countries.append(Country(code, name, data))
    return sorted(countries, key=lambda c: c.sort_key)


def is_test_country(country: Country) -> bool:
    """Countries N–Z are held out for test."""
    return country.sort_key[0] >= "n"


def _short(value: str, limit: int = 150) -> str:
    value = value.split("; note")[0]
    value = re.sub(r"\s*\((?:[A-Za-z]+ )?\d{4}(?: est\.)?\)", "", value).strip()
    if len(value) <= limit:
        return value.rstrip(".")
    cut = value[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


@dataclass(frozen=True)
class Field:
    path: tuple[str, ...]
    answer: str  # how the bot states the value in a context row
    train: tuple[str, ...]
    test: tuple[str, ...]


FIELDS: dict[str, Field] = {
    "capital": Field(
        ("Government", "Capital", "name"),
        "The capital of {c} is {v}.",
        (
            "What's the capital of {c}?",
            "capital of {c}?",
            "What is the capital city of {c}?",
            "which city is the capital of {c}",
            "{c} capital",
            "Tell me the capital of {c}.",
            "do you know the capital of {c}?",
            "what city is {c}'s capital?",
        ),
        (
            "Name the capital of {c}.",
            "whats {c}'s capital city",
            "where is the seat of government of {c}?",
            "which city serves as the capital of {c}?",
            "quick question: capital of {c}?",
        ),
    ),
    "population": Field(
        ("People and Society", "Population", "total"),
        "About {v} people live in {c}.",
        (
            "How many people live in {c}?",
            "What's the population of {c}?",
            "population of {c}",
            "how populous is {c}?",
            "how big is the population of {c}",
            "{c} population?",
        ),
        (
            "roughly how many inhabitants does {c} have?",
            "what is {c}'s population these days",
            "number of people living in {c}?",
            "is {c} crowded? how many people are there",
        ),
    ),
    "languages": Field(
        ("People and Society", "Languages", "Languages"),
        "In {c} people speak {v}.",
        (
            "Which languages do people speak in {c}?",
            "what language is spoken in {c}?",
            "official language of {c}?",
            "What languages are spoken in {c}",
            "do people in {c} speak English?",
            "main language in {c}",
        ),
        (
            "what do they speak in {c}?",
            "which language would I hear in {c}?",
            "languages of {c}",
            "what's the national language of {c}?",
        ),
    ),
    "area": Field(
        ("Geography", "Area", "total "),
        "{C} covers {v}.",
        (
            "How big is {c}?",
            "What is the area of {c}?",
            "how large is {c} in square kilometres",
            "total area of {c}?",
            "what's the size of {c}",
        ),
        (
            "how many square km is {c}?",
            "is {c} a big country? what's its area",
            "land area of {c}",
        ),
    ),
    "currency": Field(
        ("Economy", "Exchange rates", "Currency"),
        "{C} uses the {v}.",
        (
            "What currency does {c} use?",
            "currency of {c}?",
            "what money do they use in {c}",
            "which currency is used in {c}?",
        ),
        (
            "what do people pay with in {c}?",
            "{c} currency name?",
            "what's the official currency in {c}",
        ),
    ),
    "government": Field(
        ("Government", "Government type"),
        "{C} is a {v}.",
        (
            "What kind of government does {c} have?",
            "what is the government type of {c}?",
            "Is {c} a monarchy or a republic?",
            "how is {c} governed?",
        ),
        (
            "what political system does {c} have",
            "{c} government type?",
            "is {c} a democracy?",
        ),
    ),
    "leader": Field(
        ("Government", "Executive branch", "chief of state"),
        "The chief of state of {c}: {v}.",
        (
            "Who is the head of state of {c}?",
            "who leads {c}?",
            "who is {c}'s chief of state",
        ),
        ("who's in charge of {c}?", "head of state in {c}?"),
    ),
    "climate": Field(
        ("Geography", "Climate"),
        "The climate in {c} is {v}.",
        (
            "What's the climate like in {c}?",
            "climate of {c}?",
            "Is {c} hot or cold?",
            "what kind of climate does {c} have",
        ),
        (
            "does {c} have a tropical climate?",
            "what are the seasons like in {c}",
            "how's the climate in {c}",
        ),
    ),
    "location": Field(
        ("Geography", "Location"),
        "{C} is in {v}.",
        (
            "Where is {c}?",
            "where is {c} located?",
            "Which continent is {c} in?",
            "where on the map is {c}",
            "What region is {c} in?",
        ),
        (
            "in what part of the world is {c}?",
            "where exactly is {c}",
            "{c} is on which continent?",
        ),
    ),
    "neighbours": Field(
        ("Geography", "Land boundaries", "border countries"),
        "{C} borders {v}.",
        (
            "Which countries border {c}?",
            "What are {c}'s neighbours?",
            "what countries are next to {c}",
            "Does {c} share a border with {d}?",
        ),
        (
            "who are {c}'s neighbors?",
            "name the countries bordering {c}",
            "is {c} next to {d}?",
        ),
    ),
    "religion": Field(
        ("People and Society", "Religions"),
        "Religions in {c}: {v}.",
        ("What's the main religion in {c}?", "what religions are practised in {c}?"),
        ("what faith do most people in {c} follow?", "religion in {c}?"),
    ),
    "history": Field(
        ("Introduction", "Background"),
        "{v}",
        (
            "Tell me about the history of {c}.",
            "give me some background on {c}",
            "what's the history of {c}",
        ),
        ("how did {c} come to be a country?", "brief history of {c} please"),
    ),
    "independence": Field(
        ("Government", "Independence"),
        "{C}: independence {v}.",
        ("When did {c} become independent?", "when did {c} gain independence"),
        ("what year did {c} get its independence?", "{c} independence date?"),
    ),
    "flag": Field(
        ("Government", "Flag"),
        "The flag of {c}: {v}.",
        ("What does the flag of {c} look like?", "describe the flag of {c}"),
        ("what colours are on {c}'s flag?",),
    ),
    "symbol": Field(
        ("Government", "National symbol(s)"),
        "National symbols of {c}: {v}.",
        ("What is the national symbol of {c}?", "national animal of {c}?"),
        ("which animal represents {c}?",),
    ),
    "highest": Field(
        ("Geography", "Elevation", "highest point"),
        "The highest point of {c} is {v}.",
        ("What's the highest point in {c}?", "tallest mountain in {c}?"),
        ("how high is the highest mountain in {c}?", "highest peak of {c}"),
    ),
    "domain": Field(
        ("Communications", "Internet country code"),
        "The internet country code of {c} is {v}.",
        ("what is the internet domain of {c}?",),
        ("what top-level domain does {c} use?",),
    ),
    "life": Field(
        ("People and Society", "Life expectancy at birth", "total population"),
        "Life expectancy at birth in {c} is {v}.",
        ("What is the life expectancy in {c}?",),
        ("how long do people live in {c} on average?",),
    ),
    "resources": Field(
        ("Geography", "Natural resources"),
        "Natural resources of {c}: {v}.",
        ("What natural resources does {c} have?",),
        ("what is {c} rich in, natural resources wise?",),
    ),
    "terrain": Field(
        ("Geography", "Terrain"),
        "The terrain of {c}: {v}.",
        ("what's the terrain like in {c}?",),
        ("is {c} mountainous or flat?",),
    ),
}

# Questions about two countries at once.
PAIR_TRAIN = (
    "Which is bigger, {c} or {d}?",
    "Is {c} larger than {d}?",
    "which has more people, {c} or {d}?",
    "what's the distance between {c} and {d}",
)
PAIR_TEST = (
    "{c} vs {d}: which one is bigger?",
    "does {c} have more people than {d}?",
)
ABOUT_TRAIN = ("Tell me about {c}", "facts about {c}?", "What can you tell me about {c}?")
ABOUT_TEST = ("give me some facts about {c}", "what should I know about {c} before visiting?")

# Field weights: common questions come up more often.
WEIGHTS = {"capital": 5, "population": 4, "languages": 4, "area": 2, "currency": 3, "location": 3,
           "neighbours": 2, "government": 2, "climate": 2, "leader": 1, "history": 2}


def _fill(template: str, country: Country, other: Country) -> str:
    text = template.replace("{C}", capitalize_first(country.name)).replace("{c}", country.name)
    text = text.replace("{d}", other.name)
    return capitalize_first(text) if template[:1].isupper() or template.startswith("{") else text


def _value(country: Country, field: str) -> str | None:
    value = _get(country.data, FIELDS[field].path)
    if value is None:
        return None
    if field == "currency":
        value = re.sub(r"\s*per US dollar.*$", "", value)
    if field == "history":
        value = value.split(". ")[0]
    return _short(value)


def _fields_for(country: Country) -> list[str]:
    return [f for f in FIELDS if _value(country, f)]


def questions(countries: list[Country], split: str, per_country: float) -> list[Row]:
    """Knowledge questions (no context) for the countries of one split."""
    pool = [c for c in countries if is_test_country(c) == (split == "test")]
    rows = []
    for country in pool:
        rng = rng_for("factbook", split, country.code)
        count = int(per_country) + (1 if rng.random() < per_country % 1 else 0)
        fields = _fields_for(country)
        weights = [WEIGHTS.get(f, 1) for f in fields]
        for i in range(count):
            other = rng.choice([c for c in pool if c is not country])
            kind = rng.random()
            units = (f"country:{country.name}",)
            if kind < 0.08:
                template = rng.choice(PAIR_TRAIN if split == "train" else PAIR_TEST)
                units += (f"country:{other.name}",)
            elif kind < 0.13:
                template = rng.choice(ABOUT_TRAIN if split == "train" else ABOUT_TEST)
            else:
                field = rng.choices(fields, weights)[0]
                spec = FIELDS[field]
                template = rng.choice(spec.train if split == "train" else spec.test)
            text = restyle(_fill(template, country, other), "factbook", country.code, i)
            rows.append(Row(text, (), "knowledge", SOURCE, PUBLIC_DOMAIN, units))
    return rows


def qa_pairs(countries: list[Country], split: str) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    """(question, the bot's factual answer, source, licence) for context rows: a follow-up after
    one of these is about the same facts."""
    pairs = []
    for country in countries:
        if is_test_country(country) != (split == "test"):
            continue
        rng = rng_for("factbook-qa", split, country.code)
        fields = [f for f in _fields_for(country) if f != "neighbours" or split == "train"]
        field = rng.choices(fields, [WEIGHTS.get(f, 1) for f in fields])[0]
        spec = FIELDS[field]
        template = rng.choice([t for t in (spec.train if split == "train" else spec.test) if "{d}" not in t])
        question = _fill(template, country, country)
        answer = spec.answer.replace("{C}", capitalize_first(country.name)).replace("{c}", country.name)
        answer = answer.replace("{v}", _value(country, field) or "")
        pairs.append((question, answer, SOURCE, PUBLIC_DOMAIN, (f"country:{country.name}",)))
    return pairs
