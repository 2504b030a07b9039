# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""First-person turns that share a feeling or an emotional situation, written for AdapterBot
(Apache-2.0). Situations are paired with a few ways of saying them.

Held out: test uses its own situations, its own framings and its own direct statements."""

from __future__ import annotations

from .common import Row, capitalize_first, restyle, rng_for, written

# (situation, feelings that fit it). Negative and positive situations are framed differently.
TRAIN_NEGATIVE = [
    ("my dog died yesterday", ["heartbroken", "so sad", "devastated"]),
    ("my grandma passed away last week", ["lost", "so sad", "empty"]),
    ("I failed my driving test again", ["stupid", "frustrated", "embarrassed"]),
    ("my girlfriend broke up with me", ["heartbroken", "lost", "crushed"]),
    ("I got laid off today", ["scared", "lost", "panicked"]),
    ("I have a huge exam tomorrow and I haven't studied enough", ["anxious", "nervous", "stressed"]),
    ("nobody remembered my birthday", ["lonely", "forgotten", "hurt"]),
    ("I moved to a new city and I don't know anyone", ["lonely", "isolated", "homesick"]),
    ("my best friend stopped talking to me", ["hurt", "confused", "sad"]),
    ("I tripped on stage during my presentation", ["embarrassed", "humiliated", "mortified"]),
    ("my parents are getting divorced", ["sad", "confused", "torn"]),
    ("I can't stop worrying about money", ["anxious", "stressed", "overwhelmed"]),
    ("my boss yelled at me in front of everyone", ["humiliated", "angry", "upset"]),
    ("I didn't get the job I really wanted", ["disappointed", "crushed", "discouraged"]),
    ("my cat has been sick for days", ["worried", "scared", "helpless"]),
    ("I haven't slept properly in weeks", ["exhausted", "drained", "burnt out"]),
    ("someone stole my bike", ["angry", "violated", "upset"]),
    ("my roommate keeps eating my food and I'm fed up", ["angry", "annoyed", "disrespected"]),
    ("I said something stupid at dinner and everyone laughed", ["embarrassed", "ashamed", "awkward"]),
    ("my son is being bullied at school", ["angry", "worried", "helpless"]),
    ("my friends made plans without me again", ["left out", "hurt", "unwanted"]),
    ("my dad is in the hospital", ["scared", "worried", "terrified"]),
    ("I have a job interview tomorrow", ["nervous", "anxious", "jittery"]),
    ("I have to give a speech at my sister's wedding", ["nervous", "terrified", "anxious"]),
    ("I keep comparing myself to everyone online", ["inadequate", "insecure", "down"]),
    ("my hamster died this morning", ["sad", "heartbroken", "awful"]),
    ("I got a really bad grade on my essay", ["disappointed", "stupid", "discouraged"]),
    ("I had a panic attack on the train", ["shaken", "scared", "embarrassed"]),
    ("my partner hasn't called in days", ["anxious", "lonely", "insecure"]),
    ("I feel like I'm failing at everything", ["worthless", "defeated", "useless"]),
    ("my car broke down and I can't afford the repair", ["stressed", "panicked", "desperate"]),
    ("I lost my wallet with all my cards in it", ["stressed", "stupid", "frustrated"]),
    ("I miss my family so much since I moved abroad", ["homesick", "lonely", "sad"]),
    ("my baby won't stop crying and I'm so tired", ["exhausted", "overwhelmed", "desperate"]),
    ("it's been a year since my mom died and it still hurts", ["empty", "sad", "lost"]),
    ("I accidentally hurt my best friend's feelings", ["guilty", "terrible", "awful"]),
    ("I got rejected from every college I applied to", ["crushed", "devastated", "like a failure"]),
    ("my team lost the final because of my mistake", ["guilty", "awful", "ashamed"]),
    ("my landlord is kicking me out at the end of the month", ["scared", "stressed", "panicked"]),
    ("my brother and I had a huge fight", ["angry", "sad", "upset"]),
    ("I found out my friend was lying to me for months", ["betrayed", "hurt", "angry"]),
    ("I've been sick for weeks and nobody seems to care", ["lonely", "miserable", "ignored"]),
    ("my grandpa doesn't recognise me anymore", ["heartbroken", "sad", "helpless"]),
    ("I'm behind on every deadline at work", ["stressed", "overwhelmed", "anxious"]),
    ("my wife and I keep arguing about everything", ["exhausted", "sad", "frustrated"]),
    ("I messed up my presentation in front of the whole class", ["embarrassed", "ashamed", "stupid"]),
    ("my horse had to be put down", ["devastated", "heartbroken", "numb"]),
    ("I think my partner is cheating on me", ["sick", "anxious", "betrayed"]),
    ("my exam results come out tomorrow", ["nervous", "anxious", "sick with worry"]),
    ("I've been so lonely since my kids moved out", ["lonely", "empty", "lost"]),
]
TRAIN_POSITIVE = [
    ("I got promoted today", ["so proud", "thrilled", "over the moon"]),
    ("I passed my driving test", ["so happy", "proud", "relieved"]),
    ("my daughter took her first steps today", ["so proud", "emotional", "overjoyed"]),
    ("I got into my dream university", ["ecstatic", "so proud", "over the moon"]),
    ("we're having a baby", ["so excited", "nervous and excited", "overjoyed"]),
    ("I finally paid off my student loans", ["relieved", "so proud", "free"]),
    ("my best friend threw me a surprise party", ["so grateful", "loved", "touched"]),
    ("I ran my first marathon", ["proud", "amazing", "accomplished"]),
    ("I got engaged last night", ["so happy", "over the moon", "giddy"]),
    ("my surgery went well", ["relieved", "grateful", "so thankful"]),
    ("I've been sober for a year today", ["proud", "grateful", "emotional"]),
    ("my painting got accepted into a gallery", ["thrilled", "proud", "amazed"]),
    ("a stranger paid for my coffee and it made my week", ["grateful", "touched", "happy"]),
    ("I'm moving to Japan next month", ["excited", "nervous", "thrilled"]),
    ("my son graduated today", ["so proud", "emotional", "happy"]),
    ("I finally finished my thesis", ["relieved", "proud", "exhausted but happy"]),
]
TEST_NEGATIVE = [
    ("my rabbit died over the weekend", ["gutted", "sad", "broken"]),
    ("my fiancé called off the wedding", ["devastated", "humiliated", "lost"]),
    ("I bombed my math final", ["stupid", "hopeless", "upset"]),
    ("I overslept and missed my flight home", ["furious with myself", "stressed", "stupid"]),
    ("my coworkers went to lunch and didn't invite me", ["left out", "invisible", "hurt"]),
    ("I can't pay my rent this month", ["terrified", "ashamed", "stressed"]),
    ("my aunt was diagnosed with cancer", ["scared", "numb", "heartbroken"]),
    ("I spilled coffee all over my date", ["mortified", "embarrassed", "ridiculous"]),
    ("my neighbour keeps playing loud music at night", ["furious", "exhausted", "fed up"]),
    ("I have my first day at a new school tomorrow", ["nervous", "scared", "anxious"]),
    ("my best friend is moving across the country", ["sad", "lonely", "lost"]),
    ("I yelled at my kids and now I feel terrible", ["guilty", "ashamed", "awful"]),
    ("I've been unemployed for six months", ["hopeless", "useless", "discouraged"]),
    ("my childhood home got sold", ["sad", "nostalgic", "empty"]),
    ("I got dumped over text", ["humiliated", "hurt", "crushed"]),
    ("my thesis advisor said my work isn't good enough", ["crushed", "inadequate", "discouraged"]),
    ("my dog ran away and we can't find him", ["panicked", "heartbroken", "scared"]),
    ("I feel invisible at work", ["unappreciated", "lonely", "down"]),
]
TEST_POSITIVE = [
    ("I got my first job offer", ["so excited", "proud", "relieved"]),
    ("my sister had her baby this morning", ["overjoyed", "emotional", "so happy"]),
    ("I finally got my citizenship", ["so proud", "emotional", "grateful"]),
    ("my little brother won his chess tournament", ["so proud", "thrilled", "happy"]),
    ("I just found out I'm cancer free", ["relieved", "grateful", "overwhelmed with joy"]),
    ("I published my first book", ["proud", "ecstatic", "amazed"]),
]

FRAMES_NEGATIVE_TRAIN = (
    "{S}.",
    "{S} and I feel {e}.",
    "I'm feeling {e}. {S}.",
    "{S}... I don't know what to do.",
    "honestly I'm {e}. {s}",
    "can I vent? {s}",
    "{S}. I just needed to tell someone.",
    "I feel {e} because {s}.",
    "ugh, {s}. I'm {e}.",
    "{S}, I feel {e} right now",
)
FRAMES_POSITIVE_TRAIN = (
    "{S}!",
    "{S} and I'm {e}!",
    "guess what, {s}!!",
    "I'm {e}! {S}!",
    "{S}, I'm {e}!",
)
FRAMES_NEGATIVE_TEST = (
    "so... {s}. feeling pretty {e} tbh",
    "{S}. not sure why I'm telling you this but I'm {e}",
    "it's been a bad day. {S}.",
    "I need to talk. {S}.",
    "{S} and I feel {e}, is that normal?",
)
FRAMES_POSITIVE_TEST = (
    "I have news: {s}!",
    "omg {s}!!!",
    "{S} and I'm {e}, I had to tell someone!",
)

DIRECT_TRAIN = [
    "I'm sad", "i feel so lonely", "I'm so anxious right now", "feeling down today", "I'm really stressed out",
    "I'm so proud of myself!", "I'm nervous", "I feel like nobody cares about me", "I'm heartbroken",
    "I'm really angry right now", "I feel so embarrassed", "I'm scared", "I feel empty",
    "everything is too much right now", "I can't stop crying", "I'm so tired of everything",
    "I feel like a failure", "I'm overwhelmed", "I'm grieving", "I'm so happy I could cry",
    "I'm grateful for so much today", "I feel lost", "I'm worried sick", "I'm jealous of my friends",
    "I'm so frustrated", "I feel guilty", "I'm excited but scared", "I had the worst day",
    "nobody understands me", "I just want someone to talk to", "I'm having a really hard time",
    "I feel so stupid", "I'm so angry I could scream", "I'm lonely", "I'm so relieved!",
]
DIRECT_TEST = [
    "feeling blue", "i'm kinda down rn", "I'm anxious all the time lately", "I feel invisible", "I'm fuming",
    "I'm so ashamed", "my heart hurts", "I'm petrified", "I'm homesick", "I'm on cloud nine!",
    "I'm really proud of my brother", "I feel so alone", "I'm burnt out", "I'm terrified of tomorrow",
    "I feel like crying", "I'm miserable",
]


def situations(split: str) -> list[tuple[str, list[str], bool]]:
    """(situation, feelings, is_positive) for one split; context rows reuse them."""
    if split == "train":
        return [(s, e, False) for s, e in TRAIN_NEGATIVE] + [(s, e, True) for s, e in TRAIN_POSITIVE]
    return [(s, e, False) for s, e in TEST_NEGATIVE] + [(s, e, True) for s, e in TEST_POSITIVE]


def _frame(template: str, situation: str, feeling: str) -> str:
    text = template.replace("{S}", capitalize_first(situation)).replace("{s}", situation).replace("{e}", feeling)
    return capitalize_first(text) if template[:1].isupper() or template.startswith("{") else text


def rows(split: str, frames_per_situation: int) -> list[Row]:
    train = split == "train"
    out = []
    for situation, feelings, positive in situations(split):
        if positive:
            frames = FRAMES_POSITIVE_TRAIN if train else FRAMES_POSITIVE_TEST
        else:
            frames = FRAMES_NEGATIVE_TRAIN if train else FRAMES_NEGATIVE_TEST
        rng = rng_for("empathetic", split, situation)
        for frame in rng.sample(frames, min(frames_per_situation, len(frames))):
            text = _frame(frame, situation, rng.choice(feelings))
            out.append(written(restyle(text, "empathetic", frame), "empathetic", units=(f"situation:{situation}",)))
    for text in DIRECT_TRAIN if train else DIRECT_TEST:
        out.append(written(restyle(text, "empathetic-direct"), "empathetic"))
    return out
