#!/usr/bin/env bash
# Installs everything the extension, its tests and `npm start` need on Debian 12 with Node 20 (as root or sudo):
# apt packages (Chromium for the browser tests, a CJK font so that Chromium draws Chinese text instead of boxes, build
# tools for code-server's native modules, ripgrep), the npm dependencies (npm ci; onnxruntime-node's CUDA download is
# skipped, its CPU binaries ship in the package), and code-server 4.100.3 into .cache/ for the end-to-end tests and
# `npm start`. Used by `npm run quickstart` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n\033[1m[install] %s\033[0m\n' "$*"; }
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

if ! command -v node >/dev/null 2>&1; then
  echo "[install] node is not installed; this project needs Node 20" >&2
  exit 1
fi
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" != "20" ]; then
  echo "[install] node $(node -v) found; this project needs Node 20 (code-server 4.100.3 requires it)" >&2
  exit 1
fi

log "apt packages: Chromium and a CJK font (tests), ripgrep and build tools for code-server's native modules"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  ca-certificates git tar gzip \
  chromium \
  fonts-noto-cjk \
  ripgrep \
  build-essential python3 \
  libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev

log "npm ci"
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund

log "code-server (cached in .cache/code-server/)"
node scripts/ensure-code-server.mjs
