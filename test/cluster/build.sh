#!/usr/bin/env bash
# Builds the test control plane from Go modules (no Docker, no binary downloads):
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok; the kind
# CLI, whose config loader and validation the cluster tests run for real; and the docker CLI,
# which with no engine here answers as on a machine where Docker is installed but not running.
# Binaries land in $SPD_CLUSTER_CACHE/bin/<piece>-<version>/ and are reused when present.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache="${SPD_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sandbox-provisioner-desktop/cluster}"
work="$cache/build"
mkdir -p "$work"

command -v go >/dev/null || { echo "build.sh: Go is required to build the test cluster (run scripts/setup.sh)" >&2; exit 1; }
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod" GOTOOLCHAIN=local

log() { printf '[cluster:build] %s\n' "$*" >&2; }

k8s_dir="$cache/bin/kubernetes-$K8S_VERSION"
etcd_dir="$cache/bin/etcd-$ETCD_VERSION"
kwok_dir="$cache/bin/kwok-$KWOK_VERSION-$KWOK_BUILD"
kind_dir="$cache/bin/kind-$KIND_VERSION"
docker_dir="$cache/bin/docker-cli-$DOCKER_CLI_VERSION"
helm_dir="$cache/bin/helm-$HELM_VERSION"

build_kubernetes() {
  local names=(kube-apiserver kube-controller-manager kube-scheduler kubectl) missing=0 n
  for n in "${names[@]}"; do [[ -x "$k8s_dir/$n" ]] || missing=1; done
  [[ $missing == 0 ]] && { log "kubernetes $K8S_VERSION cached"; return; }
  log "building kubernetes $K8S_VERSION (cold build: 10-20 minutes on 2 cores)"
  local mod="$work/kubernetes-$K8S_VERSION" minor staging_version gomod
  mkdir -p "$mod"
  minor="${K8S_VERSION#v1.}"                # 36.3
  staging_version="v0.$minor"               # v0.36.3
  gomod="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  {
    echo "module spd/kubernetes-build"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    # Upstream replaces each staging module with ./staging/src/...; point them at the
    # published k8s.io/<name> v0.X.Y instead (the list changes between versions).
    sed -n "s#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#replace \1 => \1 $staging_version#p" "$gomod"
  } >"$mod/go.mod"
  cat >"$mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$mod" && go mod tidy -e >/dev/null 2>&1 || true)
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor%%.*}"
  local tmp="$k8s_dir.tmp"
  mkdir -p "$tmp"
  for n in "${names[@]}"; do
    log "go build $n"
    (cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$tmp/$n" "k8s.io/kubernetes/cmd/$n")
  done
  rm -rf "$k8s_dir" && mv "$tmp" "$k8s_dir"
}

build_etcd() {
  [[ -x "$etcd_dir/etcd" ]] && { log "etcd $ETCD_VERSION cached"; return; }
  log "building etcd $ETCD_VERSION"
  local mod="$work/etcd-$ETCD_VERSION"
  mkdir -p "$mod"
  cat >"$mod/go.mod" <<GOMOD
module spd/etcd-build

go 1.26

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  cat >"$mod/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$mod" && go mod tidy >/dev/null && go build -trimpath -ldflags "-s -w" -o "$etcd_dir.tmp/etcd" .)
  rm -rf "$etcd_dir" && mv "$etcd_dir.tmp" "$etcd_dir"
}

build_kwok() {
  [[ -x "$kwok_dir/kwok" && -d "$kwok_dir/crd" ]] && { log "kwok $KWOK_VERSION ($KWOK_BUILD) cached"; return; }
  log "building kwok $KWOK_VERSION with our patches ($KWOK_BUILD)"
  local mod="$work/kwok-$KWOK_VERSION" dir src
  mkdir -p "$mod" "$kwok_dir.tmp"
  dir="$(cd "$mod" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  rm -rf "$mod/src" && cp -r "$dir" "$mod/src" && chmod -R u+w "$mod/src"
  local p
  for p in "$here"/patches/kwok-*.patch; do (cd "$mod/src" && git apply -p1 "$p") || { echo "build.sh: $p does not apply to kwok $KWOK_VERSION" >&2; exit 1; }; done
  (cd "$mod/src" && go build -trimpath -ldflags "-s -w" -o "$kwok_dir.tmp/kwok" ./cmd/kwok)
  # kwok's stage definitions and CRDs ship in the module; keep the ones we use beside the binary.
  src="$dir/kustomize"
  mkdir -p "$kwok_dir.tmp/stage" "$kwok_dir.tmp/crd"
  cp -r "$src/stage/node" "$src/stage/pod" "$kwok_dir.tmp/stage/"
  cp "$src/crd/bases/"*.yaml "$kwok_dir.tmp/crd/"
  chmod -R u+w "$kwok_dir.tmp"
  rm -rf "$kwok_dir" && mv "$kwok_dir.tmp" "$kwok_dir"
}

# go_install_into <dir> <binary> <name and version> <extra ldflags> <package@version>: one CLI
# installed from its module into its own cached folder.
go_install_into() {
  local dir="$1" binary="$2" what="$3" ldflags="$4" pkg="$5"
  [[ -x "$dir/$binary" ]] && { log "$what cached"; return; }
  log "building $what"
  mkdir -p "$dir.tmp"
  GOBIN="$dir.tmp" go install -trimpath -ldflags "-s -w $ldflags" "$pkg"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

build_kind() { go_install_into "$kind_dir" kind "kind $KIND_VERSION" "" "sigs.k8s.io/kind@$KIND_VERSION"; }

build_docker_cli() {
  [[ -x "$docker_dir/docker" ]] && { log "docker CLI $DOCKER_CLI_VERSION cached"; return; }
  log "building the docker CLI $DOCKER_CLI_VERSION"
  local mod="github.com/docker/cli@$DOCKER_CLI_VERSION+incompatible" src dir="$work/docker-cli-$DOCKER_CLI_VERSION"
  src="$(cd "$work" && go mod download -json "$mod" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  rm -rf "$dir" && cp -r "$src" "$dir" && chmod -R u+w "$dir"
  # The module has no go.mod (vendor.mod instead) and its zip has no vendor/ folder.
  (
    cd "$dir" && rm -rf vendor && cp vendor.mod go.mod && cp vendor.sum go.sum
    go mod edit -replace "github.com/moby/swarmkit/v2=github.com/moby/swarmkit/v2@$DOCKER_CLI_SWARMKIT"
    mkdir -p "$docker_dir.tmp"
    go build -trimpath -ldflags "-s -w -X github.com/docker/cli/cli/version.Version=${DOCKER_CLI_VERSION#v}" -o "$docker_dir.tmp/docker" ./cmd/docker
  )
  rm -rf "$dir" "$docker_dir" && mv "$docker_dir.tmp" "$docker_dir"
}

# Helm, to lint and render the chart (deploy/helm) in the tests and install it in the real-kind lane.
build_helm() {
  go_install_into "$helm_dir" helm "helm $HELM_VERSION" "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
}

what="${1:-all}"
case "$what" in
  etcd) build_etcd ;;
  kwok) build_kwok ;;
  kubernetes) build_kubernetes ;;
  kind) build_kind ;;
  docker-cli) build_docker_cli ;;
  helm) build_helm ;;
  all) build_etcd; build_kwok; build_kubernetes; build_kind; build_docker_cli; build_helm ;;
  *) echo "usage: build.sh [all|etcd|kwok|kubernetes|kind|docker-cli|helm]" >&2; exit 2 ;;
esac
# The last line is machine-readable: where the binaries are.
echo "$cache/bin"
