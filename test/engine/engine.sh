#!/usr/bin/env bash
# The test Docker engine: a private dockerd from Debian's docker.io with its own data root,
# exec root, socket and bridge, under the project's cache. Never the user's
# /var/run/docker.sock, never the user's docker0.
#   engine.sh up     start it (or reuse a running one); the last line printed is DOCKER_HOST=…
#   engine.sh down   stop it (its images and containers stay cached in the data root)
#   engine.sh env    print DOCKER_HOST=… if it is running, exit 1 if not
#
# Test-only adaptation (docs/real-kind.md): the engine's default runtime is runc-wrapper, which
# drops capabilities the machine's bounding set lacks from each OCI spec before runc applies it,
# so `--privileged` (kind's nodes) works on machines without CAP_SYS_RESOURCE.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${SPD_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sandbox-provisioner-desktop/engine}"
# Unix socket paths are limited to 107 bytes; containerd puts its own sockets under the exec
# root, so that one lives in /run when the cache path is long.
exec_root="${SPD_ENGINE_EXEC_ROOT:-/run/spd-engine}"
sock="$cache/docker.sock"
pidfile="$cache/dockerd.pid"
log_file="$cache/dockerd.log"
bridge="spd-docker0"
bridge_cidr="${SPD_ENGINE_BRIDGE_CIDR:-10.213.0.1/24}"
address_pool="${SPD_ENGINE_ADDRESS_POOL:-10.214.0.0/16}"
# Debian's docker.io puts dockerd in /usr/sbin, Docker CE in /usr/bin; either serves.
dockerd="$(for d in /usr/sbin/dockerd /usr/bin/dockerd; do [[ -x $d ]] && echo "$d" && break; done || true)"
real_runc="$(for r in /usr/sbin/runc /usr/bin/runc; do [[ -x $r ]] && echo "$r" && break; done || true)"
wrapper="$cache/bin/runc-wrapper"

log() { printf '[engine] %s\n' "$*" >&2; }

running() {
  [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && [[ -S $sock ]] &&
    curl -sf --unix-socket "$sock" http://engine/_ping >/dev/null 2>&1
}

build_wrapper() {
  local src="$here/runc-wrapper.go" stamp="$cache/bin/runc-wrapper.sha256" sum
  sum="$(sha256sum "$src" | cut -d' ' -f1)"
  [[ -x $wrapper && -f $stamp && "$(cat "$stamp")" == "$sum" ]] && return 0
  log "building runc-wrapper"
  mkdir -p "$cache/bin"
  local tmp; tmp="$(mktemp -d)"
  cp "$src" "$tmp/main.go"
  (cd "$tmp" && GOFLAGS= CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -o "$wrapper" main.go)
  rm -rf "$tmp"
  echo "$sum" >"$stamp"
}

ensure_bridge() {
  ip link show "$bridge" >/dev/null 2>&1 && return 0
  ip link add "$bridge" type bridge
  ip addr add "$bridge_cidr" dev "$bridge"
  ip link set "$bridge" up
}

up() {
  if running; then log "reusing the running engine ($sock)"; echo "DOCKER_HOST=unix://$sock"; return 0; fi
  [[ -n $dockerd ]] || { echo "engine.sh: no dockerd in /usr/sbin or /usr/bin: install Debian's docker.io (npm run test:kind does)" >&2; exit 1; }
  [[ -n $real_runc ]] || { echo "engine.sh: no runc in /usr/sbin or /usr/bin (Debian's runc package)" >&2; exit 1; }
  [[ $(id -u) == 0 ]] || { echo "engine.sh: a private dockerd needs root (run as root or under sudo)" >&2; exit 1; }
  command -v go >/dev/null || { echo "engine.sh: Go is needed to build runc-wrapper (run scripts/setup.sh)" >&2; exit 1; }
  build_wrapper
  ensure_bridge
  mkdir -p "$cache/data" "$exec_root"
  rm -f "$sock" "$pidfile"
  log "starting dockerd (data root $cache/data, log $log_file)"
  # PATH is set, not inherited: dockerd starts Debian's containerd, docker-proxy and runc.
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$cache" SPD_REAL_RUNC="$real_runc" \
    setsid "$dockerd" \
    --data-root "$cache/data" --exec-root "$exec_root" --pidfile "$pidfile" \
    -H "unix://$sock" --bridge "$bridge" --default-address-pool "base=$address_pool,size=24" \
    --add-runtime "spd-runc=$wrapper" --default-runtime spd-runc \
    --storage-driver overlay2 --log-level warn \
    >"$log_file" 2>&1 </dev/null &
  local i
  for i in $(seq 1 60); do
    running && { log "engine ready after ${i}s"; echo "DOCKER_HOST=unix://$sock"; return 0; }
    sleep 1
  done
  echo "engine.sh: dockerd did not answer within 60 s; its log ($log_file) ends:" >&2
  tail -n 20 "$log_file" >&2
  exit 1
}

down() {
  if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    local pid; pid="$(cat "$pidfile")"
    log "stopping dockerd ($pid)"
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) running && echo "DOCKER_HOST=unix://$sock" || exit 1 ;;
  *) echo "usage: engine.sh up|down|env" >&2; exit 2 ;;
esac
