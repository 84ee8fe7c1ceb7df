#!/usr/bin/env bash
# The one test command (README: `npm test`). Installs what it needs, then runs lint, type checks,
# the build, every unit and integration test (real reference server, real redis-server) and the
# Playwright suites in real Chromium, then the bundle-size budget.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh --system

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "lint"
pnpm exec biome check .
step "typecheck"
pnpm -r --if-present run typecheck
step "build"
pnpm run build
step "unit and integration tests (vitest)"
pnpm exec vitest run
if [ -d e2e ] && [ -f e2e/package.json ]; then
  step "browser and end-to-end tests (Playwright, Chromium)"
  pnpm --filter @openrp/e2e run test
fi
if [ -f bench/package.json ] && grep -q '"size:check"' bench/package.json; then
  step "bundle-size budget"
  pnpm --filter @openrp/bench run size:check
fi
