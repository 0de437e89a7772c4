#!/usr/bin/env bash
# Builds a Go program from a wrapper module kept in the repo (go.mod + go.sum: the requirements,
# any `replace` directives, and their hashes; plus the module's own *.go files, if it has any) and
# caches the binary by their hash under ~/.cache/embedding-relay/bin. Prints the binary's path.
#   build-go-module.sh <wrapper dir> <binary name> <package> [ldflags] [build tags]
# Needs Go (the machine's toolchain) and the Go module proxy. Never writes into the repository.
set -euo pipefail
wrapper=$(cd "$1" && pwd); name=$2; pkg=$3; ldflags=${4:-}; tags=${5:-}
cache="${EMBEDDING_RELAY_CACHE:-$HOME/.cache/embedding-relay}"
shopt -s nullglob
sources=("$wrapper"/*.go)
# ldflags and tags are part of the binary: they join the hash when given (no caller without them changes hash).
hash=$( (cat "$wrapper/go.mod" "$wrapper/go.sum" "${sources[@]}"; if [ -n "$ldflags$tags" ]; then echo "ldflags=$ldflags tags=$tags"; fi) | sha256sum | cut -c1-12)
bin="$cache/bin/$name-$hash"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

export PATH="/usr/local/go/bin:$PATH"
# A build folder of its own: two suites building the same binary at once must not delete each other's.
mkdir -p "$cache/build" "$cache/bin"
work=$(mktemp -d "$cache/build/$name-$hash.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$wrapper/go.mod" "$wrapper/go.sum" "${sources[@]}" "$work/"
echo "build-go-module: building $name from $pkg (once; cached in $cache/bin)" >&2
start=$(date +%s)
(cd "$work" && GOFLAGS=-mod=mod CGO_ENABLED=0 \
  go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$work/$name" "$pkg") >&2
echo "build-go-module: $name built in $(( $(date +%s) - start ))s" >&2
mv "$work/$name" "$bin"
echo "$bin"
