#!/usr/bin/env bash
# The sanitizer runs, after the normal suite (.ci/run):
#   build-asan: AddressSanitizer + UndefinedBehaviorSanitizer, the whole test
#               suite (scripts/build-asan.sh; with Clang it also builds the
#               fuzz targets that scripts/fuzz.sh runs).
#   build-tsan: ThreadSanitizer, the concurrency tests (threads and
#               processes appending while readers verify).
# Installs what it needs (`scripts/bootstrap.sh sanitizers`). Both builds
# use Clang when it is installed, else GCC.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh sanitizers
jobs="${RETRACE_JOBS:-$(nproc)}"

echo "== AddressSanitizer + UndefinedBehaviorSanitizer: the whole suite" >&2
scripts/build-asan.sh >/dev/null
(
  cd "${RETRACE_ASAN_DIR:-build-asan}"
  # Fewer kills and trials than the normal run (which does the full count)
  # keep the sanitized run inside the CI budget.
  export RETRACE_CRASH_KILLS="${RETRACE_CRASH_KILLS:-40}"
  export RETRACE_TAMPER_TRIALS="${RETRACE_TAMPER_TRIALS:-120}"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  ctest --output-on-failure -j "$jobs"
)

echo "== ThreadSanitizer: the concurrency tests" >&2
tsan_dir="${RETRACE_TSAN_DIR:-build-tsan}"
config=()
if command -v clang++ >/dev/null 2>&1; then
  config=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
fi
flags="-fsanitize=thread -fno-omit-frame-pointer"
cmake -S . -B "$tsan_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${config[@]}" \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" -DRETRACE_BUILD_CLI=OFF >/dev/null
cmake --build "$tsan_dir" -j "$jobs" --target concurrency_test ledger_writer
(
  cd "$tsan_dir"
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
  ctest --output-on-failure -R '^concurrency_test:'
)
