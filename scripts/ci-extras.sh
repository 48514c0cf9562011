#!/usr/bin/env bash
# Installs what the optional tests use, if missing: Chromium (the HTML
# report is rendered in headless Chromium), Graphviz (lineage --format
# svg), nginx-light (tests/publish/http_test.sh serves published tiles with
# it) and Go with golang.org/x/mod (the independent tlog-tiles reader of
# that test). Without them those tests skip with a message; CI installs
# them so they run. Safe to run again. Installing nginx must not start it:
# a policy-rc.d that refuses service starts is put in place for the install
# if the machine has none.
set -euo pipefail
packages=(chromium graphviz fonts-dejavu-core nginx-light golang-go golang-golang-x-mod-dev)
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
  policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [[ -n $policy ]]; then $SUDO rm -f "$policy"; fi
fi
