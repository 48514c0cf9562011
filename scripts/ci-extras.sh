#!/usr/bin/env bash
# Installs what the optional tests use, if missing: Chromium (the HTML
# report is rendered in headless Chromium) and Graphviz (lineage --format
# svg). Without them those tests skip with a message; CI installs them so
# they run. Safe to run again.
set -euo pipefail
packages=(chromium graphviz fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "ci-extras: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
