#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test of the report page (tests/report), as the
# Python venv is installed for the coremltools oracle. Needs root and apt; elsewhere the test
# prints "NOT RUN" (and fails under CI=true).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium..."
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then exit 0; fi
fi
echo "ensure-chromium: chromium is not installed and could not be; the report page's browser test cannot run" >&2
[ "${CI:-}" = "true" ] && exit 1
exit 0
