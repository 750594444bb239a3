#!/usr/bin/env bash
# Runs every test from a clean checkout: prepares the machine (scripts/setup.sh), type-checks
# and lints, runs the unit tests, starts the real test control plane, runs the integration
# and end-to-end tests against it, stops it again, and prints one summary line.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh

bash scripts/setup.sh || { echo "setup failed" >&2; exit 1; }
ensure_go
mkdir -p test-results
rm -f test-results/*.json
failed_steps=()
run() { local name="$1"; shift; step "$name"; "$@" || failed_steps+=("$name"); }

run "typecheck" npm run -s typecheck
run "lint" npx biome check .
run "unit tests" npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json
run "crash-resume tests" npx vitest run --project crash --reporter=default --reporter=json --outputFile.json=test-results/crash.json

step "starting the test control plane"
started_cluster=0
if ! npm run -s cluster:status >/dev/null 2>&1; then started_cluster=1; fi
if kubeconfig="$(npm run -s cluster:up | tail -1)"; then
  echo "kubeconfig: $kubeconfig"
  run "integration tests" npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=test-results/integration.json
  # Stops and restarts the shared API server, so it runs alone, after the integration tests.
  run "fault tests" npx vitest run --project faults --reporter=default --reporter=json --outputFile.json=test-results/faults.json
  if compgen -G "test/e2e/*.spec.ts" >/dev/null; then
    run "end-to-end tests" npx playwright test -c test/e2e/playwright.config.ts
  fi
else
  failed_steps+=("test control plane")
fi
if [[ $started_cluster == 1 && "${SPD_KEEP_CLUSTER:-0}" != 1 ]]; then npm run -s cluster:down; fi

node scripts/test-summary.mjs "${failed_steps[@]}"
