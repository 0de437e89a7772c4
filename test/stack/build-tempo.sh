#!/usr/bin/env bash
# Grafana Tempo from its Go module at a pseudo-version of its main branch (module path has no /vN
# suffix, so release tags cannot be required). tempo-build/go.mod repeats Tempo's own `replace`s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rev=87c2dc380cec
exec "$here/build-go-module.sh" "$here/tempo-build" tempo github.com/grafana/tempo/cmd/tempo \
  "-X main.Version=main-$rev -X main.Branch=main -X main.Revision=$rev"
