#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the
# demo supply chain with its end-to-end verification.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
exec build/cli/retrace demo --db "${RETRACE_DEMO_DB:-demo-ledger}" --force "$@"
