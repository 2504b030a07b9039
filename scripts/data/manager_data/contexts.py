# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Rows whose label the context decides (written for AdapterBot, Apache-2.0).

Short turns such as "Why?", "Tell me more" or "What about you?" mean different things after
different exchanges: after a factual answer they ask for more facts (knowledge); after the user
shared something painful and the bot comforted them they continue that conversation
(empathetic); after the bot talked about its own life they ask about the bot (persona); after
light small talk they are small talk (chitchat). The same short texts appear under every kind
of context, so only the context can tell them apart.

A second group puts a turn that is clear on its own after an unrelated exchange (a capital
question after small talk): the turn decides, not the context.

Context is 1–3 messages, oldest first, alternating user/assistant, ending with the assistant.
Held out: test contexts come from test-only countries, words, situations and hand-written lists."""

from __future__ import annotations

from .common import APACHE, WRITTEN, Row, capitalize_first, restyle, rng_for, row_units

# Short turns that fit after any kind of exchange.
AMBIGUOUS = [
    "Why?", "why", "Tell me more", "tell me more!", "Really?", "really", "How so?", "And then?", "Go on",
    "go on...", "Is that so?", "ok", "okay", "hmm", "What else?", "Interesting", "how come?", "seriously?",
    "what do you mean?", "and?", "like what?", "oh?", "I see", "then what?", "wow", "more please", "huh",
    "for real?", "explain", "such as?",
]
# Asking back: after the bot talked about itself, or in light small talk.
ASK_BACK = ["What about you?", "and you?", "you?", "how about you?"]

# Follow-ups that lean on the context but fit one kind of exchange.
FOLLOW_KNOWLEDGE = {
    "train": ["and the population?", "what about {d}?", "which language do they speak there?", "and its capital?",
              "how big is it?", "is that a lot?"],
    "test": ["same question for {d}", "and {d}?", "what currency do they use there?", "is it bigger than France?"],
}
FOLLOW_PERSONA = {
    "train": ["what's its name?", "how old is he?", "do you miss it?", "since when?", "do you like it?",
              "how did that happen?", "what's that like?"],
    "test": ["how long have you had him?", "would you go back?", "what do you love most about it?"],
}
FOLLOW_EMPATHETIC = {
    "train": ["it just hurts", "I don't know", "thanks, I guess", "I just feel stuck", "yeah...", "it's hard",
              "what should I do?", "is that normal?"],
    "test": ["I can't stop thinking about it", "idk", "you really think so?", "it's just a lot"],
}
FOLLOW_CHITCHAT = {
    "train": ["haha same", "lol yeah", "me too", "nice", "I don't know", "yeah...", "same"],
    "test": ["lol true", "idk", "ha, fair", "you really think so?"],
}

# Light small talk: (user, assistant).
CHITCHAT_TRAIN = [
    ("I just made pancakes", "Pancakes on a weekday? Living the dream. Syrup or fruit?"),
    ("it's raining again", "Perfect excuse to stay in with a hot drink, honestly."),
    ("I'm watching a cooking show", "Those always make me hungry. What are they making?"),
    ("hey!", "Hey! What's new with you today?"),
    ("I'm so bored", "Let's fix that. Want to play twenty questions?"),
    ("I went to the zoo today", "Fun! Did the penguins do anything dramatic?"),
    ("cats or dogs?", "Tough one. Cats for naps, dogs for adventures."),
    ("I started a puzzle", "How many pieces? The edge pieces are the best part."),
    ("just got back from a walk", "Nice, fresh air helps. Was it sunny out?"),
    ("pineapple on pizza?", "I say yes, but I know it starts arguments."),
    ("I'm having tea", "Good choice. Milk, lemon, or plain?"),
    ("weekend finally!", "Yes! Any fun plans or a lazy one?"),
    ("I dyed my hair blue", "Bold! Blue hair is a whole mood."),
    ("I'm learning to juggle", "Ha, how many balls can you keep up so far?"),
    ("the new season of my show is out", "Oh no, there goes your whole evening then."),
    ("hi there", "Hi! How's your day going so far?"),
    ("I had a donut for breakfast", "A classic. Glazed or something fancy?"),
    ("summer is almost here", "Ice cream season. Can't wait."),
    ("I think I'll go to the beach", "Great idea, don't forget sunscreen!"),
    ("my coffee machine makes funny noises", "Sounds like it has opinions about mornings too."),
]
CHITCHAT_TEST = [
    ("I bought a new plant", "Nice! What kind? Some of them are surprisingly dramatic."),
    ("it's so windy today", "Hold on to your hat. Literally."),
    ("I'm making lasagna", "Lasagna is always worth the effort."),
    ("hello!", "Hello! What are you up to today?"),
    ("I tried rock climbing", "Oh cool, indoor or outside?"),
    ("tacos tonight", "Tacos are never a bad idea."),
    ("I'm rewatching an old cartoon", "Nostalgia hits hard. Which one?"),
    ("I finally cleaned my desk", "A clean desk feels like a fresh start."),
    ("snow day!", "Snowball fight or hot chocolate first?"),
    ("my cat knocked over a glass", "Cats and gravity experiments, a classic."),
]

# The user shared something painful (or big), the bot answered with empathy.
COMFORT_NEGATIVE = {
    "train": [
        "I'm so sorry. That sounds really painful.",
        "That must be really hard. I'm here if you want to talk about it.",
        "Oh no, I'm sorry you're going through that. How are you holding up?",
        "That sounds awful. It makes sense that you feel this way.",
        "I'm really sorry. You don't have to go through it alone.",
        "That's a lot to carry. Do you want to tell me more about it?",
    ],
    "test": [
        "That sounds so hard, and your feelings are completely valid.",
        "I'm sorry, that really hurts. I'm listening.",
        "Oh, that's rough. Be gentle with yourself today.",
    ],
}
COMFORT_POSITIVE = {
    "train": [
        "Congratulations! You must be so proud.",
        "That's wonderful news! You worked hard for this.",
        "Wow, that's amazing! How does it feel?",
    ],
    "test": ["That's fantastic, I'm so happy for you!", "What a moment! You deserve this."],
}

# The bot talked about its own life.
PERSONA_TRAIN = [
    ("do you have any pets?", "I keep a cat called Admiral. He mostly sleeps on my keyboard."),
    ("where did you grow up?", "I grew up in a little fishing town on the coast. The harbour smelled of salt and diesel."),
    ("what do you do for a living?", "I work in a bookshop a few days a week and paint in my spare time."),
    ("what do you do for fun?", "I go birdwatching most Sunday mornings. Last week I saw a heron."),
    ("tell me about your family", "I have two older sisters. One's a nurse and the other teaches maths."),
    ("what's your favourite food?", "Mushroom risotto. I make it every Friday night."),
    ("do you play any instruments?", "I play the cello, badly but with great enthusiasm."),
    ("what's your house like?", "It's a small flat above a bakery, so mornings smell amazing."),
    ("what did you do last weekend?", "I went hiking with my old school friend Marta."),
    ("what's your name?", "I'm Robin. Nice to meet you!"),
    ("have you ever travelled?", "I spent a summer in Portugal once, picking grapes at a vineyard."),
    ("what's your morning routine?", "Coffee, a short run by the river, then the crossword."),
    ("do you have siblings?", "A younger brother. He's studying to be a chef."),
    ("what are you reading?", "A mystery novel set on a train. I can't put it down."),
    ("how old are you?", "I'm thirty-two, though my knees say sixty."),
    ("what was your first job?", "I delivered newspapers on my bike when I was fourteen."),
    ("do you garden?", "I grow tomatoes and basil on my balcony."),
    ("what's your favourite season?", "Autumn. I love the smell of fallen leaves."),
]
PERSONA_TEST = [
    ("any pets?", "I've got a tortoise named Pebble. She's older than me!"),
    ("where's home for you?", "A farmhouse in the hills. We had goats when I was little."),
    ("what keeps you busy?", "I teach pottery classes on Tuesday evenings."),
    ("what do you do on weekends?", "Mostly baking bread and long phone calls with my grandmother."),
    ("do you have a big family?", "Huge! I'm the youngest of six."),
    ("what's your favourite place?", "A tiny cafe near my flat where the owner knows my order."),
    ("what did you study?", "I studied marine biology. I still miss the field trips."),
    ("what's your hobby?", "I restore old bicycles in my garage."),
]

# The bot asked about the user's life; the user answers and asks the same back. Asking back
# about life facts (pets, family, work, home, past) is persona; asking back about a passing
# preference in light chat is small talk.
ASK_BACK_PERSONA = {
    "train": [
        ("Do you have any pets?", "yeah, two dogs"),
        ("Where did you grow up?", "in a small town near the mountains"),
        ("What do you do for work?", "I'm a nurse"),
        ("Do you have any brothers or sisters?", "one older sister"),
        ("What do you like to do on weekends?", "mostly hiking"),
        ("Have you ever lived abroad?", "yes, a year in Spain"),
        ("What did you study?", "history, a long time ago"),
        ("Are you a morning person?", "not at all"),
    ],
    "test": [
        ("Any pets at home?", "just a goldfish"),
        ("Where's home for you?", "a big city by the sea"),
        ("What was your first job?", "I washed dishes in a diner"),
        ("Do you play any instruments?", "a bit of guitar"),
    ],
}
ASK_BACK_CHITCHAT = {
    "train": [
        ("Pancakes on a weekday? Syrup or fruit?", "syrup, obviously"),
        ("Perfect excuse to stay in. Tea or hot chocolate?", "hot chocolate"),
        ("Beach or mountains for a day trip?", "beach for sure"),
        ("Any fun plans tonight?", "just pizza and a movie"),
        ("Sweet or salty snacks?", "salty every time"),
        ("Is it sunny where you are?", "nope, grey and cold"),
    ],
    "test": [
        ("Coffee first thing, or can you wait?", "coffee immediately"),
        ("Spring or autumn?", "autumn, I love the colours"),
        ("Any snacks for the movie?", "popcorn of course"),
    ],
}
ASK_BACK_TAILS = {"train": [" what about you?", ", you?", ". and you?", " how about you?"],
                  "test": [". What about you?", ", and you?", " u?"]}

# Openers the bot may have said before the exchange (gives 3-message contexts).
OPENERS = ["Hi! What would you like to talk about?", "Hello! How can I help today?", "Hey there! What's on your mind?"]


def _shape(rng, user: str, bot: str) -> tuple[str, ...]:
    """1, 2 or 3 messages ending with the bot's reply."""
    roll = rng.random()
    if roll < 0.3:
        return (bot,)
    if roll < 0.8:
        return (user, bot)
    return (rng.choice(OPENERS), user, bot)


def _row(text: str, context: tuple[str, ...], skill: str, origins: list[tuple[str, str]], *key: object,
         units: tuple[str, ...] = ()) -> Row:
    """origins: (source, licence) of the turn and of the context; a row made of several names
    them all ("written-for-adapterbot+wordnet-template", "Apache-2.0 AND WordNet")."""
    sources = list(dict.fromkeys(s for s, _ in origins))
    licences = list(dict.fromkeys(lic for _, lic in origins))
    text = restyle(text, "ctx", *key) if text not in AMBIGUOUS + ASK_BACK else text
    return Row(text, context, skill, "+".join(sources), " AND ".join(licences), tuple(units))


def build(
    split: str,
    per_skill: int,
    mismatched_per_skill: int,
    knowledge_pairs: list[tuple[str, str, str, str, tuple[str, ...]]],
    other_countries: list[str],
    situations: list[tuple[str, list[str], bool]],
    clear_turns: dict[str, list[Row]],
) -> list[Row]:
    """Context rows for one split.

    knowledge_pairs: (question, answer, source, licence, units) from this split's countries, words
    and written facts. situations: this split's empathetic situations. clear_turns: per skill, rows
    of this split that are clear without context (used after a mismatched context)."""
    train = split == "train"
    own = (WRITTEN, APACHE)
    contexts: dict[str, list[tuple[str, str, str, str, tuple[str, ...]]]] = {
        "knowledge": knowledge_pairs,
        "chitchat": [(u, b, *own, (f"exchange:{u}|{b}",)) for u, b in (CHITCHAT_TRAIN if train else CHITCHAT_TEST)],
        "persona": [(u, b, *own, (f"exchange:{u}|{b}",)) for u, b in (PERSONA_TRAIN if train else PERSONA_TEST)],
        "empathetic": [],
    }
    for situation, _feelings, positive in situations:
        comforts = (COMFORT_POSITIVE if positive else COMFORT_NEGATIVE)[split]
        rng = rng_for("comfort", split, situation)
        contexts["empathetic"].append((capitalize_first(situation) + ("!" if positive else "."), rng.choice(comforts), *own,
                                       (f"situation:{situation}",)))
    follow = {
        "knowledge": FOLLOW_KNOWLEDGE[split],
        "persona": FOLLOW_PERSONA[split],
        "empathetic": FOLLOW_EMPATHETIC[split],
        "chitchat": FOLLOW_CHITCHAT[split],
    }
    rows = []
    for s_index, skill in enumerate(("chitchat", "empathetic", "knowledge", "persona")):
        # Rotate through the ambiguous turns so every one of them meets every kind of context.
        offset = s_index * 8
        turns = [AMBIGUOUS[(offset + i) % len(AMBIGUOUS)] for i in range(len(AMBIGUOUS))]
        if skill in ("persona", "chitchat"):
            turns = ASK_BACK + turns
        pool = contexts[skill]
        for i in range(per_skill):
            rng = rng_for("ctx", split, skill, i)
            user, bot, source, licence, units = pool[i % len(pool)] if i < len(pool) else rng.choice(pool)
            if i < len(turns):
                text = turns[i]
            elif rng.random() < 0.5:
                follow_up = rng.choice(follow[skill])
                country = rng.choice(other_countries)
                text = follow_up.replace("{d}", country)
                if "{d}" in follow_up:
                    units += (f"country:{country}",)
            else:
                text = rng.choice(turns)
            rows.append(_row(text, _shape(rng, user, bot), skill, [own, (source, licence)], split, skill, i, units=units))
        if skill in ("persona", "chitchat"):
            pairs = (ASK_BACK_PERSONA if skill == "persona" else ASK_BACK_CHITCHAT)[split]
            for i, (question, answer) in enumerate(pairs):
                rng = rng_for("askback", split, skill, i)
                context = (question,) if rng.random() < 0.5 else (rng.choice(["hi", "hey there", "hello!"]), question)
                text = answer + rng.choice(ASK_BACK_TAILS[split])
                rows.append(_row(text, context, skill, [own], split, "askback", skill, i,
                                 units=(f"askback:{question}|{answer}",)))
        # A clear turn of another skill after this context: the turn decides.
        others = [s for s in ("chitchat", "empathetic", "knowledge", "persona") if s != skill]
        for i in range(mismatched_per_skill):
            rng = rng_for("ctx-mismatch", split, skill, i)
            target = others[i % len(others)]
            if skill == "empathetic" and target == "chitchat":
                target = "knowledge" if i % 2 else "persona"  # a joke request right after bad news is no clear case
            user, bot, source, licence, units = rng.choice(contexts[skill])
            turn = rng.choice(clear_turns[target])
            origins = [(turn.source, turn.license), (source, licence)]
            rows.append(_row(turn.text, _shape(rng, user, bot), target, origins, split, "mm", skill, i,
                             units=row_units(turn) + units))
    return rows
