#!/usr/bin/env bash
# Builds a Go program from a wrapper module kept in the repo (go.mod + go.sum only: the
# requirements, the `replace` directives the upstream module needs, and their hashes) and caches
# the binary by wrapper hash under ~/.cache/embedding-relay/bin. Prints the binary's path.
#   build-go-module.sh <wrapper dir> <binary name> <package> [ldflags] [build tags]
# Needs Go (the machine's toolchain) and the Go module proxy. Never writes into the repository.
set -euo pipefail
wrapper=$(cd "$1" && pwd); name=$2; pkg=$3; ldflags=${4:-}; tags=${5:-}
cache="${EMBEDDING_RELAY_CACHE:-$HOME/.cache/embedding-relay}"
hash=$(cat "$wrapper/go.mod" "$wrapper/go.sum" | sha256sum | cut -c1-12)
bin="$cache/bin/$name-$hash"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

export PATH="/usr/local/go/bin:$PATH"
work="$cache/build/$name-$hash"
rm -rf "$work" && mkdir -p "$work" "$cache/bin"
cp "$wrapper/go.mod" "$wrapper/go.sum" "$work/"
start=$(date +%s)
# The checksum database does not know every pseudo-version the proxy serves; go.sum pins them.
(cd "$work" && GOFLAGS=-mod=mod GONOSUMDB="${GONOSUMDB:-github.com/grafana}" CGO_ENABLED=0 \
  go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$work/$name" "$pkg") >&2
echo "build-go-module: $name built in $(( $(date +%s) - start ))s" >&2
mv "$work/$name" "$bin"
echo "$bin"
