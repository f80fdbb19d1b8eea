#!/bin/bash
# Integration test of modelgov-webhook's serving side over real TLS on 127.0.0.1 (free port):
# health endpoints, every recorded AdmissionReview from tests/fixtures/k8s-1.28/admission (200 + same
# uid), malformed/truncated/wrong/oversized bodies (400/413 with a reason, server keeps serving),
# slowloris clients (others still served, slow ones cut off), /metrics through promtool, one
# service thread per CPU all taking requests, certificate rotation while a client stays connected
# (Secret-volume style symlink swap), a broken pair refused, TLS 1.1 refused, graceful SIGTERM.
# The checks themselves are in webhook-server.py. Exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.."
top=$PWD
admission="$top/tests/fixtures/k8s-1.28/admission"  # recorded from kube-apiserver 1.28
bin="$top/bin/modelgov-webhook"
[ -x "$bin" ] || { echo "webhook-server: $bin not built (make all)"; exit 1; }
[ -d "$admission" ] || { echo "webhook-server: $admission missing"; exit 1; }
for tool in openssl curl promtool python3; do
  command -v $tool >/dev/null || { echo "webhook-server: $tool not installed (hack/deps.sh)"; exit 1; }
done

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A CA and serving certificates for 127.0.0.1 with distinct serials and expiry dates.
gen() { # dir serial days [keyfile-to-reuse]
  local dir=$1 serial=$2 days=$3
  mkdir -p "$dir"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/tls.key" -out "$dir/tls.csr" -subj "/CN=modelgov-webhook" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$dir/ext"
  openssl x509 -req -in "$dir/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -set_serial "$serial" \
    -days "$days" -extfile "$dir/ext" -out "$dir/tls.crt" 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.crt" -days 30 \
  -subj "/CN=modelgov test CA" 2>/dev/null || { echo "webhook-server: openssl CA failed"; exit 1; }
gen "$work/v1" 0x1001 10
gen "$work/v2" 0x2002 20
gen "$work/v3" 0x3003 30
mkdir -p "$work/v3-broken"
cp "$work/v3/tls.crt" "$work/v3-broken/tls.crt"
cp "$work/v1/tls.key" "$work/v3-broken/tls.key" # key of another certificate
# Kubernetes Secret volume layout: tls.crt -> ..data/tls.crt, ..data -> versioned directory.
mkdir -p "$work/certs"
ln -s "$work/v1" "$work/certs/..data"
ln -s ..data/tls.crt "$work/certs/tls.crt"
ln -s ..data/tls.key "$work/certs/tls.key"

"$bin" --no-caches --listen 127.0.0.1:0 --tls-cert "$work/certs/tls.crt" --tls-key "$work/certs/tls.key" \
  --log-format json 2> "$work/log" &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    try: d=json.loads(l)
    except ValueError: continue
    if d.get("msg")=="listening": print(d["port"]); break' "$work/log" 2>/dev/null)
  [ -n "$port" ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { echo "webhook-server: webhook did not start"; cat "$work/log"; exit 1; }
echo "webhook-server: modelgov-webhook pid $pid listening on 127.0.0.1:$port"

rc=0
python3 "$top/tests/integration/webhook-server.py" "$port" "$pid" "$work" "$admission" || rc=1

# Graceful stop on SIGTERM: exits 0 and says so.
kill -TERM $pid
stopped=no
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || { stopped=yes; break; }; sleep 0.1; done
if [ $stopped = yes ]; then
  wait $pid; status=$?
  pid=
  if [ $status -eq 0 ] && grep -q '"msg":"stopped"' "$work/log"; then echo "ok   SIGTERM -> clean exit 0"
  else echo "FAIL SIGTERM -> exit $status"; rc=1; fi
else
  echo "FAIL webhook still running 10 s after SIGTERM"; rc=1
fi
# started without a configuration: no modelRepositories, so ModelVersions could claim ordinary images
if grep -q '"level":"warn".*"msg":"modelRepositories is empty' "$work/log"; then echo "ok   no modelRepositories -> warned at start"
else echo "FAIL no warning at start without modelRepositories"; rc=1; fi
if grep -q '"level":"error"' "$work/log"; then
  echo "FAIL errors in the webhook log:"; grep '"level":"error"' "$work/log" | head -5; rc=1
fi
[ $rc -eq 0 ] && echo "webhook-server: all checks passed" || { echo "webhook-server: FAILED (log below)"; tail -20 "$work/log"; }
exit $rc
