#!/usr/bin/env bash
# One command: set up this machine and run the whole product on embedded defaults
# (demo SOR, embedded CouchDB-protocol server, queue, poller, fan-out, broker, and the reader).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

use_supported_node
ensure_apt_packages $APT_BUILD_PACKAGES
install_node_modules
log "building"
npm run --silent build
exec bash scripts/run.sh "$@"
