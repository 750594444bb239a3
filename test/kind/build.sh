#!/usr/bin/env bash
# Builds, without any registry, what the real-kind lane needs:
#   build.sh node-image     a kind node image for K8S_VERSION; prints its tag (last line)
#   build.sh sandbox-image  the test sandbox image (GET /v1/sandbox on 8080, log lines, a shell)
# Both go into the test Docker engine (test/engine/engine.sh up; DOCKER_HOST must point at it)
# and are cached by a hash of their recipe: a second run prints the tag at once.
#
# Pieces: Debian (debootstrap) for the node's systemd, containerd 1.6 and runc and for
# kube-proxy's iptables; Go modules for kubelet, kubeadm, kube-proxy, the control-plane
# binaries, etcd, CoreDNS, crictl, the CNI plugins, local-path-provisioner and pause; Debian's
# busybox-static for the storage helper and the sandbox image's shell. kind's own base-image
# files (entrypoint, systemd units, containerd config) are taken from the kind module.
# How this differs from kindest/node, and why: docs/real-kind.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=../cluster/versions.env
source "$root/test/cluster/versions.env"

cache="${SPD_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sandbox-provisioner-desktop/cluster}"
bin="$cache/bin"
kind_cache="$cache/kind-images"
mkdir -p "$kind_cache"
docker_bin="$bin/docker-cli-$DOCKER_CLI_VERSION/docker"
export CGO_ENABLED=0 GOTOOLCHAIN=local

log() { printf '[kind:build] %s\n' "$*" >&2; }
docker() { "$docker_bin" "$@"; }
elapsed() { local s=$SECONDS; "$@"; log "  ($((SECONDS - s)) s)"; }

need_engine() {
  [[ -x $docker_bin ]] || { echo "build.sh: $docker_bin is missing: run test/cluster/build.sh all" >&2; exit 1; }
  # Never the user's engine: the test engine's socket unless DOCKER_HOST names one.
  if [[ -z ${DOCKER_HOST:-} ]]; then
    local line; line="$(bash "$root/test/engine/engine.sh" up | tail -n 1)"
    export DOCKER_HOST="${line#DOCKER_HOST=}"
  fi
  docker version >/dev/null || { echo "build.sh: the engine at $DOCKER_HOST does not answer" >&2; exit 1; }
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# go_install <dest dir> <package@version>...: cached when every binary is present.
go_install() {
  local dest="$1"; shift
  local p missing=0
  for p in "$@"; do
    local name="${p%@*}"; name="${name##*/}"
    [[ -x $dest/$name ]] || missing=1
  done
  [[ $missing == 0 ]] && return 0
  log "go install $* (cold: a few minutes)"
  mkdir -p "$dest.tmp"
  GOFLAGS=-mod=mod GOBIN="$dest.tmp" elapsed go install -trimpath -ldflags "-s -w" "$@"
  mkdir -p "$dest" && cp "$dest.tmp"/* "$dest/" && rm -rf "$dest.tmp"
}

# go_main <output> <source file>: one-file programs of this repository (pause, sandbox-stub).
go_main() {
  local out="$1" src="$2" tmp
  [[ -x $out && $out -nt $src ]] && return 0
  tmp="$(mktemp -d)"
  cp "$src" "$tmp/main.go"
  (cd "$tmp" && GOFLAGS= go build -trimpath -ldflags "-s -w" -o "$out" main.go)
  rm -rf "$tmp"
}

# Kubernetes node binaries from the module the control plane is built from (test/cluster/build.sh,
# run first by build_binaries, prepared its go.mod). Version stamped: kubeadm and kind read it.
k8s_node_dir="$bin/kubernetes-node-$K8S_VERSION"
build_k8s_node() {
  local n missing=0
  for n in kubelet kubeadm kube-proxy; do [[ -x $k8s_node_dir/$n ]] || missing=1; done
  [[ $missing == 0 ]] && return 0
  local mod="$cache/build/kubernetes-$K8S_VERSION" minor="${K8S_VERSION#v1.}"
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor%%.*} -X k8s.io/component-base/version.gitTreeState=clean"
  mkdir -p "$k8s_node_dir.tmp"
  for n in kubelet kubeadm kube-proxy; do
    log "go build $n $K8S_VERSION (cold: several minutes)"
    (cd "$mod" && GOFLAGS=-mod=mod elapsed go build -trimpath -ldflags "$ldflags" -o "$k8s_node_dir.tmp/$n" "k8s.io/kubernetes/cmd/$n")
  done
  rm -rf "$k8s_node_dir" && mv "$k8s_node_dir.tmp" "$k8s_node_dir"
}

etcd_dir="$bin/etcd-$KIND_ETCD_VERSION"
build_etcd() {
  [[ -x $etcd_dir/etcd ]] && return 0
  log "building etcd $KIND_ETCD_VERSION (the version kubeadm $K8S_VERSION deploys)"
  local mod="$cache/build/etcd-$KIND_ETCD_VERSION"
  mkdir -p "$mod"
  printf 'module spd/etcd-build\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$KIND_ETCD_VERSION" >"$mod/go.mod"
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >"$mod/main.go"
  (cd "$mod" && GOFLAGS=-mod=mod go mod tidy >/dev/null && GOFLAGS=-mod=mod elapsed go build -trimpath -ldflags "-s -w" -o "$etcd_dir.tmp/etcd" .)
  rm -rf "$etcd_dir" && mv "$etcd_dir.tmp" "$etcd_dir"
}

build_binaries() {
  log "binaries"
  # The control plane's build prepares the Kubernetes module (go.mod) the node binaries use too.
  bash "$root/test/cluster/build.sh" kubernetes >/dev/null
  build_k8s_node
  build_etcd
  go_install "$bin/coredns-$KIND_COREDNS_VERSION" "github.com/coredns/coredns@$KIND_COREDNS_VERSION"
  go_install "$bin/crictl-$KIND_CRICTL_VERSION" "sigs.k8s.io/cri-tools/cmd/crictl@$KIND_CRICTL_VERSION"
  go_install "$bin/cni-plugins-$KIND_CNI_PLUGINS_VERSION" \
    "github.com/containernetworking/plugins/plugins/main/ptp@$KIND_CNI_PLUGINS_VERSION" \
    "github.com/containernetworking/plugins/plugins/main/loopback@$KIND_CNI_PLUGINS_VERSION" \
    "github.com/containernetworking/plugins/plugins/ipam/host-local@$KIND_CNI_PLUGINS_VERSION" \
    "github.com/containernetworking/plugins/plugins/meta/portmap@$KIND_CNI_PLUGINS_VERSION"
  go_install "$bin/local-path-provisioner-$KIND_LOCAL_PATH_PROVISIONER_VERSION" \
    "github.com/rancher/local-path-provisioner@$KIND_LOCAL_PATH_PROVISIONER_VERSION"
  go_install "$bin/kube-router-$KIND_KUBE_ROUTER_VERSION" \
    "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KIND_KUBE_ROUTER_VERSION"
  mkdir -p "$bin/spd-tools"
  go_main "$bin/spd-tools/pause" "$here/src/pause/main.go"
  go_main "$bin/spd-tools/sandbox-stub" "$here/src/sandbox-stub/main.go"
}

# ---------------------------------------------------------------- root filesystems (cached tars)

# Packages of the node (what kind's base image installs, less NFS/iSCSI/fuse which nothing here
# uses), of kube-proxy's image (iptables and conntrack) and of kube-router's (iptables and ipset).
node_packages="systemd,systemd-sysv,containerd,runc,iptables,nftables,conntrack,iproute2,ethtool,kmod,libseccomp2,pigz,ca-certificates,procps,mount,util-linux,jq,curl"
proxy_packages="iptables,nftables,conntrack"
netpol_packages="iptables,ipset,conntrack,iproute2"

# rootfs_tar <name> <packages>: prints the path of a cached tar of a slimmed debootstrap.
rootfs_tar() {
  local name="$1" packages="$2" key tar
  key="$(printf '%s|%s|%s' "$KIND_DEBIAN_SUITE" "$packages" "v1" | sha256sum | cut -c1-12)"
  tar="$kind_cache/rootfs-$name-$KIND_DEBIAN_SUITE-$key.tar"
  if [[ ! -f $tar ]]; then
    command -v debootstrap >/dev/null || { echo "build.sh: debootstrap is missing (scripts/setup.sh installs it)" >&2; exit 1; }
    local dir; dir="$(mktemp -d "$kind_cache/rootfs-$name.XXXX")"
    log "debootstrap $KIND_DEBIAN_SUITE for $name (about a minute or two, from $KIND_DEBIAN_MIRROR)"
    elapsed debootstrap --variant=minbase --include="$packages" "$KIND_DEBIAN_SUITE" "$dir/root" "$KIND_DEBIAN_MIRROR" >"$dir/debootstrap.log" 2>&1 ||
      { tail -n 20 "$dir/debootstrap.log" >&2; exit 1; }
    rm -rf "$dir/root/var/cache/apt/archives/"*.deb "$dir/root/var/lib/apt/lists/"* \
      "$dir/root/usr/share/doc" "$dir/root/usr/share/man" "$dir/root/usr/share/locale"
    tar -C "$dir/root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$dir"
  fi
  echo "$tar"
}

busybox_root() {
  local dir="$kind_cache/busybox-root"
  if [[ ! -x $dir/bin/busybox ]]; then
    log "busybox-static from Debian"
    local tmp; tmp="$(mktemp -d)"
    # apt's package lists may be absent on a fresh machine: fetch them once and retry.
    (cd "$tmp" && { apt-get download busybox-static >/dev/null 2>&1 || { apt-get update -qq && apt-get download busybox-static >/dev/null 2>&1; }; }) ||
      { echo "build.sh: apt-get download busybox-static failed (is Debian's mirror reachable?)" >&2; exit 1; }
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    dpkg-deb -x "$tmp"/busybox-static_*.deb "$dir.tmp"
    rm -rf "$tmp" "$dir.tmp/usr/share"
    mkdir -p "$dir.tmp/tmp" "$dir.tmp/usr/bin" "$dir.tmp/sbin" "$dir.tmp/etc"
    chmod 1777 "$dir.tmp/tmp"
    local applet
    for applet in $(chroot "$dir.tmp" /bin/busybox --list); do
      [[ -e $dir.tmp/bin/$applet ]] || ln -s busybox "$dir.tmp/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$dir.tmp/etc/passwd"
    echo 'root:x:0:' >"$dir.tmp/etc/group"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# ---------------------------------------------------------------- component images

path_env='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

# import_dir <tag> <dir> [--change …]: a directory as a one-layer image.
import_dir() {
  local tag="$1" dir="$2"; shift 2
  tar -C "$dir" --owner=0 --group=0 -c . | docker import --change "$path_env" "$@" - "$tag" >/dev/null
}

# binary_image <tag> <file> <path in image> [--change …]: one static binary, nothing else.
binary_image() {
  local tag="$1" file="$2" at="$3"; shift 3
  image_exists "$tag" && return 0
  local tmp; tmp="$(mktemp -d)"
  install -D -m 0755 "$file" "$tmp$at"
  mkdir -p "$tmp/tmp" "$tmp/etc" && chmod 1777 "$tmp/tmp"
  echo 'root:x:0:0:root:/root:/sbin/nologin' >"$tmp/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' >>"$tmp/etc/passwd"
  import_dir "$tag" "$tmp" "$@"
  rm -rf "$tmp"
}

# debian_binary_image <tag> <rootfs name> <packages> <binary>: a slim Debian with the packages
# (cached tar) and the binary in /usr/local/bin, for components that run Debian's tools
# (kube-proxy and kube-router: iptables, ipset, conntrack).
debian_binary_image() {
  local tag="$1" name="$2" packages="$3" file="$4"
  image_exists "$tag" && return 0
  local tmp tar; tar="$(rootfs_tar "$name" "$packages")"; tmp="$(mktemp -d)"
  tar -C "$tmp" -xf "$tar"
  install -m 0755 "$file" "$tmp/usr/local/bin/$(basename "$file")"
  import_dir "$tag" "$tmp"
  rm -rf "$tmp"
}

k8s_dir="$bin/kubernetes-$K8S_VERSION"
component_images() {
  # Tags kubeadm and our manifests ask for; IfNotPresent everywhere, so nothing is pulled.
  binary_image "registry.k8s.io/kube-apiserver:$K8S_VERSION" "$k8s_dir/kube-apiserver" /usr/local/bin/kube-apiserver
  binary_image "registry.k8s.io/kube-controller-manager:$K8S_VERSION" "$k8s_dir/kube-controller-manager" /usr/local/bin/kube-controller-manager
  binary_image "registry.k8s.io/kube-scheduler:$K8S_VERSION" "$k8s_dir/kube-scheduler" /usr/local/bin/kube-scheduler
  binary_image "registry.k8s.io/etcd:$KIND_ETCD_IMAGE_TAG" "$etcd_dir/etcd" /usr/local/bin/etcd
  binary_image "registry.k8s.io/coredns/coredns:$KIND_COREDNS_VERSION" "$bin/coredns-$KIND_COREDNS_VERSION/coredns" /coredns \
    --change 'ENTRYPOINT ["/coredns"]'
  binary_image "registry.k8s.io/pause:$KIND_PAUSE_TAG" "$bin/spd-tools/pause" /pause --change 'ENTRYPOINT ["/pause"]'
  binary_image "spd.local/local-path-provisioner:$KIND_LOCAL_PATH_PROVISIONER_VERSION" \
    "$bin/local-path-provisioner-$KIND_LOCAL_PATH_PROVISIONER_VERSION/local-path-provisioner" /usr/bin/local-path-provisioner
  local netpol="spd.local/kube-router:$KIND_KUBE_ROUTER_VERSION"
  debian_binary_image "$netpol" netpol "$netpol_packages" "$bin/kube-router-$KIND_KUBE_ROUTER_VERSION/kube-router"
  local helper="spd.local/local-path-helper:busybox"
  image_exists "$helper" || import_dir "$helper" "$(busybox_root)"
  local proxy="registry.k8s.io/kube-proxy:$K8S_VERSION"
  debian_binary_image "$proxy" proxy "$proxy_packages" "$k8s_node_dir/kube-proxy"
  echo "registry.k8s.io/kube-apiserver:$K8S_VERSION registry.k8s.io/kube-controller-manager:$K8S_VERSION" \
    "registry.k8s.io/kube-scheduler:$K8S_VERSION registry.k8s.io/etcd:$KIND_ETCD_IMAGE_TAG" \
    "registry.k8s.io/coredns/coredns:$KIND_COREDNS_VERSION registry.k8s.io/pause:$KIND_PAUSE_TAG" \
    "spd.local/local-path-provisioner:$KIND_LOCAL_PATH_PROVISIONER_VERSION $helper $proxy" \
    "$netpol"
}

# ---------------------------------------------------------------- the node image

# Older builds of a repository are removed once a new one exists (the engine's disk is finite).
prune_other_tags() {
  local repo="$1" keep="$2" t
  for t in $(docker images "$repo" --format '{{.Repository}}:{{.Tag}}'); do
    [[ $t == "$keep" ]] || docker rmi "$t" >/dev/null 2>&1 || true
  done
}

recipe_hash() {
  cat "$root/test/cluster/versions.env" "$here/build.sh" "$here/src/pause/main.go" "$here"/files/* |
    sha256sum | cut -c1-12
}

node_image() {
  need_engine
  local tag="spd.local/kind-node:$K8S_VERSION-$(recipe_hash)"
  if image_exists "$tag"; then log "node image cached: $tag"; echo "$tag"; return 0; fi
  local started=$SECONDS
  build_binaries
  log "component images"
  local images; images="$(component_images)"
  local node_tar; node_tar="$(rootfs_tar node "$node_packages")"
  local kind_src; kind_src="$(cd "$cache/build" && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  local base="$kind_src/images/base/files"
  local stage; stage="$(mktemp -d "$kind_cache/node.XXXX")"
  log "assembling the node filesystem"
  tar -C "$stage" -xf "$node_tar"
  # kind's base-image files, as its Dockerfile copies them.
  install -m 0755 "$base/usr/local/bin/"* "$stage/usr/local/bin/"
  mkdir -p "$stage/kind/bin" "$stage/etc/containerd" "$stage/etc/kubernetes/manifests" "$stage/kind/manifests" "$stage/kind/images"
  install -m 0755 "$base/kind/bin/"* "$stage/kind/bin/"
  install -m 0644 "$base/etc/crictl.yaml" "$stage/etc/crictl.yaml"
  install -m 0644 "$base/etc/sysctl.d/"* "$stage/etc/sysctl.d/"
  install -m 0644 "$base/etc/default/kubelet" "$stage/etc/default/kubelet"
  install -m 0644 "$base/etc/systemd/system/"*.service "$base/etc/systemd/system/"*.slice "$stage/etc/systemd/system/"
  mkdir -p "$stage/etc/systemd/system/kubelet.service.d"
  install -m 0644 "$base/etc/systemd/system/kubelet.service.d/"* "$stage/etc/systemd/system/kubelet.service.d/"
  # kind's containerd.service runs /usr/local/bin/containerd; Debian's is in /usr/bin.
  sed -i 's#/usr/local/bin/containerd#/usr/bin/containerd#' "$stage/etc/systemd/system/containerd.service"
  # Our differences (docs/real-kind.md): containerd 1.6 config, kubelet on cgroup v1, a static
  # CNI config instead of kindnetd, images imported at boot.
  install -m 0644 "$here/files/containerd-config.toml" "$stage/etc/containerd/config.toml"
  sed -i "s#@PAUSE_IMAGE@#registry.k8s.io/pause:$KIND_PAUSE_TAG#" "$stage/etc/containerd/config.toml"
  mkdir -p "$stage/etc/kubernetes/kubelet.conf.d" "$stage/etc/cni/net.d" "$stage/opt/cni/bin"
  install -m 0644 "$here/files/kubelet-cgroupv1.conf" "$stage/etc/kubernetes/kubelet.conf.d/90-spd-cgroupv1.conf"
  echo 'KUBELET_EXTRA_ARGS=--runtime-cgroups=/system.slice/containerd.service --config-dir=/etc/kubernetes/kubelet.conf.d' >"$stage/etc/default/kubelet"
  install -m 0644 "$here/files/10-spd-ptp.conflist" "$stage/etc/cni/net.d/10-spd-ptp.conflist"
  sed "s#__NETPOL_IMAGE__#spd.local/kube-router:$KIND_KUBE_ROUTER_VERSION#" \
    "$here/files/default-cni.yaml" >"$stage/kind/manifests/default-cni.yaml"
  sed "s#__PROVISIONER_IMAGE__#spd.local/local-path-provisioner:$KIND_LOCAL_PATH_PROVISIONER_VERSION#; s#__HELPER_IMAGE__#spd.local/local-path-helper:busybox#g" \
    "$here/files/default-storage.yaml" >"$stage/kind/manifests/default-storage.yaml"
  install -m 0644 "$here/files/spd-import-images.service" "$stage/etc/systemd/system/spd-import-images.service"
  install -m 0755 "$k8s_node_dir/kubelet" "$k8s_node_dir/kubeadm" "$stage/usr/bin/"
  install -m 0755 "$k8s_dir/kubectl" "$stage/usr/bin/kubectl"
  install -m 0755 "$bin/crictl-$KIND_CRICTL_VERSION/crictl" "$stage/usr/local/bin/crictl"
  install -m 0755 "$bin/cni-plugins-$KIND_CNI_PLUGINS_VERSION/"* "$stage/opt/cni/bin/"
  echo "$K8S_VERSION" >"$stage/kind/version"
  # The runtime spec kind's containerd uses: containerd's default, no rlimits (a container may
  # not raise them), kind's hook that mounts the product_uuid.
  chroot "$stage" /usr/bin/ctr oci spec >"$stage/etc/containerd/cri-base.json.tmp"
  node -e '
    const fs = require("fs"); const f = process.argv[1];
    const spec = JSON.parse(fs.readFileSync(f + ".tmp", "utf8"));
    delete spec.process.rlimits;
    spec.hooks = spec.hooks || {}; spec.hooks.createContainer = [...(spec.hooks.createContainer || []), { path: "/kind/bin/mount-product-files.sh" }];
    fs.writeFileSync(f, JSON.stringify(spec, null, 2)); fs.unlinkSync(f + ".tmp");' "$stage/etc/containerd/cri-base.json"
  # What kind's Dockerfile does to systemd.
  find "$stage/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
  rm -f "$stage/lib/systemd/system/multi-user.target.wants/"* "$stage/etc/systemd/system/"*.wants/* \
    "$stage/lib/systemd/system/local-fs.target.wants/"* "$stage/lib/systemd/system/sockets.target.wants/"*udev* \
    "$stage/lib/systemd/system/sockets.target.wants/"*initctl* "$stage/lib/systemd/system/basic.target.wants/"*
  echo "ReadKMsg=no" >>"$stage/etc/systemd/journald.conf"
  ln -sf /usr/lib/systemd/systemd "$stage/sbin/init"
  chroot "$stage" systemctl enable kubelet.service containerd.service undo-mount-hacks.service spd-import-images.service >/dev/null 2>&1
  chroot "$stage" systemctl mask systemd-binfmt.service >/dev/null 2>&1
  log "saving the component images into the node (/kind/images)"
  # shellcheck disable=SC2086
  docker save $images -o "$stage/kind/images/images.tar"
  log "importing the node image"
  tar -C "$stage" --numeric-owner -c . | docker import \
    --change 'ENV container=docker' --change "$path_env" \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' - "$tag-rootfs" >/dev/null
  rm -rf "$stage"
  # `docker import` cannot set STOPSIGNAL (systemd stops cleanly on SIGRTMIN+3): one metadata-only
  # build step on top, with the classic builder (no buildx plugin here).
  local out
  out="$(printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\n' "$tag-rootfs" | DOCKER_BUILDKIT=0 docker build -q -t "$tag" - 2>&1)" ||
    { echo "$out" >&2; exit 1; }
  docker rmi "$tag-rootfs" >/dev/null
  prune_other_tags spd.local/kind-node "$tag"
  log "node image built in $((SECONDS - started)) s: $tag"
  echo "$tag"
}

sandbox_image() {
  need_engine
  mkdir -p "$bin/spd-tools"
  go_main "$bin/spd-tools/sandbox-stub" "$here/src/sandbox-stub/main.go"
  local tag="spd.local/test-sandbox:$(cat "$here/src/sandbox-stub/main.go" "$here/build.sh" | sha256sum | cut -c1-12)"
  if image_exists "$tag"; then log "sandbox image cached: $tag"; echo "$tag"; return 0; fi
  log "building the test sandbox image"
  local tmp; tmp="$(mktemp -d)"
  cp -a "$(busybox_root)/." "$tmp/"
  install -D -m 0755 "$bin/spd-tools/sandbox-stub" "$tmp/usr/local/bin/sandbox-stub"
  mkdir -p "$tmp/mnt/user-data"
  import_dir "$tag" "$tmp" --change 'CMD ["/usr/local/bin/sandbox-stub"]' --change 'EXPOSE 8080'
  rm -rf "$tmp"
  prune_other_tags spd.local/test-sandbox "$tag"
  echo "$tag"
}

case "${1:-}" in
  binaries) build_binaries ;;
  node-image) node_image ;;
  sandbox-image) sandbox_image ;;
  *) echo "usage: build.sh node-image|sandbox-image|binaries" >&2; exit 2 ;;
esac
