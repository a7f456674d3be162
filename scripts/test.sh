#!/usr/bin/env bash
# One command: set up this machine and run the whole test suite (typecheck, lint, unit,
# integration and end-to-end tests). CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

use_supported_node
ensure_apt_packages $APT_TEST_PACKAGES
install_node_modules
# The Electron suite needs a display; where its binary was downloaded and none exists, a virtual
# one (scripts/run-tests.mjs runs the end-to-end stage under xvfb-run).
if [ -z "${DISPLAY:-}" ] && node scripts/electron-installed.mjs >/dev/null; then
  ensure_apt_packages xvfb
fi
ensure_test_browser

# RabbitMQ for the queue contract tests, on loopback only (AMQP and Erlang distribution).
start_rabbitmq() {
  if rabbitmqctl -q status >/dev/null 2>&1; then return 0; fi
  log "starting rabbitmq-server on 127.0.0.1"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export ERL_EPMD_ADDRESS=127.0.0.1
  rabbitmq-server -detached
  # `await_startup` gives up at once while the node is not yet registered with epmd (the first
  # boot on a new machine initialises its database first), so poll until it answers.
  local deadline=$((SECONDS + 180))
  until rabbitmqctl -q await_startup --timeout 10 >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "rabbitmq-server did not start within 3 minutes (see /var/log/rabbitmq)"
    sleep 2
  done
}
if [ "$(id -u)" -eq 0 ] || rabbitmqctl -q status >/dev/null 2>&1; then
  start_rabbitmq
  # Where this script runs RabbitMQ itself (as root: CI), its tests must run: an unreachable
  # broker fails them instead of letting them report themselves skipped.
  if [ "$(id -u)" -eq 0 ]; then export ATTACHE_REQUIRE_RABBITMQ=1; fi
else
  log "not root and RabbitMQ is not running: the RabbitMQ tests will report themselves skipped"
fi

# The tests use the real OS keychain: a private D-Bus session with an unlocked gnome-keyring,
# whose keyring files live in a temporary folder, never in the user's home. Its unlock password
# is random and goes to the daemon through a pipe only: the keyring lives for this run alone, so
# nothing needs the password again, and no file beside the keyring can open it.
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home"
dbus-run-session -- bash -c '
  head -c 32 /dev/urandom | base64 | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  node scripts/run-tests.mjs "$@"
' run-tests "$@"
