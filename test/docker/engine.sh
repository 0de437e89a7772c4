#!/usr/bin/env bash
# What `npm run test:docker` needs before it builds the relay's image, made here because no registry
# can be reached from these machines:
#   1. a Docker engine: `docker info` answers, or dockerd (Debian's docker.io) is started in the background
#      (root only; its log in ~/.cache/embedding-relay/docker/dockerd.log);
#   2. local/debian:bookworm, a minbase Debian made by debootstrap (about 40 s, once; the rootfs tarball
#      is cached in ~/.cache/embedding-relay/images);
#   3. a stand-in for the official node:24-slim, FROM local/debian:bookworm with the Node 24 binary that
#      the `node` devDependency installed (node_modules/node/bin/node), the machine's npm, and the user
#      `node` (uid 1000), as the official image has them; plus this machine's CA bundle (NODE_EXTRA_CA_CERTS),
#      since its registry traffic passes a TLS proxy with its own CA. Tagged by both versions, built once.
# Prints the stand-in's tag. Any failure exits non-zero with one line saying what is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="${EMBEDDING_RELAY_CACHE:-$HOME/.cache/embedding-relay}"
mkdir -p "$cache/docker" "$cache/images"
fail() { echo "test:docker: $*" >&2; exit 1; }

# 1. The engine.
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || fail "no Docker engine: apt-get install docker.io iptables (or start yours)"
  [ "$(id -u)" -eq 0 ] || fail "no Docker engine answers, and starting dockerd needs root"
  echo "test:docker: starting dockerd (log: $cache/docker/dockerd.log)" >&2
  nohup dockerd --storage-driver overlay2 >"$cache/docker/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || fail "dockerd did not come up: $(tail -3 "$cache/docker/dockerd.log")"
fi

# 2. The Debian base.
if ! docker image inspect local/debian:bookworm >/dev/null 2>&1; then
  tarball="$cache/images/debian-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || fail "debootstrap is missing: apt-get install debootstrap"
    rootfs="$cache/images/rootfs.$$"
    echo "test:docker: debootstrap bookworm (once, about 40 s)" >&2
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$cache/images/debootstrap.log" 2>&1 ||
      fail "debootstrap failed: $(tail -3 "$cache/images/debootstrap.log")"
    tar -C "$rootfs" --exclude=./var/cache/apt/archives/*.deb --exclude=./var/lib/apt/lists/* -cf "$tarball.tmp" . &&
      mv "$tarball.tmp" "$tarball" && rm -rf "$rootfs"
  fi
  docker import "$tarball" local/debian:bookworm >/dev/null
fi

# 3. The Node 24 stand-in.
node_bin="$root/node_modules/node/bin/node"
[ -x "$node_bin" ] || fail "$node_bin is missing: run npm ci first"
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
node_version=$("$node_bin" --version)
npm_version=$(node -p "require('$npm_dir/package.json').version")
tag="embedding-relay-test/node:${node_version#v}-npm${npm_version}-ca$(sha256sum "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" | cut -c1-8)"
if ! docker image inspect "$tag" >/dev/null 2>&1; then
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  cp "$node_bin" "$ctx/node"
  cp -r "$npm_dir" "$ctx/npm"
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/ca-certificates.crt"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM local/debian:bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
EOF
  echo "test:docker: building $tag (once)" >&2
  docker build -q -t "$tag" "$ctx" >/dev/null
fi
echo "$tag"
