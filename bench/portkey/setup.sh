#!/usr/bin/env bash
# Provisions the Portkey gateway for `npm run bench` (target `portkey`, bench/harness/targets/portkey.ts)
# under ~/.cache/embedding-relay, once per hash of package.json: `npm install` of @portkey-ai/gateway
# (MIT) with the @hono/node-server override its proxied JSON answers need (../../shared/FACTS.md).
# Its tree never enters the repo's lockfile; every package installed is checked for a copyleft
# licence first. Needs npm and the registry. Prints the install's path as its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hash=$(sha256sum "$here/package.json" | cut -c1-12)
dir="${XDG_CACHE_HOME:-$HOME/.cache}/embedding-relay/portkey-$hash"
if [ ! -f "$dir/.done" ]; then
  echo "portkey: installing into $dir (first run only)" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$here/package.json" "$dir/"
  (cd "$dir" && npm install --omit=dev --no-audit --no-fund --loglevel=error >&2)
  node - "$dir" <<'JS' >&2
// Every installed package's declared licence, against the same deny-list as LiteLLM's venv.
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const root = join(process.argv[2], 'node_modules');
const copyleft = /\b(A?GPL|LGPL|SSPL|BUSL)\b|GNU (Affero |Lesser |Library )?General Public|Server Side Public|Business Source/i;
const bad = [];
const visit = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const at = join(dir, name);
    if (name.startsWith('@')) { visit(at); continue; }
    const pkg = join(at, 'package.json');
    if (!existsSync(pkg)) continue;
    const { license, licenses } = JSON.parse(readFileSync(pkg, 'utf8'));
    const text = [license, ...(licenses ?? []).map((l) => l.type ?? l)].filter(Boolean).map((l) => (typeof l === 'string' ? l : l.type)).join(' ');
    if (copyleft.test(text)) bad.push(`${name}: ${text}`);
    if (existsSync(join(at, 'node_modules'))) visit(join(at, 'node_modules'));
  }
};
visit(root);
if (bad.length > 0) { console.error(`portkey: copyleft licences in the install:\n  ${bad.join('\n  ')}`); process.exit(1); }
JS
  touch "$dir/.done"
fi
echo "$dir"
