# Sourced by the scripts that provision a Python venv under ~/.cache/embedding-relay (test/tools/
# provision.sh, test/clients/setup.sh, test/vllm/setup.sh): one venv per hash of the files that pin it.
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
