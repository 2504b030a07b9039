#!/usr/bin/env bash
# Makes local stand-ins for the three public base images docker/Dockerfile starts from, so the
# whole multi-stage build (cargo-chef, dependency cook, model fetch, runtime) can run with podman
# on a machine that reaches the package registries but no container registry:
#
#   docker/smoke.sh ...                 # first: makes localhost/adapterbot-base:bookworm
#   docker/standin-images.sh
#   podman build --pull=never --format docker -f docker/Dockerfile -t adapterbot:full .
#
#   debian:bookworm-slim       = the debootstrapped base from docker/smoke.sh
#   python:3.12-slim-bookworm  = that base + Debian's python3 and pip
#   rust:1.95-bookworm         = that base + gcc/libc6-dev/pkg-config + this machine's Rust
#                                toolchain (`rustc --print sysroot`, binaries and libraries only)
# The host's CA bundle is copied in so TLS works the same inside the build as outside. Slow on a
# small machine: the dependency cook compiles every crate (26 min on 2 busy cores, niced).
set -euo pipefail
BASE=localhost/adapterbot-base:bookworm
podman image exists "$BASE" || { echo "error: no $BASE; run docker/smoke.sh first" >&2; exit 1; }
sysroot=$(rustc --print sysroot)
version=$(rustc --version | awk '{ split($2, v, "."); print v[1] "." v[2] }')
work=$(mktemp -d "${TMPDIR:-/var/tmp}/adapterbot-standin.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp /etc/ssl/certs/ca-certificates.crt "$work/"

cat >"$work/python" <<EOF
FROM $BASE
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
EOF
mkdir -p "$work/rust"
cp -a "$sysroot/bin" "$sysroot/lib" "$work/rust/"
[ -d "$sysroot/libexec" ] && cp -a "$sysroot/libexec" "$work/rust/"
cat >"$work/rust.Containerfile" <<EOF
FROM $BASE
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN apt-get update && apt-get install -y --no-install-recommends gcc g++ libc6-dev make pkg-config \\
      ca-certificates git && rm -rf /var/lib/apt/lists/*
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY rust /usr/local/rust
ENV CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /usr/local/cargo/bin && rustc --version
EOF

podman tag "$BASE" docker.io/library/debian:bookworm-slim
podman build --pull=never --format docker -q -t docker.io/library/python:3.12-slim-bookworm \
  -f "$work/python" "$work" >/dev/null
podman build --pull=never --format docker -q -t "docker.io/library/rust:$version-bookworm" \
  -f "$work/rust.Containerfile" "$work" >/dev/null
echo "stand-ins ready: debian:bookworm-slim, python:3.12-slim-bookworm, rust:$version-bookworm"
grep -q "rust:$version-bookworm" "$(dirname "$0")/Dockerfile" \
  || echo "note: docker/Dockerfile names another Rust image; pass --build-arg RUST_IMAGE=rust:$version-bookworm"
