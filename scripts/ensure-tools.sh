#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh machine with Node 20+ and npm:
# pnpm, the workspace's packages, and (with --system) Chromium and redis-server.
# Where it cannot install something, it says what to install and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

need_system=0
[ "${1:-}" = "--system" ] && need_system=1

say() { printf '\033[1m[openrp]\033[0m %s\n' "$*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))."
  exit 1
fi

if ! command -v pnpm >/dev/null 2>&1; then
  say "installing pnpm 10 (npm install -g pnpm@10)"
  if ! npm install -g pnpm@10 >/dev/null 2>&1; then
    say "could not install pnpm globally; install it with: npm install -g pnpm@10"
    exit 1
  fi
fi

if [ "$need_system" = 1 ]; then
  missing=()
  # The same places the test kit looks (internal/testkit): $CHROMIUM_PATH, else a system Chromium
  # or Chrome; $REDIS_SERVER, else redis-server on the PATH.
  if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1 &&
    ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
    missing+=(chromium)
  fi
  command -v "${REDIS_SERVER:-redis-server}" >/dev/null 2>&1 || missing+=(redis-server)
  if [ "${#missing[@]}" -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      say "installing ${missing[*]} with apt-get"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      say "the tests need: ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]};"
      say "macOS: brew install redis and a Chromium), or set CHROMIUM_PATH / REDIS_SERVER."
      exit 1
    fi
  fi
fi

if [ -f pnpm-lock.yaml ] && [ -n "${CI:-}" ]; then
  pnpm install --frozen-lockfile --reporter=silent
else
  pnpm install --reporter=silent
fi
