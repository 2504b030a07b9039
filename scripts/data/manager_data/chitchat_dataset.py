# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Small-talk turns from the chitchat-dataset (MIT): 7k conversations between people.

Only opening and early turns are used, and only those the rules below call plain small talk:
turns that express strong feelings (empathetic), ask factual questions (knowledge) or ask the
other person about their own life (persona, when asked of the bot) are dropped, as are
turns about the chat task itself. A turn is one speaker's consecutive messages joined.

Held out: whole conversations, by a fixed hash of the conversation id."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .common import MIT, Row, norm, rng_for, stable_fraction

SOURCE = "chitchat-dataset"
TEST_FRACTION = 0.2
EARLY_TURNS = 4  # turns 0..3 of a conversation
MAX_CHARS = 160

# Strong feelings: these turns belong to the empathetic skill, not small talk.
FEELINGS = re.compile(
    r"\b(sad|depress\w*|anxi\w*|lonely|alone|stress\w*|upset|angry|mad at|furious|cry\w*|tears|"
    r"griev\w*|grief|died|dead|death|dying|passed away|funeral|cancer|sick|ill|hospital|surgery|"
    r"divorce\w*|broke up|break ?up|heartbr\w*|scared|afraid|terrified|fear|worr\w*|nervous|panic\w*|"
    r"miserable|hurt\w*|pain\w*|lost my|fired|laid off|struggl\w*|suicid\w*|kill\w*|proud|promot\w*|"
    r"excited|thrilled|grateful|overwhelm\w*|frustrat\w*|exhausted|awful|terrible|horrible|hate|"
    r"sorry|upsetting|rough|hard time|bad day|worst|annoyed|bummed|disappoint\w*|jealous|embarrass\w*|"
    r"ashamed|guilty|hopeless|broke|debt|miss (him|her|them|my)|pregnan\w*|baby|wedding|engaged|married|"
    r"mad|cried|die|dies|therapist|therapy|feel so|don'?t feel|leave me|left me|heart|cheat\w*)\b|:'?\(",
    re.I,
)
# Factual questions: these belong to the knowledge skill.
FACTUAL = re.compile(
    r"\b(what is|what's the|what are the|who is|who was|who invented|when did|when was|how many|"
    r"how much|how far|how old is|capital|population|define|definition|meaning of|mean\?|"
    r"history of|where is|where does|come from|which country|what year|fact|examples? of|what does|"
    r"why (is|are|do|does) the)\b",
    re.I,
)
# Questions about the other person's own life: asked of the bot they are persona questions.
# Greeting-like questions ("how are you", "what's up") stay small talk.
SECOND_PERSON = re.compile(r"\b(you|your|yours|yourself|u|ur)\b", re.I)
GREETING_QUESTION = re.compile(
    r"\b(how are (you|u)|how r u|how('s| is| was) (it going|your (day|weekend|morning|evening|night))|"
    r"how have you been|what'?s up|whats up|sup|how you doing|how are you doing|how'?s everything)\b",
    re.I,
)
# Talk about the chat task, the prompt, the partner or the interface, and tokens that are not
# conversation at all.
META = re.compile(
    r"\b(prompts?|topics?|chat\w*|bubble|glitch\w*|partners?|anyone there|are you there|still there|"
    r"real person|repl\w*|respond\w*|ghost\w*|"
    r"mturk|turk|hit|tasks?|bot|robot|ai|app|screen|page|typing|lag\w*|connection|conversation|"
    r"messages?|refresh|again|last time|earlier|you there|anybody|anyone|insta\w*|follow|score|"
    r"points|people on|computers?|machines?|artificial|intelligence|jarvis|siri|alexa)\b|https?://|@|[{}<>]",
    re.I,
)
PROFANITY = re.compile(r"\b(fuck\w*|shit\w*|damn|bitch\w*|ass|asshole|crap|sex\w*|porn\w*|drunk|weed|hell)\b", re.I)


# Words that mark a line as someone making small talk (greeting, own life, laughter).
SMALL_TALK_MARKER = re.compile(
    r"^(hi|hey|hello|howdy|yo|good (morning|afternoon|evening)|morning|greetings)\b|"
    r"\b(i|i'm|im|i've|ive|i'd|my|me|we|haha\w*|lol|lmao|how are|what'?s up|whats up)\b",
    re.I,
)


def reject_reason(text: str) -> str | None:
    """Why a turn is not plain small talk (None when it is). The rules are the filter."""
    if not 2 <= len(text) <= MAX_CHARS or not re.search(r"[A-Za-z]", text):
        return "length"
    if META.search(text):
        return "meta"
    if PROFANITY.search(text):
        return "profanity"
    if FEELINGS.search(text):
        return "feelings"
    if FACTUAL.search(text):
        return "factual"
    rest = GREETING_QUESTION.sub(" ", text)  # "hi, how are you?" asks nothing personal
    asks = "?" in rest or re.search(r"\b(are|do|did|what|where|how|have|can|would|will|were|is)\s+(you|u)\b", rest, re.I)
    if SECOND_PERSON.search(rest) and asks:
        return "asks-about-you"
    if re.search(r"\b(how|what) about (you|u)\b|\band (you|u)\?|\b(wbu|hbu)\b", text, re.I):
        return "asks-about-you"
    if re.fullmatch(r"[A-Z]?[a-z]+\??", text) and text.rstrip("?").lower() not in COMMON_ONE_WORD:
        return "lone-word"  # mostly the partner's name ("shauntel?")
    return None


COMMON_ONE_WORD = {
    "hello", "hi", "hey", "hiya", "howdy", "yo", "sup", "greetings", "hiii", "hii", "heyy", "heyyy",
    "hellooo", "helloo", "morning", "evening", "afternoon", "yes", "yeah", "yep", "no", "nope", "nah",
    "cool", "nice", "awesome", "haha", "hahaha", "lol", "ok", "okay", "sure", "true", "same", "wow",
    "interesting", "definitely", "absolutely", "maybe", "hmm", "bye", "thanks",
}


def _turns(conversation: dict) -> list[str]:
    turns = []
    for turn in conversation["messages"][:EARLY_TURNS]:
        text = " ".join(" ".join(m["text"].split()) for m in turn if m.get("text"))
        turns.append(text)
    return turns


def rows(path: Path, per_split: dict[str, int]) -> dict[str, list[Row]]:
    """Up to `per_split[split]` small-talk turns per split; about a third carry the turns
    before them as context."""
    data = json.loads(path.read_text(encoding="utf-8"))
    candidates: dict[str, list[Row]] = {"train": [], "test": []}
    for conversation_id in sorted(data):
        split = "test" if stable_fraction("chitchat-split", conversation_id) < TEST_FRACTION else "train"
        turns = _turns(data[conversation_id])
        for index, text in enumerate(turns):
            if reject_reason(text):
                continue
            context: tuple[str, ...] = ()
            rng = rng_for("chitchat-context", conversation_id, index)
            if index > 0 and rng.random() < 0.45:
                earlier = turns[max(0, index - rng.choice([1, 2, 3])) : index]
                # Context turns must be small talk too, or the label could be wrong.
                if all(reject_reason(t) in (None, "asks-about-you", "factual") and len(t) <= 300 for t in earlier):
                    context = tuple(earlier)
            if not context and not SMALL_TALK_MARKER.search(text):
                continue  # a bare reply ("They'd be dangerous") only makes sense in its context
            candidates[split].append(Row(text, context, "chitchat", SOURCE, MIT, (f"conversation:{conversation_id}",)))
    out = {}
    for split, pool in candidates.items():
        # Short openings ("hello") repeat thousands of times: keep one of each wording.
        seen, unique = set(), []
        for row in sorted(pool, key=lambda r: stable_fraction("chitchat-order", r.text, r.context)):
            key = norm(row.text) if not row.context else (norm(row.text), row.context)
            if key in seen:
                continue
            seen.add(key)
            unique.append(row)
        out[split] = unique[: per_split[split]]
    return out
