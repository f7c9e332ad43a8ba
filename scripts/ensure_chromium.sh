#!/usr/bin/env bash
# Set-up for the test suite (run by `scripts/bootstrap.sh --tests`, never by the tests): makes
# sure headless Chromium is installed, for the tests that render the HTML pages
# (tests/test_html.py). Installs Debian's chromium where missing (as root, or with passwordless
# sudo), plus a CJK font so that screenshots show the Chinese labels.
# Prints the path of the chromium binary on stdout; exits 1 with the reason when it cannot.
set -euo pipefail

find_chromium() {
  local c
  for c in chromium chromium-browser google-chrome-stable google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi

apt_install() {
  if [ "$SUDO" = none ] || ! command -v apt-get >/dev/null 2>&1; then return 1; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq --no-install-recommends "$@" >&2
}

if ! find_chromium >/dev/null; then
  echo "ensure_chromium: chromium is missing; installing chromium (Debian) ..." >&2
  if ! apt_install chromium; then
    echo "ensure_chromium: cannot install chromium: need apt-get and root (or passwordless sudo)." >&2
    echo "  Install it by hand: apt-get install chromium" >&2
    exit 1
  fi
fi
# Optional: a font with Chinese glyphs for readable screenshots (the pages work without it).
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null | head -n1)" ]; then
  apt_install fonts-wqy-zenhei || echo "ensure_chromium: no CJK font installed (screenshots show boxes for Chinese)" >&2
fi
find_chromium || { echo "ensure_chromium: chromium still not found after installing it" >&2; exit 1; }
