#!/usr/bin/env bash
# Builds the Collector distribution in otelcol-builder.yaml with the official builder (ocb) and
# caches it by manifest hash under ~/.cache/embedding-relay/bin. Prints the binary's path.
# Needs Go (the machine's toolchain) and the Go module proxy. Never writes into the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
manifest="$here/otelcol-builder.yaml"
version=$(sed -n 's/^  version: //p' "$manifest")
cache="${EMBEDDING_RELAY_CACHE:-$HOME/.cache/embedding-relay}"
hash=$(sha256sum "$manifest" | cut -c1-12)
bin="$cache/bin/otelcol-embedding-relay-$version-$hash"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

mkdir -p "$cache/bin" "$cache/tools" "$cache/build"
export PATH="/usr/local/go/bin:$PATH"
if [ ! -x "$cache/tools/builder-$version" ]; then
  GOBIN="$cache/tools" go install "go.opentelemetry.io/collector/cmd/builder@v$version" >&2
  mv "$cache/tools/builder" "$cache/tools/builder-$version"
fi
work="$cache/build/otelcol-$hash"
rm -rf "$work" && mkdir -p "$work"
sed "s|\${OTELCOL_BUILD_DIR}|$work|" "$manifest" >"$work/manifest.yaml"
start=$(date +%s)
"$cache/tools/builder-$version" --config "$work/manifest.yaml" >&2
echo "build-otelcol: built in $(( $(date +%s) - start ))s" >&2
cp "$work/otelcol-embedding-relay" "$bin"
echo "$bin"
