#!/usr/bin/env bash
# Install Debian's headless-capable Chromium and its WebDriver for the review UI's browser test
# (tests/test_review_browser.py). Idempotent: does nothing when both are already installed.
# Never downloads a browser from anywhere but the Debian archive (no `playwright install`).
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found; install chromium and chromium-driver with the system package manager" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "error: need root (or sudo) to install chromium" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium chromium-driver
echo "installed: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
