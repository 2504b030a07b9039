# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Small-talk turns written for AdapterBot (Apache-2.0): greetings, goodbyes, thanks, reactions,
jokes, weather, food, the user's day and hobbies, light opinions.

Train and test draw on separate hand-written lists; nothing is shared between them."""

from __future__ import annotations

from .common import Row, restyle, rng_for, written

TRAIN = {
    "greeting": [
        "hi", "hello", "hey", "hey there!", "hiya", "yo", "good morning!", "morning :)", "good evening",
        "hello hello", "heyy", "hi bot", "hey, how's it going?", "how are you?", "how are you doing today?",
        "what's up?", "sup", "wassup", "how's your day going?", "long time no see!", "hey, I'm back",
        "howdy!", "hi again", "Hello there.", "hey, good to see you",
    ],
    "goodbye": [
        "bye", "bye!", "goodbye", "see you later", "gotta go, talk later", "good night!", "night night",
        "ttyl", "I'm off to bed, night", "catch you later", "that's all for now, bye", "talk tomorrow!",
    ],
    "thanks": [
        "thanks!", "thank you", "thanks a lot", "ty", "thx", "cheers", "thank you so much!", "appreciate it",
        "thanks, that helps", "Thanks for chatting.",
    ],
    "reaction": [
        "lol", "haha", "hahaha", "lmao", "nice", "cool", "cool cool", "ok", "okay", "hmm", "sure", "yeah",
        "yep", "nope", "no way", "wow", "ok cool", "fair enough", "same here", "mood", "true", "why?",
        "really?", "good point", "you're funny", "you're pretty cool", "good bot",
    ],
    "joke": [
        "tell me a joke", "know any good jokes?", "make me laugh", "tell me something funny", "got any puns?",
        "say something funny", "tell me a knock knock joke", "I need a dad joke right now",
        "tell me your best joke", "do you know any jokes about cats?",
    ],
    "weather": [
        "it's so hot today", "finally some sunshine!", "ugh, rain again", "it's snowing here!",
        "such a windy day", "the weather is lovely today", "it's freezing outside", "perfect weather for a walk",
        "it's sunny and I'm stuck inside lol", "looks like a storm is coming",
    ],
    "food": [
        "just had the best tacos", "I'm making pasta tonight", "pineapple on pizza: yes or no?", "coffee or tea?",
        "I could eat pancakes every day", "I just baked banana bread", "what should I have for dinner?",
        "I'm craving ice cream", "breakfast for dinner is the best idea ever", "I had sushi for lunch",
        "my first coffee of the day, finally", "I tried a new ramen place today",
    ],
    "day": [
        "just got home from work", "I finally cleaned my room", "I'm so sleepy lol", "going for a run later",
        "I'm watching a movie tonight", "just finished my homework", "my plants are finally growing",
        "I spent all day playing video games", "the bus was late again lol", "I'm bored", "Monday again...",
        "I have the day off tomorrow", "weekend plans: sleep", "I'm doing laundry, exciting stuff",
        "just got back from the gym", "I'm about to make some tea", "my neighbour's cat visited me today",
        "I went to the farmers market this morning",
    ],
    "hobby": [
        "I've been learning guitar", "I play chess on weekends", "I started knitting",
        "I'm reading a great fantasy book", "I love hiking", "just got into photography",
        "I'm trying to learn Spanish", "I go climbing twice a week", "I'm into gardening lately",
        "I collect vinyl records", "I built a birdhouse today", "I watched three episodes of my show in a row",
    ],
    "opinion": [
        "cats or dogs?", "is a hot dog a sandwich?", "summer is the best season", "Mondays should be illegal",
        "beach or mountains?", "I think cereal is a soup", "books are better than the movies",
        "winter is overrated", "best pizza topping? go", "socks with sandals is a look",
    ],
    "chat": [
        "let's chat", "I'm bored, talk to me", "entertain me", "say something", "can we just talk for a bit?",
        "what should we talk about?", "guess what", "I like talking to you", "let's talk about something fun",
    ],
}

TEST = {
    "greeting": [
        "heyo", "good afternoon!", "hi friend", "hey hey", "evening :)", "how's it going?", "how's life?",
        "what's new?", "hello again!", "hey you", "Greetings, bot.", "hi hi",
    ],
    "goodbye": ["ok I'm heading out, bye!", "later!", "gotta run", "sleep well, bye", "see ya tomorrow"],
    "thanks": ["thanks a bunch", "much appreciated", "thank u!!", "tysm"],
    "reaction": ["hehe", "lolol", "omg haha", "sounds good", "alright", "neat", "gotcha", "makes sense"],
    "joke": ["tell me a pun", "do you know any riddles?", "got a funny story?", "hit me with your best joke"],
    "weather": [
        "it's boiling outside", "it's been raining all week lol", "so foggy this morning",
        "first snow of the year!",
    ],
    "food": [
        "I just made homemade pizza", "tacos or burritos?", "I ate way too much cake", "my coffee is cold now lol",
        "soup weather!",
    ],
    "day": [
        "just woke up", "stuck in traffic", "I'm on my lunch break", "just walked the dog",
        "cleaning the kitchen, yay", "finally friday!", "I have so many emails lol",
    ],
    "hobby": [
        "I've been painting a lot lately", "I joined a running club", "I'm learning to bake bread",
        "I got a new board game", "I've been doing yoga in the mornings",
    ],
    "opinion": ["sunrise or sunset?", "pancakes are better than waffles", "is water wet?", "autumn is the best season, fight me"],
    "chat": ["talk to me about anything", "I'm just here to chat"],
}

# Openers and tags that join two small-talk pieces into one turn.
JOIN_TRAIN = ("{g}! {b}", "{g}, {b}", "{b} lol", "{b} haha", "{b}!", "{b} :)")
JOIN_TEST = ("{g} — {b}", "{b} hehe", "{b} :D")


def rows(split: str, combos: int) -> list[Row]:
    lists = TRAIN if split == "train" else TEST
    joins = JOIN_TRAIN if split == "train" else JOIN_TEST
    out = [written(restyle(text, "chitchat", kind), "chitchat", units=(f"chitchat:{text}",))
           for kind, texts in lists.items() for text in texts]
    bodies = [t for kind in ("weather", "food", "day", "hobby") for t in lists[kind]]
    greetings = [g for g in lists["greeting"] if "?" not in g and len(g) < 12]
    for i in range(combos):
        rng = rng_for("chitchat-combo", split, i)
        body = rng.choice(bodies)
        join = rng.choice(joins)
        greeting = rng.choice(greetings)
        text = join.replace("{g}", greeting.rstrip("!.:) ")).replace("{b}", body)
        if "{g}" not in join:
            greeting = ""
        units = (f"chitchat:{body}",) + ((f"chitchat:{greeting}",) if greeting else ())
        out.append(written(restyle(text, "chitchat-combo", i), "chitchat", units=units))
    return out
