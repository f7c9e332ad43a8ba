#!/usr/bin/env bash
# Set-up for the test suite (run by `scripts/bootstrap.sh --tests`, never by the tests): makes
# sure Debian's PostgreSQL server binaries (initdb, postgres) are installed, for the tests that
# start a private server of their own (tests/pg_helpers.py, tests/test_postgres.py). Installs
# Debian's `postgresql` where missing (as root, or with passwordless sudo). The tests create their
# own cluster in a temporary folder; the Debian service that the package may start is not used.
# Prints the folder of the server binaries on stdout; exits 1 with the reason when it cannot.
set -euo pipefail

find_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi

if ! find_bindir >/dev/null; then
  echo "ensure_postgresql: the PostgreSQL server is missing; installing postgresql (Debian) ..." >&2
  if [ "$SUDO" = none ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_postgresql: cannot install postgresql: need apt-get and root (or passwordless sudo)." >&2
    echo "  Install it by hand: apt-get install postgresql" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
fi
find_bindir || { echo "ensure_postgresql: initdb/postgres still not found after installing postgresql" >&2; exit 1; }
