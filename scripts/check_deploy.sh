#!/usr/bin/env bash
# Checks the deployment files in docker/ (scripts/check_deploy.py): Kubernetes manifests against
# the official schemas (offline, from the pinned kubernetes-validate package, installed once into
# .venv-deploy) and against each other, the Dockerfiles and compose.yaml. Pass the adapterbot
# binary to also check that every ADAPTERBOT_* variable set is one `adapterbot serve` reads.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-deploy
if ! "$venv/bin/python" -c 'import kubernetes_validate, yaml' 2>/dev/null; then
  python3 -m venv "$venv" 2>/dev/null || {
    echo "error: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check kubernetes-validate==1.37.0
fi
exec "$venv/bin/python" scripts/check_deploy.py "$@"
