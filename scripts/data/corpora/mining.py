"""Finds each skill's turns in chitchat-dataset's human conversations and keeps the replies
people actually gave.

- empathetic: a first-person turn that shares a feeling (VADER sentiment strong, plus a feeling
  or life-event word), answered by the other person with a reaction of the same valence (VADER on
  the reply's first sentence) and no laughing at bad news.
- persona: a question about the partner answered with a self-disclosure; the persona facts are
  the replier's own self-disclosures elsewhere in the conversation, plus (usually) the one the
  reply makes, so the skill learns to answer from its facts.
- chitchat: any other exchange of ordinary length.

Every conversation belongs to one split, decided by its conversation prompt (chitchat-dataset
gives each conversation one of 35 starter prompts), so test conversations are about other
topics than training ones.
"""

import random
import re

from common import CHITCHAT, CHITCHAT_LICENSE, row
from split import fraction

CONTEXT_TURNS = 3

FIRST_PERSON = re.compile(r"\b(i|i'm|im|i've|ive|my|me)\b", re.I)
NEGATIVE_CUE = re.compile(
    r"\b(sad|stress\w*|tired|exhausted|sick|hurt\w*|lost|lose|died|dead|death|passed away|broke|"
    r"broken|fail\w*|worr\w*|anxious|anxiety|scared|afraid|lonely|miss\w*|rough|awful|terrible|"
    r"horrible|depress\w*|upset|frustrat\w*|angry|cry\w*|cried|sucks|bad day|injur\w*|surgery|"
    r"hospital|funeral|fired|dumped|rejected|overwhelm\w*|nervous|struggl\w*|hard time|pain)\b", re.I)
POSITIVE_CUE = re.compile(
    r"\b(excited|happy|thrilled|proud|finally|got (?:a|the|into|accepted|engaged|married|promoted)|"
    r"accepted|engaged|promoted|won|graduat\w*|passed|can'?t wait|stoked|pumped|best day|"
    r"new job|blessed|grateful|thankful|relieved|yay)\b", re.I)
LAUGH = re.compile(r"\b(haha\w*|lol\w*|lmao|hehe\w*)\b", re.I)
_BE = (r"(?:a|an|from|in|at|studying|majoring|taking|going to|the|originally|currently|working|"
       r"married|engaged|single|living|moving|learning|getting|planning|really into|into)")
SELF_DISCLOSURE = re.compile(
    r"^(?:(?:yes|yeah|yep|no|nope|not really|oh|well|honestly|actually|haha)[,.!]*\s+)?"
    rf"(?:i am {_BE}|i'm {_BE}|im {_BE}|i have (?:a|an|two|three|four|five|six|\d+|my|been)|"
    r"i've (?:been|lived|played|worked|always|never)|i got (?:married|engaged|a|my)|"
    r"i was (?:a|an|born|raised)|i (?:speak|draw|paint|sing|write|run|swim|hike|cook|dance)|"
    r"i work|i live|i grew up|i was born|i study|i major|"
    r"i play|(?:i|i really) (?:love|like|enjoy)(?! (?:your|that|it|this|those|them|how|when|what|the idea|talking|chatting))|i went|i used to|my (?:family|dad|mom|brother|sister|wife|husband|dog|"
    r"cat|job|major|name|favorite|favourite|parents|hometown))\b", re.I)


def sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def words(text):
    return len(text.split())


class Miner:
    def __init__(self, convs, prompts, vader):
        self.convs, self.prompts, self.vader = convs, prompts, vader
        self.used = set()  # (conversation, turn index) already given to a skill
        self.prompt_split = self.split_prompts()

    def split_of(self, key):
        return self.prompt_split[self.prompts.get(key, "")]

    def split_prompts(self, share=0.1):
        """Whole prompts to test, then to valid, in a stable order, until each holds about
        `share` of the conversations; the rest to train."""
        sizes = {}
        for key in self.convs:
            p = self.prompts.get(key, "")
            sizes[p] = sizes.get(p, 0) + 1
        total, taken, out = sum(sizes.values()), 0, {}
        for p in sorted(sizes, key=lambda p: fraction("chitchat-prompt", p)):
            out[p] = ("test" if taken < share * total else
                      "valid" if taken < 2 * share * total else "train")
            taken += sizes[p]
        return out

    def history(self, turns, i):
        """The conversation before turn i (at most CONTEXT_TURNS turns), as (role, text) with
        the speaker of turn i - 1 as the user."""
        start = max(0, i - CONTEXT_TURNS)
        hist = [("user" if (i - 1 - j) % 2 == 0 else "assistant", turns[j].text)
                for j in range(start, i)]
        while hist and hist[0][0] == "assistant":
            hist = hist[1:]
        return hist

    def sentiment(self, text):
        return self.vader.polarity_scores(text)["compound"]

    def empathetic(self):
        out = {"train": [], "valid": [], "test": []}
        for key, turns in self.convs.items():
            for i in range(1, len(turns)):
                said, reply = turns[i - 1].text, turns[i].text
                if not (5 <= words(said) <= 45 and 3 <= words(reply) <= 35):
                    continue
                if said.endswith("?"):
                    continue
                # The feeling is the speaker's own: a cue and "I/my" in one sentence.
                own = [s for s in sentences(said) if FIRST_PERSON.search(s)]
                reaction = sentences(reply)[0]
                if words(reaction) > 10 or re.match(r"(i|i'm|im|my)\b", reaction, re.I):
                    continue
                # Scored on the sentence that carries the feeling, not the whole turn.
                neg = min((self.sentiment(s) for s in own if NEGATIVE_CUE.search(s)), default=0)
                pos = max((self.sentiment(s) for s in own if POSITIVE_CUE.search(s)), default=0)
                s_react = self.sentiment(reaction)
                if neg <= -0.4 and s_react <= -0.3 and not LAUGH.search(reply):
                    valence = "negative"
                elif pos >= 0.5 and s_react >= 0.5 and not LAUGH.search(reaction):
                    valence = "positive"
                else:
                    continue
                self.used.add((key, i))
                out[self.split_of(key)].append(row(
                    self.history(turns, i), reply, f"{CHITCHAT}: {key} turn {i}", CHITCHAT_LICENSE,
                    expect={"valence": valence}))
        return out

    def persona(self, rng):
        out = {"train": [], "valid": [], "test": []}
        for key, turns in self.convs.items():
            for i in range(1, len(turns)):
                question, reply = turns[i - 1].text, turns[i].text
                if (key, i) in self.used or "?" not in question:
                    continue
                asked = [q for q in sentences(question) if q.endswith("?")]
                if not any(re.search(r"\byou(r)?\b", q, re.I) for q in asked):
                    continue
                if not 4 <= words(reply) <= 35:
                    continue
                told = [s for s in sentences(reply) if SELF_DISCLOSURE.match(s)
                        and 5 <= words(s) <= 25 and "?" not in s]
                if not told:
                    continue
                first = told[0]
                me = turns[i].speaker
                others = []
                for j, t in enumerate(turns):
                    if j == i or t.speaker != me:
                        continue
                    for s in sentences(t.text):
                        if (SELF_DISCLOSURE.match(s) and 5 <= words(s) <= 20 and "?" not in s
                                and s not in others):
                            others.append(s)
                rng.shuffle(others)
                split = self.split_of(key)
                # Once, 20 % of training rows were drawn to go without the fact their reply
                # uses; the adapter then answered past its facts (61 % fact use on test). Now
                # those rows get it too, at a place drawn from their own generator: the shared
                # one advances as before, so every other row, valid and test included, stays
                # as it was.
                drawn = split == "test" or rng.random() < 0.8
                facts = others[:4] + ([first] if drawn else [])
                if not facts:
                    continue
                rng.shuffle(facts)
                if not drawn:
                    facts.insert(random.Random(f"{key} {i}").randrange(len(facts) + 1), first)
                self.used.add((key, i))
                out[split].append(row(
                    self.history(turns, i), reply, f"{CHITCHAT}: {key} turn {i}", CHITCHAT_LICENSE,
                    persona=facts, expect={"fact": first}))
        return out

    def chitchat(self, rng, per_conv=2):
        out = {"train": [], "valid": [], "test": []}
        for key, turns in self.convs.items():
            good = [i for i in range(1, len(turns)) if (key, i) not in self.used
                    and 3 <= words(turns[i].text) <= 30 and 2 <= words(turns[i - 1].text) <= 40]
            for i in rng.sample(good, min(per_conv, len(good))):
                self.used.add((key, i))
                out[self.split_of(key)].append(row(
                    self.history(turns, i), turns[i].text, f"{CHITCHAT}: {key} turn {i}",
                    CHITCHAT_LICENSE))
        return out
