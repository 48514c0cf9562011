#!/usr/bin/env bash
# Issue 12's two reproductions, through the CLI as a new user runs them:
# (1) a stolen key's rotated-in key must not survive the key's revocation;
# (2) a grant and a policy signed by a key revoked later must stop counting
# everywhere -- verify, audit, quota and the next append alike. Every event
# is dated, so the test does not depend on the day it runs.
#   revocation_repro_test.sh RETRACE_BINARY
set -uo pipefail
R=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/retrace-revocation-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
fail=0
expect() {  # expect "what" WANTED_RC command...
  local what=$1 want=$2
  shift 2
  "$@" >out 2>err
  local got=$?
  if [[ $got != "$want" ]]; then
    echo "FAIL: $what: exit $got, wanted $want"
    sed 's/^/  out: /' out | tail -8
    sed 's/^/  err: /' err | tail -4
    fail=$((fail + 1))
  fi
}
has() {  # has "what" PATTERN FILE
  if ! grep -q -- "$2" "$3"; then
    echo "FAIL: $1: no '$2' in $3"
    sed 's/^/  /' "$3" | tail -12
    fail=$((fail + 1))
  fi
}
kid() { openssl pkey -pubin -in "$1.pub" -outform DER | sha256sum | cut -c1-16; }
ap() { "$R" append --db "$1" --key "$2.key" >/dev/null || { echo "setup append failed"; exit 2; }; }
x() {  # an extraction of lot $1 by mine-1, dated $2
  echo '{"actorId":"mine-1","time":"'"$2"'","extracted":{"lot":{"lotId":"'"$1"'","material":"MATERIAL_ORE_CONCENTRATE","massG":"1000000","content":[{"element":"ELEMENT_ND","grams":"50000"}]},"site":"s","licence":"L1","quotaKind":"QUOTA_MINING_ROCK"}}'
}

# --- 1: the revoked rotation ---------------------------------------------
for a in regulator mine-1 sep-1 thief; do "$R" keygen --out $a >/dev/null; done
"$R" init --db L1 --name t --root-key regulator.key >/dev/null
"$R" register --db L1 --root-key regulator.key --actor mine-1 --role mine --name M --pubkey mine-1.pub --licence L1 >/dev/null
"$R" register --db L1 --root-key regulator.key --actor sep-1 --role separator --name S --pubkey sep-1.pub >/dev/null
printf '%s\n' '{"actorId":"regulator","quotaGranted":{"actorId":"mine-1","year":2026,"kind":"QUOTA_MINING_ROCK","reoG":"1000000000"}}' \
  '{"actorId":"regulator","quotaGranted":{"actorId":"sep-1","year":2026,"kind":"QUOTA_SMELTING_SEPARATION","reoG":"1000000000"}}' |
  "$R" append --db L1 --key regulator.key --jsonl >/dev/null
x ORE-A 2026-03-01T00:00:00Z | ap L1 mine-1
printf '{"actorId":"mine-1","keyRotated":{"actorId":"mine-1","newKey":{"algorithm":"ed25519","publicKey":"%s"},"retiredKeyId":"%s"}}' \
  "$(sed '1d;$d' thief.pub | tr -d '\n')" "$(kid mine-1)" | ap L1 mine-1
x ORE-B 2026-03-01T00:00:00Z | ap L1 thief
for l in ORE-A ORE-B; do
  echo '{"actorId":"mine-1","time":"2026-03-02T00:00:00Z","shipped":{"lotId":"'$l'","toActorId":"sep-1","massG":"1000000"}}' | ap L1 thief
  echo '{"actorId":"sep-1","time":"2026-03-03T00:00:00Z","received":{"lotId":"'$l'","fromActorId":"mine-1","massG":"1000000"}}' | ap L1 sep-1
done
echo '{"actorId":"sep-1","time":"2026-03-05T00:00:00Z","transformed":{"inputs":[{"lotId":"ORE-A","consumedG":"1000000"},{"lotId":"ORE-B","consumedG":"1000000"}],"outputs":[{"lotId":"OX-AB","material":"MATERIAL_SEPARATED_OXIDE","massG":"100000","content":[{"element":"ELEMENT_ND","grams":"90000"}]}],"declaredLossG":"1900000"}}' | ap L1 sep-1
expect "1: the lots verify before the revocation" 0 "$R" verify --db L1 OX-AB
printf '{"actorId":"regulator","keyRevoked":{"keyId":"%s","effectiveSeq":"6","reason":"stolen"}}' "$(kid mine-1)" | ap L1 regulator
for l in ORE-B ORE-A OX-AB; do
  expect "1: verify $l after the revocation is INVALID" 1 "$R" verify --db L1 $l
  has "1: verify $l names the revocation" "key_revoked" out
done
expect "1: audit after the revocation is INVALID" 1 "$R" audit --db L1
has "1: audit names the revocation" "key_revoked" out
expect "1: an append signed by the thief's key is refused" 2 \
  bash -c "$(declare -f x); x ORE-C 2026-03-06T00:00:00Z | '$R' append --db L1 --key thief.key"

# --- 2: the void grant and policy -----------------------------------------
for a in reg-2 magnet-1; do "$R" keygen --out $a >/dev/null; done
"$R" init --db L2 --name t --root-key regulator.key >/dev/null
"$R" register --db L2 --root-key regulator.key --actor reg-2 --role regulator --name R2 --pubkey reg-2.pub >/dev/null
"$R" register --db L2 --root-key regulator.key --actor mine-1 --role mine --name M --pubkey mine-1.pub --licence L1 >/dev/null
"$R" register --db L2 --root-key regulator.key --actor magnet-1 --role magnet_maker --name G --pubkey magnet-1.pub >/dev/null
echo '{"actorId":"reg-2","quotaGranted":{"actorId":"mine-1","year":2026,"kind":"QUOTA_MINING_ROCK","reoG":"1000000000"}}' | ap L2 reg-2
echo '{"actorId":"reg-2","policySet":{"name":"lax","rules":[{"role":"ROLE_MINE","events":["extracted","shipped","received"],"outputs":["MATERIAL_ORE_CONCENTRATE"]},{"role":"ROLE_MAGNET_MAKER","events":["transformed","shipped","received"],"inputs":["MATERIAL_ORE_CONCENTRATE"],"outputs":["MATERIAL_MAGNET"]}]}}' | ap L2 reg-2
mag() {
  echo '{"actorId":"magnet-1","time":"2026-03-05T00:00:00Z","transformed":{"inputs":[{"lotId":"'"$1"'","consumedG":"1000000"}],"outputs":[{"lotId":"'"$2"'","material":"MATERIAL_MAGNET","massG":"100000","content":[{"element":"ELEMENT_ND","grams":"40000"}]}],"declaredLossG":"900000"}}'
}
for l in ORE-1 ORE-2; do
  x $l 2026-03-01T00:00:00Z | ap L2 mine-1
  echo '{"actorId":"mine-1","time":"2026-03-02T00:00:00Z","shipped":{"lotId":"'$l'","toActorId":"magnet-1","massG":"1000000"}}' | ap L2 mine-1
  echo '{"actorId":"magnet-1","time":"2026-03-03T00:00:00Z","received":{"lotId":"'$l'","fromActorId":"mine-1","massG":"1000000"}}' | ap L2 magnet-1
done
mag ORE-1 MAG-1 | ap L2 magnet-1
expect "2: MAG-1 verifies under reg-2's grant and policy" 0 "$R" verify --db L2 MAG-1
printf '{"actorId":"regulator","keyRevoked":{"keyId":"%s","effectiveSeq":"4","reason":"x"}}' "$(kid reg-2)" | ap L2 regulator
expect "2: verify MAG-1 is INVALID" 1 "$R" verify --db L2 MAG-1
for code in key_revoked quota_exceeded stage_order_violated; do has "2: verify names $code" "$code" out; done
expect "2: audit is INVALID" 1 "$R" audit --db L2
for code in key_revoked quota_exceeded stage_order_violated; do has "2: audit names $code" "$code" out; done
if grep -q index_inconsistent out; then echo "FAIL: 2: audit raises a false tampering alarm"; cat out; fail=$((fail + 1)); fi
expect "2: quota --records" 0 "$R" quota --db L2 --records
has "2: the void grant is shown VOID" "grant, quota .*VOID" out
expect "2: an extraction under the void grant is refused" 2 \
  bash -c "$(declare -f x); x ORE-3 2026-03-06T00:00:00Z | '$R' append --db L2 --key mine-1.key"
expect "2: ore -> magnet under the void policy is refused" 2 \
  bash -c "$(declare -f mag); mag ORE-2 MAG-2 | '$R' append --db L2 --key magnet-1.key"

if ((fail)); then echo "$fail check(s) failed"; exit 1; fi
echo "all checks passed"
