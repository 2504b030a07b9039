"""chitchat-dataset's human conversations as lists of turns: consecutive messages of one speaker
joined into one turn, whitespace tidied."""

import json


class Turn:
    __slots__ = ("speaker", "text")

    def __init__(self, speaker, text):
        self.speaker, self.text = speaker, text


def tidy(text):
    return " ".join(text.split())


def join_messages(texts):
    """One turn from a speaker's consecutive messages: each ends with punctuation before the next."""
    out = []
    for t in texts:
        t = tidy(t)
        if not t:
            continue
        if out and not out[-1].endswith((".", "!", "?", "…", ",", ":", ";")):
            out[-1] += "."
        out.append(t)
    return " ".join(out)


def load(sources):
    """{conversation key: [Turn]} in key order, from data/sources/chitchat/dataset.json."""
    data = json.loads((sources / "chitchat" / "dataset.json").read_text(encoding="utf-8"))
    convs = {}
    for key in sorted(data):
        turns = []
        for group in data[key]["messages"]:
            for m in group:
                text = tidy(m["text"])
                if not text:
                    continue
                if turns and turns[-1][0] == m["sender"]:
                    turns[-1][1].append(text)
                else:
                    turns.append((m["sender"], [text]))
        convs[key] = [Turn(s, join_messages(ts)) for s, ts in turns]
    return convs
