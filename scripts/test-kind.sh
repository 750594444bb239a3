#!/usr/bin/env bash
# The real-kind lane (npm run test:kind): prepares the machine (scripts/setup.sh: Debian's
# docker.io and debootstrap too), then runs test/kind on a private Docker engine and a real kind
# cluster. The engine is stopped again if this run started it (SPD_KEEP_ENGINE=1 keeps it).
# Cold: the node image's pieces are built first (about 15 minutes on 2 cores); warm: 2 minutes.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh

bash scripts/setup.sh || { echo "setup failed" >&2; exit 1; }
install_lane_packages || { echo "setup of the lane's Debian packages failed" >&2; exit 1; }
ensure_go
mkdir -p test-results
started_engine=0
bash test/engine/engine.sh env >/dev/null 2>&1 || started_engine=1
step "real-kind lane (test Docker engine, kind node image, sandbox image, one kind cluster)"
npx vitest run --project kind --reporter=default --reporter=json --outputFile.json=test-results/kind.json
status=$?
if [[ $started_engine == 1 && "${SPD_KEEP_ENGINE:-0}" != 1 ]]; then bash test/engine/engine.sh down; fi
exit $status
