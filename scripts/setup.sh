#!/usr/bin/env bash
# make setup: the Debian packages (as root) and .venv with the pinned Python dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t packages < <(grep -v '^#' scripts/debian-packages.txt | sed '/^$/d')
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # apt-cacher-ng asks whether to allow tunnels: keep its default, never prompt
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    # the lab starts its own apt-cacher-ng with a private config: the stock service is not needed
    if systemctl is-enabled apt-cacher-ng >/dev/null 2>&1; then systemctl disable --now apt-cacher-ng >/dev/null 2>&1 || true; fi
  else
    echo "setup: not root; install the Debian packages with:"
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}"
  fi
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -r requirements-nodeps.txt 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/pdc --help >/dev/null
echo "setup: ready (.venv/bin/pdc)"
