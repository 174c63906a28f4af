#!/usr/bin/env bash
# Installs the system packages the test suites need on a fresh Debian/Ubuntu machine:
# Mosquitto (a real broker and a client we did not write), socat + BlueZ's btvirt (the virtual BLE lab),
# a C compiler for the lab's small LD_PRELOAD shim, and headless chromium for the web-console browser
# test (driven by playwright-core, which never downloads a browser of its own). Needs root (or sudo).
set -euo pipefail
pkgs=(mosquitto mosquitto-clients socat bluez-test-tools gcc libc6-dev chromium)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then echo "setup-test-env: all system packages present"; exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
