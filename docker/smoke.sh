#!/usr/bin/env bash
# Smoke test of the server image without a Docker daemon or a registry (Debian host, root):
#
#   docker/smoke.sh [BINARY]          # BINARY defaults to $ADAPTERBOT_BIN or target/release/adapterbot
#
# 1. Installs podman, buildah, runc and debootstrap with apt-get if they are missing.
# 2. Makes the base image adapterbot-base:bookworm once: `debootstrap --variant=minbase bookworm`
#    from the Debian mirror apt already uses, trimmed like debian:bookworm-slim (no docs, man pages,
#    locales or apt lists), then `podman import`. It stands in for debian:bookworm-slim, which cannot
#    be pulled here.
# 3. Builds adapterbot:smoke from docker/Dockerfile's own runtime stage, with two substitutions:
#    FROM the local base, and the binary and models COPYed from a staging folder instead of from the
#    builder and assets stages (a host-built release binary stands in for the builder stage, since no
#    Rust image can be pulled here). `--format docker`, so HEALTHCHECK survives.
# 4. Runs it with `podman --runtime runc`, waits for /ready and the image's health check, checks
#    the user is not root, sends a chat request and checks the streamed reply (route, token…, done),
#    then sends SIGTERM while a second reply is streaming and checks that the stream ended cleanly,
#    the process exited 0 and logged its shutdown.
# 5. Runs compose.yaml's extra-skills arrangement: its merge command fills a volume with the shipped
#    skills plus an extra one, which the server (read-only root) serves from a read-only mount.
#
# Environment: SMOKE_PORT (host port, default 18080), SMOKE_KEEP=1 keeps the container afterwards,
# SMOKE_REBUILD_BASE=1 remakes the base image, SMOKE_MIRROR overrides the Debian mirror.
# Prints a summary and ends with "N passed, N failed"; exit status 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-${ADAPTERBOT_BIN:-target/release/adapterbot}}
PORT=${SMOKE_PORT:-18080}
BASE=localhost/adapterbot-base:bookworm
IMAGE=localhost/adapterbot:smoke
NAME=adapterbot-smoke
SUITE=bookworm
PODMAN=(podman --runtime runc)
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/adapterbot-smoke.XXXXXX")

passed=0 failed=0
declare -a summary=()
ok()   { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
expect() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
note() { summary+=("$*"); echo "---- $*"; }
die()  { echo "error: $*" >&2; exit 1; }
now()  { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

cleanup() {
  if [ "${SMOKE_KEEP:-0}" != 1 ]; then
    "${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
    podman volume rm -f "$NAME-skills" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- 1. tools -------------------------------------------------------------------------------------
need=()
for tool in podman buildah runc debootstrap curl python3; do
  command -v "$tool" >/dev/null || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "missing ${need[*]}; on Debian as root this script installs them with apt-get"
  fi
  echo "installing ${need[*]} ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -x "$BIN" ] || die "no binary at $BIN; build it with: cargo build --release (or pass its path)"
[ -f models/SmolLM2-135M-Instruct.Q4_1.gguf ] || die "no backbone in models/; run models/fetch.sh"

# --- 2. base image --------------------------------------------------------------------------------
debian_mirror() {
  # The mirror apt uses for the main suite: deb822 .sources files first, then sources.list.
  if [ -n "${SMOKE_MIRROR:-}" ]; then echo "$SMOKE_MIRROR"; return; fi
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { if (uri != "" && suites ~ "(^| )" suite "( |$)") { print uri; exit } uri = ""; suites = "" }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { $1 = ""; suites = $0 " " }
      END { if (uri != "" && suites ~ "(^| )" suite "( |$)") print uri }' "$f"
  done | head -n1 | grep . && return
  awk -v suite="$SUITE" '$1 == "deb" && $0 !~ /security/ {
      for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i + 1) == suite) { print $i; exit } } }' \
    /etc/apt/sources.list 2>/dev/null | grep . && return
  die "found no $SUITE mirror in apt's sources; set SMOKE_MIRROR"
}

if [ "${SMOKE_REBUILD_BASE:-0}" = 1 ] || ! podman image exists "$BASE"; then
  mirror=$(debian_mirror)
  echo "making $BASE with debootstrap from $mirror ..."
  t0=$(now)
  debootstrap --variant=minbase "$SUITE" "$WORK/rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; die "debootstrap failed"; }
  # Trim what debian:bookworm-slim leaves out too.
  rm -rf "$WORK"/rootfs/usr/share/{doc,man,info,locale}/* "$WORK"/rootfs/var/lib/apt/lists/* \
    "$WORK"/rootfs/var/cache/apt/* "$WORK"/rootfs/var/log/* "$WORK"/rootfs/tmp/*
  tar -C "$WORK/rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
  rm -rf "$WORK/rootfs"
  note "base image $BASE made in $(since "$t0") s (debootstrap --variant=minbase $SUITE, trimmed)"
else
  echo "base image $BASE present (SMOKE_REBUILD_BASE=1 remakes it)"
fi

# --- 3. image -------------------------------------------------------------------------------------
mkdir -p "$WORK/ctx/models"
cp -L "$BIN" "$WORK/ctx/adapterbot"
# The Dockerfile's builder strips the binary (CARGO_PROFILE_RELEASE_STRIP); do the same here.
if command -v strip >/dev/null; then strip --strip-all "$WORK/ctx/adapterbot"; fi
# What the assets stage would ship: the backbone, MiniLM, skills, and the manager and knowledge
# index where they exist; never half-written files.
for m in models/*; do
  case "$m" in *.partial|*.sha256|models/fetch.sh) continue ;; esac
  cp -rL "$m" "$WORK/ctx/models/"
done
awk '
  /^FROM .* AS runtime$/ { on = 1; print "FROM '"$BASE"'"; next }
  on && /^COPY --from=builder \/out\/adapterbot / { sub(/--from=builder \/out\/adapterbot/, "adapterbot"); n++ }
  on && /^COPY --from=assets \/out\/models / { sub(/--from=assets \/out\/models/, "models"); n++ }
  on { print }
  END { if (n != 2) { print "smoke: expected 2 COPY lines to rewrite, found " n > "/dev/stderr"; exit 1 } }
' docker/Dockerfile >"$WORK/Containerfile" || die "docker/Dockerfile has no runtime stage in the expected form"

t0=$(now)
podman build --format docker --pull=never -t "$IMAGE" -f "$WORK/Containerfile" "$WORK/ctx" \
  >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; die "podman build failed"; }
build_s=$(since "$t0")
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
base_size=$(podman image inspect --format '{{.Size}}' "$BASE")
note "image $IMAGE built in $build_s s: $((size / 1000000)) MB (base $((base_size / 1000000)) MB, binary $(( $(stat -c %s "$WORK/ctx/adapterbot") / 1000000 )) MB, models $(du -sm "$WORK/ctx/models" | cut -f1) MiB)"
expect "image under 600 MB ($size bytes)" [ "$size" -lt 600000000 ]

user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
hc=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE")
ep=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$IMAGE")
echo "config: User=$user Entrypoint=$ep Healthcheck=$hc"
expect "HEALTHCHECK kept in the image" grep -q '"adapterbot","healthcheck"' <<<"$hc"
expect "exec-form entrypoint" [ "$ep" = '["adapterbot","serve","--host","0.0.0.0"]' ]

# --- 4. run ---------------------------------------------------------------------------------------
"$BIN" serve --help >/dev/null 2>&1 || die "$BIN has no 'serve' command; build a newer binary"
"${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
t0=$(now)
"${PODMAN[@]}" run -d --name "$NAME" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
  -p "127.0.0.1:$PORT:8080" "$IMAGE" >/dev/null 2>"$WORK/run.err" \
  || { cat "$WORK/run.err"; die "podman run failed"; }
# (Without systemd podman cannot schedule the health check's timer and says so on stderr; the
# check itself is run below with `podman healthcheck run`.)
url="http://127.0.0.1:$PORT"
ready=""
for _ in $(seq 1 600); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/ready" || true)" = 200 ]; then ready=1; break; fi
  [ "$(podman inspect --format '{{.State.Running}}' "$NAME")" = true ] || break
  sleep 0.1
done
ready_s=$(since "$t0")
if [ -n "$ready" ]; then
  ok "ready"; note "time to ready: $ready_s s (podman run to /ready = 200)"
else
  fail "not ready after $ready_s s"; podman logs "$NAME" 2>&1 | tail -30; exit 1
fi

if "${PODMAN[@]}" healthcheck run "$NAME" >/dev/null 2>&1; then
  ok "image health check: $(podman inspect --format '{{.State.Health.Status}}' "$NAME" 2>/dev/null || echo healthy)"
else
  fail "the image's health check failed"
fi
expect "/health answers 200" [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")" = 200 ]

uid=$("${PODMAN[@]}" exec "$NAME" id -u)
pid=$(podman inspect --format '{{.State.Pid}}' "$NAME")
proc_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
note "user: uid $uid in the container (server process uid $proc_uid)"
expect "runs as non-root" [ "$uid" != 0 -a "$proc_uid" != 0 ]
rss() { awk -v k="$1" '$1 == k":" { printf "%d", $2 / 1024 }' "/proc/$pid/status"; }
rss_load=$(rss VmRSS)

chat() {  # $1 = max tokens, $2 = output file
  curl -sN --max-time 120 -H 'Content-Type: application/json' -d "{\"messages\":[{\"role\":\"user\",
    \"content\":\"Hi! Can you tell me something nice about the sea?\"}],\"skill\":\"auto\",
    \"max_tokens\":$1,\"seed\":7}" "$url/api/chat" >"$2"
}
# Reads an SSE capture: prints the event names in order on one line, then the reply text.
sse_summary() {
  python3 - "$1" <<'PY'
import json, sys
events, text, route, done = [], [], None, None
for block in open(sys.argv[1]).read().replace("\r\n", "\n").split("\n\n"):
    name, data = "message", []
    for line in block.splitlines():
        if line.startswith("event:"): name = line[6:].strip()
        elif line.startswith("data:"): data.append(line[5:].strip())
    if not data: continue
    events.append(name)
    body = json.loads("\n".join(data))
    if name == "token": text.append(body.get("text", ""))
    if name == "route": route = body
    if name in ("done", "error"): done = body
print(" ".join(events))
print("".join(text).replace("\n", " "))
print(json.dumps(route))
print(json.dumps(done))
PY
}

t0=$(now)
chat 32 "$WORK/chat.sse" || fail "chat request failed (curl $?)"
chat_s=$(since "$t0")
mapfile -t s < <(sse_summary "$WORK/chat.sse")
events=${s[0]:-}
tokens=$(grep -o token <<<"$events" | wc -l)
note "chat: $chat_s s, events: route, $tokens x token, ${events##* }"
note "chat reply: ${s[1]:-}"
note "route: ${s[2]:-}"
note "done: ${s[3]:-}"
expect "stream starts with route, then token" [ "${events%% token*}" = route ]
expect "streamed $tokens token events (>= 2)" [ "$tokens" -ge 2 ]
expect "stream ends with done" [ "${events##* }" = "done" ]
expect "non-empty reply" [ -n "${s[1]// /}" ]
rss_req=$(rss VmRSS); rss_peak=$(rss VmHWM)
note "memory (server process): RSS after load $rss_load MB, after a request $rss_req MB, peak $rss_peak MB"

# --- 5. SIGTERM while a reply is streaming --------------------------------------------------------
chat 200 "$WORK/inflight.sse" &
curl_pid=$!
for _ in $(seq 1 100); do grep -q '^event: token' "$WORK/inflight.sse" 2>/dev/null && break; sleep 0.05; done
t0=$(now)
"${PODMAN[@]}" kill --signal TERM "$NAME" >/dev/null
code=$(timeout 60 podman wait "$NAME" || echo timeout)
stop_s=$(since "$t0")
wait "$curl_pid" || true
mapfile -t s < <(sse_summary "$WORK/inflight.sse")
last=${s[0]##* }
note "SIGTERM mid-stream: exit code $code after $stop_s s; the open stream ended with '$last' ${s[3]:-}"
expect "exit code 0 on SIGTERM (got $code)" [ "$code" = 0 ]
expect "stream in flight ended with done or error (got '$last')" grep -qxE 'done|error' <<<"$last"
logs=$(podman logs "$NAME" 2>&1)
shutdown_line=$(grep -i -m1 -E 'shut(ting)? ?down|graceful' <<<"$logs" || true)
note "shutdown log: ${shutdown_line:-<none>}"
expect "shutdown logged" [ -n "$shutdown_line" ]
[ -n "$shutdown_line" ] || tail -20 <<<"$logs"

# --- 6. compose's extra-skills volume: merged with the shipped skills, mounted read-only ---------
# The same merge command compose.yaml's `skills` service runs, and the server's compose settings
# (read-only root and skills, no capabilities); the extra skill must be served.
merge=$(awk '/^  skills:/ { s = 1 } s && /^      - -c$/ { getline; sub(/^      - /, ""); print; exit }' \
  docker/compose.yaml)
mkdir -p "$WORK/extra/smoke-extra"
printf '{"id": "smoke-extra", "title": "Smoke extra", "description": "An extra skill from a volume.",
  "uses_knowledge": false, "uses_persona": false}\n' >"$WORK/extra/smoke-extra/skill.json"
podman volume rm -f "$NAME-skills" >/dev/null 2>&1 || true
podman volume create "$NAME-skills" >/dev/null
"${PODMAN[@]}" run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --user 0:0 \
  --entrypoint /bin/sh -v "$NAME-skills:/skills" -v "$WORK/extra:/extra:ro" "$IMAGE" -c "$merge" \
  >/dev/null 2>>"$WORK/run.err" || fail "the compose skills merge failed"
"${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
"${PODMAN[@]}" run -d --name "$NAME" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
  --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
  -e ADAPTERBOT_SKILLS_DIR=/opt/adapterbot/skills -v "$NAME-skills:/opt/adapterbot/skills:ro" \
  -p "127.0.0.1:$PORT:8080" "$IMAGE" >/dev/null 2>>"$WORK/run.err"
for _ in $(seq 1 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/ready" || true)" = 200 ] && break
  sleep 0.1
done
skills=$(curl -s "$url/api/skills" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(s["id"] for s in (d["skills"] if isinstance(d, dict) else d)))' || true)
note "skills with the compose volume: $skills"
expect "extra skill served next to the shipped ones" grep -qw smoke-extra <<<"$skills"
expect "shipped skills still served" grep -qw chitchat <<<"$skills"
expect "skills volume is read-only" \
  bash -c "! ${PODMAN[*]} exec $NAME touch /opt/adapterbot/skills/x 2>/dev/null"
# An idle server stops at once on SIGTERM (podman stop sends the image's stop signal, SIGTERM).
t0=$(now)
"${PODMAN[@]}" stop -t 30 "$NAME" >/dev/null 2>>"$WORK/run.err"
code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME")
note "idle stop (podman stop): exit code $code after $(since "$t0") s"
expect "idle server exits 0 on SIGTERM (got $code)" [ "$code" = 0 ]
"${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
podman volume rm -f "$NAME-skills" >/dev/null 2>&1 || true

echo
echo "== summary"
printf '  %s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
