# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Questions aimed at the bot as a character (its life, family, pets, work, home, likes, past),
written for AdapterBot (Apache-2.0).

Held out: test has its own hand-written questions, its own question shapes and its own fillers
(topics), so a test question asks about something in words training never used."""

from __future__ import annotations

from .common import Row, restyle, rng_for, written

QUESTIONS_TRAIN = [
    "tell me about yourself", "who are you?", "what's your name?", "how old are you?", "where are you from?",
    "where do you live?", "what do you do for a living?", "what's your job?", "do you work?",
    "what are you like?", "describe yourself in three words", "what kind of music do you listen to?",
    "what are you reading at the moment?", "what did you have for breakfast?", "what's your family like?",
    "what was your childhood like?", "what did you want to be when you grew up?", "what languages do you speak?",
    "what's your dream job?", "what's something you're proud of?", "what are you afraid of?",
    "what's the best trip you've ever taken?", "who's your best friend?", "do you live alone?",
    "what's your pet's name?", "what's your cat called?", "how did you get your name?", "when's your birthday?",
    "what's your star sign?", "what was your first job?", "what did you study?", "did you go to university?",
    "do you cook?", "can you play an instrument?", "what's your biggest dream?",
    "what are your plans for the weekend?", "what did you do yesterday?", "what's your house like?",
    "what does your typical day look like?", "do you get along with your family?",
    "what's the last movie you watched?", "what's on your bucket list?", "what are you good at?",
    "what's your worst habit?", "do you prefer the city or the countryside?", "what's your idea of a perfect day?",
    "what do you dream about?", "how tall are you?", "what do you look like?", "what makes you happy?",
    "what annoys you the most?", "are you a robot?", "do you have feelings?", "what's your personality like?",
    "so what's your deal?", "tell me something about you", "what's your life like?",
]
QUESTIONS_TEST = [
    "introduce yourself", "so who am I talking to?", "what should I call you?", "how long have you been around?",
    "where's home for you?", "what's your background?", "do you have a day job?",
    "what keeps you busy these days?", "what's your story?", "tell me three facts about you",
    "what were you like as a kid?", "any siblings?", "what's your go-to comfort food?",
    "which countries have you visited?", "what's the most embarrassing thing that ever happened to you?",
    "what's a typical evening for you?", "who do you live with?", "what's your pet like?",
    "do you have a favourite spot in your town?", "what music did you grow up with?",
    "did you have a pet as a kid?", "what's your proudest moment?", "if you could live anywhere, where would it be?",
    "what do your friends call you?", "what is your morning like?", "what was the last thing that made you laugh?",
]

# (question shapes, train fillers, test fillers). Test shapes are in TEST_SHAPES.
TOPICS = {
    "have": (
        ("do you have {x}?", "Do you have {x}", "have you got {x}?"),
        ["any pets", "a dog", "a cat", "siblings", "a brother", "a sister", "kids", "a best friend", "a girlfriend",
         "a boyfriend", "a car", "a garden", "any hobbies", "a job", "a nickname", "a favourite book",
         "a big family", "roommates", "a bike", "a hometown"],
        ["any brothers or sisters", "a pet fish", "a partner", "any children", "a hobby you love", "a house",
         "a middle name", "any cousins"],
    ),
    "favourite": (
        ("what's your favourite {x}?", "What is your favorite {x}?", "what's your fave {x}"),
        ["food", "colour", "book", "movie", "song", "band", "season", "sport", "animal", "city", "dessert",
         "holiday", "board game", "TV show", "drink", "flower", "word", "breakfast", "place to relax"],
        ["fruit", "singer", "time of day", "ice cream flavour", "video game", "smell", "author"],
    ),
    "like": (
        ("do you like {x}?", "Do you enjoy {x}?", "are you into {x}?"),
        ["cooking", "hiking", "jazz", "reading", "gardening", "swimming", "dancing", "video games", "the rain",
         "mornings", "coffee", "spicy food", "travelling", "camping", "painting", "football", "cats",
         "horror movies", "the beach", "winter"],
        ["baking", "rock music", "fishing", "puzzles", "snow", "poetry", "cycling", "museums"],
    ),
    "ever": (
        ("have you ever {x}?", "Have you ever {x}"),
        ["been to Paris", "played the piano", "been in love", "broken a bone", "gone camping", "ridden a horse",
         "seen the ocean", "lived abroad", "had a job", "climbed a mountain", "been on a plane",
         "met someone famous", "cooked for a crowd"],
        ["been skiing", "won a prize", "moved house", "learned to drive", "gotten lost in a city"],
    ),
    "where": (
        ("where did you {x}?",),
        ["grow up", "go to school", "learn to cook", "live before", "spend your last holiday", "meet your best friend"],
        ["study", "get that name", "spend your childhood summers"],
    ),
    "about": (
        ("tell me about your {x}", "Tell me about your {x}.", "what's your {x} like?"),
        ["family", "job", "childhood", "home", "pets", "hometown", "hobbies", "best friend", "parents",
         "weekend", "morning routine"],
        ["neighbourhood", "school days", "closest friend", "house", "first job"],
    ),
    "are": (
        ("are you {x}?", "Are you {x}"),
        ["married", "a morning person", "a student", "an only child", "good at cooking", "into sports",
         "a cat person or a dog person", "an introvert", "religious", "single", "happy with your job",
         "a night owl", "older than me"],
        ["shy", "a good singer", "left-handed", "close to your family", "musical"],
    ),
    "do": (
        ("what do you do {x}?", "What do you usually do {x}?"),
        ["for fun", "for a living", "on weekends", "in the mornings", "after work", "in your free time",
         "on holidays", "when you're bored"],
        ["on rainy days", "in the evenings", "on your birthday", "on long train rides"],
    ),
}
TEST_SHAPES = {
    "have": ("got {x}?", "you got {x}?", "any chance you have {x}?"),
    "favourite": ("which {x} do you like best?", "if you had to pick one {x}, what would it be?", "got a favourite {x}?"),
    "like": ("are you a fan of {x}?", "how do you feel about {x}?", "is {x} your thing?"),
    "ever": ("you ever {x}?", "have you {x} before?"),
    "where": ("so where did you {x}?",),
    "about": ("I'd love to hear about your {x}", "describe your {x} for me", "what was your {x} like?"),
    "are": ("would you say you're {x}?", "r u {x}?"),
    "do": ("how do you spend your time {x}?", "what's your routine {x}?"),
}
# Lead-ins people put before a personal question.
LEAD_TRAIN = ("", "", "", "so ", "hey, ", "btw ", "just curious, ", "can I ask, ", "random question: ")
LEAD_TEST = ("", "", "okay but ", "out of curiosity, ", "one more thing: ")


def rows(split: str, shapes_per_filler: int) -> list[Row]:
    train = split == "train"
    out = [written(restyle(q, "persona-q"), "persona") for q in (QUESTIONS_TRAIN if train else QUESTIONS_TEST)]
    leads = LEAD_TRAIN if train else LEAD_TEST
    for topic, (shapes, train_fillers, test_fillers) in TOPICS.items():
        shapes = shapes if train else TEST_SHAPES[topic]
        for filler in train_fillers if train else test_fillers:
            rng = rng_for("persona", split, topic, filler)
            for shape in rng.sample(shapes, min(shapes_per_filler, len(shapes))):
                lead = rng.choice(leads)
                body = shape.replace("{x}", filler)
                text = lead + body[:1].lower() + body[1:] if lead else body
                out.append(written(restyle(text, "persona", topic, filler, shape), "persona",
                                   units=(f"persona:{topic}:{filler}",)))
    return out
