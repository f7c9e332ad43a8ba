#!/usr/bin/env bash
# Set-up: creates .venv (if missing) and installs the pinned grading environment and this package.
#   ./scripts/bootstrap.sh           what grading and the demo need
#   ./scripts/bootstrap.sh --tests   also what the test suite needs from the system: headless
#                                    Chromium and a CJK font, and the PostgreSQL server (Debian
#                                    packages, installed with apt-get as root or with passwordless
#                                    sudo; see scripts/ensure_chromium.sh and
#                                    scripts/ensure_postgresql.sh). The tests themselves never
#                                    install anything.
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
TESTS=0
for arg in "$@"; do
  case "$arg" in
    --tests) TESTS=1 ;;
    *) echo "bootstrap.sh: unknown option $arg (usage: scripts/bootstrap.sh [--tests])" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock -e .
if [ "$TESTS" = 1 ]; then
  ./scripts/ensure_chromium.sh >/dev/null
  ./scripts/ensure_postgresql.sh >/dev/null
fi
