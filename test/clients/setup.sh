#!/usr/bin/env bash
# Creates (once per requirements.txt hash) a Python venv with the client SDKs the clients suite
# drives, under ~/.cache/embedding-relay. Prints the venv's python. Needs python3 and PyPI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/venv.sh"
install_into() {
  "$1/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
}
venv=$(cached_venv clients "$here/requirements.txt")
echo "$venv/bin/python"
