#!/bin/bash
# Webhook memory with 10,000 ModelVersions and 30,000 reviews indexed (goal: RSS <= 20 MB): the
# test API server holds N ModelVersions (BENCH_WEBHOOK_MVS, default 10000) with three reviews
# each (bound as the webhook binds them: spec.modelVersionUID and spec.digest); the webhook syncs
# its caches and its resident memory is read once /readyz answers. Baseline: the same webhook with no objects to index. Rows for hack/bench/run.sh.
set -u
source "$(dirname "$0")/../../tests/integration/lib.sh" >/dev/null
cd "$IT_ROOT"
N=${BENCH_WEBHOOK_MVS:-10000}
it_start_cluster >&2
kubectl apply -f crds/ >/dev/null && kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_of_ready_webhook() { # [BINARY] prints VmRSS in kB once /readyz answers
  local port; port=$(free_port)
  "${1:-bin/modelgov-webhook}" --listen 127.0.0.1:$port --log-level warn >"$IT_DIR/webhook.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  sleep 1
  awk '/VmRSS/ {print $2}' /proc/$pid/status
  kill -TERM $pid; wait $pid 2>/dev/null
}
base=$(rss_of_ready_webhook)
/usr/bin/python3 - "$IT_DIR/cluster" "$N" <<'PY'
import http.client, json, ssl, sys, threading
d, n = sys.argv[1], int(sys.argv[2])
port = int(open(d + "/port").read()); token = json.load(open(d + "/tokens.json"))["admin"]
ctx = ssl.create_default_context(cafile=d + "/ca.crt")
def post(c, path, body):
    c.request("POST", path, json.dumps(body), {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse(); return json.loads(r.read() or b"{}")
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
post(c, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "idx"}})
B = "/apis/mlops.modelgov.io/v1alpha1/namespaces/idx/"
def work(lo, hi):
    cc = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    for i in range(lo, hi):
        mv = post(cc, B + "modelversions", {"apiVersion": "mlops.modelgov.io/v1alpha1", "kind": "ModelVersion",
             "metadata": {"name": "m-%05d" % i, "annotations": {"mlops.modelgov.io/author": "bob"}},
             "spec": {"model": "m-%d" % (i // 10), "version": "1.%d" % (i % 10), "image": "registry.example.com/models/m-%d" % (i // 10),
                      "digest": "sha256:%064x" % i}})
        for k, who in (("security", "alice"), ("performance", "carol"), ("bias", "alice")):
            post(cc, B + "modelreviews", {"apiVersion": "mlops.modelgov.io/v1alpha1", "kind": "ModelReview",
                 "metadata": {"name": "m-%05d-%s" % (i, k)}, "spec": {"modelVersion": "m-%05d" % i, "kind": k, "verdict": "approve", "reviewer": who,
                 "modelVersionUID": mv["metadata"]["uid"], "digest": mv["spec"]["digest"]}})
ts = [threading.Thread(target=work, args=(k * n // 8, (k + 1) * n // 8)) for k in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
PY
full=$(rss_of_ready_webhook)
echo "webhook RSS with $N ModelVersions and $((N * 3)) reviews indexed (MB)|$(awk -v v=$full 'BEGIN{printf "%.1f", v/1024}')|$(awk -v v=$base 'BEGIN{printf "%.1f", v/1024}') (empty caches)|$(awk -v a=$full -v b=$base 'BEGIN{printf "%.2fx", a/b}')|<= 20"
# BENCH_WEBHOOK_BASELINE_BIN: another build of the webhook (an earlier commit) over the same
# objects, for the ratio of a change
if [ -n "${BENCH_WEBHOOK_BASELINE_BIN:-}" ]; then
  other=$(rss_of_ready_webhook "$BENCH_WEBHOOK_BASELINE_BIN")
  echo "webhook RSS, same objects: this build vs $BENCH_WEBHOOK_BASELINE_BIN (MB)|$(awk -v v=$full 'BEGIN{printf "%.1f", v/1024}')|$(awk -v v=$other 'BEGIN{printf "%.1f", v/1024}')|$(awk -v a=$full -v b=$other 'BEGIN{printf "%.2fx", a/b}')|<= 20"
fi
