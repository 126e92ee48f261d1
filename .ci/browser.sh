#!/usr/bin/env bash
# The web gallery's tests drive a real browser: Debian's Chromium and its
# chromedriver, installed here when missing (browser downloads from elsewhere
# do not work on these machines).
set -euo pipefail
if [ -x /usr/bin/chromedriver ] && [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "installing chromium and chromium-driver (Debian packages)"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends chromium chromium-driver >/tmp/image-service-browser-apt.log 2>&1 || {
  apt-get update >>/tmp/image-service-browser-apt.log 2>&1
  apt-get install -y --no-install-recommends chromium chromium-driver >>/tmp/image-service-browser-apt.log 2>&1
}
