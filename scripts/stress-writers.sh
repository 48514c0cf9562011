#!/usr/bin/env bash
# The multi-writer stress loop (issue 19 item 5, docs/reliability.md
# "Multi-writer stall"): runs concurrency_test's "Writer processes append to
# one ledger, one is killed, nothing acknowledged is lost" RUNS times beside
# two CPU busy loops and a writer doing 8 MiB O_DSYNC writes in a loop, each
# run bounded by RETRACE_STRESS_RUN_SECONDS. A run that fails or outlives
# its bound fails the loop; the test itself reports what every writer child
# was doing when it missed its deadline.
#
#   scripts/stress-writers.sh [RUNS]      (default 50)
#
# Uses the build in $RETRACE_BUILD_DIR (default ./build) and builds the two
# targets it needs there. Prints one line per run and a summary.
# RETRACE_WRITER_DEADLINE_SECONDS (the test's own deadline, default 120)
# and RETRACE_STRESS_MAX_FAILURES (stop early) bound a failing loop.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-50}"
dir="${RETRACE_BUILD_DIR:-build}"
per_run="${RETRACE_STRESS_RUN_SECONDS:-120}"
max_failures="${RETRACE_STRESS_MAX_FAILURES:-1000000}"
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$dir" -j "${RETRACE_JOBS:-$(nproc)}" --target concurrency_test ledger_writer >/dev/null
test_bin="$dir/tests/reliability/concurrency_test"
work="$(mktemp -d)"
load=()
cleanup() {
  local p
  for p in "${load[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${load[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The load: two busy loops and a synchronous writer.
for _ in 1 2; do
  bash -c 'while :; do :; done' &
  load+=($!)
done
bash -c 'while :; do dd if=/dev/zero of="$1/dsync" bs=1M count=8 oflag=dsync status=none; done' _ "$work" &
load+=($!)

failed=0 slowest_us=0 start=$SECONDS
for ((i = 1; i <= runs; i++)); do
  t0=${EPOCHREALTIME/./}
  rc=0
  timeout -k 5 "$per_run" "$test_bin" \
    "Writer processes append to one ledger\, one is killed\, nothing acknowledged is lost" \
    >"$work/run.log" 2>&1 || rc=$?
  us=$((${EPOCHREALTIME/./} - t0))
  secs=$(printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000)))
  if ((us > slowest_us)); then slowest_us=$us; fi
  if ((rc != 0)); then
    failed=$((failed + 1))
    echo "stress-writers: run $i FAILED (exit $rc) after ${secs} s:" >&2
    tail -n 60 "$work/run.log" >&2
    if ((failed >= max_failures)); then
      echo "stress-writers: stopping after $failed failures" >&2
      runs=$i
      break
    fi
  else
    echo "stress-writers: run $i ok in $secs s" >&2
  fi
done
echo "stress-writers: $runs runs, $failed failed or hung, slowest" \
  "$((slowest_us / 1000000)).$(printf '%02d' $((slowest_us % 1000000 / 10000))) s, $((SECONDS - start)) s in all" >&2
((failed == 0))
