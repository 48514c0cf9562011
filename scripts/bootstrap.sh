#!/usr/bin/env bash
# Installs the Debian 12 packages retrace builds with, if any are missing.
# Safe to run again: it only calls apt-get when something is absent.
#
#   scripts/bootstrap.sh             what the normal build and tests need
#                                    (python3-pyld: the JSON-LD check of
#                                    every EPCIS export, tests/epcis;
#                                    libcurl: the mirror's HTTP client;
#                                    cpp-httplib: `retrace witness serve`)
#   scripts/bootstrap.sh sanitizers  also Clang, its sanitizer and libFuzzer
#                                    runtimes and llvm-symbolizer
#                                    (scripts/sanitize.sh, scripts/fuzz.sh)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libssl-dev liblmdb-dev libprotobuf-dev protobuf-compiler
  catch2 libcli11-dev nlohmann-json3-dev
  libcurl4-openssl-dev libcpp-httplib-dev
  python3-pyld
)
if [[ "${1:-}" == "sanitizers" ]]; then
  packages+=(clang libclang-rt-14-dev llvm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
