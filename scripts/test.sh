#!/usr/bin/env bash
# The one test command (README: `npm test`). Installs what it needs, then runs lint, type checks
# (of the code and of the examples in the docs), the build, every unit and integration test (real
# reference server, real redis-server), smoke tests of the built packages, the Playwright suites
# in real Chromium, and the bundle-size budget.
# Every stage runs even when an earlier one fails; the exit code says whether all passed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh --system || exit 1

reports=.cache/test-reports
rm -rf "$reports" && mkdir -p "$reports"
failed=()
step() {
  local name=$1
  shift
  printf '\n\033[1m== %s\033[0m\n' "$name"
  "$@" || failed+=("$name")
}

step "lint" pnpm exec biome check .
step "typecheck" pnpm -r --if-present run typecheck
step "code examples in the docs and TSDoc type-check" node scripts/check-doc-examples.mjs
step "build" pnpm run build
step "public API report (api/*.api.d.ts)" node scripts/api-report.mjs --check
step "API reference (typedoc: no warnings, no broken links, every export documented)" pnpm run docs
step "unit and integration tests (vitest)" \
  pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$reports/vitest.json"
step "@openrp/react unit tests with React 18 (vitest)" pnpm --filter @openrp/react18-check test
step "smoke tests of the built packages (node:test)" \
  bash -c "cd e2e && node --test --test-reporter=spec --test-reporter=tap \
    --test-reporter-destination=stdout --test-reporter-destination=../$reports/smoke.tap smoke/"
step "packaging: the packed tarballs installed with npm (publint, attw, consumer types, smoke)" \
  node --test --test-reporter=spec --test-reporter=tap --test-reporter-destination=stdout \
    --test-reporter-destination="$reports/pack.tap" e2e/pack/pack.test.mjs
step "runtimes: the smoke flow from the tarballs on Node, Bun, Deno and workerd" \
  env OPENRP_REUSE_PACK=1 node --test --test-reporter=spec --test-reporter=tap \
    --test-reporter-destination=stdout --test-reporter-destination="$reports/runtimes.tap" \
    e2e/pack/runtimes.test.mjs
step "browser and end-to-end tests (Playwright, Chromium)" \
  env PLAYWRIGHT_JSON_OUTPUT_NAME="../$reports/playwright.json" \
  pnpm --filter @openrp/e2e exec playwright test --reporter=list,json
if [ -f bench/package.json ] && grep -q '"size:check"' bench/package.json; then
  step "bundle-size budget" pnpm --filter @openrp/bench run size:check
fi

node scripts/test-summary.mjs "$reports" "${failed[@]}"
