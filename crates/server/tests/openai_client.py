"""The official openai Python client against AdapterBot's /v1, used exactly as for OpenAI.

Run by openai_client.rs with ADAPTERBOT_BASE_URL (e.g. http://127.0.0.1:8080/v1) and
ADAPTERBOT_API_KEY. Exits non-zero with a message on the first failed check.
"""

import os

import openai
from openai import OpenAI

client = OpenAI(
    base_url=os.environ["ADAPTERBOT_BASE_URL"],
    api_key=os.environ["ADAPTERBOT_API_KEY"],
    max_retries=0,
)
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "I just lost my job and I feel terrible. What should I do?"},
]


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


models = [m.id for m in client.models.list()]
check("auto" in models and "empathetic" in models and "chitchat" in models, f"models listed: {models}")
check(client.models.retrieve("empathetic").id == "empathetic", "one model retrieved")

# Not streaming.
r = client.chat.completions.create(model="empathetic", messages=MESSAGES, max_tokens=12, temperature=0)
reply = r.choices[0].message.content
check(r.object == "chat.completion" and r.id.startswith("chatcmpl-"), f"completion object {r.id}")
check(r.choices[0].message.role == "assistant" and reply, f"non-streaming reply: {reply!r}")
check(r.choices[0].finish_reason in ("stop", "length"), f"finish_reason {r.choices[0].finish_reason}")
check(0 < r.usage.completion_tokens <= 12, f"usage {r.usage}")
check(r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens, "total_tokens adds up")
check((r.model_extra or {}).get("skill") == "empathetic", f"extra field skill: {r.model_extra}")

# Streaming, with the usage chunk.
stream = client.chat.completions.create(
    model="empathetic",
    messages=MESSAGES,
    max_tokens=12,
    temperature=0,
    stream=True,
    stream_options={"include_usage": True},
)
chunks = list(stream)
check(len(chunks) >= 4, f"{len(chunks)} chunks")
check(len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1, "same id and created on every chunk")
check(all(c.object == "chat.completion.chunk" for c in chunks), "chunk objects")
check(chunks[0].choices[0].delta.role == "assistant", "first delta carries the role")
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
check(text == reply, f"streamed text equals the non-streamed greedy reply: {text!r} vs {reply!r}")
finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
check(finals == [r.choices[0].finish_reason], f"one finish_reason: {finals}")
last = chunks[-1]
check(last.choices == [] and last.usage is not None, "the last chunk holds usage only")
check(last.usage.completion_tokens == r.usage.completion_tokens, f"streamed usage {last.usage}")
check(all(c.usage is None for c in chunks[:-1]), "earlier chunks have usage null")
check(all((c.model_extra or {}).get("skill") == "empathetic" for c in chunks), "skill on every chunk")

# Auto routing through the same client.
r = client.chat.completions.create(model="auto", messages=MESSAGES, max_tokens=4)
route = (r.model_extra or {}).get("adapterbot", {}).get("route", {})
check(route.get("source") in ("auto", "fallback") and route.get("skill") in models, f"auto route {route}")

# Streaming without stream_options: no usage chunk, still ends cleanly.
chunks = list(client.chat.completions.create(model="auto", messages=MESSAGES, max_tokens=4, stream=True))
check(chunks[-1].choices and chunks[-1].choices[0].finish_reason in ("stop", "length"), "ends with the finish chunk")

# Errors come back as the client's exceptions.
try:
    client.chat.completions.create(model="no-such-skill", messages=MESSAGES)
    check(False, "unknown model raises")
except openai.NotFoundError as e:
    check(e.status_code == 404 and e.code == "model_not_found", f"unknown model: {e.code}")
try:
    client.chat.completions.create(model="auto", messages=MESSAGES, temperature=9)
    check(False, "bad temperature raises")
except openai.BadRequestError as e:
    check(e.status_code == 400 and "temperature" in str(e), "bad temperature: 400")
try:
    OpenAI(base_url=os.environ["ADAPTERBOT_BASE_URL"], api_key="wrong", max_retries=0).models.list()
    check(False, "wrong key raises")
except openai.AuthenticationError as e:
    check(e.status_code == 401, "wrong key: 401")

print("all checks passed")
