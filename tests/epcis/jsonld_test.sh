#!/usr/bin/env bash
# Every form of export-epcis through a real JSON-LD processor (Debian's
# python3-pyld, installed by scripts/bootstrap.sh): expanded with the context
# the document names and compacted back, each document must come back with
# every key (tests/epcis/jsonld_roundtrip.py). Forms: the library's lot and
# range exports over every event kind and origin, with and without master
# data, compact, and over a partner's GS1 identifiers (embed_test
# "[epcis-export-forms]"); the CLI's export-epcis LOT, --from/--to, --from
# alone, --compact; the partner document itself. And the check can fail: a
# document whose context only declares the retrace prefix (what exports
# carried before) must fail it.
#   jsonld_test.sh EMBED_TEST_BINARY RETRACE_BINARY
set -uo pipefail
E=$1
B=$2
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3   # Debian's interpreter: python3-pyld lives there
if ! "$py" -c 'import pyld' 2>/dev/null; then
  echo "FAIL: python3-pyld is not installed (scripts/bootstrap.sh installs it)"
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/retrace-jsonld-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/forms"
RETRACE_EPCIS_EXPORT_DIR="$work/forms" "$E" "[epcis-export-forms]" >"$work/embed.log" 2>&1 ||
  { cat "$work/embed.log"; echo "FAIL: embed_test [epcis-export-forms]"; exit 1; }
"$B" demo --db "$work/db" --force >/dev/null 2>&1 || { echo "FAIL: retrace demo"; exit 1; }
lot=$("$B" lots --db "$work/db" --format json |
      "$py" -c 'import json,sys; d=json.load(sys.stdin); print([l["lot_id"] for l in d["lots"] if l["lot_id"].startswith("MAG-")][0])')
"$B" export-epcis --db "$work/db" "$lot" -o "$work/forms/cli-lot.jsonld" &&
"$B" export-epcis --db "$work/db" --from 20 --to 30 -o "$work/forms/cli-range.jsonld" &&
"$B" export-epcis --db "$work/db" --from 5 -o "$work/forms/cli-from.jsonld" &&
"$B" export-epcis --db "$work/db" "$lot" --compact -o "$work/forms/cli-lot-compact.jsonld" ||
  { echo "FAIL: export-epcis"; exit 1; }
n=$(ls "$work/forms" | wc -l)
if [[ $n -lt 10 ]]; then echo "FAIL: only $n export forms were written"; exit 1; fi
"$py" "$here/jsonld_roundtrip.py" "$work"/forms/*.jsonld "$here/partner/rare-earth-partner.jsonld" ||
  { echo "FAIL: an export loses keys under JSON-LD"; exit 1; }
# The check fails a document whose extension members no context maps.
"$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["@context"][1]={"retrace":"urn:retrace:epcis:v1:"}; json.dump(d,open(sys.argv[2],"w"))' \
  "$work/forms/whole-log.jsonld" "$work/prefix-only.jsonld"
if "$py" "$here/jsonld_roundtrip.py" "$work/prefix-only.jsonld" >"$work/neg.log"; then
  echo "FAIL: the JSON-LD check passed a document that loses keys"; exit 1
fi
grep -q 'retrace:lots.*lotID is lost' "$work/neg.log" || { cat "$work/neg.log"; echo "FAIL: no lost key named"; exit 1; }
echo "PASS: $n export forms and the partner document keep every key under JSON-LD"
