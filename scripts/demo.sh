#!/usr/bin/env bash
# The demo command (README: `npm run demo`): installs what it needs, then starts the reference
# OpenID Provider (port 4000), the demo SPA (port 4001) and the demo TV app (port 4003) from
# source, and prints what to open. Flags go to demo-spa/scripts/serve.ts, e.g.
# `npm run demo -- --port 0 --issuer-port 0` (free ports; the TV app then takes a free one too).
# The React demo (demo-react/, port $REACT_DEMO_PORT or 4005, its own provider) runs beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh

tv_port="${DEMO_TV_PORT:-4003}"
if [[ " $* " == *" --port 0 "* ]]; then
  tv_port=$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
fi
tv_origin="http://127.0.0.1:${tv_port}"

# Each background job in a process group of its own, so stopping one stops what it started.
set -m
spa_log=$(mktemp)
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$spa_log"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The SPA demo starts the provider, which also allows the TV app's origin (CORS).
pnpm --silent --filter @openrp/demo-spa run start -- --cors-origin "$tv_origin" "$@" \
  > >(tee "$spa_log") 2>&1 &
pids+=($!)

# The TV app uses that provider: wait for its address.
issuer=""
for _ in $(seq 1 600); do
  issuer=$(sed -n 's/^ISSUER=//p' "$spa_log" | head -n 1)
  [[ -n "$issuer" ]] && break
  kill -0 "${pids[0]}" 2>/dev/null || exit 1
  sleep 0.2
done
[[ -n "$issuer" ]] || { echo "the SPA demo's provider did not start" >&2; exit 1; }

pnpm --silent --filter @openrp/demo-tv run start -- --port "$tv_port" --issuer "$issuer" &
pids+=($!)

(cd demo-react && exec node --conditions=openrp-source --import tsx scripts/serve.ts \
  --port "${REACT_DEMO_PORT:-4005}") &
pids+=($!)

wait -n "${pids[@]}"
