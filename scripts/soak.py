#!/usr/bin/env python3
"""Drives a running AdapterBot server at several times its capacity for a while and checks that it
holds: the load side of scripts/soak.sh (which starts the server and passes its pid and port).

Clients, each in a loop: both APIs (native SSE and OpenAI-compatible), streaming and not, every
skill and `auto`; 10 % drop the connection after a few tokens, 5 % send a bad request. A SIGHUP
reload goes to the server every minute and a new skill is added half-way (`adapterbot skill add`,
then a reload; from then on clients ask for it too). Every 10 s: requests by outcome, RSS and
open file descriptors. At the end: TTFT and inter-token latency percentiles, and the verdict.

Fails (exit 1) on any 5xx, any stream that ends without its final event, RSS growth over 10 %
after the warm-up, a generation slot or queue place still held once the load stops, or more open
descriptors than before the load. Loopback only; bounded in clients and time. Standard library
only, so it runs on any Python 3.9+.
"""

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

PROMPTS = [
    "Hi! How is your day going?",
    "What is the capital of Australia?",
    "My grandmother passed away last week.",
    "I just got the job I wanted!",
    "What do you do for a living?",
    "Tell me a short story about a lighthouse.",
    "What does photosynthesis mean?",
    "Can you recommend a good movie for tonight?",
    "I failed my driving test again.",
    "Where did you grow up?",
]

BAD_BODIES = [
    b"{not json",
    b'{"messages": []}',
    b'{"messages": [{"role": "user", "content": ""}]}',
    b'{"messages": [{"role": "robot", "content": "hi"}]}',
    b'{"messages": [{"role": "user", "content": "hi"}], "temperature": -3}',
    b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}',
    b"\xff\xfe\x00garbage",
]


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def proc_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_targets(pid):
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return sorted(out)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes = Counter()
        self.ttft = []
        self.itl = []
        self.failures = []

    def add(self, outcome, ttft=None, itl=None, failure=None):
        with self.lock:
            self.outcomes[outcome] += 1
            if ttft is not None:
                self.ttft.append(ttft)
            if itl:
                self.itl.extend(itl)
            if failure and len(self.failures) < 20:
                self.failures.append(failure)


class Driver:
    def __init__(self, args):
        self.args = args
        self.stats = Stats()
        self.skills = ["auto", "chitchat", "empathetic", "knowledge", "persona"]
        self.stop = threading.Event()

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=120)

    def one(self, rng):
        """One request of a random kind; records its outcome."""
        native = rng.random() < 0.5
        stream = rng.random() < 0.75
        path = "/api/chat" if native else "/v1/chat/completions"
        if rng.random() < 0.05:
            return self.bad(path, rng)
        skill = rng.choice(self.skills)
        body = {
            "messages": [{"role": "user", "content": rng.choice(PROMPTS)}],
            "max_tokens": rng.randint(8, self.args.max_tokens),
            "stream": stream,
        }
        body["skill" if native else "model"] = skill
        drop = stream and rng.random() < 0.10
        conn = self.connection()
        sent = time.monotonic()
        try:
            conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            resp = conn.getresponse()
            status = resp.status
            if status >= 500:
                self.stats.add("5xx", failure=f"{path} {status}: {resp.read()[:200]!r}")
                return
            if status != 200:
                resp.read()
                self.stats.add(f"{status}")
                return
            if not stream:
                data = json.loads(resp.read())
                ok = ("message" in data) if native else ("choices" in data)
                self.stats.add("ok" if ok else "bad-body", failure=None if ok else str(data)[:200])
                return
            self.read_stream(resp, native, sent, drop)
        except (OSError, http.client.HTTPException, ValueError) as e:
            self.stats.add("client-error", failure=f"{path}: {e!r}")
        finally:
            conn.close()

    def read_stream(self, resp, native, sent, drop):
        """Reads an event stream; notes TTFT, gaps between tokens, and whether it ended right."""
        token_times = []
        final = None
        event = None
        while True:
            line = resp.readline()
            if not line:
                break
            line = line.decode("utf-8", "replace").rstrip("\r\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = line[5:].strip()
                if native:
                    if event == "token":
                        token_times.append(time.monotonic())
                    elif event in ("done", "error"):
                        final = event
                else:
                    if data == "[DONE]":
                        final = "done"
                    elif '"error"' in data[:12]:
                        final = "error"
                    elif '"content":"' in data.replace(" ", "") and '"content":""' not in data.replace(" ", ""):
                        token_times.append(time.monotonic())
                if drop and len(token_times) >= 2:
                    self.stats.add("dropped")
                    return
                if final:
                    break
            elif line == "":
                event = None
        ttft = token_times[0] - sent if token_times else None
        itl = [b - a for a, b in zip(token_times, token_times[1:])]
        if final == "done":
            self.stats.add("ok", ttft, itl)
        elif final == "error":
            self.stats.add("error-event", ttft, itl, failure="a stream ended with an error event")
        else:
            self.stats.add("no-final-event", ttft, itl, failure="a stream ended without its final event")

    def bad(self, path, rng):
        # An unknown skill, named where each API takes it (the OpenAI API ignores unknown fields
        # such as `skill`, as OpenAI's does).
        field = "skill" if path == "/api/chat" else "model"
        unknown = json.dumps({"messages": [{"role": "user", "content": "hi"}],
                              field: "no-such-skill"}).encode()
        conn = self.connection()
        try:
            request = rng.choice(BAD_BODIES + [unknown])
            conn.request("POST", path, request, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status >= 500:
                self.stats.add("5xx", failure=f"bad request got {resp.status}: {body[:200]!r}")
            elif 400 <= resp.status < 500 and b'"error"' in body:
                self.stats.add("bad-request-4xx")
            else:
                self.stats.add("bad-request-accepted",
                               failure=f"bad request {request[:80]!r} got {resp.status}")
        except (OSError, http.client.HTTPException) as e:
            self.stats.add("client-error", failure=f"bad request: {e!r}")
        finally:
            conn.close()

    def client(self, seed):
        rng = random.Random(seed)
        while not self.stop.is_set():
            self.one(rng)
            # A 429 is answered at once; a short pause keeps a refused client from spinning.
            time.sleep(rng.uniform(0.0, 0.2))

    def metrics(self):
        conn = self.connection()
        try:
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
        finally:
            conn.close()
        out = {}
        for line in text.splitlines():
            if line.startswith(("adapterbot_active_generations ", "adapterbot_queue_depth ")):
                name, value = line.split()
                out[name] = float(value)
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--capacity", type=int, required=True, help="slots + queue places")
    ap.add_argument("--load", type=float, default=4.0, help="clients per unit of capacity")
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--skill-add", nargs=argparse.REMAINDER,
                    help="command that adds a skill, run half-way (the last option)")
    ap.add_argument("--added-skill", help="the id of that skill")
    ap.add_argument("--report", help="write the JSON report here")
    args = ap.parse_args()

    d = Driver(args)
    pid = args.pid
    fds_idle = proc_fds(pid)
    targets_idle = fd_targets(pid)
    clients = max(1, round(args.capacity * args.load))
    duration = args.minutes * 60
    warmup = min(60.0, duration * 0.5)
    print(f"soak: {clients} clients ({args.load}x capacity {args.capacity}) for {args.minutes} min;"
          f" {fds_idle} descriptors open at rest", flush=True)
    threads = [threading.Thread(target=d.client, args=(i,), daemon=True) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()

    samples = []
    next_sample, next_reload = 10.0, 60.0
    added = False
    while (elapsed := time.monotonic() - start) < duration:
        time.sleep(0.5)
        if elapsed >= next_reload:
            os.kill(pid, signal.SIGHUP)
            next_reload += 60.0
            print(f"  {elapsed:6.0f} s  SIGHUP (reload)", flush=True)
        if args.skill_add and not added and elapsed >= duration / 2:
            added = True
            r = subprocess.run(args.skill_add, capture_output=True, text=True)
            if r.returncode != 0:
                d.stats.add("skill-add-failed", failure=r.stderr[-400:])
            os.kill(pid, signal.SIGHUP)
            time.sleep(1.0)
            if args.added_skill:
                d.skills.append(args.added_skill)
            print(f"  {elapsed:6.0f} s  skill add (exit {r.returncode}) + SIGHUP", flush=True)
        if elapsed >= next_sample:
            next_sample += 10.0
            rss, fds = proc_rss_mb(pid), proc_fds(pid)
            samples.append({"t": round(elapsed), "rss_mb": round(rss, 1), "fds": fds})
            with d.stats.lock:
                counts = dict(d.stats.outcomes)
            print(f"  {elapsed:6.0f} s  RSS {rss:7.1f} MB  fds {fds:4d}  {counts}", flush=True)

    d.stop.set()
    for t in threads:
        t.join(timeout=180)
    # Let cancelled generations leave the engine and closed connections (the metrics read's
    # too) be noticed.
    time.sleep(1.0)
    after = d.metrics()
    for _ in range(20):
        time.sleep(0.5)
        if proc_fds(pid) <= fds_idle:
            break
    fds_end = proc_fds(pid)
    extra = list(fd_targets(pid))
    for t in targets_idle:
        if t in extra:
            extra.remove(t)
    s = d.stats
    warm = [x["rss_mb"] for x in samples if x["t"] >= warmup] or [proc_rss_mb(pid)]
    rss_growth = (max(warm) - warm[0]) / warm[0]
    ms = lambda v: None if v is None else round(v * 1000, 1)
    report = {
        "minutes": args.minutes,
        "clients": clients,
        "capacity": args.capacity,
        "outcomes": dict(s.outcomes),
        "requests": sum(s.outcomes.values()),
        "ttft_ms": {f"p{p}": ms(percentile(s.ttft, p)) for p in (50, 95, 99)},
        "itl_ms": {f"p{p}": ms(percentile(s.itl, p)) for p in (50, 95, 99)},
        "rss_mb": {"after_warmup": warm[0], "max": max(warm), "growth": round(rss_growth, 4)},
        "fds": {"at_rest_before": fds_idle, "at_rest_after": fds_end, "new": extra},
        "held_after": after,
        "samples": samples,
        "failures": s.failures,
    }
    problems = []
    for bad in ("5xx", "no-final-event", "error-event", "bad-request-accepted", "client-error",
                "bad-body", "skill-add-failed"):
        if s.outcomes.get(bad):
            problems.append(f"{s.outcomes[bad]} x {bad}")
    if rss_growth > 0.10:
        problems.append(f"RSS grew {rss_growth:.1%} after the warm-up")
    if after.get("adapterbot_active_generations", 0) or after.get("adapterbot_queue_depth", 0):
        problems.append(f"slots still held after the load: {after}")
    if fds_end > fds_idle:
        problems.append(f"{fds_end - fds_idle} more descriptors open than before the load")
    if not s.outcomes.get("ok"):
        problems.append("no request succeeded")
    report["problems"] = problems
    print(json.dumps({k: v for k, v in report.items() if k != "samples"}, indent=2))
    if args.report:
        with open(args.report + ".tmp", "w") as f:
            json.dump(report, f, indent=2)
        os.replace(args.report + ".tmp", args.report)
    if problems:
        print("soak FAILED: " + "; ".join(problems), file=sys.stderr)
        sys.exit(1)
    print("soak passed", flush=True)


if __name__ == "__main__":
    main()
