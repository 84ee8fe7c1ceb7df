#!/usr/bin/env bash
# The demo command (README: `npm run demo`): installs what it needs, then starts the reference
# OpenID Provider (port 4000) and the demo SPA (port 4001) from source, and prints what to open.
# Flags go to demo-spa/scripts/serve.ts, e.g. `npm run demo -- --port 0 --issuer-port 0`.
# The React demo (demo-react/, port $REACT_DEMO_PORT or 4003, its own provider) runs beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
(cd demo-react && exec node --conditions=openrp-source --import tsx scripts/serve.ts \
  --port "${REACT_DEMO_PORT:-4003}") &
react=$!
trap 'kill "$react" 2>/dev/null || true' EXIT
pnpm --silent --filter @openrp/demo-spa run start -- "$@"
