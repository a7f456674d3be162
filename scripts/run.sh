#!/usr/bin/env bash
# Runs the built product (no setup, no build): the server and the reader, or with
# --reader-only the reader alone. The reader keeps its sign-in in the OS keychain, so this
# provides a Secret Service where the machine has none (see with_secret_service).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
prefer_project_node
[ -f dist/src/host/main.js ] && [ -f out/renderer/index.html ] \
  || die "the product is not built yet: run 'npm start' (sets up, builds and runs) or 'npm run build'"
with_secret_service "${ATTACHE_DEVICE_DATA_DIR:-.data/device}/keyring" node scripts/start-all.mjs "$@"
