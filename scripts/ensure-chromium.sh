#!/usr/bin/env bash
# The console's browser tests (tests/e2e/test_console_browser.py) drive Debian's chromium
# through chromedriver; install both when missing. No browser download: apt only. If this
# fails the browser tests FAIL with a message saying so (they never skip).
set -uo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
echo "chromium / chromedriver missing; installing them with apt-get"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || echo "apt-get update failed" >&2
$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null || echo "apt-get install chromium chromium-driver failed" >&2
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null)"
else
  echo "chromium could not be installed: the console browser tests will fail" >&2
fi
exit 0
