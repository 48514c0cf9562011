#!/usr/bin/env bash
# Publishing, mirroring and witnessing over real HTTP, on 127.0.0.1 only:
#   - the demo ledger published and served by nginx (Debian's nginx-light,
#     started here from a temporary configuration on a free port), mirrored
#     over HTTP and from the directory; audit, verify and prove on the mirror;
#   - an independent tlog-tiles reader (Go's golang.org/x/mod/sumdb/tlog,
#     tlogcheck/main.go) verifying the published tiles and every entry;
#   - three `retrace witness serve` processes, quorum 2: all up, one stopped,
#     one slow and one lying; a forked log refused by every honest witness;
#   - servers that answer 500 or garbage: a clear error, the mirror unchanged.
# Every server is stopped on exit.
#   http_test.sh RETRACE_BINARY TESTS_PUBLISH_DIR
set -euo pipefail
R=$1
HERE=$2
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -x $NGINX ]]; then
  echo "SKIP: nginx is not installed (scripts/ci-extras.sh installs nginx-light)"
  exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/retrace-http-XXXXXX")
chmod 755 "$T"  # nginx's workers (nobody, when started as root) read the webroot
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n ${KEEP:-} ]] || rm -rf "$T"
}
trap cleanup EXIT
cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # wait_port PORT: until something listens (at most 10 s)
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on port $1"
}
expect_rc() {  # expect_rc WANT CMD...: run CMD, check its exit status
  local want=$1; shift
  set +e; "$@" >out.txt 2>err.txt; local rc=$?; set -e
  [[ $rc == "$want" ]] || { cat out.txt err.txt >&2; fail "exit $rc, not $want: $*"; }
}
snapshot() { "$R" info --db "$1" --format json 2>/dev/null | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["size"], j["head_hash"])'; }

step "the demo ledger, its log key, a signed checkpoint, published"
"$R" demo --db chain >/dev/null
"$R" note-keygen --name retrace-demo --out log >/dev/null
"$R" checkpoint --db chain --key log.notekey -o cp1.txt
"$R" publish --db chain --out www >/dev/null
[[ -s www/checkpoint && -s www/tile/0/000.p/104 && -s www/tile/entries/000.p/104 ]] ||
  { find www | head; fail "the tlog-tiles layout is not there"; }

step "nginx serves the webroot on 127.0.0.1"
PORT=$(free_port)
mkdir -p nginx/tmp
cat >nginx/nginx.conf <<CONF
daemon off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $T/nginx/tmp;
  proxy_temp_path $T/nginx/tmp;
  fastcgi_temp_path $T/nginx/tmp;
  uwsgi_temp_path $T/nginx/tmp;
  scgi_temp_path $T/nginx/tmp;
  default_type application/octet-stream;
  gzip on;
  gzip_types application/octet-stream;
  gzip_min_length 64;
  server {
    listen 127.0.0.1:$PORT;
    root $T/www;
    location = /checkpoint {
      default_type "text/plain; charset=utf-8";
      add_header Cache-Control "no-store";
    }
    location /tile/ { add_header Cache-Control "max-age=31536000, immutable"; }
  }
}
CONF
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" &
PIDS+=($!)
wait_port "$PORT"
URL=http://127.0.0.1:$PORT

step "mirror over HTTP, then audit, verify, lineage and prove on the mirror"
expect_rc 0 "$R" mirror "$URL" --db m-http --log-key log.vkey --format json
grep -q '"new_size":104' out.txt || { cat out.txt; fail "the mirror is not at size 104"; }
expect_rc 0 "$R" audit --db m-http
expect_rc 0 "$R" verify --db m-http MAG-00004
expect_rc 0 "$R" lineage --db m-http MAG-00004
expect_rc 0 "$R" prove --db m-http MAG-00004 -o mag.bundle
expect_rc 0 "$R" verify-bundle mag.bundle --root chain/keys/regulator.pub --log-key log.vkey
[[ $(snapshot m-http) == "$(snapshot chain)" ]] || fail "the mirror's head differs from the source's"

step "mirror from the directory"
expect_rc 0 "$R" mirror www --db m-dir --log-key log.vkey
[[ $(snapshot m-dir) == "$(snapshot chain)" ]] || fail "the directory mirror's head differs"

step "an independent tlog-tiles reader (Go golang.org/x/mod/sumdb/tlog) over nginx"
if command -v go >/dev/null && [[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]]; then
  GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$T/gocache" GOFLAGS= \
    go build -o tlogcheck "$HERE/tlogcheck/main.go"
  ./tlogcheck "$URL" "$(cat log.vkey)" | tee go1.txt
  grep -q "OK: retrace-demo size 104, 104 records proven" go1.txt || fail "tlogcheck did not prove every record"
  TLOGCHECK=1
else
  echo "SKIP (part): Go or golang-golang-x-mod-dev missing; scripts/ci-extras.sh installs them"
  TLOGCHECK=
fi

step "three witnesses over HTTP, quorum 2"
WURLS=()
for i in 1 2 3; do
  "$R" note-keygen --name "witness-$i.example" --type witness --out "w$i" >/dev/null
  "$R" witness init --state "w$i.json" --log-key log.vkey >/dev/null
  "$R" witness serve --state "w$i.json" --key "w$i.notekey" --listen 127.0.0.1:0 --quiet >"w$i.out" &
  PIDS+=($!)
  eval "WPID$i=$!"
  for _ in $(seq 100); do grep -q listening "w$i.out" 2>/dev/null && break; sleep 0.1; done
  u=$(sed -n 's/.*listening on \(http:[^ ]*\)\/add-checkpoint$/\1/p' "w$i.out")
  [[ -n $u ]] || fail "witness $i did not start"
  WURLS+=("$u")
done
W1="w1.vkey@${WURLS[0]}"; W2="w2.vkey@${WURLS[1]}"; W3="w3.vkey@${WURLS[2]}"
expect_rc 0 "$R" checkpoint --db chain --witness "$W1" --witness "$W2" --witness "$W3" --quorum 2
grep -c "witness-.\.example" out.txt >/dev/null
[[ $(grep -c '^— witness-' out.txt) -ge 2 ]] || { cat out.txt err.txt; fail "fewer than 2 cosignatures stored"; }
"$R" publish --db chain --out www >/dev/null
expect_rc 0 "$R" mirror "$URL" --db m-http --log-key log.vkey --witness w1.vkey --witness w2.vkey \
  --witness w3.vkey --quorum 2

grow() {  # grow N: N quota grants by the regulator, a new checkpoint
  for i in $(seq "$1"); do
    printf '{"actorId": "regulator", "quotaGranted": {"actorId": "mine-bayan-obo", "year": 2027, "kind": "QUOTA_MINING_ROCK", "reoG": "%s", "document": "grant %s"}}\n' "$((1000 + i + RANDOM))" "$i"
  done >grants.jsonl
  "$R" append --db chain --key chain/keys/regulator.key --jsonl grants.jsonl >/dev/null
}

step "one witness stopped: the quorum of 2 is still reached"
kill "$WPID3"; wait "$WPID3" 2>/dev/null || true
grow 3
expect_rc 0 "$R" checkpoint --db chain --key log.notekey --witness "$W1" --witness "$W2" \
  --witness "$W3" --quorum 2 --timeout 5
grep -q "witness-3.example .*did not cosign" err.txt || { cat err.txt; fail "the stopped witness was not reported"; }
"$R" publish --db chain --out www >/dev/null
cp www/checkpoint cp2.txt
expect_rc 0 "$R" mirror "$URL" --db m-http --log-key log.vkey --witness w1.vkey --witness w2.vkey \
  --witness w3.vkey --quorum 2

step "a slow witness and a lying witness do not hold the quorum back"
SLOW=$(free_port); LIAR=$(free_port)
python3 "$HERE/bad_server.py" slow "$SLOW" &
PIDS+=($!)
python3 "$HERE/bad_server.py" lie "$LIAR" &
PIDS+=($!)
wait_port "$SLOW"; wait_port "$LIAR"
grow 2
start=$SECONDS
expect_rc 0 "$R" checkpoint --db chain --key log.notekey --witness "$W1" \
  --witness "w3.vkey@http://127.0.0.1:$SLOW" --witness "w3.vkey@http://127.0.0.1:$LIAR" \
  --witness "$W2" --quorum 2 --timeout 20
(( SECONDS - start < 15 )) || fail "the quorum waited for the slow witness"
expect_rc 1 "$R" checkpoint --db chain --witness "w3.vkey@http://127.0.0.1:$LIAR" --quorum 1 --timeout 5
grep -q "no valid cosignature" err.txt || { cat err.txt; fail "the lying witness was not caught"; }

step "a forked log (same origin and key, another history) is refused by every honest witness"
"$R" init --db fork --name retrace-demo --root-key chain/keys/regulator.key >/dev/null
"$R" keygen --alg ed25519 --out forkmine >/dev/null
"$R" register --db fork --root-key chain/keys/regulator.key --actor mine-9 --role mine \
  --name "Fork mine" --pubkey forkmine.pub --licence L9 >/dev/null
for i in $(seq 150); do
  printf '{"actorId": "regulator", "quotaGranted": {"actorId": "mine-9", "year": 2027, "kind": "QUOTA_MINING_ROCK", "reoG": "%s", "document": "fork %s"}}\n' "$i" "$i"
done >fork.jsonl
"$R" append --db fork --key chain/keys/regulator.key --jsonl fork.jsonl >/dev/null
"$R" checkpoint --db fork --key log.notekey >/dev/null
expect_rc 1 "$R" checkpoint --db fork --witness "$W1" --witness "$W2" --quorum 1 --timeout 5
[[ $(grep -c "did not cosign" err.txt) == 2 ]] || { cat err.txt; fail "a witness cosigned the fork"; }
grep -q "REFUSED: witness quorum not met" err.txt || fail "the fork's refusal is not stated"

step "a mirror of the fork from the same origin: split_view, both checkpoints kept"
"$R" publish --db fork --out www-fork >/dev/null
before=$(snapshot m-dir)
expect_rc 0 "$R" mirror www --db m-dir --log-key log.vkey
before=$(snapshot m-dir)
expect_rc 1 "$R" mirror www-fork --db m-dir --log-key log.vkey
grep -q "FINDING split_view" out.txt || { cat out.txt err.txt; fail "no split view"; }
ls m-dir/evidence/*.txt >/dev/null || fail "no evidence kept"
[[ $(snapshot m-dir) == "$before" ]] || fail "the mirror changed"

if [[ -n $TLOGCHECK ]]; then
  step "the Go reader proves the grown log consistent with the first checkpoint"
  ./tlogcheck "$URL" "$(cat log.vkey)" cp1.txt | tee go2.txt
  grep -q "consistent with size 104" go2.txt || fail "tlogcheck consistency"
fi

step "servers that answer 500 or garbage: a clear error, the mirror unchanged"
"$R" publish --db chain --out www >/dev/null
before=$(snapshot m-http)
for mode in 500 garbage truncate; do
  P=$(free_port)
  python3 "$HERE/bad_server.py" "$mode" "$P" "$T/www" &
  BP=$!
  PIDS+=($BP)
  wait_port "$P"
  set +e; "$R" mirror "http://127.0.0.1:$P" --db m-http --log-key log.vkey --attempts 2 --timeout 5 >out.txt 2>err.txt; rc=$?; set -e
  [[ $rc != 0 ]] || { cat out.txt err.txt; fail "mode $mode: the mirror accepted it"; }
  [[ -s err.txt || -s out.txt ]] || fail "mode $mode: no message"
  echo "   $mode -> exit $rc: $(head -c 160 err.txt out.txt | tr '\n' ' ')"
  [[ $(snapshot m-http) == "$before" ]] || fail "mode $mode: the mirror changed"
  kill "$BP"; wait "$BP" 2>/dev/null || true
done
step "the monitor: the published ledger over HTTP and its directory, two rounds"
"$R" publish --db chain --out www >/dev/null
cat >monitor.json <<JSON
{
  "schema": "retrace.monitor/v1",
  "mirrors": "monitored",
  "timeout_seconds": 10,
  "attempts": 2,
  "ledgers": [
    {"name": "demo-http", "source": "$URL", "log_key": "log.vkey",
     "witnesses": ["w1.vkey", "w2.vkey", "w3.vkey"], "quorum": 2},
    {"name": "demo-dir", "source": "www", "log_key": "log.vkey"}
  ]
}
JSON
expect_rc 0 "$R" monitor --config monitor.json --rounds 2 --interval 0.2 --format json
[[ $(grep -c '"schema":"retrace.mirror/v1"' out.txt) == 4 ]] || { cat out.txt; fail "monitor: not 4 lines"; }
grep -q '"name":"demo-http"' out.txt || fail "monitor: no line for demo-http"
[[ $(snapshot monitored/demo-http) == "$(snapshot monitored/demo-dir)" ]] || fail "monitor: the mirrors differ"

step "the month's flow report over the monitor's mirrors, signed by the monitor"
"$R" note-keygen --name monitor.example --out monitor >/dev/null
"$R" flow-report --config monitor.json --month 2026-03 --format json -o report.json \
  --key monitor.notekey --signature report.sig >/dev/null 2>&1 || true
[[ -s report.json && -s report.sig ]] || fail "flow-report wrote no report or signature"
expect_rc 0 "$R" flow-report --check report.sig --report report.json --monitor-key monitor.vkey
printf ' ' >>report.json
expect_rc 1 "$R" flow-report --check report.sig --report report.json --monitor-key monitor.vkey
for f in text csv html; do
  "$R" flow-report --config monitor.json --month 2026-03 --format "$f" -o "report.$f" || [[ $? == 1 ]]
  [[ -s report.$f ]] || fail "no $f report"
done
grep -q "demo-http\|retrace-demo" report.text || fail "the text report names no ledger"

echo "publish_http: all passed"
