#!/bin/sh
# The operator signs a checkpoint and proves a lot of the demo ledger with
# the `retrace` tool; the customs side checks the bundle with verify_bundle
# (the C API, no ledger), then a damaged copy of it.
#   run_verify_bundle.sh RETRACE VERIFY_BUNDLE DEMO_DB WORK_DIR
set -eu
retrace=$1 verify=$2 db=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
"$retrace" note-keygen --name retrace-demo --out "$work/log" >/dev/null
"$retrace" checkpoint --db "$db" --key "$work/log.notekey" >/dev/null
"$retrace" prove --db "$db" MAG-00002 -o "$work/mag.bundle" >/dev/null
"$verify" "$work/mag.bundle" "$db/keys/regulator.pub" "$work/log.vkey"
# One byte changed in the middle of the bundle: never VALID.
size=$(wc -c <"$work/mag.bundle")
cp "$work/mag.bundle" "$work/bad.bundle"
printf 'X' | dd of="$work/bad.bundle" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
if "$verify" "$work/bad.bundle" "$db/keys/regulator.pub" "$work/log.vkey" >"$work/bad.out" 2>&1; then
  echo "a damaged bundle verified"; cat "$work/bad.out"; exit 1
fi
echo "damaged bundle refused: $(head -n 1 "$work/bad.out")"
