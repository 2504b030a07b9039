# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""More families of phrasing for the training split, written for AdapterBot (Apache-2.0).

The first lists gave each skill a few templates; people use many more. Here: very short feeling
statements in many registers, good news, painful situations told without naming the feeling and
requests to vent (empathetic); questions about the bot's own tastes and life in many shapes and
topics (persona); the user chatting about their day without strong feeling, opinions said to
nobody in particular, greetings and social questions (chitchat); and short turns after new kinds
of exchange (context rows). The same openers go in front of some rows of every skill, so an
opener never hints at a skill.

Training only: test keeps its own lists, so these phrasings are new to the held-out rows."""

from __future__ import annotations

from .common import APACHE, WRITTEN, Row, restyle, rng_for, written
from .contexts import AMBIGUOUS, _row, _shape

# Openers shared by every skill (one row in OPENER_EVERY gets one).
OPENERS = ("ok so ", "hey so ", "um ", "honestly ", "alright, ", "right, ", "yo ", "okay so ", "listen, ",
           "hey bot, ", "so yeah, ", "hi, ")
OPENER_EVERY = 5

# --- empathetic -------------------------------------------------------------------------------

# Short feeling statements as people type them: slang, shorthand, typos, all caps, "!!!".
SHORT_FEELINGS = [
    "feeling low today", "so anxious rn", "ugh I'm miserable", "kinda heartbroken tbh", "im so sad rn",
    "feelin really lonley tonight", "sooo stressed", "I'm not okay", "not doing great tbh",
    "today sucks and I feel awful",
    "I feel like crap", "I'm a mess right now", "I'm falling apart", "cant stop crying", "I'm SO stressed!!!",
    "I'm really homesick", "honestly I'm gutted", "I feel so small", "nobody sees me", "I'm just so sad",
    "been really down lately", "I feel hopeless", "everything feels heavy", "my chest is tight with worry",
    "I'm so done with everything",
    "I'm freaking out", "lowkey panicking", "I feel sick with nerves", "I'm on edge all the time",
    "my anxiety is through the roof",
    "I'm dreading tomorrow", "I'm so scared right now", "I'm terrified", "I'm shaking", "I'm so nervous I can't eat",
    "I'm furious", "I'm so mad rn", "I'm livid", "I'm so angry at myself", "I'm sick of being treated like this",
    "I feel so ashamed", "I want the ground to swallow me", "I've never been so embarrassed",
    "I'm cringing so hard at myself",
    "I feel like such an idiot", "I feel numb", "I don't feel anything anymore", "I feel so alone in this",
    "nobody ever texts me",
    "I have no one to talk to", "I feel left out", "I miss my mom", "I miss him so much", "I miss home",
    "I'm completely burnt out from work", "I'm emotionally exhausted", "I'm drained", "I can't do this anymore",
    "I'm so overwhelmed!!!",
    "I feel worthless", "I hate myself today", "I'm so insecure", "I feel ugly", "I'm not good enough",
    "I'm jealous and I hate it", "I'm bitter about it", "I feel so guilty", "I regret it so much",
    "I'm heartbroken!!!", "life is so hard rn", "I'm struggling", "I'm barely holding it together",
    "I'm sad and idk why",
    "I'm SO happy!!!", "I'm so excited I can't sleep", "I'm thrilled!!", "I'm on cloud nine", "I'm buzzing!!!",
    "I'm beyond proud of myself", "I'm so proud rn", "I could cry I'm so happy", "best day of my life!!!",
    "I'm so grateful right now", "I feel so loved today", "I'm over the moon!!", "I'm so relieved I could cry",
    "I'm giddy", "I'm really hopeful for once", "I feel amazing today!!", "I'm bursting with excitement",
]
# The same register, built from feelings: each feeling meets two of the frames for its kind.
FEELING_FRAMES_NEGATIVE = ("feeling {f} today", "so {f} rn", "ugh I'm {f}", "kinda {f} tbh", "been feeling {f} lately",
                           "why am I so {f}", "I'm just {f}", "honestly just {f}", "I'm really {f} right now",
                           "I feel {f} and I don't know why")
FEELING_FRAMES_POSITIVE = ("I'm {f}!!!", "feeling {f} today!", "so {f} rn!!", "I'm honestly {f}", "I'm just so {f}!")
NEGATIVE_FEELINGS = ["low", "anxious", "miserable", "heartbroken", "lonely", "stressed", "overwhelmed", "hopeless",
                     "homesick", "scared", "embarrassed", "ashamed", "nervous", "jealous", "empty", "restless",
                     "crushed", "insecure", "down", "upset", "worried", "hurt", "depressed", "defeated", "sad"]
POSITIVE_FEELINGS = ["excited", "proud", "thrilled", "ecstatic", "grateful", "happy", "relieved", "hopeful"]

# Good news told with emotion.
GOOD_NEWS = [
    "I passed my driving test!!", "we're having a baby!", "got into my dream university",
    "I GOT THE JOB!!!", "she said yes!!", "I'm going to be an aunt!", "my biopsy came back clear",
    "I finally got my visa!!", "we bought our first house!", "I got a scholarship!!", "my book is getting published!",
    "I passed all my exams!!!", "I got my first paycheck and I'm so happy", "my mum is cancer free!",
    "I got a puppy today and I'm in love", "my brother is coming home after two years away!",
    "my little girl said mama for the first time", "I won the competition!!", "I got a raise!!",
    "I lost 20 kilos and I feel incredible", "I made the team!!", "I defended my PhD today!!",
    "my kid got the lead in the school play!", "I finally finished my first novel", "I got my results and I passed!!",
    "I'm officially a citizen!", "we adopted a baby girl!", "my startup got funded!!",
    "I beat my personal best today!!",
    "I got my braces off and I can't stop smiling", "my dad finally walked again after his surgery",
    "I'm getting married next month!", "my twins were born this morning!!", "I found out I'm pregnant!!",
    "got my acceptance letter today!!", "I nailed my audition!", "I got my dream apartment!!",
    "I quit smoking and it's been six months!", "we paid off the mortgage!!", "I'm one year cancer free today",
]

# Painful or big situations told without naming the feeling.
SITUATIONS_UNNAMED = [
    "my dad is in hospital", "nobody came to my birthday", "my mom has cancer", "my dog has to be put down tomorrow",
    "my husband left me", "I got fired this morning", "I failed my exam again", "my best friend is moving away",
    "my grandpa died last night", "I had a miscarriage", "I got dumped over text", "my house got broken into",
    "we lost the baby", "my sister isn't speaking to me", "my parents kicked me out",
    "I didn't get into any of the schools",
    "my cat ran away two days ago", "I got a call from the doctor and it's not good news",
    "my friend died in a car crash",
    "everyone I know is married except me", "everyone at work ignores me", "my kids don't call me anymore",
    "my flight got cancelled and I'm going to miss my brother's wedding", "my son got arrested",
    "I have to go to court next week", "I have to have surgery on friday", "my marriage is falling apart",
    "I've been unemployed for a year", "my fiance called off the wedding", "I was in a car accident yesterday",
    "I got my test results and it's bad", "my best friend forgot about me", "I was the only one not invited",
    "my mum doesn't remember my name anymore", "I failed my driving test for the fifth time",
    "my dog is sick and the vet doesn't know what's wrong", "my grandma is in a care home now and I can't visit",
    "I got rejected again today", "my partner moved out this morning", "I've had no friends since school ended",
    "my manager took credit for my work again", "we had to sell our family home", "my dad lost his job",
    "my exam is in two hours and I can't remember anything", "I spent my birthday alone",
    "the funeral is tomorrow", "I'm moving across the world next week and leaving everyone behind",
    "my brother relapsed", "my girlfriend cheated on me", "my parents fight every night",
]

# Asking to be heard.
VENT_REQUESTS = [
    "can I vent for a sec?", "I need to get something off my chest", "can I talk to you about something personal?",
    "I need to rant", "do you have a minute? I need to talk", "can I just vent", "I really need someone to listen",
    "mind if I rant for a bit?", "I need to talk to someone", "can I tell you what happened today? it's bad",
    "I need to let this out", "can you just listen for a bit?", "I don't have anyone else to tell this to",
    "I just need someone to hear me out", "there's something that's been bothering me", "I need a shoulder to cry on",
    "please just listen, I had an awful day", "can we talk? I'm not doing well",
    "something happened and I need to talk",
    "I need to vent about my family", "I need to vent about work", "rant incoming, sorry",
]

# --- persona ----------------------------------------------------------------------------------

# (shapes, fillers): each filler meets PERSONA_SHAPES_PER_FILLER of its family's shapes.
PERSONA_FAMILIES = {
    "into": (("are you into {x}?", "you into {x}?", "are you a fan of {x}?"),
             ["podcasts", "true crime", "anime", "yoga", "skateboarding", "poetry", "heavy metal", "baking",
              "astronomy", "fishing", "knitting", "cars", "fashion", "reality TV", "musicals"]),
    "take": (("what's your take on {x}?", "how do you feel about {x}?", "what do you think of {x}, personally?"),
             ["pineapple on pizza", "early mornings", "rainy days", "social media", "cold showers", "modern art",
              "superhero movies", "working from home", "country music", "big cities", "camping in the rain",
              "surprise parties"]),
    "rather": (("would you rather {x}?", "would u rather {x}", "if you had to choose, would you {x}?"),
               ["live by the sea or in the mountains", "read the book or watch the film", "be a cat or a dog",
                "have summer all year or winter all year", "cook or wash up", "go to a concert or a museum",
                "travel alone or with friends", "live in the past or the future", "have a big party or a quiet dinner",
                "eat pizza or sushi forever", "fly or be invisible"]),
    "ever": (("do you ever {x}?", "do u ever {x}", "how often do you {x}?"),
             ["get lonely", "sing in the shower", "cry at movies", "talk to yourself", "sleep in", "get nervous",
              "lose your keys", "get homesick", "go out dancing", "cook for friends", "daydream", "go to the gym"]),
    "have_ever": (("have you ever {x}?", "ever {x}?", "have u ever {x}"),
                  ["been skiing", "seen snow", "won anything", "fallen off a bike", "sung karaoke", "been to a concert",
                   "lost a pet", "had a crush on someone", "been on TV", "tried sushi", "grown your own vegetables",
                   "run a race", "been really homesick"]),
    "kind": (("what kind of {x} do you like?", "what sort of {x} are you into?", "what {x} do you like best?"),
             ["music", "films", "books", "food", "weather", "people", "games", "art", "dogs", "holidays", "coffee"]),
    "you_a": (("you a {x}?", "are you a {x} or not?", "would you call yourself a {x}?"),
              ["morning person", "cat person", "coffee drinker", "tea person", "gamer", "bookworm", "football fan",
               "dog lover", "big eater", "night person", "homebody", "neat freak"]),
    "describe": (("describe your {x}", "tell me about your {x}", "paint me a picture of your {x}"),
                 ["ideal weekend", "perfect holiday", "dream house", "childhood home", "daily routine", "favourite meal",
                  "personality", "first pet", "worst job", "favourite teacher", "last birthday", "perfect sunday"]),
}
PERSONA_SHAPES_PER_FILLER = 2

# Questions about the bot in forms the shapes above do not make.
PERSONA_QUESTIONS = [
    "what are you like as a person?", "any siblings?", "got kids?", "what should I call you?", "got a name?",
    "how old r u", "where are you from originally?", "where'd you grow up?", "what did you want to be as a kid?",
    "you a morning person?", "tell me a fun fact about yourself", "what's something people don't know about you?",
    "are you an introvert or an extrovert?", "what's your guilty pleasure?", "what's your comfort food?",
    "what's the best meal you've ever had?", "what do you do to relax?", "what was your favourite subject at school?",
    "were you a naughty kid?", "what's your earliest memory?", "who do you look up to?", "what's your biggest fear?",
    "what would you do with a million dollars?", "which city would you move to if you could?",
    "what superpower would you pick?", "what's your go-to karaoke song?", "how do you take your coffee?",
    "are you close with your parents?", "how many siblings do you have?", "what are your parents like?",
    "what does your dad do?", "are you the oldest?", "do you want kids someday?", "how did you meet your best friend?",
    "what do you miss about being a kid?", "what's the weirdest job you've had?", "do you like your job?",
    "what's your commute like?", "do you work from home?", "what's your boss like?", "what's your neighbourhood like?",
    "do you live in a house or a flat?", "what can you see from your window?", "how do you spend your sundays?",
    "what are you watching these days?", "what's on your playlist right now?", "what's the last book you loved?",
    "which season suits you best?", "what's your hidden talent?", "what are you most proud of in your life?",
    "what's your best quality?", "what's your worst quality?", "what's the nicest thing anyone's done for you?",
    "do you have a partner?", "what's your ideal pet?", "what's your favourite smell?",
    "how would your friends describe you?",
    "are you a good cook?", "what's your favourite memory?", "do you believe in luck?",
    "where did you go on your last holiday?",
    "what's your zodiac sign?", "are you sporty?", "what's your favourite way to spend an evening?",
    "what was the last thing that made you laugh?", "what are you looking forward to?", "got any pets?",
    "you married?", "where do u live", "ur name?", "what do you do all day?",
    "what's your favorite thing about yourself?",
    "describe yourself", "tell me your life story", "tell me about where you live",
]

# --- chitchat ---------------------------------------------------------------------------------

CHITCHAT = {
    "self": [
        "just made pasta", "watching football", "I play the guitar a bit", "my weekend was fine",
        "just woke up from a nap",
        "had a pretty normal day", "I'm on the train home", "waiting for my pizza to arrive",
        "I walked the dog earlier",
        "did some gardening this morning", "watching the news", "I'm painting my nails", "I went bowling last night",
        "I made soup for lunch", "I'm sitting in the park", "currently eating cereal", "just got a haircut",
        "I bought new shoes today", "I'm listening to some old songs", "I've been doing a crossword",
        "my sister visited today", "we ordered thai food", "I'm trying a new recipe tonight", "I cleaned out my fridge",
        "I watched a documentary about sharks", "I'm at the library", "I went for a swim this morning",
        "I'm drinking my second coffee", "I rearranged my room", "I'm playing cards with my grandad",
        "I had a quiet evening", "I biked to work today", "I just finished a long book",
        "I'm at a cafe people watching",
        "I jog most mornings", "I'm practicing my bread baking", "I do a bit of drawing", "I'm into board games lately",
        "I mostly watched TV today", "nothing much, just chilling", "work was okay today", "same old same old",
        "I had leftovers for dinner", "just put the kettle on", "I'm folding laundry", "I spent the afternoon reading",
        "my weekend was pretty chill", "I went to the cinema with my cousin", "I'm waiting for the bus",
        "just fed the cat",
        "I'm eating a sandwich at my desk", "I went to a pub quiz last night", "we had a barbecue today",
        "I'm building a lego set", "I walked to the shops and back", "I'm about to watch the match",
        "I repotted my cactus", "I do a bit of running on weekends", "I started a new series last night",
        "I'm sorting out my bookshelf", "had a lazy sunday", "I tried rock climbing for the first time, it was fun",
    ],
    "opinion": [
        "pineapple on pizza is underrated", "tea is better than coffee", "autumn is the best season",
        "naps are the best part of the day", "crunchy peanut butter wins", "rainy sundays are the coziest",
        "cold pizza for breakfast is elite", "board games are better than video games", "sequels are usually worse",
        "early flights should be banned", "cereal before milk, always", "dogs are the best", "soup is a winter food",
        "the ocean is kind of scary", "fries taste better at midnight", "cats have the best personalities",
        "nobody likes raisins in cookies", "spring is so underrated", "movie theater popcorn is overpriced",
        "homemade bread beats store bought", "ketchup on eggs is weird", "podcasts are great for long drives",
        "flip flops are not real shoes", "the best snacks are the salty ones", "hot chocolate beats coffee in winter",
        "road trips are better than flights", "mint ice cream is the best flavour", "breakfast is the best meal",
    ],
    "social": [
        "how's it going?", "what's up", "how's life?", "how are things?", "how's your evening?", "what's new?",
        "how have you been?", "hey how are ya", "how's everything?", "you doing alright?", "how's your night going",
        "hey, what's good?", "how are you today?", "good to talk to you again", "how's your week been?",
        "what's happening?", "all good with you?", "how you been?",
    ],
    "greeting": [
        "heya", "afternoon, bot", "hey there, evening", "hellooo", "oi", "greetings!", "morning!!", "hey hey hey",
        "hey friend", "hi there, bot",
    ],
    "goodbye": [
        "gotta run, bye!", "see ya", "laters", "bye for now", "I'm heading off, take care", "nighty night",
        "talk soon!", "peace out", "that's me done for today, bye",
    ],
    "thanks": [
        "thanks heaps", "many thanks!", "ta", "thanks mate", "cheers for that", "thank u", "thanks, you're the best",
        "that was fun, thanks", "really appreciate it",
    ],
}

# --- context rows -----------------------------------------------------------------------------

# (user, assistant) exchanges of each kind, new to this module.
CONTEXTS = {
    "persona": [
        ("what do you do on sundays?", "I bake bread and call my grandmother. She always asks if I'm eating enough."),
        ("any hobbies?", "I build model ships. The one on my shelf took me two whole winters."),
        ("where do you live?", "In a narrow house by a canal. The ducks wake me up every morning."),
        ("what did you want to be as a kid?", "An astronaut, then a vet, then a lighthouse keeper. I'm still deciding."),
        ("are you a morning person?", "Absolutely not. I need two coffees before I can say a full sentence."),
        ("what music do you like?", "Old soul records mostly. My dad played them every Saturday."),
    ],
    "chitchat": [
        ("just made pasta", "Nice! What sauce did you go with?"),
        ("I'm watching football", "Who's playing? Is it a close game?"),
        ("my weekend was fine", "Fine is underrated. Anything fun, or mostly resting?"),
        ("heya", "Hey! What are you up to today?"),
        ("I bought new shoes today", "Ooh, what kind? Comfy or fancy?"),
        ("it's so windy out", "Hold on to your hat! Good kite weather though."),
    ],
    "empathetic": [
        ("nobody came to my birthday", "I'm so sorry. That would hurt anyone. I'm glad you told me."),
        ("my dad is in hospital", "That's really frightening. How is he doing, and how are you holding up?"),
        ("I got the job!!", "That's brilliant news! All that effort paid off. How are you celebrating?"),
        ("I feel so alone lately", "That sounds really heavy. I'm here, and I'm listening."),
        ("we're having a baby!", "Oh, congratulations! That's such huge, happy news."),
        ("my cat ran away", "Oh no, that's so worrying. I hope she comes home soon."),
    ],
    "knowledge": [
        ("how far away is the moon?", "On average about 384,400 kilometres from Earth."),
        ("what do bees make?", "Honey and beeswax. They make honey from flower nectar."),
        ("how many bones does an adult have?", "An adult human skeleton has 206 bones."),
        ("what's the tallest animal?", "The giraffe; adults can stand over five metres tall."),
        ("when did the first person walk on the moon?", "In July 1969, during the Apollo 11 mission."),
        ("what is photosynthesis?", "How plants turn light, water and carbon dioxide into sugar and oxygen."),
    ],
}
# Follow-ups that fit one kind of exchange, beside the ambiguous short turns.
CONTEXT_FOLLOW = {
    "persona": ["you serious?", "is that true about you?", "tell me more about that", "what's that like?"],
    "chitchat": ["haha yeah", "not much really", "meh", "pretty much", "hard to say lol"],
    "empathetic": ["I just feel so bad", "thank you for listening", "I can't believe it", "I'm still shaking", "yeah it's a lot"],
    "knowledge": ["how do we know that?", "how does that work?", "who found that out?", "is that true?", "why is that?"],
}
CONTEXT_PER_SKILL = 12


def _opener(text: str, *key: object) -> str:
    """Every OPENER_EVERY-th row (by a fixed roll) gets a skill-neutral opener."""
    rng = rng_for("broaden-opener", text, *key)
    if rng.randrange(OPENER_EVERY):
        return text
    return rng.choice(OPENERS) + text


def _turn(text: str, skill: str, *key: object, units: tuple[str, ...] = ()) -> Row:
    return written(restyle(_opener(text, skill, *key), "broaden", skill, *key), skill, units=units or (f"line:{text}",))


def _empathetic() -> list[Row]:
    out = [_turn(t, "empathetic", "short") for t in SHORT_FEELINGS]
    for feelings, frames, kind in ((NEGATIVE_FEELINGS, FEELING_FRAMES_NEGATIVE, "neg"),
                                   (POSITIVE_FEELINGS, FEELING_FRAMES_POSITIVE, "pos")):
        for feeling in feelings:
            rng = rng_for("broaden-feeling", kind, feeling)
            for frame in rng.sample(frames, 2):
                out.append(_turn(frame.replace("{f}", feeling), "empathetic", "frame", frame, units=(f"feeling:{feeling}",)))
    out += [_turn(t, "empathetic", "news") for t in GOOD_NEWS]
    out += [_turn(t, "empathetic", "situation") for t in SITUATIONS_UNNAMED]
    out += [_turn(t, "empathetic", "vent") for t in VENT_REQUESTS]
    return out


def _persona() -> list[Row]:
    out = []
    for family, (shapes, fillers) in PERSONA_FAMILIES.items():
        for filler in fillers:
            rng = rng_for("broaden-persona", family, filler)
            for shape in rng.sample(shapes, min(PERSONA_SHAPES_PER_FILLER, len(shapes))):
                out.append(_turn(shape.replace("{x}", filler), "persona", family, shape,
                                 units=(f"broaden-persona:{family}:{filler}",)))
    out += [_turn(q, "persona", "question") for q in PERSONA_QUESTIONS]
    return out


def _chitchat() -> list[Row]:
    # A greeting, thanks or goodbye behind an opener reads oddly ("right, hey hey"); plain there.
    return [_turn(t, "chitchat", kind) if kind in ("self", "opinion", "social")
            else written(restyle(t, "broaden", "chitchat", kind), "chitchat")
            for kind, texts in CHITCHAT.items() for t in texts]


def _contexts() -> list[Row]:
    own = (WRITTEN, APACHE)
    out = []
    for s_index, (skill, pairs) in enumerate(CONTEXTS.items()):
        turns = [AMBIGUOUS[(s_index * 7 + i) % len(AMBIGUOUS)] for i in range(5)]
        for i in range(CONTEXT_PER_SKILL):
            rng = rng_for("broaden-ctx", skill, i)
            user, bot = pairs[i % len(pairs)]
            text = turns[i] if i < len(turns) else rng.choice(CONTEXT_FOLLOW[skill])
            out.append(_row(text, _shape(rng, user, bot), skill, [own], "broaden", skill, i,
                            units=(f"exchange:{user}|{bot}",)))
    return out


def rows() -> list[Row]:
    """Self-contained turns for every skill but knowledge (training split only)."""
    return _empathetic() + _persona() + _chitchat()


def context_rows() -> list[Row]:
    """Short turns decided by a new kind of exchange (training split only)."""
    return _contexts()
