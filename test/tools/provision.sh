#!/usr/bin/env bash
# The programs `npm test` runs, provisioned without root into ~/.cache/embedding-relay:
#   promtool (github.com/prometheus/prometheus v0.316.0) and amtool (github.com/prometheus/alertmanager
#   v0.35.0), built from their Go modules (test/tools/*-build/go.mod) with the machine's Go;
#   docker-compose 1.29.2 from PyPI in a venv (validates compose files; needs no Docker engine).
# Cached by their pins: the first run takes a few minutes, later runs milliseconds. Prints one JSON
# object of tool name → path. A failure exits non-zero: the tests then fail, never skip.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/venv.sh"
build="$here/../stack/build-go-module.sh"

promtool=$(bash "$build" "$here/promtool-build" promtool github.com/prometheus/prometheus/cmd/promtool)
amtool=$(bash "$build" "$here/amtool-build" amtool github.com/prometheus/alertmanager/cmd/amtool)

# docker-compose 1.29.2 needs PyYAML 5.4.1, which builds only with Cython < 3 and no build isolation.
install_into() {
  "$1/bin/pip" install --quiet --disable-pip-version-check "cython<3" wheel setuptools
  "$1/bin/pip" install --quiet --disable-pip-version-check --no-build-isolation "pyyaml==5.4.1"
  "$1/bin/pip" install --quiet --disable-pip-version-check -r "$here/compose-requirements.txt"
}
venv=$(cached_venv compose "$here/compose-requirements.txt")
printf '{"promtool":"%s","amtool":"%s","docker-compose":"%s"}\n' "$promtool" "$amtool" "$venv/bin/docker-compose"
