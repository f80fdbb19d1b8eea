#!/bin/bash
# Webhook serving figures : wrk (2 threads, 32 keep-alive TLS connections,
# --latency) POSTs a realistic AdmissionReview (a Pod with 3 containers, one of them a model
# image; ~6 KB) to modelgov-webhook's /validate, and in the same run to nginx (Debian nginx-light,
# started here on loopback with its own config and certificate, `return 200` of a fixed
# AdmissionReview answer). Each wrk run lasts BENCH_WEBHOOK_SECONDS (default 10) after a short
# warm-up. Prints rows "figure|modelgov|baseline|ratio|goal"; progress goes to stderr.
set -u
cd "$(dirname "$0")/../.."
top=$PWD
SECS=${BENCH_WEBHOOK_SECONDS:-10}
bin=$top/bin/modelgov-webhook
[ -x "$bin" ] || { echo "bench-webhook: $bin not built" >&2; exit 1; }
for t in wrk nginx openssl python3; do
  command -v $t >/dev/null || [ -x /usr/sbin/$t ] || { echo "bench-webhook: $t missing (hack/deps.sh)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
T=$(mktemp -d /tmp/bench-webhook.XXXXXX)
wpid=; npid=
cleanup() {
  [ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
  [ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.crt" -days 2 \
  -subj /CN=bench -addext subjectAltName=IP:127.0.0.1 2>/dev/null || { echo "bench-webhook: openssl failed" >&2; exit 1; }

# The review: a Pod with 3 containers (app, model server with a model image pinned by digest,
# log shipper), env, resources, probes, volumes — what the replicaset controller sends.
python3 - "$T/review.json" <<'EOF'
import json, sys, uuid
def container(name, image, port):
    return {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
            "env": [{"name": "ENV_%d" % i, "value": "value-%d-%s" % (i, name)} for i in range(8)],
            "resources": {"limits": {"cpu": "2", "memory": "4Gi"}, "requests": {"cpu": "500m", "memory": "1Gi"}},
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"},
                               "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "volumeMounts": [{"name": "data", "mountPath": "/data"},
                             {"name": "kube-api-access-x7k2p", "readOnly": True,
                              "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
pod = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"generateName": "fraud-detector-7d9f8c6b5-", "namespace": "ml-prod",
                    "uid": str(uuid.uuid4()), "creationTimestamp": None,
                    "labels": {"app": "fraud-detector", "pod-template-hash": "7d9f8c6b5",
                               "mlops.modelgov.io/model": "fraud-detector"},
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "fraud-detector-7d9f8c6b5",
                                         "uid": str(uuid.uuid4()), "controller": True, "blockOwnerDeletion": True}],
                    "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                                       "time": "2026-11-26T11:40:09Z", "fieldsType": "FieldsV1",
                                       "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]},
       "spec": {"containers": [
                    container("api", "registry.example.com/apps/fraud-api:2.3.1", 8080),
                    container("model", "registry.example.com/models/fraud-detector@sha256:" + "ab" * 32, 9000),
                    container("log-shipper", "docker.io/fluent/fluent-bit:2.2", 2020)],
                "volumes": [{"name": "data", "emptyDir": {}},
                            {"name": "kube-api-access-x7k2p", "projected": {"sources": [
                                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}],
                                "defaultMode": 420}}],
                "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                "serviceAccountName": "default", "serviceAccount": "default", "securityContext": {},
                "schedulerName": "default-scheduler", "priority": 0, "enableServiceLinks": True,
                "preemptionPolicy": "PreemptLowerPriority",
                "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                                 "tolerationSeconds": 300}]},
       "status": {}}
review = {"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
          "request": {"uid": str(uuid.uuid4()), "kind": {"group": "", "version": "v1", "kind": "Pod"},
                      "resource": {"group": "", "version": "v1", "resource": "pods"},
                      "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
                      "requestResource": {"group": "", "version": "v1", "resource": "pods"},
                      "namespace": "ml-prod", "operation": "CREATE",
                      "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller",
                                   "uid": str(uuid.uuid4()),
                                   "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system",
                                              "system:authenticated"]},
                      "object": pod, "oldObject": None, "dryRun": False,
                      "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}}}
open(sys.argv[1], "w").write(json.dumps(review))
EOF
size=$(stat -c %s "$T/review.json")
echo "bench-webhook: review body $size bytes" >&2
python3 - "$T/review.json" "$T/post.lua" <<'EOF'
import json, sys
body = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(
    'wrk.method = "POST"\n'
    'wrk.path = "/validate?timeout=10s"\n'
    'wrk.headers["Content-Type"] = "application/json"\n'
    'wrk.headers["Accept"] = "application/json, */*"\n'
    'wrk.body = %s\n' % json.dumps(body))
EOF
answer='{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"00000000-0000-0000-0000-000000000000","allowed":true}}'

# nginx: two workers (one per core), TLS on loopback, a fixed answer.
nport=$(free_port)
mkdir -p "$T/nginx/logs"
cat > "$T/nginx/nginx.conf" <<EOF
worker_processes $(nproc);
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $T/nginx/body;
  client_max_body_size 4m;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nport ssl;
    ssl_certificate $T/tls.crt;
    ssl_certificate_key $T/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { default_type application/json; return 200 '$answer'; }
  }
}
EOF

# wrk_run URL NAME: warm-up, then the measured run; sets RPS, P50, P99 (ms).
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }
wrk_run() {
  wrk -t2 -c32 -d2s -s "$T/post.lua" "$1" > /dev/null 2>&1
  wrk -t2 -c32 -d"${SECS}s" --latency -s "$T/post.lua" "$1" > "$T/wrk-$2.txt" 2>&1
  cat "$T/wrk-$2.txt" >&2
  RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$T/wrk-$2.txt")
  P50=$(awk '$1 == "50%" {print $2}' "$T/wrk-$2.txt" | to_ms)
  P99=$(awk '$1 == "99%" {print $2}' "$T/wrk-$2.txt" | to_ms)
  local errs
  errs=$(grep -E "Non-2xx|Socket errors" "$T/wrk-$2.txt")
  [ -n "$errs" ] && echo "bench-webhook: WARNING ($2): $errs" >&2
  [ -n "$RPS" ] && [ -n "$P99" ]
}

echo "bench-webhook: modelgov-webhook" >&2
# The policy treats registry.example.com/models/ as model images, so the review goes through the
# model-image rule (its ModelVersion is unknown to the empty index: a denial with a reason).
printf 'modelRepositories: ["registry.example.com/models/"]\n' > "$T/config.yaml"
"$bin" --no-caches --listen 127.0.0.1:0 --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" --config "$T/config.yaml" \
  --log-format json 2> "$T/webhook.log" &
wpid=$!
wport=
for _ in $(seq 1 100); do
  wport=$(sed -n 's/.*"msg":"listening".*"port":"\([0-9]*\)".*/\1/p' "$T/webhook.log" | head -1)
  [ -n "$wport" ] && break
  sleep 0.1
done
[ -n "$wport" ] || { echo "bench-webhook: webhook did not start" >&2; cat "$T/webhook.log" >&2; exit 1; }
curl -sk -o /dev/null -w '' -H 'Content-Type: application/json' --data-binary @"$T/review.json" \
  "https://127.0.0.1:$wport/validate" || { echo "bench-webhook: webhook not answering" >&2; exit 1; }
wrk_run "https://127.0.0.1:$wport/validate?timeout=10s" webhook || { echo "bench-webhook: wrk failed" >&2; exit 1; }
w_rps=$RPS; w_p50=$P50; w_p99=$P99
w_rss=$(awk '/^VmHWM:/ {printf "%.1f", $2/1024}' /proc/$wpid/status)
kill $wpid; wait $wpid 2>/dev/null; wpid=

echo "bench-webhook: nginx" >&2
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2> "$T/nginx/stderr" &
npid=$!
for _ in $(seq 1 50); do
  curl -sk -o /dev/null "https://127.0.0.1:$nport/validate" && break
  sleep 0.1
done
wrk_run "https://127.0.0.1:$nport/validate?timeout=10s" nginx || { echo "bench-webhook: wrk on nginx failed" >&2; cat "$T/nginx/stderr" "$T/nginx/logs/error.log" >&2; exit 1; }
n_rps=$RPS; n_p50=$P50; n_p99=$P99
kill $npid; wait $npid 2>/dev/null; npid=

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "-"; else printf "%.2f", a/b }'; }
echo "webhook req/s (wrk 2t/32c, TLS keep-alive, ${size} B review)|$w_rps|$n_rps (nginx)|$(ratio "$w_rps" "$n_rps")|>= 0.6"
echo "webhook p50 latency ms|$w_p50|$n_p50 (nginx)|$(ratio "$w_p50" "$n_p50")|-"
echo "webhook p99 latency ms|$w_p99|$n_p99 (nginx)|$(ratio "$w_p99" "$n_p99")|<= 1.5"
echo "webhook peak RSS MB under load (no model index yet)|$w_rss|-|-|<= 20"
