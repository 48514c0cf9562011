#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run the
# whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
cd "${RETRACE_BUILD_DIR:-build}"
exec ctest --output-on-failure -j "${RETRACE_JOBS:-$(nproc)}" "$@"
