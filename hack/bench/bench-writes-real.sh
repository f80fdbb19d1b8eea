#!/bin/bash
# Write accounting on a real kube-apiserver v1.28 (hack/realcluster with the node agent): N
# ModelDeployments (BENCH_WRITES_REAL_SIZES, default 300) created at once; the operator's writes
# counted from the API server's audit log by its user agent ("modelgov/") until every one is
# Serving, and during BENCH_WRITES_REAL_IDLE_S (default 60) seconds with nothing changing. The
# baseline, measured in the same run: the same scenario on the test API server, counted from its
# request log. Equal counts say the two servers account the operator's writes alike (the test
# server's figures in bench-operator.sh then stand for the real server's). Without the real
# binaries it prints no row and says why on stderr. Rows for hack/bench/run.sh:
# figure|modelgov|baseline|ratio|goal.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

one() { # SERVER N IDLE: one JSON line from the scenario on that server
  MG_TEST_SERVER=$1 bash -c '
    set -u
    source "$0/tests/integration/lib.sh" >/dev/null
    cd "$IT_ROOT"
    n=$1 idle=$2
    it_start_cluster --kubelet >&2
    kubectl apply -f crds/ >/dev/null && kubectl wait --for condition=established --timeout=60s crd --all >/dev/null
    # admin: system:masters on the real server (the chart'"'"'s RBAC is chart.sh'"'"'s concern)
    user=admin; it_server_is_real || user=carol
    bin/modelgov-operator --context $user --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 \
      --resync-seconds 10 --workers 4 >"$IT_DIR/operator.log" 2>&1 &
    op=$!
    IT_PIDS+=($op)
    if it_server_is_real; then
      /usr/bin/python3 hack/bench/operator_bench_real.py "$IT_DIR/cluster" "$n" "$idle" "$op"
    else
      /usr/bin/python3 hack/bench/operator_bench.py "$IT_DIR/cluster" "$n" "$idle" "$user"
    fi
  ' "$ROOT" "$2" "$3"
}

if ! why=$("$ROOT/hack/realcluster/realcluster" binaries 2>&1); then
  echo "bench-writes-real: skipped — $why" >&2
  exit 0
fi
idle=${BENCH_WRITES_REAL_IDLE_S:-60}
for n in ${BENCH_WRITES_REAL_SIZES:-300}; do
  base=$(one testcluster "$n" "$idle") || { echo "bench-writes-real: the test-server run failed" >&2; exit 1; }
  real=$(one real "$n" "$idle") || { echo "bench-writes-real: the real-server run failed" >&2; exit 1; }
  echo "test server: $base" >&2
  echo "real: ${real%%\"rss_samples\"*}" >&2
  /usr/bin/python3 - "$n" "$real" "$base" <<'PY'
import json, sys
n = int(sys.argv[1]); r = json.loads(sys.argv[2]); b = json.loads(sys.argv[3])
def ratio(x, y):
    return f"{x / y:.2f}x" if y else "-"
for what, key, per, goal in (("API writes per MD to converge (objects+status)", "writes", n, "<= 4"),
                             ("Events per MD", "events", n, "-")):
    x, y = r[key] / per, b[key] / per
    print(f"real kube-apiserver, audit log: {what} ({n} MDs)|{x:.2f}|{y:.2f} (test server)|{ratio(x, y)}|{goal}")
print(f"real kube-apiserver, audit log: operator writes in {r['idle_s']} s idle ({n} MDs)"
      f"|{r['idle_writes']}|{b['idle_writes']} (test server)|-|0")
print(f"real kube-apiserver: {n} MDs all Serving (s)|{r['serving_s']:.1f}"
      f"|{b['serving_s']:.1f} (test server)|{ratio(r['serving_s'], b['serving_s'])}|-")
PY
done
