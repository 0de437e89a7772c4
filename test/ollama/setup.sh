#!/usr/bin/env bash
# Provisions what `npm run test:ollama` runs, under ~/.cache/embedding-relay (once):
#   1. Ollama, built from its Go module with `go install` (MIT; cgo compiles its llama.cpp/ggml CPU code).
#      Go leaves folders named vendor/ out of module zips, so the three header-only libraries llama.cpp
#      keeps there come from elsewhere: nlohmann-json and stb from Debian (apt), miniaudio from its PyPI
#      sdist. Cold: about 12 min on 2 cores.
#   2. The tiny BERT (sentence-transformers layout) that test/infinity/setup.sh builds, with its venv.
# Prints two lines: the ollama binary, the model directory. Any failure exits non-zero: the suite
# fails, it never skips.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/venv.sh"
VERSION=v0.17.4
MINIAUDIO=1.71
bin="$cache/bin/ollama-$VERSION"

infinity=$(bash "$here/../infinity/setup.sh")
venv_bin=$(sed -n 1p <<<"$infinity")
model=$(sed -n 2p <<<"$infinity")

if [ ! -x "$bin" ]; then
  start=$(date +%s)
  echo "ollama: building $VERSION into $bin (first run only)" >&2
  if [ ! -f /usr/include/nlohmann/json_fwd.hpp ] || [ ! -f /usr/include/stb/stb_image.h ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nlohmann-json3-dev libstb-dev >&2
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  "$venv_bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: --dest "$work" "miniaudio==$MINIAUDIO" >&2
  tar xzf "$work/miniaudio-$MINIAUDIO.tar.gz" -C "$work"
  mkdir -p "$work/include"
  cp -r "$work/miniaudio-$MINIAUDIO/miniaudio" "$work/include/"
  GOBIN="$work/bin" CGO_ENABLED=1 CGO_CPPFLAGS="-I/usr/include/stb -I$work/include" go install "github.com/ollama/ollama@$VERSION" >&2
  mkdir -p "$cache/bin"
  mv "$work/bin/ollama" "$bin"
  echo "ollama: built in $(( $(date +%s) - start ))s" >&2
fi
echo "$bin"
echo "$model"
