#!/usr/bin/env bash
# Soak test: starts AdapterBot on loopback with the default model and skills (a copy of them, so
# nothing in models/ changes) and drives it at 4x its capacity for MINUTES (default 10) with
# scripts/soak.py: both APIs, streaming or not, every skill and `auto`, dropped clients, bad
# requests, a SIGHUP reload every minute and a skill added half-way. Fails on any 5xx, a stream
# without its final event, RSS growth over 10 % after warm-up, or a leaked slot or descriptor.
# scripts/test.sh runs a 1-minute version; docs/server.md has a 10-minute report.
#
#   scripts/soak.sh [MINUTES]      (SOAK_REPORT=file.json keeps the JSON report)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
models/fetch.sh >/dev/null
bin="${CARGO_TARGET_DIR:-target}/release/adapterbot"
[ -x "$bin" ] || cargo build --release --locked -p adapterbot
max_concurrent=4 queue=4

work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cp -r models/skills "$work/skills"
cp -r models/manager "$work/manager"
# The skill added half-way: the shipped chitchat adapter under a new id.
mkdir -p "$work/incoming"
cp -r models/skills/chitchat "$work/incoming/smalltalk"
python3 - "$work/incoming/smalltalk/skill.json" <<'PY'
import json, sys
p = sys.argv[1]
m = json.load(open(p))
m["id"], m["title"] = "smalltalk", "Small talk"
json.dump(m, open(p, "w"), indent=2)
PY
knowledge=()
[ -d models/knowledge ] && knowledge=(--knowledge-dir models/knowledge)

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$bin" --threads 2 serve --host 127.0.0.1 --port "$port" \
  --skills-dir "$work/skills" --manager-dir "$work/manager" "${knowledge[@]}" \
  --max-concurrent "$max_concurrent" --queue "$queue" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done

status=0
python3 scripts/soak.py --port "$port" --pid "$server" --minutes "$minutes" \
  --capacity $((max_concurrent + queue)) ${SOAK_REPORT:+--report "$SOAK_REPORT"} \
  --added-skill smalltalk \
  --skill-add "$bin" --threads 1 skill add "$work/incoming/smalltalk" \
  --skills-dir "$work/skills" --manager-dir "$work/manager" || status=$?
if grep -q "panicked" "$work/server.log"; then
  echo "soak FAILED: the server panicked" >&2
  grep -m5 "panicked" "$work/server.log" >&2
  exit 1
fi
exit $status
