#!/usr/bin/env bash
# Installs the built tree into a temporary prefix and builds the consumer
# project against it three ways: find_package (shared), find_package
# (static), pkg-config (shared). Also checks the installed package: SONAME,
# both libraries, headers, and that libretrace.so exports only retrace_*
# and the public retrace:: C++ API (no internal, protobuf or OpenSSL symbol).
#   run_consumer_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/retrace-install-XXXXXX")
trap '[[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libretrace.so.0' | head -1)")
test -n "$libdir" || { echo "no libretrace.so.0 installed"; exit 1; }
for f in libretrace.so libretrace.a pkgconfig/retrace.pc cmake/retrace/retrace-config.cmake; do
  test -e "$libdir/$f" || { echo "missing $libdir/$f"; exit 1; }
done
for h in c.h ledger.h epcis.h render.h event_batch.h json.h; do
  test -f "$prefix/include/retrace/$h" || { echo "missing header $h"; exit 1; }
done
# The tool's manual page and bash completion (cli/CMakeLists.txt), when the CLI is built.
if [[ -x $prefix/bin/retrace ]]; then
  for f in share/man/man1/retrace.1 share/bash-completion/completions/retrace; do
    test -s "$prefix/$f" || { echo "missing $prefix/$f"; exit 1; }
  done
  grep -q '^\.TH RETRACE 1' "$prefix/share/man/man1/retrace.1" || { echo "retrace.1 is not a man page"; exit 1; }
fi
soname=$(readelf -d "$libdir/libretrace.so.0" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ $soname == libretrace.so.0 ]] || { echo "SONAME is '$soname'"; exit 1; }

# Exported symbols: retrace_* (C), retrace:: (C++ API), the version node.
leaks=$(nm -D --defined-only -C "$libdir/libretrace.so.0" | awk '{ $1=""; $2=""; print }' |
        sed 's/^ *//' | grep -v -E '^(retrace_|retrace::|RETRACE_0$|typeinfo (name )?for retrace::|vtable for retrace::)' || true)
internal=$(nm -D --defined-only -C "$libdir/libretrace.so.0" |
           grep -E 'retrace::(internal|v1)::|google::|EVP_|SSL_|mdb_' || true)
if [[ -n $leaks || -n $internal ]]; then
  echo "libretrace.so exports symbols outside the public API:"; echo "$leaks$internal" | head -20; exit 1
fi
n_c=$(nm -D --defined-only "$libdir/libretrace.so.0" | grep -c ' T retrace_')
n_all=$(nm -D --defined-only "$libdir/libretrace.so.0" | grep -vc ' A ')
echo "libretrace.so.0: $n_all exported symbols ($n_c C functions), SONAME $soname"

echo "== find_package(retrace CONFIG), shared"
cmake -S "$src" -B "$work/b-shared" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/b-shared" -j2 >/dev/null
"$work/b-shared/consumer_cxx"
"$work/b-shared/consumer_c"
# (ldd's output is captured first: grep -q closing the pipe early would make
# ldd die of SIGPIPE and fail the pipeline under pipefail.)
deps=$(ldd "$work/b-shared/consumer_c")
grep -q "$libdir/libretrace.so.0" <<<"$deps" ||
  { echo "consumer_c is not linked to the installed libretrace.so.0"; exit 1; }

echo "== find_package(retrace CONFIG COMPONENTS static)"
cmake -S "$src" -B "$work/b-static" -DCMAKE_PREFIX_PATH="$prefix" -DRETRACE_CONSUMER_STATIC=ON >/dev/null
cmake --build "$work/b-static" -j2 >/dev/null
"$work/b-static/consumer_cxx"
"$work/b-static/consumer_c"
deps=$(ldd "$work/b-static/consumer_c")
if grep -q libretrace <<<"$deps"; then
  echo "the static consumer depends on libretrace.so"; exit 1
fi

echo "== pkg-config"
export PKG_CONFIG_PATH=$libdir/pkgconfig
cc -std=c11 -o "$work/pc_c" "$src/consumer.c" $(pkg-config --cflags --libs retrace)
c++ -std=c++17 -o "$work/pc_cxx" "$src/consumer.cc" $(pkg-config --cflags --libs retrace)
LD_LIBRARY_PATH=$libdir "$work/pc_c"
LD_LIBRARY_PATH=$libdir "$work/pc_cxx"
echo "consumer: all variants built and ran"
