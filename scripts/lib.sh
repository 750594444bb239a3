# Shared by setup.sh and test.sh. Each function is idempotent and quiet when nothing is to do.
# shellcheck shell=bash

GO_VERSION_WANTED="${GO_VERSION_WANTED:-1.26.8}"
NODE_MIN="20.19.0"
SPD_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/sandbox-provisioner-desktop"

step() { printf '\n==> %s\n' "$*" >&2; }

version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" == "$2" ]]; }

require_node() {
  if ! command -v node >/dev/null; then
    echo "Node.js $NODE_MIN or newer (20.x or 22.x) is required: https://nodejs.org/en/download" >&2
    exit 1
  fi
  local v; v="$(node -p 'process.versions.node')"
  if ! version_ge "$v" "$NODE_MIN"; then
    echo "Node.js $v is too old: $NODE_MIN or newer (20.x or 22.x) is required" >&2
    exit 1
  fi
}

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

install_debian_packages() {
  command -v dpkg >/dev/null || { echo "(not a Debian/Ubuntu system: install Chromium, openssl, make, g++ and python3 yourself)" >&2; return 0; }
  local wanted=(chromium openssl make g++ python3 curl unzip ca-certificates git) missing=() p
  for p in "${wanted[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [[ ${#missing[@]} == 0 ]] && return 0
  step "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq || { echo "cannot run apt-get (not root, no sudo): install ${missing[*]}" >&2; return 1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What the real-kind lane needs besides the rest: a dockerd for the private test engine and
# debootstrap for the node image's Debian. Debian's docker.io is installed only when the machine
# has no dockerd at all: next to Docker CE (docker-ce, containerd.io) it would conflict, and
# Docker CE's dockerd serves the private engine just as well.
install_lane_packages() {
  command -v dpkg >/dev/null || { echo "(not a Debian/Ubuntu system: the real-kind lane needs dockerd, containerd, runc and debootstrap)" >&2; return 0; }
  local missing=() p
  if [[ ! -x /usr/sbin/dockerd && ! -x /usr/bin/dockerd ]]; then missing+=(docker.io); fi
  for p in debootstrap iproute2 iptables; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [[ ${#missing[@]} == 0 ]] && return 0
  step "installing Debian packages for the real-kind lane: ${missing[*]}"
  as_root apt-get update -qq || { echo "cannot run apt-get (not root, no sudo): install ${missing[*]}" >&2; return 1; }
  # --no-install-recommends: no system docker service is wanted, only the binaries.
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_npm_dependencies() {
  local stamp=node_modules/.spd-lock-hash hash
  hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [[ -f $stamp && "$(cat "$stamp")" == "$hash" ]]; then return 0; fi
  step "installing npm dependencies (npm ci)"
  # Electron's binary is fetched by its own install script; on machines that cannot reach
  # its download site that step fails, so install without it and try it separately.
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
  if ! node node_modules/electron/install.js >/dev/null 2>&1; then
    echo "note: the Electron binary could not be downloaded; the desktop window cannot open here." >&2
    echo "      Everything else works: 'npm run serve' (the headless provisioner API), the CLI and the tests." >&2
  fi
  echo "$hash" >"$stamp"
}

# A Go toolchain new enough for the test cluster. Go >= 1.21 fetches newer toolchains itself
# (GOTOOLCHAIN); otherwise the toolchain module is taken from the Go module proxy, which is
# how the go command itself distributes toolchains.
ensure_go() {
  if command -v go >/dev/null && version_ge "$(go env GOVERSION | sed 's/^go//')" "$GO_VERSION_WANTED"; then return 0; fi
  if command -v go >/dev/null && version_ge "$(go env GOVERSION | sed 's/^go//')" "1.21"; then
    export GOTOOLCHAIN="go$GO_VERSION_WANTED"
    go version >/dev/null
    return 0
  fi
  local dir="$SPD_CACHE/go-$GO_VERSION_WANTED"
  if [[ ! -x "$dir/bin/go" ]]; then
    step "fetching Go $GO_VERSION_WANTED from the Go module proxy"
    local arch os proxy zip
    arch="$(uname -m)"; case "$arch" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; esac
    os="$(uname -s | tr 'A-Z' 'a-z')"
    proxy="${GOPROXY:-https://proxy.golang.org}"; proxy="${proxy%%,*}"
    zip="$(mktemp)"
    curl -fsSL -o "$zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION_WANTED.$os-$arch.zip"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" && unzip -q "$zip" -d "$dir.tmp" && rm -f "$zip"
    mv "$dir.tmp/golang.org/toolchain@v0.0.1-go$GO_VERSION_WANTED.$os-$arch" "$dir" && rm -rf "$dir.tmp"
    chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/* 2>/dev/null || true
  fi
  export PATH="$dir/bin:$PATH" GOTOOLCHAIN=local
}
