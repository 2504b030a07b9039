"""chatterbot-corpus small talk (YAML, one file per topic) as chitchat rows. Whole files are held
out for valid and test, so those splits are about other topics than training."""

from common import CHATTERBOT, CHATTERBOT_LICENSE, MAX_REPLY_WORDS, row

FILES = {"train": ["greetings", "conversations", "food", "sports", "money", "health", "gossip",
                   "emotion", "psychology"],
         "valid": ["movies", "literature"],
         "test": ["humor", "computers", "science"]}


def rows(sources):
    import yaml

    out = {}
    for split, names in FILES.items():
        out[split] = []
        for name in names:
            path = sources / "chatterbot" / f"{name}.yml"
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            for c, conv in enumerate(data.get("conversations", [])):
                turns = [str(t).strip() for t in conv if str(t).strip()]
                for i in range(0, len(turns) - 1, 2):
                    history = [("user" if j % 2 == 0 else "assistant", turns[j])
                               for j in range(max(0, i - 2), i + 1)]
                    reply = turns[i + 1]
                    if len(reply.split()) <= MAX_REPLY_WORDS:
                        out[split].append(row(history, reply, f"{CHATTERBOT}: {name}.yml #{c}",
                                              CHATTERBOT_LICENSE))
    return out
