#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine, then builds it.
#   bash scripts/setup.sh            system packages for the build and tests, npm packages, build
#   bash scripts/setup.sh --bench    also the peer libraries the benchmarks compare against
# System packages are installed with apt-get (as root, or through sudo) only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ libsuitesparse-dev libopenblas-dev chromium redis-server)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(python3-scipy python3-torch) ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build
