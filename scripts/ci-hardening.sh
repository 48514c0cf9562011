#!/usr/bin/env bash
# CI's hardening stages, run by .ci/run after the README's test command
# (scripts/test.sh). Each stage fails CI on any sanitizer report or fuzz
# crash; the time of each is printed at the end (docs/reliability.md, "CI time",
# has the budget):
#
#   tools  Clang, its sanitizer and libFuzzer runtimes (scripts/bootstrap.sh)
#   asan   ASan+UBSan build (-O1, fuzz targets included), the whole suite
#   fuzz   every libFuzzer target for RETRACE_FUZZ_SECONDS (default 120) s,
#          two at a time (scripts/fuzz.sh)
#   tsan   TSan build of the concurrency tests, and their run
#   flips  cli_flip_test with RETRACE_FLIP_POSITIONS (default 5015: 85 one-byte
#          flips in each of the demo ledger's 59 pages) through the CLI: no
#          crash, no hang, no VALID for changed tables (docs/reliability.md)
#   stall  scripts/stress-writers.sh RETRACE_STALL_RUNS (default 60) times:
#          the multi-writer test beside CPU and O_DSYNC load; stops at the
#          third failure, each run bounded (30 s deadline, 90 s timeout)
#
# flips and stall use the normal build ($RETRACE_BUILD_DIR, default ./build,
# which scripts/test.sh has just made) and build what they need there.
#
#   scripts/ci-hardening.sh              all stages
#   scripts/ci-hardening.sh asan fuzz    some
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
if ((${#stages[@]} == 0)); then stages=(tools asan fuzz tsan flips stall); fi
export RETRACE_FUZZ_SECONDS="${RETRACE_FUZZ_SECONDS:-120}"
build_dir="${RETRACE_BUILD_DIR:-build}"

run_flips() {
  if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build "$build_dir" -j "${RETRACE_JOBS:-$(nproc)}" --target cli_flip_test retrace_cli >/dev/null
  RETRACE_FLIP_POSITIONS="${RETRACE_FLIP_POSITIONS:-5015}" "$build_dir/tests/reliability/cli_flip_test"
}

run_stall() {
  RETRACE_WRITER_DEADLINE_SECONDS="${RETRACE_WRITER_DEADLINE_SECONDS:-30}" \
    RETRACE_STRESS_RUN_SECONDS="${RETRACE_STRESS_RUN_SECONDS:-90}" \
    RETRACE_STRESS_MAX_FAILURES="${RETRACE_STRESS_MAX_FAILURES:-3}" \
    RETRACE_BUILD_DIR="$build_dir" scripts/stress-writers.sh "${RETRACE_STALL_RUNS:-60}"
}

times=()
stage="" start=$SECONDS
report() {
  local rc=$?
  if ((rc != 0)) && [[ -n "$stage" ]]; then times+=("$stage FAILED after $((SECONDS - start)) s"); fi
  if ((${#times[@]})); then printf 'ci-hardening: %s\n' "${times[@]}" >&2; fi
  return "$rc"
}
trap report EXIT

for stage in "${stages[@]}"; do
  start=$SECONDS
  echo "ci-hardening: stage $stage" >&2
  case "$stage" in
    tools) scripts/bootstrap.sh sanitizers ;;
    asan | tsan) scripts/sanitize.sh "$stage" ;;
    fuzz) scripts/fuzz.sh ;;
    flips) run_flips ;;
    stall) run_stall ;;
    *) echo "ci-hardening: unknown stage '$stage' (tools, asan, fuzz, tsan, flips, stall)" >&2; exit 2 ;;
  esac
  times+=("$stage $((SECONDS - start)) s")
done
stage=""
