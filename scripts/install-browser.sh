#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (examples/*/test/*.browser.test.ts), once.
# .ci/run calls it; no npm script does (npm test never installs anything). Locally: run it yourself,
# or install Chromium any other way and point CHROMIUM_PATH at it.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null || [ -x /usr/bin/chromium ]; then
  echo "chromium: already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
echo "chromium: installed at $(command -v chromium || echo /usr/bin/chromium)"
