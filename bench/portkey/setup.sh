#!/usr/bin/env bash
# Provisions the Portkey gateway for `npm run bench` (target `portkey`, bench/harness/targets/portkey.ts)
# under ~/.cache/embedding-relay, once per hash of package.json: `npm install` of @portkey-ai/gateway
# (MIT) with the @hono/node-server override its proxied JSON answers need (../../shared/FACTS.md).
# Its tree never enters the repo's lockfile; the target checks the install's own package-lock.json
# against the project's npm licence policy before each start. Needs npm and the registry. Prints
# the install's path as its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hash=$(sha256sum "$here/package.json" | cut -c1-12)
dir="${XDG_CACHE_HOME:-$HOME/.cache}/embedding-relay/portkey-$hash"
if [ ! -f "$dir/.done" ]; then
  echo "portkey: installing into $dir (first run only)" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$here/package.json" "$dir/"
  (cd "$dir" && npm install --omit=dev --no-audit --no-fund --loglevel=error >&2)
  touch "$dir/.done"
fi
echo "$dir"
