#!/usr/bin/env bash
# `npm run slo:generate`: Sloth (github.com/slok/sloth v0.16.0, built from its Go module by
# build-go-module.sh and cached like the other tools) turns the SLO spec
# prometheus/slo/embedding-relay.sloth.yml into prometheus/embedding-relay.slo.rules.yml, and the
# Helm chart gets the same file. `npm test` (test/deploy/slo.test.ts) fails while the committed
# rules differ from what Sloth writes, so edit the spec and run this, never the rules.
#   slo-generate.sh [OUT]   (OUT: write there instead, for the check)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sloth=$(bash "$root/test/stack/build-go-module.sh" "$here/sloth-build" sloth github.com/slok/sloth/cmd/sloth \
  "-X github.com/slok/sloth/internal/info.Version=v0.16.0")
out=${1:-$root/prometheus/embedding-relay.slo.rules.yml}
"$sloth" generate --no-log -i "$root/prometheus/slo/embedding-relay.sloth.yml" -o "$out" 2> >(grep -v 'disable exposing PSI metrics' >&2)
if [ $# -eq 0 ]; then cp "$out" "$root/deploy/helm/embedding-relay/files/embedding-relay.slo.rules.yml"; fi
