#!/usr/bin/env bash
# The sanitizer runs (CI runs them after the README's test command, through
# scripts/ci-hardening.sh):
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer: the whole test
#         suite but two tests that need an uninstrumented host, in
#         ./build-asan (scripts/build-asan.sh; with Clang it also builds the
#         fuzz targets that scripts/fuzz.sh runs).
#   tsan  ThreadSanitizer: the concurrency tests (threads and processes
#         appending while readers verify) in ./build-tsan.
#
#   scripts/sanitize.sh              both
#   scripts/sanitize.sh tsan         one
#
# Any sanitizer report fails the run: the runtimes halt on the first error
# (halt_on_error, abort_on_error, -fno-sanitize-recover=all), so the test
# fails. Installs what it needs (`scripts/bootstrap.sh sanitizers`). Both
# builds use Clang when it is installed, else GCC; -O1 with line tables,
# the test programs -O0 (scripts/build-asan.sh says why).
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
if ((${#stages[@]} == 0)); then stages=(asan tsan); fi
scripts/bootstrap.sh sanitizers
jobs="${RETRACE_JOBS:-$(nproc)}"

run_asan() {
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer: the whole suite" >&2
  scripts/build-asan.sh >/dev/null
  cd "${RETRACE_ASAN_DIR:-build-asan}"
  # Fewer kills, trials and flips than the normal run (which does the full count)
  # keep the sanitized run inside the CI budget.
  export RETRACE_CRASH_KILLS="${RETRACE_CRASH_KILLS:-40}"
  export RETRACE_TAMPER_TRIALS="${RETRACE_TAMPER_TRIALS:-120}"
  export RETRACE_FLIP_POSITIONS="${RETRACE_FLIP_POSITIONS:-60}"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  # Some tests load the instrumented libretrace.so into a host built without
  # the sanitizer (the Python ctypes examples; a consumer project built from
  # the installed package), which cannot provide the ASan runtime the library
  # leaves to the executable. The normal suite runs them.
  ctest --output-on-failure -j "$jobs" -E '^(example_python_ctypes|example_python_keep|example_python_federation|install_and_consume)$'
}

run_tsan() {
  echo "== ThreadSanitizer: the concurrency tests" >&2
  local dir="${RETRACE_TSAN_DIR:-build-tsan}" config=()
  if command -v clang++ >/dev/null 2>&1; then
    config=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
  fi
  local flags="-fsanitize=thread -fno-omit-frame-pointer"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${config[@]}" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DRETRACE_TEST_COMPILE_OPTIONS=-O0 \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" -DRETRACE_BUILD_CLI=OFF \
    -DRETRACE_BUILD_BENCHMARKS=OFF -DRETRACE_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$dir" -j "$jobs" --target concurrency_test ledger_writer >/dev/null
  cd "$dir"
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
  ctest --output-on-failure --no-tests=error -R '^concurrency_test:'
}

for s in "${stages[@]}"; do
  case "$s" in
    asan) (run_asan) ;;
    tsan) (run_tsan) ;;
    *) echo "sanitize: unknown stage '$s' (asan, tsan)" >&2; exit 2 ;;
  esac
done
