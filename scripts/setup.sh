#!/usr/bin/env bash
# Prepares a machine for this project, idempotently: Debian packages (Chromium for the e2e
# tests, openssl, a C++ toolchain for better-sqlite3), a Go toolchain for the test cluster,
# npm dependencies, the build, and the test cluster's binaries. Safe to run again; a warm
# machine finishes in seconds.
#   bash scripts/setup.sh            everything
#   bash scripts/setup.sh --no-cluster   skip the Go toolchain and the test cluster build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh

want_cluster=1
for arg in "$@"; do
  case "$arg" in
    --no-cluster) want_cluster=0 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

require_node
install_debian_packages
install_npm_dependencies
step "building (npm run build)"
npm run -s build >/dev/null
if [[ $want_cluster == 1 ]]; then
  ensure_go
  step "building the test control plane (cached; the first build takes several minutes)"
  bash test/cluster/build.sh all >/dev/null
fi
step "ready. Desktop app: npm start   |   tests: npm test"
