#!/usr/bin/env bash
# `tlog-proof verify` on proofs shaped like another log's: the extra line is
# application data, or absent, and the leaf is given by --leaf FILE or
# --leaf-hash (hex or base64). Each case checks the exit status: 0 valid,
# 1 does not verify, 2 usage error or malformed.
#   tlog_proof_leaf_test.sh RETRACE_BINARY
set -uo pipefail
B=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/retrace-tlogleaf-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
pass=0
fail=0
expect() {  # expect RC NAME CMD...
  local want=$1 name=$2
  shift 2
  "$@" >"$work/out" 2>&1
  local rc=$?
  if [[ $rc -eq $want ]]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $name (exit $rc, want $want)"; cat "$work/out"; fi
}
"$B" demo --db chain >/dev/null 2>&1 || { echo "demo failed"; exit 1; }
"$B" note-keygen --name retrace-demo --out log >/dev/null || exit 1
"$B" checkpoint --db chain --key log.notekey -o cp.txt >/dev/null || exit 1
"$B" tlog-proof export --db chain 42 -o own.tlog-proof || exit 1
# The leaf: the record bytes retrace put in the extra line.
sed -n 's/^extra //p' own.tlog-proof | base64 -d > entry.bin
[[ -s entry.bin ]] || { echo "no extra line to take the leaf from"; exit 1; }
hex=$( { printf '\0'; cat entry.bin; } | sha256sum | cut -d' ' -f1)
b64=$(python3 -c 'import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$hex")
# Another log's shapes: application data as extra, and no extra at all.
app=$(printf 'vrf-proof:%s' 0123456789abcdef | base64)
sed "s/^extra .*/extra $app/" own.tlog-proof > appdata.tlog-proof
sed '/^extra /d' own.tlog-proof > bare.tlog-proof
wrong=$(printf '%064d' 0)

expect 0 "own proof (extra is the leaf)" "$B" tlog-proof verify own.tlog-proof --log-key log.vkey
expect 1 "application data taken as the leaf does not verify" \
  "$B" tlog-proof verify appdata.tlog-proof --log-key log.vkey
expect 0 "--leaf FILE" "$B" tlog-proof verify appdata.tlog-proof --log-key log.vkey --leaf entry.bin
expect 0 "--leaf-hash hex" "$B" tlog-proof verify appdata.tlog-proof --log-key log.vkey --leaf-hash "$hex"
expect 0 "--leaf-hash base64" "$B" tlog-proof verify appdata.tlog-proof --log-key log.vkey --leaf-hash "$b64"
expect 0 "no extra line, --leaf-hash" "$B" tlog-proof verify bare.tlog-proof --log-key log.vkey --leaf-hash "$hex"
expect 0 "no extra line, --leaf" "$B" tlog-proof verify bare.tlog-proof --log-key log.vkey --leaf entry.bin
expect 2 "no extra line and no leaf" "$B" tlog-proof verify bare.tlog-proof --log-key log.vkey
expect 1 "another leaf's hash" "$B" tlog-proof verify bare.tlog-proof --log-key log.vkey --leaf-hash "$wrong"
expect 1 "the entry's plain SHA-256 is not its leaf hash" "$B" tlog-proof verify bare.tlog-proof \
  --log-key log.vkey --leaf-hash "$(sha256sum entry.bin | cut -d' ' -f1)"
expect 2 "--leaf and --leaf-hash together" "$B" tlog-proof verify bare.tlog-proof --log-key log.vkey \
  --leaf entry.bin --leaf-hash "$hex"
expect 2 "a leaf hash of the wrong length" "$B" tlog-proof verify bare.tlog-proof --log-key log.vkey \
  --leaf-hash abcd
expect 2 "a missing leaf file" "$B" tlog-proof verify bare.tlog-proof --log-key log.vkey --leaf nosuch.bin
"$B" tlog-proof verify appdata.tlog-proof --log-key log.vkey --leaf-hash "$hex" > valid.txt 2>&1
grep -q "^VALID: leaf 42 (hash $hex)" valid.txt && pass=$((pass + 1)) ||
  { fail=$((fail + 1)); echo "FAIL: the VALID line names leaf 42 and its hash"; cat valid.txt; }
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
