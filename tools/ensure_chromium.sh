#!/usr/bin/env bash
# Make sure a Chromium for the headless page check is there. Installs Debian's package when
# missing and when we may (root and apt-get). Without root: install `chromium` yourself
# (e.g. `sudo apt-get install chromium`) or point CHROMIUM at a Chromium/Chrome binary.
set -euo pipefail
if [ -n "${CHROMIUM:-}" ] && [ -x "${CHROMIUM}" ]; then echo "using CHROMIUM=$CHROMIUM"; exit 0; fi
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then echo "using $(command -v "$c")"; "$c" --version 2>/dev/null || true; exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  command -v chromium
  exit 0
fi
echo "ERROR: no Chromium found and cannot install it (needs root and apt-get)." >&2
echo "  Install it (sudo apt-get install chromium) or set CHROMIUM=/path/to/chromium." >&2
exit 1
