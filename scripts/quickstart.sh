#!/usr/bin/env bash
# `npm run quickstart`: install everything, then open a real VS Code (code-server) with Attention Lens and a
# sample document (prints the address; Ctrl+C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec node scripts/start.mjs "$@"
