# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Turns in the register people use in a chat box, written for AdapterBot (Apache-2.0): long,
several sentences, asides, emoji, typos, the point made indirectly or at the end. The other
lists are mostly one short sentence; a turn that tells a little story before it asks ("my kid
asked me at dinner and I had no idea…") or that hides its feeling in the middle was new to the
manager. Also conversations where the previous messages decide what a follow-up means, beyond
the fixed short turns of contexts.py.

Training only (the valid split carves its share by line and by exchange, as for every source).
Each line is one item; nothing here is a template."""

from __future__ import annotations

from .common import APACHE, WRITTEN, Row, restyle, rng_for
from .contexts import AMBIGUOUS

CHITCHAT = [
    "ok so I finally tried that bubble tea place everyone talks about and… it's fine?? the hype was too much lol 🧋",
    "just got back from a really long walk with the dog, he sniffed every single tree on the street",
    "good morning! ☕ slowly waking up here, the neighbours are mowing their lawn at 8am again haha",
    "my weekend was pretty chill tbh, did some baking, watched a movie, nothing wild",
    "hiya! been a while, work's been busy but nothing interesting, just the usual",
    "lol I just spent twenty minutes looking for my sunglasses and they were on my head the whole time 😎",
    "we're having a bbq later, my uncle insists on doing the grill even though he burns everything every year",
    "it's soooo windy today, my umbrella turned inside out like three times on the way to the shop",
    "my little nephew just taught me a card game and I still don't understand the rules but I won somehow",
    "so I'm sitting in a café people watching and a guy just walked past with a parrot on his shoulder 🦜",
    "hey! just finished lunch, leftovers from last night's curry, somehow even better the next day",
    "random thought: why do we park on driveways and drive on parkways. ok I'll stop now haha",
    "the new season of that baking show started and I already have a favourite contestant lol",
    "gonna head off now, gotta start dinner before everyone gets hungry and grumpy, ttyl 👋",
    "tried to assemble a bookshelf today, I have three screws left over and it wobbles a bit but it stands!",
    "thx for chatting, this made my commute go way faster 😄",
    "ugh it's raining again so I guess it's a movie and blankets kind of evening, not complaining tbh",
    "I've been getting into crosswords lately, today's one was brutal, still missing two words",
    "guess what I had for breakfast… leftover pizza. no regrets 🍕",
    "what's a good board game for four people? we have a game night on saturday and I'm in charge",
    "hey hey, just checking in, had a pretty normal day, the highlight was a really good sandwich",
    "my hamster has decided his wheel is only for 3am and honestly I'm not gonna argue",
    "we went to the farmers market this morning, bought way too many strawberries again lol 🍓",
    "anyone else think autumn is the coziest time of year? sweaters, tea, crunchy leaves… perfect",
    "so my neighbour started learning the drums and it's… a journey. he's improving though haha",
    "just rearranged my living room for the third time this month, I think I finally like it",
    "entertain me pls, I'm stuck in a waiting room and my phone's on 12% 😅",
    "I'm at the beach today, the water is freezing but the sun is lovely, can't complain ☀️",
    "ok tell me something funny, my brain needs a break from spreadsheets",
    "we watched the football at the pub, terrible game but the chips were great lol",
    "my plan for tonight: pyjamas, pasta, and maybe three episodes of something mindless",
    "hello again! it's me, the one who wouldn't stop talking about pancakes yesterday haha",
    "finally got around to cleaning my car, found about four euros in coins under the seats lol 💰",
    "morning ☀️ the birds outside are sooo loud today, it's like they're having a party",
    "I've been trying to learn to whistle properly, it's going badly but I'm having fun lol",
    "my flatmate made homemade lemonade and it's honestly better than anything from the shop 🍋",
    "so the bus driver today was singing the whole way and honestly it made the ride better haha",
    "currently eating crisps for dinner because I'm an adult and I can do that 😂",
    "anyway enough about my day, how's your evening going so far?",
    "I went to a salsa class with my friend, I stepped on her feet about fifty times lol 💃",
]

EMPATHETIC = [
    "I don't really know how to say this but my dad moved out last night and the house feels so strange now 😞",
    "ok so I had my first day at the new job and I think it went really well?? I was so nervous all morning but people were nice 🥲",
    "I've been holding it together all week but tonight I just broke down crying in the kitchen",
    "my sister just told me she's pregnant and I'm going to be an uncle!!! I literally screamed 😭🎉",
    "can't sleep again. my mind keeps going back to the argument with my mum and I feel so guilty",
    "so my long distance boyfriend finally moved here and I can't stop smiling, it's been two years of waiting 💕",
    "idk why but I've been feeling really flat lately, like I'm watching my own life from far away",
    "my grandma's funeral was today. everyone kept saying she had a good life but I just miss her so much",
    "I got my test results back and I passed every single one!!! I was so sure I'd failed chemistry 😭",
    "i'm so nervous about tomorrow, I have to tell my boss I made a huge mistake on the report",
    "my best friend told everyone a secret I told her in confidence and I feel so betrayed and stupid",
    "I finally finished my first marathon today, I cried at the finish line, my legs are destroyed but I'm so proud",
    "it's the anniversary of my brother's death today. I thought it would get easier but it doesn't",
    "I keep getting rejected from every job I apply for and I'm starting to think something's wrong with me",
    "we adopted a rescue dog today and she fell asleep on my feet within an hour, my heart can't take it 🥹",
    "honestly I'm so lonely since I moved here, I haven't had a real conversation with anyone in days",
    "I just found out I didn't get into the program. I worked so hard for it and now I don't know what to do",
    "my mum finished her last round of chemo today!!! we're all crying happy tears 💛",
    "my hands won't stop shaking, I just had a near miss on the motorway and I had to pull over",
    "I feel like such a bad parent, I lost my temper with my son today over nothing",
    "I just got engaged!!!! he proposed on the beach at sunset and I said yes obviously 💍",
    "my anxiety has been through the roof this week, I can barely leave the house without my heart racing",
    "nobody showed up to my art exhibition except my mum and I'm trying not to cry about it",
    "I got a letter from my birth mother today. after 25 years. I don't even know what I'm feeling",
    "I'm so jealous of my friends' lives online and I hate that I feel this way",
    "after months of physio I walked without crutches today!! small thing but it means everything to me",
    "my partner forgot our anniversary and I'm trying to act like it doesn't matter but it does",
    "I failed my exam by two points. two points!! I'm so frustrated I could scream",
    "my old dog is getting really slow and I'm so scared of the day I have to say goodbye",
    "I was bullied for years at school and I ran into one of them today and I felt fourteen again",
    "I got the scholarship!!! I can actually go to university now, I can't stop shaking 😭",
    "the house is so quiet since the kids left for college, I keep setting the table for four",
    "I accidentally deleted all the photos from my dad's last birthday and I feel sick about it",
    "I've been sober for six months today and I honestly didn't think I'd get here",
    "my best friend is in hospital after a bad fall and they won't let me visit, I feel so helpless",
    "I just feel like I'm letting everyone down lately, at work, at home, everywhere",
    "I finally stood up for myself at work today and I'm still buzzing, I've never done that before",
    "my boyfriend cheated and the worst part is everyone knew except me",
    "I'm terrified about moving abroad next week, what if I hate it and I've given everything up",
    "I had to put my horse down this morning. I've had her since I was twelve",
]

KNOWLEDGE = [
    ("why do onions make you cry when you cut them? it happens every single time 😭", ()),
    ("ok this is bugging me: how many strings does a violin have? 🎻", ()),
    ("what's the fastest land animal? I said cheetah and my brother laughed at me", ()),
    ("my friend's moving to Kenya, which city is the capital?", ("country:Kenya",)),
    ("I always mix these up… what's the difference between a frog and a toad?", ()),
    ("who actually figured out gravity? was it really an apple falling on Newton's head lol", ()),
    ("what does 'nostalgia' literally mean? I use it all the time but never looked it up", ()),
    ("how many time zones does Russia have? saw a map and it looked huge", ()),
    ("why do we yawn? and why is it contagious, I yawned just typing this 🥱", ()),
    ("how long did it take the astronauts to get to the moon back then?", ()),
    ("what's the longest bone in the human body? my anatomy test is tomorrow", ()),
    ("hey quick question, what language do they speak in Iceland? is it like Danish?", ("country:Iceland",)),
    ("my friend says Greece uses the drachma still, that's wrong right? what currency do they have?", ("country:Greece",)),
    ("why is the ocean blue when water in a glass is clear? always wondered", ()),
    ("how does a microwave actually heat food? seems like magic tbh", ()),
    ("is it true a strawberry isn't technically a berry??", ()),
    ("is 'modern' the antonym of 'ancient' or is there a better one?", ()),
    ("roughly how old are the pyramids in Egypt? 🏜️", ()),
    ("who was the first person to climb Everest? we're watching a film about it", ()),
    ("I'm reading about Denmark, how many people actually live there? feels small", ("country:Denmark",)),
    ("why do leaves fall off trees in winter but pine trees keep theirs?", ()),
    ("what causes thunder? my kid is scared of storms and I want to explain it ⛈️", ()),
    ("what's the capital of Morocco? I keep thinking Marrakesh but I'm not sure", ("country:Morocco",)),
    ("how do fish breathe underwater? they don't have lungs right?", ()),
    ("where exactly is Laos? I saw it on a travel blog and couldn't place it", ("country:Laos",)),
    ("what's the hardest natural material? diamond? or is there something harder now", ()),
    ("which planet has rings besides Saturn? I heard there are more", ()),
    ("what is inflation in simple words? everyone at work keeps talking about it", ()),
    ("when did the first world cup happen? 🏆 asking for my football obsessed dad", ()),
    ("what does the word 'quarantine' come from? something about forty days?", ()),
    ("how many hearts does an earthworm have? I read it's five and that can't be right", ()),
    ("is Hungary in the EU? planning a trip and wondering about money", ("country:Hungary",)),
    ("what's the biggest country in Africa? we were arguing about it on the drive home", ()),
    ("what does 'lethargic' mean? my doctor used it and I didn't want to ask", ()),
    ("why does the moon look bigger near the horizon? saw it last night and it was huge 🌕", ()),
    ("how long do elephants live? watching a nature doc and now I'm curious 🐘", ()),
    ("what languages do they speak in India? I know Hindi but there must be lots", ("country:India",)),
    ("who invented the printing press? reading a history book and I forgot already", ()),
    ("how cold is it at the south pole? like on an average day", ()),
    ("what's the climate like in Cuba? thinking of going in summer", ("country:Cuba",)),
]

PERSONA = [
    "what did you get up to this weekend? anything good? 😄",
    "I always wonder about this, do you have a favourite place you go when you need to think?",
    "so are you more of a mountains person or a beach person? you seem outdoorsy",
    "I bet you were a really nerdy kid lol, were you into science stuff growing up?",
    "what's the weirdest food you've ever tried? mine was fried crickets 🦗",
    "do you have any family nearby or do they all live far away?",
    "if you could live in any decade, which one would you pick for yourself?",
    "how did you spend your last birthday? anything fun?",
    "what's a typical breakfast for you? I'm a toast person myself",
    "do you collect anything? stamps, records, mugs, weird rocks?",
    "you seem really calm, is that just your personality or do you meditate or something?",
    "what's the best advice anyone ever gave you?",
    "who taught you to cook, if you cook at all haha?",
    "what's your favourite thing to do on a day off, no plans at all?",
    "were you close with your grandparents growing up?",
    "what's the most spontaneous thing you've ever done? 😄",
    "do you have a favourite holiday, like christmas or something?",
    "are you a tidy person or is your room a disaster like mine lol",
    "what kind of car do you drive, if you drive?",
    "what would your dream house look like? I want a tiny cottage with a garden",
    "ok be honest, what's your guilty pleasure tv show? 📺",
    "have you ever broken a bone? I broke my arm falling off a trampoline as a kid",
    "so what's your morning like, are you up at dawn or rolling out of bed at noon?",
    "I'm curious, what do you do when you can't sleep?",
    "do you get nervous speaking in front of people or does that not bother you?",
    "what's something you've always wanted to learn but never got around to?",
    "what was your favourite toy when you were little? mine was a stuffed giraffe",
    "have you got any tattoos? I'm thinking of getting my first one",
    "what's the longest trip you've ever been on?",
    "do you prefer cooking at home or going out to eat? you seem like a foodie",
    "what are your friends like? are you the funny one in the group?",
    "what's your favourite smell? weird question I know lol",
    "do you remember your first crush? 😳",
    "what do you do when you're in a bad mood, anything that cheers you up?",
    "where did you go to school, was it a big school or a small one?",
    "ok last question I promise: what's one thing that always makes you laugh?",
    "do you ever get homesick when you travel?",
    "what are you like when you're angry? I can't imagine it haha",
    "do you have a favourite mug? I feel like everyone has one",
    "what was the last thing you bought just for yourself?",
]

# (exchange, follow-ups): a user turn and the bot's reply, then what the user might say next;
# the exchange decides the skill of every follow-up. Some follow-ups are clear alone, most are
# not.
CONTEXTS = {
    "chitchat": [
        (("I'm making soup tonight", "Nice, soup is perfect for this weather. What kind?"),
         ["tomato, with way too much garlic lol", "not sure yet, whatever's in the fridge"]),
        (("just got back from the cinema", "Ooh, what did you see? Was it good?"),
         ["some action movie, lots of explosions, fun but dumb", "meh, the popcorn was the best part"]),
        (("it's my day off today", "Lucky you! Any plans, or a lazy one?"),
         ["lazy one for sure", "maybe a walk later, we'll see 😄"]),
        (("I'm painting my fence", "That's a big job! What colour are you going for?"),
         ["white, boring I know", "why do you ask? 😂"]),
        (("hello!", "Hey! How's your day been so far?"),
         ["not bad, kind of slow", "pretty good! had a nice lunch"]),
        (("I think cats are better than dogs", "Bold statement! Cats are great company, though dogs are hard to beat."),
         ["nah cats win, they're less work", "ok fair, dogs are pretty great too"]),
        (("I'm going camping this weekend", "Fun! Are you going somewhere with a lake?"),
         ["yeah a small one, hoping to swim", "no just a forest, but it's really pretty"]),
        (("just made a smoothie", "Yum! What's in it?"),
         ["banana, spinach and peanut butter", "everything I could find lol"]),
        (("I got a new phone", "Nice upgrade! Still figuring out all the settings?"),
         ["yes lol, I keep turning the flashlight on by accident", "sort of, the camera is amazing though"]),
        (("Weekend plans?", "i'm thinking of going to the market", "Good idea, markets are great on a sunny day."),
         ["yeah and I need more plants apparently", "how come? 😄"]),
        (("I'm so full, I ate too much pizza", "Ha, the classic pizza coma. Was it worth it?"),
         ["totally worth it", "ask me again in an hour lol"]),
        (("it finally stopped raining", "Great! Time to get outside before it starts again."),
         ["exactly what I'm planning", "lol it's already clouding over again"]),
    ],
    "empathetic": [
        (("My dad passed away last month.", "I'm so sorry. How are you coping with everything?"),
         ["not well. some days I can't get out of bed", "I just keep expecting him to call"]),
        (("I didn't get the job.", "I'm sorry, that's really disappointing after all that effort."),
         ["I really thought this was the one", "how do I keep going after so many no's?"]),
        (("My girlfriend and I broke up.", "That's really hard. Breakups can turn everything upside down."),
         ["I just want to stop thinking about her", "I keep checking my phone for her messages"]),
        (("I got into my dream school!!", "Congratulations!! That's incredible, you worked so hard for it!"),
         ["I'm still shaking honestly", "thank you!! I called my mum and we both cried"]),
        (("I've been feeling so anxious lately", "That sounds exhausting. Is anything in particular setting it off?"),
         ["mostly work, and money, and everything", "I don't even know, it just comes out of nowhere"]),
        (("my dog is really sick", "Oh no, I'm so sorry. What did the vet say?"),
         ["they don't know if she'll make it", "they're running more tests tomorrow, I'm terrified"]),
        (("I feel invisible at home", "That sounds really lonely. Do you feel like no one is listening?"),
         ["exactly. nobody even asks how my day was", "yeah, and I don't know how to tell them"]),
        (("We're finally having a baby!", "That's wonderful news, congratulations! How are you feeling?"),
         ["excited and scared at the same time", "honestly over the moon 🥹"]),
        (("I had a miscarriage last week", "I'm so deeply sorry. That is a real loss, and it's okay to grieve it."),
         ["everyone acts like it didn't happen", "thank you. I needed to hear that"]),
        (("I failed my exam", "I'm sorry. That's a horrible feeling, especially when you studied."),
         ["I studied for weeks and it didn't matter", "what's the point in trying again"]),
        (("My best friend moved away", "That's hard. It can leave a real gap in your days."),
         ["yeah, weekends are the worst now", "I don't have anyone else to talk to like that"]),
        (("I finally quit smoking, 100 days today!", "That's amazing, 100 days! You should be really proud."),
         ["I am!! hardest thing I've ever done", "thanks, it means a lot to hear that"]),
    ],
    "knowledge": [
        (("what's the capital of Hungary?", "The capital of Hungary is Budapest."),
         ["and how many people live there?", "is it on a river?"]),
        (("how tall is Mount Kilimanjaro?", "Kilimanjaro is about 5,895 metres tall."),
         ["is it the tallest in Africa?", "can people climb it without ropes?"]),
        (("who wrote Don Quixote?", "Miguel de Cervantes wrote Don Quixote."),
         ["when was it published?", "what else did he write?"]),
        (("what does 'benevolent' mean?", "Benevolent means well-meaning and kind."),
         ["and what's the opposite?", "can you give me a synonym?"]),
        (("how fast does sound travel?", "In air, sound travels at about 343 metres per second."),
         ["is it faster in water?", "why is light so much faster?"]),
        (("what currency does Denmark use?", "Denmark uses the Danish krone."),
         ["why not the euro?", "and Finland?"]),
        (("when did the Roman Empire begin?", "The Roman Empire began in 27 BC, when Augustus became emperor."),
         ["who came after him?", "how big did it get?"]),
        (("what's the largest lake in Africa?", "Lake Victoria is the largest lake in Africa."),
         ["which countries does it touch?", "how deep is it?"]),
        (("how many moons does Mars have?", "Mars has two small moons, Phobos and Deimos."),
         ["what do their names mean?", "are they round like ours?"]),
        (("what's the main language in Argentina?", "Spanish is the main language of Argentina."),
         ["and in Belize?", "do they have their own dialect?"]),
        (("What is a hurricane?", "A hurricane is a large rotating storm with strong winds that forms over warm ocean water."),
         ["how is it different from a tornado?", "where do they usually happen?"]),
        (("where is Bhutan?", "Bhutan is in the eastern Himalayas, between China and India."),
         ["what's its capital?", "how many people live there?"]),
    ],
    "persona": [
        (("what do you do on weekends?", "I usually go to the flea market and hunt for old cameras."),
         ["do you have a favourite one?", "how many do you have now?"]),
        (("where do you live?", "In a small flat above a flower shop. Everything smells like roses."),
         ["do you like living there?", "is it noisy?"]),
        (("do you have a pet?", "Yes, a very fat orange cat called Biscotti."),
         ["how old is he?", "why Biscotti? 😂"]),
        (("what did you study?", "I studied architecture, though I ended up working as a baker."),
         ["why did you switch?", "do you miss it?"]),
        (("tell me about your family", "My mum's a fisherwoman and my dad teaches music at a primary school."),
         ["do you play anything too?", "did you grow up by the sea then?"]),
        (("what's your favourite hobby?", "I grow chillies on my windowsill. Some are far too hot to eat."),
         ["what's the hottest one you've grown?", "do you cook with them?"]),
        (("where have you travelled?", "I spent a month in Japan once, mostly eating noodles and getting lost."),
         ["what was your favourite part?", "would you go back?"]),
        (("do you play sports?", "I play in a five-a-side football team on Thursdays. We lose a lot."),
         ["what position do you play?", "have you ever won?"]),
        (("what was your first job?", "I sold ice cream on the beach one summer when I was sixteen."),
         ["did you eat a lot of it? 😄", "what was the best flavour?"]),
        (("what's your favourite book?", "A battered copy of The Hobbit my grandfather gave me."),
         ["how many times have you read it?", "were you close with him?"]),
        (("Hi! What would you like to chat about?", "can I ask you some stuff about you?", "Sure, ask away!"),
         ["so what's your family like, big or small?", "are you more of a night owl or an early bird?"]),
        (("do you like music?", "I love it. I sing in a choir on Wednesday nights."),
         ["what kind of songs do you sing?", "do you get nervous on stage?"]),
    ],
}


def _line(text: str, skill: str, units: tuple[str, ...] = ()) -> Row:
    return Row(restyle(text, "chatty", skill) if len(text) < 60 else text, (), skill, WRITTEN, APACHE,
               units or (f"chatty:{text}",))


def rows() -> list[Row]:
    out = [_line(t, "chitchat") for t in CHITCHAT]
    out += [_line(t, "empathetic") for t in EMPATHETIC]
    out += [_line(t, "knowledge", units) for t, units in KNOWLEDGE]
    out += [_line(t, "persona") for t in PERSONA]
    return out


# Short turns that fit after any exchange also follow these, in rotation, so each of them is
# seen after every kind of exchange.
AMBIGUOUS_PER_EXCHANGE = 2


def context_rows() -> list[Row]:
    out = []
    for s_index, (skill, exchanges) in enumerate(CONTEXTS.items()):
        for index, (exchange, follow_ups) in enumerate(exchanges):
            units = (f"chatty-exchange:{'|'.join(exchange)}",)
            start = (s_index * 11 + index * AMBIGUOUS_PER_EXCHANGE) % len(AMBIGUOUS)
            short = [AMBIGUOUS[(start + k) % len(AMBIGUOUS)] for k in range(AMBIGUOUS_PER_EXCHANGE)]
            for j, text in enumerate(follow_ups + short):
                rng = rng_for("chatty-ctx", skill, index, j)
                # Two-message exchanges are shown whole or as the bot's reply alone.
                context = exchange if len(exchange) == 3 or rng.random() < 0.7 else exchange[-1:]
                out.append(Row(text, tuple(context), skill, WRITTEN, APACHE, units))
    return out
