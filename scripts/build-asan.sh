#!/usr/bin/env bash
# Configures and builds ./build-asan (or $RETRACE_ASAN_DIR): every target
# under AddressSanitizer + UndefinedBehaviorSanitizer and, with Clang, the
# libFuzzer targets too (the library is then also compiled with
# -fsanitize=fuzzer-no-link, so one build serves scripts/sanitize.sh and
# scripts/fuzz.sh). Extra arguments go to `cmake --build` (e.g. --target X).
#
# -O1: what the sanitizers recommend (fast enough, stacks still readable),
# and the tree compiles faster than at -O2. Any report is fatal:
# -fno-sanitize-recover=all makes UBSan stop the process like ASan does.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${RETRACE_ASAN_DIR:-build-asan}"
jobs="${RETRACE_JOBS:-$(nproc)}"
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
link="-fsanitize=address,undefined"
# -O1 for the library, CLI, examples, bench and fuzz targets; the test
# programs at -O0 (RETRACE_TEST_COMPILE_OPTIONS), which compile three times
# faster and spend their time in the library. Line tables are all a
# sanitizer's report needs (file:line in every frame) and compile ~15 %
# faster than full -g.
opt="-O1 -gline-tables-only"
config=()
if command -v clang++ >/dev/null 2>&1; then
  config=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DRETRACE_BUILD_FUZZERS=ON
          -DRETRACE_SHARED_NO_UNDEFINED=OFF)
  flags="$flags -fsanitize=fuzzer-no-link"
  # C programs linked against the C++ library (capi_test, verify_lot) need
  # UBSan's C++ handlers too, which Clang links only into C++ programs, and
  # those need libstdc++.
  link="$link -fsanitize-link-c++-runtime -lstdc++"
fi
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${config[@]}" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$opt" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt" \
  -DRETRACE_TEST_COMPILE_OPTIONS=-O0 \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$link" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$dir" -j "$jobs" "$@"
