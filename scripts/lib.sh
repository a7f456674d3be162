# Shared shell helpers for the quick-start and test commands. Sourced, not executed.

# Debian packages by purpose. keytar compiles against libsecret and, at run time, needs a
# Secret Service (gnome-keyring in a D-Bus session, started privately on a headless machine);
# the tests also need Chromium and RabbitMQ.
APT_BUILD_PACKAGES="libsecret-1-dev python3 make g++ gnome-keyring dbus-x11"
# npm ci compiles keytar and better-sqlite3 from source where no prebuilt binary downloads, so
# the test command needs the build tools too. The browser comes from ensure_test_browser.
# Apache CouchDB (../shared/couchdb, which the tests start on loopback) links to ICU and OpenSSL 3.
APT_TEST_PACKAGES="libsecret-1-dev python3 make g++ gnome-keyring dbus-x11 rabbitmq-server libicu72 libssl3"

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

# Real Chromium for the browser tests, exported as ATTACHE_CHROMIUM: one given there, else
# Debian's package; where the distribution has none that runs headless (Ubuntu ships Chromium as
# a snap), Playwright's own build. Needs node_modules.
ensure_test_browser() {
  if [ -n "${ATTACHE_CHROMIUM:-}" ]; then
    [ -x "$ATTACHE_CHROMIUM" ] || die "ATTACHE_CHROMIUM=$ATTACHE_CHROMIUM is not an executable file"
    return 0
  fi
  if [ ! -x /usr/bin/chromium ] && apt-cache show chromium >/dev/null 2>&1 \
    && ! apt-cache show chromium 2>/dev/null | grep -qi '^Pre-Depends:.*snapd'; then
    ensure_apt_packages chromium
  fi
  if [ -x /usr/bin/chromium ]; then
    export ATTACHE_CHROMIUM=/usr/bin/chromium
    return 0
  fi
  log "no Chromium package here: installing Playwright's Chromium for the browser tests"
  if [ "$(id -u)" -eq 0 ]; then
    npx playwright install --with-deps chromium
  else
    npx playwright install chromium
  fi
  ATTACHE_CHROMIUM=$(node -e 'console.log(require("@playwright/test").chromium.executablePath())')
  [ -x "$ATTACHE_CHROMIUM" ] || die "could not install Chromium for the tests; set ATTACHE_CHROMIUM to a Chromium executable"
  export ATTACHE_CHROMIUM
}

# The supported Node.js LTS lines (scripts/node-runtime.json); the machine's Node may be older.
# Where it is, scripts/node-runtime.mjs installs the pinned Node.js 24 LTS from the npm registry
# into .tools/ (once; verified against its pinned integrity) and this puts it first on PATH, so
# npm, npx, the build and every test process run on it. node-gyp compiles the native modules
# (keytar, better-sqlite3) against that runtime's own headers (npm_config_nodedir) instead of
# downloading them.
use_supported_node() {
  command -v node >/dev/null || die "Node.js is required (24 or 26 LTS, https://nodejs.org)."
  local root
  root=$(node scripts/node-runtime.mjs) || die "no supported Node.js for this command (see the message above)"
  if [ -n "$root" ]; then
    export PATH="$root/bin:$PATH"
    export npm_config_nodedir="$root"
    hash -r
    log "using Node.js $(node --version) from ${root#"$PWD/"} (the machine's is older than the supported LTS lines)"
  fi
  check_node
}

check_node() {
  node -e '
    const { supportedMajors } = require("./scripts/node-runtime.json");
    process.exit(supportedMajors.includes(Number(process.versions.node.split(".")[0])) ? 0 : 1);
  ' || die "Node.js 24 or 26 LTS is required; found $(node --version)."
}

# Where .tools/ holds the project's Node.js (installed by `npm start` or `npm test`), the
# commands that only run what is built use it too: node_modules' native modules were built for it.
prefer_project_node() {
  if [ -x .tools/node/bin/node ]; then
    export PATH="$PWD/.tools/node/bin:$PATH"
    hash -r
  fi
}

# npm ci only when the lockfile or the Node.js ABI (which native modules are built for) changed
# since the last install, so repeated runs stay fast.
install_node_modules() {
  local stamp=node_modules/.attache-lock-hash
  local want
  want=$( (cat package-lock.json; node -p 'process.platform + process.arch + process.versions.modules') | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -z "${ATTACHE_FORCE_NPM_CI:-}" ]; then
    log "node_modules matches package-lock.json"
  else
    log "installing npm packages (npm ci)"
    # The postinstall's download (scripts/electron-binary.mjs) is skipped inside npm ci and run
    # after it, outside npm's output buffering, so its notice shows while the download runs.
    ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
    node scripts/electron-binary.mjs
    echo "$want" > "$stamp"
  fi
  [ -f node_modules/keytar/build/Release/keytar.node ] \
    || die "keytar's native module was not built (is libsecret-1-dev installed? is keytar in package.json allowScripts?)"
  # The native modules must load in the Node.js that runs everything after this. One built for
  # another Node.js (an install by another runtime, a build that missed npm_config_nodedir) is
  # rebuilt once, and otherwise stops here with its reason instead of inside a server a test starts.
  if ! native_modules_load; then
    log "native modules were built for another Node.js: rebuilding them for $(node --version)"
    npm rebuild better-sqlite3 keytar leveldown --foreground-scripts >/dev/null
    native_modules_load || die "native modules do not load in Node.js $(node --version): $(node -e "$NATIVE_MODULES_PROBE" 2>&1 | grep -m1 -E 'NODE_MODULE_VERSION|Error')"
  fi
}

# better-sqlite3 loads its binary only when a database opens, so the probe opens one.
NATIVE_MODULES_PROBE='require("keytar"); require("leveldown"); new (require("better-sqlite3"))(":memory:").close();'
native_modules_load() { node -e "$NATIVE_MODULES_PROBE" >/dev/null 2>&1; }

# Whether keytar can reach a Secret Service (the OS keychain) from this shell. Needs the built
# keytar module; a hung D-Bus call counts as "no".
secret_service_available() {
  [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || return 1
  timeout 10 node -e '
    require("keytar").getPassword("Attaché keychain probe", "probe")
      .then(() => process.exit(0), () => process.exit(1));
  ' >/dev/null 2>&1
}

# Where the unlock password of the private keyring in $1 is kept: in the user's own config folder
# (XDG_CONFIG_HOME, else ~/.config), never beside the keyring. A copy of the data folder (a
# backup, an archive sent to someone, a disk image of the project) then holds only ciphertext.
# Not in memory alone: a developer restarting `npm start`, or the machine, must find their
# sign-in and store keys again. The keyring folder holds a random, non-secret id naming its file.
keyring_password_file() {
  local keyring_dir=$1 config_home id
  config_home=${XDG_CONFIG_HOME:-}
  if [ -z "$config_home" ]; then
    [ -n "${HOME:-}" ] || die "neither XDG_CONFIG_HOME nor HOME is set: set one, so the private keyring's unlock password has a place outside the data folder"
    config_home=$HOME/.config
  fi
  if [ ! -s "$keyring_dir/keyring-id" ]; then
    (umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$keyring_dir/keyring-id.tmp" \
      && mv "$keyring_dir/keyring-id.tmp" "$keyring_dir/keyring-id")
  fi
  id=$(cat "$keyring_dir/keyring-id")
  [[ "$id" =~ ^[0-9a-f]{32}$ ]] || die "$keyring_dir/keyring-id is damaged (it should hold 32 hex digits); restore it from where this folder came from"
  printf '%s\n' "$config_home/attache/dev-keyrings/$id.unlock"
}

# Makes sure the private keyring in $1 has its unlock password in $2 (keyring_password_file):
# made on first use; moved there from beside the keyring, where earlier versions kept it (by a
# complete copy renamed into place, then the old file removed, so a crash in between leaves one
# readable copy or two identical ones, never none). A keyring whose password is nowhere stops
# here with what to do: started with another password it would stay locked, every secret would
# read as missing, and the reader would take a signed-in person for signed out.
ensure_keyring_password() {
  local keyring_dir=$1 file=$2 legacy="$1/unlock-password"
  (umask 077 && mkdir -p "$(dirname "$file")")
  chmod 700 "$(dirname "$(dirname "$file")")" "$(dirname "$file")"
  if [ -s "$file" ]; then
    rm -f "$legacy"
    return 0
  fi
  if [ -s "$legacy" ]; then
    (umask 077 && cp "$legacy" "$file.tmp" && mv "$file.tmp" "$file") \
      || die "could not move the private keyring's unlock password to $file"
    rm -f "$legacy"
    log "moved the private keyring's unlock password out of the data folder, to $file"
    return 0
  fi
  if [ -e "$keyring_dir/keyrings/login.keyring" ]; then
    die "the private keyring in $keyring_dir cannot be unlocked: its unlock password is not in $file
(the data folder came from another account or machine, or that file was removed). Restore that
file, or start with a new keyring by moving the old one aside: mv '$keyring_dir' '$keyring_dir.old'
(you then sign in again and the briefings download again; read receipts not yet sent from this
device stay in the old, unreadable copy)."
  fi
  (umask 077 && head -c 32 /dev/urandom | base64 > "$file.tmp" && mv "$file.tmp" "$file") \
    || die "could not write the private keyring's unlock password to $file"
}

# Runs the rest of the command ("$@") where keytar has a Secret Service: the desktop's own when
# there is one; otherwise (a headless machine) a private D-Bus session with gnome-keyring, whose
# keyring files live under $1, unlocked with a random password kept outside the data folder
# (ensure_keyring_password). This is for development and CI only: that password is as safe as
# the OS account's files, not a keychain unlocked by the person's login; a desktop or a managed
# laptop uses its real keychain (docs/security.md).
with_secret_service() {
  local keyring_dir=$1 password_file
  shift
  if secret_service_available; then
    "$@"
    return
  fi
  command -v dbus-daemon >/dev/null && command -v gnome-keyring-daemon >/dev/null \
    || die "no OS keychain (Secret Service) here, and gnome-keyring / dbus-x11 are not installed to start one"
  mkdir -p "$keyring_dir"
  chmod 700 "$keyring_dir"
  password_file=$(keyring_password_file "$keyring_dir") || exit 1
  ensure_keyring_password "$keyring_dir" "$password_file"
  log "no OS keychain in this session: starting a private gnome-keyring for Attaché's secrets (keyring files in $keyring_dir)"
  # The bus and the keyring run in sessions of their own (dbus-daemon --fork detaches; setsid for
  # the keyring), so that a Ctrl-C or a SIGTERM to the process group does not stop them under
  # the product: while it shuts down, the reader records its last-online time in the keychain.
  # (Under dbus-run-session a SIGTERM to the group stopped the bus first, and that write failed.)
  # Signals sent to this script alone are passed on to the command; the script waits for it to
  # finish, then stops the bus, and the keyring exits with its bus.
  local bus bus_pid child status
  bus=$(dbus-daemon --session --fork --print-address=1 --print-pid=1) \
    || die "could not start a D-Bus session for the keyring"
  bus_pid=${bus##*$'\n'}
  DBUS_SESSION_BUS_ADDRESS=${bus%%$'\n'*} XDG_DATA_HOME="$(cd "$keyring_dir" && pwd)" \
    ATTACHE_KEYRING_PASSWORD_FILE=$password_file bash -c '
    setsid gnome-keyring-daemon --unlock --components=secrets < "$ATTACHE_KEYRING_PASSWORD_FILE" >/dev/null
    unset ATTACHE_KEYRING_PASSWORD_FILE
    exec "$@"
  ' with-secret-service "$@" &
  child=$!
  trap 'kill -INT "$child" 2>/dev/null' INT
  trap 'kill -TERM "$child" 2>/dev/null' TERM
  while :; do
    status=0
    wait "$child" || status=$?
    kill -0 "$child" 2>/dev/null || break # a signal ends the wait, not the command
  done
  trap - INT TERM
  kill "$bus_pid" 2>/dev/null || true
  return "$status"
}
