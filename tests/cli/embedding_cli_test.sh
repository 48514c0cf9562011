#!/usr/bin/env bash
# The embedding commands of the CLI end to end: versioned JSON on every
# reporting command, lineage dot/svg, report html/json, export-epcis and
# import-epcis (round trip into a second ledger, dry run, refusals), and
# progress output that stays quiet when piped.
#   embedding_cli_test.sh RETRACE_BINARY
set -uo pipefail
B=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/retrace-cli-embed-XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
check() {  # check "what" command...
  local what=$1
  shift
  if "$@" >"$work/out" 2>"$work/err"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $what"
    sed 's/^/  out: /' "$work/out" | head -5
    sed 's/^/  err: /' "$work/err" | head -5
  fi
}
rc_is() {  # rc_is N command...: exit status is N
  local want=$1
  shift
  "$@" >"$work/rc_out" 2>"$work/rc_err"
  local got=$?
  [[ $got == "$want" ]] || { echo "exit $got, wanted $want: $*" >&2; cat "$work/rc_err" >&2; return 1; }
}
has() { grep -q -- "$2" "$1"; }

A=$work/a
$B demo --db "$A" --force >/dev/null || { echo "demo failed"; exit 1; }
LOT=MAG-00003

# Versioned JSON schemas.
for cmd in "info" "lots" "verify $LOT" "lineage $LOT" "audit" "report $LOT"; do
  set -- $cmd
  sub=$1
  shift
  schema=$sub
  [[ $sub == lots ]] && schema=lots
  check "$sub --format json names its schema" bash -c \
    "'$B' $sub --db '$A' $* --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"schema\"]==\"retrace.$schema/v1\", d[\"schema\"]'"
done
check "show --seq is retrace.record/v1" bash -c "'$B' show --db '$A' --seq 3 | grep -q '\"schema\": \"retrace.record/v1\"'"
check "show --lot is retrace.lot_records/v1" bash -c "'$B' show --db '$A' --lot $LOT | grep -q 'retrace.lot_records/v1'"

# Pictures.
check "lineage --format dot has one rank per stage" bash -c "'$B' lineage --db '$A' $LOT --format dot | grep -c 'rank=same' | grep -qx 4"
if command -v dot >/dev/null; then
  check "lineage --format svg renders through Graphviz" bash -c "'$B' lineage --db '$A' $LOT --format svg -o '$work/l.svg' && grep -q '<svg' '$work/l.svg'"
else
  echo "note: Graphviz not installed; lineage --format svg checked for its error only"
fi
check "lineage --format svg without Graphviz names the package" bash -c \
  "PATH=/nonexistent '$B' lineage --db '$A' $LOT --format svg 2>&1 >/dev/null | grep -q 'apt-get install graphviz'"

# Report.
check "report writes a self-contained HTML page and exits 0 when valid" rc_is 0 "$B" report --db "$A" $LOT -o "$work/r.html"
check "report has the verdict, chart, picture and timeline" bash -c \
  "grep -q 'VALID: lot $LOT' '$work/r.html' && grep -q 'class=\"origin-bar\"' '$work/r.html' && grep -q 'id=\"timeline\"' '$work/r.html' && ! grep -q '<script' '$work/r.html'"
# The report against a signed checkpoint (the ledger's stored one, or a file).
check "note-keygen" "$B" note-keygen --name retrace-demo --out "$work/log"
check "checkpoint" "$B" checkpoint --db "$A" --key "$work/log.notekey" -o "$work/cp.note"
check "report --checkpoint latest --log-key verifies and shows the checkpoint" bash -c \
  "'$B' report --db '$A' $LOT --checkpoint latest --log-key '$work/log.vkey' -o '$work/cp.html' &&
   grep -q 'log signature verified' '$work/cp.html' && grep -q 'its root matches this ledger' '$work/cp.html' &&
   grep -q 'covers every record of the lineage' '$work/cp.html' && grep -q '<pre class=\"checkpoint\">retrace-demo' '$work/cp.html'"
check "report --checkpoint FILE without a key says the signature was not checked" bash -c \
  "'$B' report --db '$A' $LOT --checkpoint '$work/cp.note' -o '$work/cp2.html' && grep -q 'log signature not checked' '$work/cp2.html'"
check "report --checkpoint with the wrong log key says NOT verified, and exits 1" bash -c \
  "'$B' note-keygen --name retrace-demo --out '$work/other' >/dev/null;
   '$B' report --db '$A' $LOT --checkpoint '$work/cp.note' --log-key '$work/other.vkey' -o '$work/cp3.html' 2>/dev/null;
   test \$? -eq 1 && grep -q 'log signature NOT verified' '$work/cp3.html'"
check "report --checkpoint of a garbage file is an error" rc_is 2 "$B" report --db "$A" $LOT --checkpoint "$work/r.html" -o "$work/x.html"

check "report of an unknown lot is an error (exit 2)" rc_is 2 "$B" report --db "$A" NO-SUCH -o "$work/x.html"

# EPCIS out and back in.
check "export-epcis LOT" "$B" export-epcis --db "$A" $LOT -o "$work/lot.jsonld"
check "export is an EPCIS 2.0 document" bash -c "python3 -c 'import json; d=json.load(open(\"$work/lot.jsonld\")); assert d[\"type\"]==\"EPCISDocument\" and d[\"schemaVersion\"]==\"2.0\"; assert any(e[\"type\"]==\"TransformationEvent\" for e in d[\"epcisBody\"][\"eventList\"])'"
check "export-epcis --from --to" bash -c "'$B' export-epcis --db '$A' --from 20 --to 30 --compact | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"retrace:selection\"]=={\"from\":20,\"to\":30}'"
check "export-epcis refuses both a lot and a range" rc_is 2 "$B" export-epcis --db "$A" $LOT --from 1
check "export-epcis refuses a range past the end" rc_is 2 "$B" export-epcis --db "$A" --from 1 --to 100000

# A second ledger with the same root and actors, then import.
Bdb=$work/b
keys=$A/keys
check "init twin" "$B" init --db "$Bdb" --name twin --root-key "$keys/regulator.key"
# The regulator's records (registrations, quota grants, policy) again, as
# one JSON Lines batch signed by the same root key.
python3 - "$A" "$B" >"$work/regulator.jsonl" <<'PY'
import json, subprocess, sys
a, b = sys.argv[1:]
info = json.loads(subprocess.check_output([b, "info", "--db", a, "--format", "json"]))
for seq in range(1, info["size"]):
    ev = json.loads(subprocess.check_output([b, "show", "--db", a, "--seq", str(seq)])).get("event", {})
    if ev.get("actorId") == "regulator":
        ev.pop("ledgerId", None)
        print(json.dumps(ev))
PY
check "replay the demo's regulator records in the twin" "$B" append --db "$Bdb" --key "$keys/regulator.key" --jsonl "$work/regulator.jsonl"
check "import-epcis --dry-run appends nothing" bash -c \
  "'$B' import-epcis --db '$Bdb' --keys '$keys' '$work/lot.jsonld' --dry-run | grep -q 'nothing was appended'"
# A dry run judges the document as the import would, before it is imported.
check "import-epcis --format json is retrace.import/v1" bash -c \
  "'$B' import-epcis --db '$Bdb' --keys '$keys' '$work/lot.jsonld' --dry-run --format json 2>/dev/null | grep -q 'retrace.import/v1'"
check "import-epcis --skip-unsupported lists each skipped event with its reason" bash -c \
  "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d[\"epcisBody\"][\"eventList\"].insert(1, {\"type\":\"AggregationEvent\",\"eventID\":\"urn:uuid:agg-1\",\"eventTime\":\"2026-01-01T00:00:00Z\",\"action\":\"ADD\"}); json.dump(d, open(sys.argv[2],\"w\"))' '$work/lot.jsonld' '$work/lot+agg.jsonld' &&
   '$B' import-epcis --db '$Bdb' --keys '$keys' '$work/lot+agg.jsonld' --dry-run 2>&1 |
     grep -q 'cannot import .*: event 1 (urn:uuid:agg-1): AggregationEvent .*\\[event_type\\]; nothing was appended' &&
   '$B' import-epcis --db '$Bdb' --keys '$keys' '$work/lot+agg.jsonld' --dry-run --skip-unsupported --format json 2>'$work/skip.err' |
     python3 -c 'import json,sys; d=json.load(sys.stdin); s=d[\"skipped_events\"]; assert [(x[\"index\"],x[\"event_id\"],x[\"reason\"]) for x in s]==[(1,\"urn:uuid:agg-1\",\"event_type\")], s' &&
   grep -q 'skipped event 1 (urn:uuid:agg-1): .*\\[event_type\\]' '$work/skip.err'"
size_before=$($B info --db "$Bdb" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')
check "import-epcis appends the document" bash -c "'$B' import-epcis --db '$Bdb' --keys '$keys' '$work/lot.jsonld' | grep -q '^imported'"
check "the imported lot verifies in the twin" rc_is 0 "$B" verify --db "$Bdb" $LOT
check "origins are the same on both sides" bash -c \
  "diff <('$B' verify --db '$A' $LOT --format json | python3 -c 'import json,sys; print([(o[\"origin_lot\"],o[\"share_ppm\"]) for o in json.load(sys.stdin)[\"origins\"]])') \
        <('$B' verify --db '$Bdb' $LOT --format json | python3 -c 'import json,sys; print([(o[\"origin_lot\"],o[\"share_ppm\"]) for o in json.load(sys.stdin)[\"origins\"]])')"
check "importing the same document again is refused, ledger unchanged" bash -c \
  "! '$B' import-epcis --db '$Bdb' --keys '$keys' '$work/lot.jsonld' 2>&1 | grep -q '^imported'"
check "import-epcis names what it cannot represent" bash -c \
  "echo '{\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"epcisBody\":{\"eventList\":[{\"type\":\"AggregationEvent\",\"eventTime\":\"2026-01-01T00:00:00Z\"}]}}' > '$work/agg.json' && '$B' import-epcis --db '$Bdb' --keys '$keys' '$work/agg.json' 2>&1 | grep -q 'AggregationEvent cannot be represented'"
# Progress: nothing on a pipe.
check "audit prints no progress when piped" bash -c "'$B' audit --db '$A' 2>'$work/audit.err' | grep -q VALID && ! grep -q 'of' '$work/audit.err'"
if command -v script >/dev/null; then
  check "audit shows progress on a terminal" bash -c \
    "script -qec \"'$B' audit --db '$A'\" /dev/null | grep -q 'audit: '"
fi

echo "embedding CLI: $pass passed, $fail failed"
[[ $fail == 0 ]]
