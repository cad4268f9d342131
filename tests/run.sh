#!/usr/bin/env bash
# The whole test suite, as a user or CI runs it: `tests/run.sh` (extra args go to cargo test).
#
# Installs the real components the tests talk to when they are missing and we may
# (root with apt-get): gnome-keyring + dbus (a real Secret Service) and tmux (the
# end-to-end terminal test). Without root it names the packages to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v dbus-run-session >/dev/null || need+=(dbus-daemon)
command -v tmux >/dev/null || need+=(tmux)
command -v timeout >/dev/null || need+=(coreutils)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)

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

# Keep the developer's own keyring, config and data out of the tests.
export TRESEN_LOG=${TRESEN_LOG:-info}
unset TRESEN_CONFIG TRESEN_DATA_DIR

exec cargo test --locked "$@"
