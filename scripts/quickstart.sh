#!/usr/bin/env bash
# One command: set up this machine and run the whole product on embedded defaults
# (demo SOR, embedded CouchDB-protocol server, queue, poller, fan-out, broker, and the reader).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

check_node
ensure_apt_packages $APT_BUILD_PACKAGES
install_node_modules
log "building"
npm run --silent build
# The reader keeps its sign-in in the OS keychain (keytar); see with_secret_service.
with_secret_service "${ATTACHE_DEVICE_DATA_DIR:-.data/device}/keyring" node scripts/start-all.mjs "$@"
