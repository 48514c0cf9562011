#!/usr/bin/env bash
# Renders `retrace report` in headless Chromium and checks what a person
# would see: the verdict, one bar per origin, the lineage drawing with every
# lot, the timeline and the findings section -- for a valid lot and for a
# lot of a tampered copy of the ledger (red verdict, findings listed).
# Skips (exit 77) with a clear message when Chromium is not installed;
# .ci/run installs it (scripts/ci-extras.sh), so CI runs it.
#   chromium_report_test.sh RETRACE_BINARY
set -uo pipefail
B=$1
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z $chrome ]]; then
  echo "SKIPPED: Chromium is not installed (Debian: apt-get install chromium; scripts/ci-extras.sh does it)"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/retrace-chromium-XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

render() {  # render HTML_FILE NAME: DOM text to NAME.dom, screenshot NAME.png
  local profile
  profile=$(mktemp -d "$work/profile-XXXXXX")
  local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
               --disable-background-networking --disable-component-update --disable-sync
               --disable-dev-shm-usage --user-data-dir="$profile" --hide-scrollbars)
  timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$1" >"$work/$2.dom" 2>"$work/$2.chrome.log"
  timeout 120 "$chrome" "${flags[@]}" --window-size=1280,2000 --screenshot="$work/$2.png" \
    "file://$1" >/dev/null 2>>"$work/$2.chrome.log"
}

$B demo --db "$work/db" --force >/dev/null || { echo "demo failed"; exit 1; }
LOT=MAG-00001
$B report --db "$work/db" $LOT -o "$work/valid.html" 2>/dev/null
origins=$($B verify --db "$work/db" $LOT --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["origins"]))')
lots=$($B lineage --db "$work/db" $LOT --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["lots"]))')
render "$work/valid.html" valid
dom=$work/valid.dom
[[ -s $dom ]] || { bad "Chromium produced no DOM"; cat "$work/valid.chrome.log" | tail -5; }
grep -q "VALID: lot $LOT" "$dom" && ok || bad "verdict not shown"
grep -q 'class="verdict valid"' "$dom" && ok || bad "verdict not styled valid"
n=$(grep -o 'class="origin-bar"' "$dom" | wc -l)
[[ $n == "$origins" ]] && ok || bad "origin bars: $n shown, $origins origins"
n=$(grep -o '<g class="lot' "$dom" | wc -l)
[[ $n == "$lots" ]] && ok || bad "lineage lots drawn: $n, expected $lots"
grep -q 'id="timeline"' "$dom" && ok || bad "no timeline"
grep -q 'id="findings-none"' "$dom" && ok || bad "findings section missing"
grep -q 'id="verified-against"' "$dom" && ok || bad "verified-against section missing"
size=$(stat -c %s "$work/valid.png" 2>/dev/null || echo 0)
(( size > 50000 )) && ok || bad "screenshot too small ($size bytes): nothing rendered?"
# The page is drawn, not blank: the screenshot holds the verdict's green.
python3 - "$work/valid.png" <<'PY' && ok || bad "screenshot has no green verdict banner"
import sys, zlib, struct
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h, ct = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ct = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = 4 if ct == 6 else 3
stride = w * bpp
prev = bytearray(stride)
greens = 0
i = 0
for y in range(min(h, 400)):        # the banner is near the top
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        if (r, g, bl) == (0xe5, 0xf4, 0xe7):   # the valid banner's background
            greens += 1
    prev = line
sys.exit(0 if greens > 1000 else 1)
PY

# A tampered copy: one byte of an event changed in every page copy.
cp -r "$work/db" "$work/bad"
python3 - "$work/bad/data.mdb" <<'PY'
import sys
p = sys.argv[1]
data = bytearray(open(p, "rb").read())
needle = b"Bayan Obo East Pit"
i = data.find(needle)
while i >= 0:
    data[i] = ord("X")
    i = data.find(needle, i + 1)
open(p, "wb").write(data)
PY
$B report --db "$work/bad" $LOT -o "$work/invalid.html" 2>/dev/null
rc=$?
[[ $rc == 1 ]] && ok || bad "report of a tampered lineage exited $rc, wanted 1"
render "$work/invalid.html" invalid
dom=$work/invalid.dom
grep -q 'class="verdict invalid"' "$dom" && ok || bad "tampered: verdict not INVALID"
grep -q 'id="findings"' "$dom" && ok || bad "tampered: no findings table"
grep -q 'signature_invalid' "$dom" && ok || bad "tampered: signature_invalid not listed"
grep -q 'class="lot origin finding"' "$dom" && ok || bad "tampered: the origin is not drawn in red"

echo "chromium report: $pass passed, $fail failed"
[[ $fail == 0 ]]
