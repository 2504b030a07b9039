"""Explicit acknowledgements for the written empathetic training replies.

The written replies mostly acknowledge a feeling implicitly ("Those evening calls were clearly
woven into your days …"), and the adapter trained on them named the feeling with the right
valence in only 68 % of its test replies: it learned the implicit shape. A person who hears bad
or good news usually says so first ("Oh, I'm so sorry", "Congratulations"), so each written
train/valid reply that does not open with its own interjection gets a short opening clause for
its feeling, joined to its first sentence by a comma (never a sentence of its own, so no
sentence is repeated across replies). The openers vary per feeling and are drawn per user turn,
deterministically. The held-out test files (*_test.jsonl) are never changed.
"""

import random
import re

# Openers by feeling group; a feeling not listed uses its valence's general list.
NEGATIVE = {
    "loss": ["I'm so sorry", "Oh, I'm so sorry", "I'm really sorry", "Oh no, I'm so sorry",
             "I'm so sorry to hear that", "That's heartbreaking", "Oh, that's so sad",
             "I'm so very sorry", "That's such a painful loss", "My heart goes out to you"],
    "anger": ["Ugh, that's infuriating", "That's so frustrating", "Oh, that's maddening",
              "That's really unfair", "That's such a frustrating mess", "Ugh, how annoying",
              "That sounds so frustrating", "Honestly, that's outrageous", "Ugh, that's awful",
              "That would drive anyone up the wall, and it's so frustrating"],
    "fear": ["That sounds really stressful", "Oh, that's worrying", "That must be nerve-wracking",
             "That sounds so scary", "That's a lot of worry to carry", "Oh no, that's stressful",
             "That sounds frightening", "That's such an anxious place to be",
             "I'm sorry you're so worried", "That sounds really hard"],
    "shame": ["Oof, that's mortifying", "Oh no, how embarrassing", "Ouch, that stings",
              "That's a rough feeling", "Oh, that's such an awkward spot", "Ugh, that's so awkward",
              "That must be hard to sit with", "Oof, that sounds painful",
              "That's a tough thing to carry", "I'm sorry, that sounds really uncomfortable"],
    "hurt": ["Ouch, that hurts", "Oh, that really stings", "I'm sorry, that sounds so hurtful",
             "That's really hard", "Oh no, that's painful", "That sounds so lonely",
             "I'm sorry you're going through this", "That must hurt a lot",
             "That's such a heavy feeling", "Oh, that sounds rough"],
    "tired": ["That sounds exhausting", "Oh, that's so draining", "That sounds like a lot",
              "Ugh, that sounds tiring", "That's a rough stretch", "I'm sorry, that's a lot to handle",
              "That sounds overwhelming", "Oh no, that sounds hard", "That's such a tough run",
              "I'm sorry you're worn out"],
    "letdown": ["Oh, that's so disappointing", "Oh no, that's a letdown", "That's such a shame",
                "Ugh, that's deflating", "I'm sorry, that's disappointing", "That's a real blow",
                "Oh, that's rough", "What a pity", "That's really tough",
                "Aw, that's so disappointing"],
}
NEGATIVE_GROUPS = {
    "grieving": "loss", "devastated": "loss", "heartbroken": "loss", "sad": "loss",
    "angry": "anger", "frustrated": "anger", "betrayed": "anger", "jealous": "hurt",
    "afraid": "fear", "anxious": "fear", "worried": "fear", "stressed": "fear",
    "helpless": "fear", "unwell": "tired",
    "embarrassed": "shame", "humiliated": "shame", "ashamed": "shame", "guilty": "shame",
    "regretful": "shame", "insecure": "shame",
    "hurt": "hurt", "lonely": "hurt", "homesick": "hurt", "rejected": "hurt", "nostalgic": "hurt",
    "exhausted": "tired", "overwhelmed": "tired",
    "disappointed": "letdown",
}
POSITIVE = {
    "news": ["Congratulations", "Oh, congratulations", "Congrats", "That's great news",
             "Well done", "That's amazing", "How exciting", "Oh wow, that's wonderful",
             "That's fantastic", "Yay, that's brilliant"],
    "proud": ["Congratulations", "Well done", "That's a real achievement", "You should be proud",
              "That's amazing", "Wow, well done", "That's brilliant", "Good for you",
              "That's so impressive", "Huge congratulations"],
    "warm": ["That's lovely", "Aw, that's so sweet", "What a lovely thing", "That's wonderful",
             "How lovely", "Oh, that's so heartwarming", "That's really special",
             "That sounds wonderful", "That's so nice", "Aw, how lovely"],
    "relief": ["What a relief", "Oh, that's a relief", "Phew, that's great news",
               "That's such a relief", "Oh, thank goodness, that's great",
               "That's a weight off", "What great news", "I'm so happy for you",
               "That's wonderful news", "Phew, what a relief"],
    "fun": ["Ha, that's brilliant", "That's amazing", "Oh wow, how fun", "That's hilarious",
            "Ha, that's great", "How fun", "That's so cool", "Wow, that's awesome",
            "Oh, that's fantastic", "That's wonderful"],
}
POSITIVE_GROUPS = {
    "excited": "news", "anticipating": "news", "hopeful": "news", "joyful": "news",
    "proud": "proud", "confident": "proud", "impressed": "proud",
    "grateful": "warm", "caring": "warm", "faithful": "warm", "in love": "warm",
    "content": "warm", "nostalgic": "warm",
    "relieved": "relief",
    "amused": "fun", "surprised": "fun",
}

# A reply opening with its own interjection already reacts first.
INTERJECTION = re.compile(
    r"(oh|ugh|ha|haha|wow|ooh|ouch|oof|yay|aw|aww|phew|congrat\w*|well done|i'm so sorry|"
    r"i'm sorry|no way|what a|how)\b", re.I)


def common_words(texts):
    """Words written in lower case somewhere in `texts`: a first word among them is no name,
    so it can be lowercased after the opener (`Fish and chips` → `fish and chips`, while
    `Grandma Rosa` keeps its capital)."""
    return {w for t in texts for w in re.findall(r"\b[a-z][a-z']*\b", t)}


def opener(user, feeling, valence):
    """The opening clause for a reply to `user` expressing `feeling` (drawn per user turn)."""
    banks, groups = (NEGATIVE, NEGATIVE_GROUPS) if valence == "negative" else (
        POSITIVE, POSITIVE_GROUPS)
    bank = banks[groups.get(feeling, "hurt" if valence == "negative" else "news")]
    return random.Random(f"acknowledge {user}").choice(bank)


def acknowledge(reply, user, feeling, valence, lower_words):
    """`reply` with an explicit acknowledgement in front, unless it opens with one already;
    `lower_words` from [`common_words`]."""
    if INTERJECTION.match(reply):
        return reply
    first = re.match(r"[A-Za-z']*", reply).group(0)
    rest = reply
    if first != "I" and not first.startswith("I'") and first.lower() in lower_words:
        rest = reply[0].lower() + reply[1:]
    return f"{opener(user, feeling, valence)}, {rest}"
