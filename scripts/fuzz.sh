#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz) for a bounded time, after the
# normal suite (.ci/run). Uses the ASan+UBSan build of scripts/build-asan.sh
# (Clang; installed by `scripts/bootstrap.sh sanitizers`).
#
#   scripts/fuzz.sh                    every target, RETRACE_FUZZ_SECONDS each (default 45)
#   scripts/fuzz.sh record_fuzz        one target
#
# Two targets run at a time (2 cores). New inputs go to a scratch corpus,
# never into tests/fuzz/corpus. A crash leaves its input in
# $RETRACE_ASAN_DIR/fuzz/<target>/ (crash-*, leak-*, timeout-*) and fails the
# script: copy it to tests/fuzz/regressions/<target>/, fix the bug, and
# every build replays it from then on (ctest fuzz_replay:<target>).
# A summary (executions per target) is written to $RETRACE_ASAN_DIR/fuzz/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh sanitizers
dir="${RETRACE_ASAN_DIR:-build-asan}"
seconds="${RETRACE_FUZZ_SECONDS:-45}"
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ is not installed; skipping the fuzz targets" >&2
  exit 0
fi
scripts/build-asan.sh >/dev/null
mapfile -t targets < <(if (($#)); then printf '%s\n' "$@"; else cat "$dir/tests/fuzz/fuzzers.txt"; fi)
cmake --build "$dir" -j "${RETRACE_JOBS:-$(nproc)}" --target "${targets[@]}" >/dev/null

out="$dir/fuzz"
mkdir -p "$out"
: >"$out/summary.txt"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

run_one() {
  local t="$1" work="$out/$1/corpus"
  mkdir -p "$work"
  local rc=0
  "$dir/tests/fuzz/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
    -print_final_stats=1 -artifact_prefix="$out/$t/" "$work" "tests/fuzz/corpus/$t" \
    >"$out/$t/log.txt" 2>&1 || rc=$?
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t/log.txt" | grep -o '[0-9]*$' || echo 0)
  if ((rc == 0)); then
    echo "$t: $execs executions in ${seconds} s, no crash" >>"$out/summary.txt"
  else
    echo "$t: FAILED (exit $rc) after $execs executions; see $out/$t/log.txt and $out/$t/crash-*" >>"$out/summary.txt"
    tail -n 40 "$out/$t/log.txt" >&2
  fi
  return "$rc"
}

status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if ((${#pids[@]} >= 2)); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
sort "$out/summary.txt"
exit "$status"
