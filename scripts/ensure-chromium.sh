#!/bin/sh
# The browser tests drive Debian's Chromium (test/web/browser.ts). Installs it when it is
# missing and this runs as root on a Debian-like machine (CI, a fresh server); otherwise says
# what to do, and the browser tests then fail with the same advice rather than skip.
set -e
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium package for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "ensure-chromium: no Chromium at $browser; install it (sudo apt-get install -y chromium) or set CHROMIUM_PATH" >&2
