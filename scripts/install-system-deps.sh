#!/usr/bin/env bash
# Install the Debian packages named on the command line that are missing; fast when none is.
# Runs apt-get only when something is missing, and only as root; otherwise says what to run.
set -euo pipefail

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-system-deps: no dpkg-query here (not Debian?); make sure these are installed: $*" >&2
    exit 0
fi

missing=()
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-system-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-system-deps: run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
