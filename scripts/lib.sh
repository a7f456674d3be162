# Shared shell helpers for the quick-start and test commands. Sourced, not executed.

# Debian packages by purpose. keytar compiles against libsecret; the tests need Chromium,
# a Secret Service (gnome-keyring in a D-Bus session) and RabbitMQ.
APT_BUILD_PACKAGES="libsecret-1-dev python3 make g++"
APT_TEST_PACKAGES="chromium libsecret-1-dev gnome-keyring dbus-x11 rabbitmq-server"

log() { printf '\033[1m[attache]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[attache] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Installs the named Debian packages that are missing. As root it installs them; otherwise it
# stops with the exact command to run, rather than half-working later.
ensure_apt_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]}. Install them with:
    sudo apt-get update && sudo apt-get install -y ${missing[*]}
then run this command again."
  fi
  command -v apt-get >/dev/null || die "apt-get not found: this command supports Debian and Ubuntu. Install ${missing[*]} by hand."
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

check_node() {
  command -v node >/dev/null || die "Node.js 20.19 or newer is required (https://nodejs.org)."
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node.js 20.19 or newer is required; found $(node -v)."
}

# npm ci only when the lockfile changed since the last install, so repeated runs stay fast.
install_node_modules() {
  local stamp=node_modules/.attache-lock-hash
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -z "${ATTACHE_FORCE_NPM_CI:-}" ]; then
    log "node_modules matches package-lock.json"
  else
    log "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund
    echo "$want" > "$stamp"
  fi
  [ -f node_modules/keytar/build/Release/keytar.node ] \
    || die "keytar's native module was not built (is libsecret-1-dev installed? is keytar in package.json allowScripts?)"
}
