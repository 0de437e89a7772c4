#!/usr/bin/env bash
# Grafana Loki v3.7.8 from its Go module. loki-build/go.mod repeats Loki's own `replace`s; Loki's
# local-path replace of github.com/grafana/loki/pkg/push is a plain requirement there instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
b=github.com/grafana/loki/v3/pkg/util/build
exec "$here/build-go-module.sh" "$here/loki-build" loki github.com/grafana/loki/v3/cmd/loki \
  "-X $b.Version=3.7.8 -X $b.Branch=release-3.7.x -X $b.Revision=v3.7.8" netgo
