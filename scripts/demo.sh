#!/usr/bin/env bash
# The demo command (README: `npm run demo`): installs what it needs, builds, starts the reference
# OpenID Provider and the demo SPA, and prints what to open.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
pnpm run build >/dev/null
if [ -f demo-spa/package.json ]; then
  exec pnpm --filter @openrp/demo-spa run start
else
  exec node packages/reference-server/dist/cli.js --port "${PORT:-4000}"
fi
