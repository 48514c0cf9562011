#!/usr/bin/env bash
# Configures and builds retrace into ./build (or $RETRACE_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${RETRACE_BUILD_DIR:-build}"
jobs="${RETRACE_JOBS:-$(nproc)}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${RETRACE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build_dir" -j "$jobs"
