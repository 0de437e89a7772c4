#!/usr/bin/env bash
# Provisions what `npm run test:infinity` runs, under ~/.cache/embedding-relay (once per input hash):
#   1. a venv with Infinity (infinity-emb 0.0.78 with its server and torch extras) and the exact
#      versions in requirements.lock, installed with --no-deps. Cold: about 3 min, 5.9 GiB.
#   2. the tiny model, built by build_model.py (nothing is downloaded; about 10 s).
# Prints two lines: the venv's bin directory, the model directory. Any failure exits non-zero: the
# suite fails, it never skips.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/venv.sh"
install_into() {
  "$1/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.lock"
  "$1/bin/python" -c 'import infinity_emb, torch, sentence_transformers'
}
venv=$(cached_venv infinity "$here/requirements.lock")
model=$(cached_model infinity "$venv")
echo "$venv/bin"
echo "$model"
