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
#
#   scripts/ci-hardening.sh              all stages
#   scripts/ci-hardening.sh asan fuzz    some
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
if ((${#stages[@]} == 0)); then stages=(tools asan fuzz tsan); fi
export RETRACE_FUZZ_SECONDS="${RETRACE_FUZZ_SECONDS:-120}"

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
    *) echo "ci-hardening: unknown stage '$stage' (tools, asan, fuzz, tsan)" >&2; exit 2 ;;
  esac
  times+=("$stage $((SECONDS - start)) s")
done
stage=""
