# Copyright AdapterBot contributors. Licensed under Apache-2.0.
"""Factual questions about science, history and geography, written for AdapterBot (Apache-2.0),
with short answers the bot gives in context rows. Train and test lists are separate."""

from __future__ import annotations

from .common import APACHE, WRITTEN, Row, restyle, written

# (question, answer)
TRAIN = [
    ("How far is the Moon from Earth?", "On average the Moon is about 384,400 km from Earth."),
    ("why is the sky blue?", "Air scatters blue sunlight more than red light, so the sky looks blue."),
    ("what causes earthquakes?", "Most earthquakes happen when tectonic plates slip past each other."),
    ("How many planets are in the solar system?", "There are eight planets in the solar system."),
    ("who was the first person on the moon?", "Neil Armstrong, in July 1969."),
    ("When did World War II end?", "World War II ended in 1945."),
    ("who painted the Mona Lisa?", "Leonardo da Vinci painted the Mona Lisa."),
    ("what's the longest river in the world?", "The Nile and the Amazon are the two longest rivers."),
    ("what's the tallest mountain on Earth?", "Mount Everest, at 8,849 m above sea level."),
    ("what is the speed of light?", "About 299,792 km per second in a vacuum."),
    ("how do vaccines work?", "They train the immune system to recognise a germ before it meets the real one."),
    ("what's the boiling point of water?", "Water boils at 100 °C at sea level."),
    ("who discovered penicillin?", "Alexander Fleming discovered penicillin in 1928."),
    ("when did the Berlin Wall fall?", "The Berlin Wall fell on 9 November 1989."),
    ("what is DNA?", "DNA is the molecule that carries the genetic instructions of living things."),
    ("how many bones are in the human body?", "An adult human has 206 bones."),
    ("which planet is the biggest?", "Jupiter is the largest planet in the solar system."),
    ("who wrote Romeo and Juliet?", "William Shakespeare wrote Romeo and Juliet."),
    ("what causes the seasons?", "The tilt of Earth's axis causes the seasons."),
    ("what's the largest desert?", "Antarctica is the largest desert; the Sahara is the largest hot one."),
    ("how old is the universe?", "About 13.8 billion years old."),
    ("who invented the telephone?", "Alexander Graham Bell is credited with inventing the telephone."),
    ("when was the printing press invented?", "Gutenberg built his printing press around 1440."),
    ("how do airplanes fly?", "Wings are shaped so that moving air pushes them up: that force is lift."),
    ("why do leaves change colour in autumn?", "Trees stop making chlorophyll, so other pigments show."),
    ("what's the chemical symbol for gold?", "Au, from the Latin aurum."),
    ("how deep is the ocean?", "The deepest point, the Challenger Deep, is about 11 km down."),
    ("who was Napoleon?", "Napoleon Bonaparte was a French general who became emperor in 1804."),
    ("what was the Renaissance?", "A period of European art and learning from the 14th to the 17th century."),
    ("which ocean is the largest?", "The Pacific Ocean is the largest."),
    ("how hot is the sun?", "Its surface is about 5,500 °C."),
    ("what is an atom made of?", "Protons and neutrons in a nucleus, with electrons around it."),
    ("how many continents are there?", "Usually seven are counted."),
    ("who built the pyramids?", "Ancient Egyptian workers built them for the pharaohs."),
    ("what's the difference between weather and climate?", "Weather is day to day; climate is the long-term average."),
    ("when did the Roman Empire fall?", "The Western Roman Empire fell in 476 AD."),
    ("is a tomato a fruit?", "Botanically, yes: a tomato is a fruit."),
    ("Is a whale a kind of fish?", "No, a whale is a mammal."),
    ("how many hearts does an octopus have?", "An octopus has three hearts."),
    ("what is the largest organ of the human body?", "The skin."),
]
TEST = [
    ("what makes a rainbow?", "Sunlight is bent and reflected inside raindrops, splitting into colours."),
    ("how long does light from the sun take to reach us?", "About 8 minutes and 20 seconds."),
    ("who was Cleopatra?", "The last active ruler of the Ptolemaic Kingdom of Egypt."),
    ("what started World War I?", "The assassination of Archduke Franz Ferdinand in 1914 set it off."),
    ("what is a black hole?", "A region where gravity is so strong that not even light escapes."),
    ("why do we have tides?", "Mostly because of the Moon's gravity pulling on the oceans."),
    ("how many teeth do adults have?", "Usually 32, counting wisdom teeth."),
    ("what's the hottest planet?", "Venus, because of its thick carbon dioxide atmosphere."),
    ("when did humans first fly?", "The Wright brothers flew in 1903."),
    ("what is the freezing point of water in Fahrenheit?", "32 °F."),
    ("which is the deepest lake in the world?", "Lake Baikal in Siberia."),
    ("how do volcanoes form?", "Molten rock rises through cracks in the Earth's crust."),
    ("what language did the ancient Romans speak?", "Latin."),
    ("who was the first woman in space?", "Valentina Tereshkova, in 1963."),
    ("how do magnets work?", "Aligned electrons in the metal make a magnetic field."),
    ("what's the largest mammal?", "The blue whale."),
    ("when was the Magna Carta signed?", "In 1215."),
    ("are bats blind?", "No, bats can see; many also use echolocation."),
    ("is a spider an insect?", "No, spiders are arachnids, not insects."),
    ("what's the smallest bone in the body?", "The stapes, in the middle ear."),
]


def rows(split: str) -> list[Row]:
    return [written(restyle(q, "knowledge-written"), "knowledge", units=(f"fact:{q}",))
            for q, _ in (TRAIN if split == "train" else TEST)]


def qa_pairs(split: str) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    return [(q, a, WRITTEN, APACHE, (f"fact:{q}",)) for q, a in (TRAIN if split == "train" else TEST)]
