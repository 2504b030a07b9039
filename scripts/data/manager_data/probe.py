# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Forty turns written in a style unlike train and test: longer, chatty, indirect. Not used for
training; a quick look at how the manager copes with the way people really talk."""

from __future__ import annotations

from .common import APACHE, WRITTEN_PROBE, Row

PROBE = {
    "chitchat": [
        ("so I finally caved and bought one of those fancy air fryers, and now I'm air frying literally everything lol", ()),
        ("ok random thought but why do socks always disappear in the laundry, like where do they GO", ()),
        ("good morning sunshine ☀️ what's the plan for today, entertain me while my coffee kicks in", ()),
        ("my neighbour's kid has been practising the trumpet all afternoon and honestly he's getting kind of good", ()),
        ("not much going on here, just lying on the couch scrolling, the usual sunday vibes", ()),
        ("hahaha no way, that's exactly what I said", ("I think breakfast food is better at night.", "Pancakes at 10pm just hit different, right?")),
        ("I've been trying to get into running but my legs have filed a formal complaint", ()),
        ("alright alright, I'll let you go, it was fun chatting, catch you tomorrow!", ()),
        ("weird question but do you think pigeons know they're in a city", ()),
        ("the leaves are turning orange on my street and it's honestly so pretty right now", ()),
    ],
    "empathetic": [
        ("ugh my landlord just raised the rent again and I don't know how I'll cope", ()),
        ("it's been three months since we lost dad and people keep telling me I should be over it by now", ()),
        ("I don't really have anyone to talk to since I moved, the evenings are the worst", ()),
        ("my hands are literally shaking, I have my thesis defense in an hour", ()),
        ("I think I messed up really badly at work today and I can't stop replaying it in my head", ()),
        ("after ten years of trying we finally got the call, the adoption went through!!! I'm shaking", ()),
        ("sometimes I feel like I'm just going through the motions and nothing really matters", ()),
        ("my best friend didn't even text me on my birthday and it stung more than I expected", ()),
        ("yeah. it's just a lot right now", ("My mum's sick and I'm looking after her on my own.", "That's a heavy load to carry by yourself. How are you managing?")),
        ("I keep snapping at people I love and then hating myself for it", ()),
    ],
    "knowledge": [
        ("settle a bet: is Canberra or Sydney Australia's capital?", ()),
        ("my kid asked me why the ocean is salty and I realised I have no idea", ()),
        ("I'm planning a trip to Chile, do they speak Spanish or Portuguese there?", ()),
        ("what's the actual difference between a crocodile and an alligator", ()),
        ("roughly how many people live in Brazil these days, like ballpark", ()),
        ("ok word nerd question: is 'literally' supposed to mean the opposite of figuratively?", ()),
        ("I keep mixing up Slovakia and Slovenia, where's each one exactly?", ()),
        ("and what language do they speak there?", ("what's the capital of Mongolia?", "The capital of Mongolia is Ulaanbaatar.")),
        ("for a quiz: which planet has the most moons?", ()),
        ("someone called me 'sanguine' today, should I be offended or is that a compliment?", ()),
    ],
    "persona": [
        ("I've been talking your ear off, what about your week, anything fun happen?", ()),
        ("I'm curious what your weekends look like, are you more of a stay-in or go-out type?", ()),
        ("if you had to describe your hometown to someone who's never been there, what would you say?", ()),
        ("you seem like a book person, what's on your nightstand right now?", ()),
        ("do you ever miss the place you grew up, or are you glad you left?", ()),
        ("wait, that's so cute, what does he look like?", ("do you have pets?", "I have a scruffy terrier called Biscuit who steals socks.")),
        ("ok your turn, what's something most people don't know about you?", ()),
        ("what were you like as a teenager, rebellious or a goody two-shoes?", ()),
        ("so how did you end up doing what you do now?", ()),
        ("any siblings, or are you the only child type?", ()),
    ],
}


def rows() -> list[Row]:
    return [Row(text, tuple(context), skill, WRITTEN_PROBE, APACHE) for skill, items in PROBE.items() for text, context in items]
