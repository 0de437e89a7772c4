#!/usr/bin/env bash
# Creates (once per requirements.txt hash) a Python venv with the client SDKs the clients suite
# drives, under ~/.cache/embedding-relay. Prints the venv's python. Needs python3 and PyPI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache="${EMBEDDING_RELAY_CACHE:-$HOME/.cache/embedding-relay}"
hash=$(sha256sum "$here/requirements.txt" | cut -c1-12)
venv="$cache/clients-venv-$hash"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  start=$(date +%s)
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  touch "$venv/.complete"
  echo "clients: venv built in $(( $(date +%s) - start ))s" >&2
fi
echo "$venv/bin/python"
