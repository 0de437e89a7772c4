#!/usr/bin/env bash
# The programs `npm test` runs, provisioned without root into ~/.cache/embedding-relay:
#   promtool (github.com/prometheus/prometheus v0.316.0), amtool (github.com/prometheus/alertmanager
#   v0.35.0), helm (helm.sh/helm/v3 v3.22.0) and sloth (github.com/slok/sloth v0.16.0), built from their Go modules (test/tools/*-build/go.mod)
#   with the machine's Go;
#   docker-compose 1.29.2 from PyPI in a venv (validates compose files; needs no Docker engine).
# Cached by their pins: the first run takes a few minutes, later runs milliseconds. Prints one JSON
# object of tool name → path. A failure exits non-zero: the tests then fail, never skip.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/venv.sh"
build="$here/../stack/build-go-module.sh"

promtool=$(bash "$build" "$here/promtool-build" promtool github.com/prometheus/prometheus/cmd/promtool)
amtool=$(bash "$build" "$here/amtool-build" amtool github.com/prometheus/alertmanager/cmd/amtool)
# The Kubernetes version helm assumes without a cluster (for `kubeVersion` and lint): that of its client-go
# (v0.37 → 1.37), set as helm's own Makefile does, and its version string.
helm_x="helm.sh/helm/v3"
helm=$(bash "$build" "$here/helm-build" helm helm.sh/helm/v3/cmd/helm \
  "-X $helm_x/pkg/lint/rules.k8sVersionMajor=1 -X $helm_x/pkg/lint/rules.k8sVersionMinor=37 -X $helm_x/pkg/chartutil.k8sVersionMajor=1 -X $helm_x/pkg/chartutil.k8sVersionMinor=37 -X $helm_x/internal/version.version=v3.22.0")

# Sloth (github.com/slok/sloth v0.16.0): the SLO rules' generator, its version set as its own build does.
sloth=$(bash "$build" "$here/sloth-build" sloth github.com/slok/sloth/cmd/sloth "-X github.com/slok/sloth/internal/info.Version=v0.16.0")

# docker-compose 1.29.2 needs PyYAML 5.4.1, which builds only with Cython < 3 and no build isolation.
install_into() {
  "$1/bin/pip" install --quiet --disable-pip-version-check "cython<3" wheel setuptools
  "$1/bin/pip" install --quiet --disable-pip-version-check --no-build-isolation "pyyaml==5.4.1"
  "$1/bin/pip" install --quiet --disable-pip-version-check -r "$here/compose-requirements.txt"
}
venv=$(cached_venv compose "$here/compose-requirements.txt")
printf '{"promtool":"%s","amtool":"%s","helm":"%s","sloth":"%s","docker-compose":"%s"}\n' "$promtool" "$amtool" "$helm" "$sloth" "$venv/bin/docker-compose"
