# Sourced by the scripts that provision a Python venv under ~/.cache/embedding-relay (test/tools/
# provision.sh, test/clients/setup.sh, test/vllm/setup.sh, test/infinity/setup.sh): one venv per hash of the files that
# pin it, and the model each real-server suite builds locally.
#   cached_venv LABEL FILE...   prints the venv's path; builds it first when it is missing or was cut
#                               short, running the caller's `install_into VENV` (output to stderr).
# A failed install must fail the caller, also inside $(cached_venv …).
shopt -s inherit_errexit
cache="${EMBEDDING_RELAY_CACHE:-$HOME/.cache/embedding-relay}"

cached_venv() {
  local label=$1
  shift
  local hash venv start
  hash=$(cat "$@" | sha256sum | cut -c1-12)
  venv="$cache/$label-venv-$hash"
  if [ ! -f "$venv/.complete" ]; then
    start=$(date +%s)
    echo "$label: building the venv in $venv (first run only)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    install_into "$venv" >&2
    touch "$venv/.complete"
    echo "$label: venv built in $(( $(date +%s) - start ))s" >&2
  fi
  printf '%s\n' "$venv"
}

#   cached_model LABEL VENV   prints the directory of the model that ./build_model.py (beside the caller's
#                             requirements.lock) builds with VENV's python from tiny_corpus.py (here); builds it
#                             once per hash of the three.
cached_model() {
  local label=$1 venv=$2 dir hash model start
  dir=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
  hash=$(cat "$dir/build_model.py" "$dir/requirements.lock" "$dir/../support/tiny_corpus.py" | sha256sum | cut -c1-12)
  model="$cache/$label-model-$hash"
  if [ ! -f "$model/.complete" ]; then
    rm -rf "$model"
    start=$(date +%s)
    HF_HUB_OFFLINE=1 "$venv/bin/python" "$dir/build_model.py" "$model" >&2
    touch "$model/.complete"
    echo "$label: model built in $(( $(date +%s) - start ))s" >&2
  fi
  printf '%s\n' "$model"
}
