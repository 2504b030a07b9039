# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Turns from the chatterbot English corpus (BSD-3-Clause): the first line of each exchange is
the user's turn. Files map to skills by explicit rules below; lines no rule accepts are dropped.

Held out: whole files go to test (see SPLIT), except trivia.yml, whose distinct questions are
split by a fixed hash."""

from __future__ import annotations

import re
from pathlib import Path

from .common import BSD3, Row, norm, stable_fraction

try:
    import yaml
except ImportError:  # pragma: no cover - the message says what to do
    yaml = None

# What each file may give. A line still has to pass the rule for that skill.
FILE_SKILLS = {
    "greetings.yml": ("chitchat",),
    "conversations.yml": ("chitchat", "persona"),
    "humor.yml": ("chitchat",),
    "sports.yml": ("chitchat", "persona"),
    "movies.yml": ("chitchat", "persona"),
    "food.yml": ("persona",),
    "ai.yml": ("persona", "empathetic"),
    "botprofile.yml": ("persona",),
    "emotion.yml": ("persona", "empathetic"),
    "psychology.yml": ("empathetic",),
    "trivia.yml": ("knowledge",),
    "science.yml": ("knowledge",),
    "computers.yml": ("knowledge",),
    "history.yml": ("knowledge",),
    "literature.yml": ("knowledge", "persona"),
    "money.yml": ("knowledge", "persona"),
    "politics.yml": ("knowledge",),
    # Not used: coding.yml and tech_support.yml (programming help is no skill of ours),
    # gossip.yml (the bot's own gossip lines), health.yml (one role-played dialogue).
}
# "test" files are held out whole; "hash" splits distinct questions 75/25.
SPLIT = {
    "sports.yml": "test",
    "movies.yml": "test",
    "emotion.yml": "test",
    "history.yml": "test",
    "literature.yml": "test",
    "money.yml": "test",
    "politics.yml": "test",
    "trivia.yml": "hash",
}

# A question to the bot about itself (persona).
BOT_QUESTION = re.compile(
    r"^(are|do|can|will|have|did|does|would|is it true that) you\b"
    r"|^(what|where|who|how|when|which|why)\b.*\b(you|your)\b"
    r"|^tell me about your\b",
    re.I,
)
# Greetings are small talk even though they ask "you" something.
GREETING = re.compile(r"^(hi|hello|greetings|good morning|how are you|how do you do|what'?s up|top of the|nice to meet|it is a pleasure|can i ask you)", re.I)
# The user says how they feel (empathetic).
FIRST_PERSON_FEELING = re.compile(r"^(i am|i'm|i feel|i do not want to)\s+(afraid|scared|sad|lonely|die|angry|upset|worried)", re.I)
# A factual question with nobody in it (knowledge).
FACTUAL = re.compile(r"^(what|who|which|when|where|how|why|in which|in what|name|tell me about|explain)\b|\?$", re.I)
PEOPLE = re.compile(r"\b(you|your|i|me|my|we|us)\b", re.I)
# Lines that pass a rule but read as nonsense or as no skill of ours.
DROP = {
    "how can i use your product", "can you mate", "can you control", "can you go", "how can i offend you",
    "what is your idea", "what is your number", "xfind spiderman", "when did teknolust", "i",
    "what is your business", "when will you fight", "what operating systems", "what kind of hardware",
    "what kind of computer", "what type of computer", "what is your robot body", "que veut dire hal",
    "do you think hal", "is hal", "what is context", "how angry", "does that make you",
    # role-played scenes and quotes in conversations.yml
    "hello i am here for my appointment", "dr smith will see you now", "hello mr davis how are you feeling",
    "hi mrs smith how has your husband been", "complex is better than complicated",
    "hi ms jacobs i was wondering if you could revise the algorithm we discussed yesterday",
    # insults, fragments, opinions and quiz stubs
    "are you stupid", "which is better windows or macos", "have you felt", "what do you worry",
    "what kind of history", "why is the meaning of life 23", "how much money", "how much do you charge",
    "is hal 9000 your boyfriend", "is hal safe", "is hal nice", "is hal alive", "is hal dead",
    "lord of the rings", "do you know hal", "do you know what is cricket", "each year in pro baseball the",
    "if you are riding fakie inside", "like basketball", "are you a football", "do you know basketball",
    "do you want to play basketball",
}
# Lines whose skill no rule gets right.
OVERRIDE = {"have you heard the news": "chitchat"}


def _lines(root: Path) -> list[tuple[str, str]]:
    if yaml is None:
        raise SystemExit("error: PyYAML is needed to read the chatterbot corpus: pip install pyyaml")
    out = []
    for name in sorted(FILE_SKILLS):
        data = yaml.safe_load((root / name).read_text(encoding="utf-8"))
        for conversation in data.get("conversations", []):
            if conversation:
                out.append((name, " ".join(str(conversation[0]).split())))
    return out


def classify(name: str, line: str) -> str | None:
    """The skill a person would expect for this line from this file, or None to drop it."""
    allowed = FILE_SKILLS[name]
    if norm(line) in DROP or len(line) < 2:
        return None
    if norm(line) in OVERRIDE:
        return OVERRIDE[norm(line)]
    if "chitchat" in allowed and GREETING.search(line):
        return "chitchat"
    if "persona" in allowed and BOT_QUESTION.search(line):
        return "persona"
    if "empathetic" in allowed and FIRST_PERSON_FEELING.search(line):
        return "empathetic"
    if "knowledge" in allowed and FACTUAL.search(line) and not PEOPLE.search(line) and len(line.split()) >= 3:
        return "knowledge"
    if "chitchat" in allowed and not FACTUAL.search(line) and not BOT_QUESTION.search(line):
        return "chitchat"
    return None


def _split_of(name: str, line: str) -> str:
    rule = SPLIT.get(name, "train")
    if rule == "hash":
        return "test" if stable_fraction("chatterbot", line) < 0.25 else "train"
    return rule


def rows(root: Path) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {"train": [], "test": []}
    seen = set()
    for name, line in _lines(root):
        skill = classify(name, line)
        if skill is None or norm(line) in seen:
            continue
        seen.add(norm(line))
        # The sports file shouts; people type in mixed case.
        text = line.capitalize() if line.isupper() else line
        out[_split_of(name, line)].append(Row(text, (), skill, f"chatterbot-corpus/{name}", BSD3))
    return out
