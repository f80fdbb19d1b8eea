#!/bin/bash
# Operator figures: N ModelDeployments created at once on the test API server (with its
# kubelet): time until every one is Serving relative to the time the API server took to accept
# the creates, API writes per ModelDeployment to converge, writes during idle resyncs, the
# operator's peak RSS and CPU seconds. Sizes: BENCH_OPERATOR_SIZES (default "1000 10000"); idle
# period BENCH_OPERATOR_IDLE_S (default 300, the issue's 5 minutes). Rows on stdout for
# hack/bench/run.sh: figure|modelgov|baseline|ratio|goal.
set -u
source "$(dirname "$0")/../../tests/integration/lib.sh" >/dev/null
cd "$IT_ROOT"
for n in ${BENCH_OPERATOR_SIZES:-1000 10000}; do
  it_start_cluster --kubelet >&2
  kubectl apply -f crds/ >/dev/null && kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
  bin/modelgov-operator --context carol --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 --resync-seconds 10 \
    --workers 4 >"$IT_DIR/operator-$n.log" 2>&1 &
  op=$!
  out=$(/usr/bin/python3 hack/bench/operator_bench.py "$IT_DIR/cluster" "$n" "${BENCH_OPERATOR_IDLE_S:-300}" carol)
  hwm=$(awk '/VmHWM/ {print $2}' /proc/$op/status)
  cpu=$(awk '{printf "%.2f", ($14 + $15) / 100}' /proc/$op/stat)
  kill -TERM $op; wait $op 2>/dev/null
  "$IT_ROOT/hack/testcluster/testcluster" down --dir "$IT_DIR/cluster" >/dev/null 2>&1
  rm -rf "$IT_DIR/cluster"
  echo "$out" >&2
  /usr/bin/python3 - "$out" "$n" "$hwm" "$cpu" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); n = int(sys.argv[2]); hwm_mb = int(sys.argv[3]) / 1024; cpu = float(sys.argv[4])
print(f"operator: {n} MDs all Serving (s)|{r['serving_s']:.1f}|{r['accept_s']:.1f} (API accepted creates)|{r['serving_s']/r['accept_s']:.2f}x|-")
print(f"operator: API writes per MD to converge (objects+status)|{r['writes']/n:.2f}|-|-|<= 4")
print(f"operator: Events per MD (one per phase transition)|{r['events']/n:.2f}|-|-|-")
print(f"operator: writes during {r['idle_s']} s idle ({n} MDs)|{r['idle_writes']}|-|-|0")
print(f"operator: peak RSS at {n} MDs (MB)|{hwm_mb:.1f}|-|-|<= 40 at 10000")
print(f"operator: CPU seconds ({n} MDs, incl. idle)|{cpu:.1f}|-|-|-")
PY
done
