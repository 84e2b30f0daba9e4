#!/usr/bin/env bash
# `make test`: install (first run only), lint, unit tests, nbval over every chapter notebook,
# a warning-free book build from a clean _build (from the committed outputs that nbval has
# just checked), and a check of the built pages in headless Chromium. Prints how long each
# stage took.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
declare -a NAMES=() TIMES=()
stage() {  # stage NAME command...
  local name=$1; shift
  echo ""
  echo "=== $name ==="
  local t0=$SECONDS
  "$@"
  NAMES+=("$name"); TIMES+=($((SECONDS - t0)))
  echo "--- $name: $((SECONDS - t0)) s"
}
summary() {
  echo ""
  echo "=== time per stage ==="
  local total=0
  for i in "${!NAMES[@]}"; do
    printf '  %-16s %4d s\n' "${NAMES[$i]}" "${TIMES[$i]}"
    total=$((total + TIMES[$i]))
  done
  printf '  %-16s %4d s\n' "total" "$total"
}
trap summary EXIT

stage install make --no-print-directory install
stage chromium bash tools/ensure_chromium.sh
stage lint "$BIN/ruff" check lecturenn tests benchmarks tools book
stage unit-tests "$BIN/python" -m pytest -o addopts="-p no:cacheprovider" tests
stage nbval "$BIN/python" -m pytest -n 2 --dist loadfile book
# nbval has just executed every notebook and compared its stored outputs with the code's:
# the book is built from those outputs instead of executing each notebook a second time.
stage book-build "$BIN/python" tools/book_from_committed.py
stage browser-check "$BIN/python" tools/check_pages.py _build/html
