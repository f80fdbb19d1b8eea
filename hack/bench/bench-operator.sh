#!/bin/bash
# Operator figures: N ModelDeployments created at once on the test API server (with its
# kubelet): time until every one is Serving relative to the time the API server took to accept
# the creates, API writes per ModelDeployment to converge, writes during idle resyncs, watch
# streams re-opened, the operator's peak RSS and CPU seconds. Sizes: BENCH_OPERATOR_SIZES
# (default "1000 10000"); idle period BENCH_OPERATOR_IDLE_S (default 300, the issue's 5
# minutes). BENCH_OPERATOR_BASELINE_BIN: another build of the operator (an earlier commit) run
# over the same scenario after this one, for the ratios of a change. Rows on stdout for
# hack/bench/run.sh: figure|modelgov|baseline|ratio|goal.
set -u
source "$(dirname "$0")/../../tests/integration/lib.sh" >/dev/null
cd "$IT_ROOT"

# run_one BINARY N: one cluster, N ModelDeployments; sets OUT (the driver's JSON), HWM (kB),
# CPU (s) and RESTARTS (modelgov_operator_watch_restarts_total at the end)
run_one() {
  local bin=$1 n=$2 op port
  it_start_cluster --kubelet >&2
  kubectl apply -f crds/ >/dev/null && kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
  "$bin" --context carol --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 --resync-seconds 10 \
    --workers 4 --log-format text >"$IT_DIR/operator-$n.log" 2>&1 &
  op=$!
  OUT=$(/usr/bin/python3 hack/bench/operator_bench.py "$IT_DIR/cluster" "$n" "${BENCH_OPERATOR_IDLE_S:-300}" carol)
  HWM=$(awk '/VmHWM/ {print $2}' /proc/$op/status)
  CPU=$(awk '{printf "%.2f", ($14 + $15) / 100}' /proc/$op/stat)
  port=$(sed -n 's/.*listening server=metrics .*port=\([0-9]*\).*/\1/p' "$IT_DIR/operator-$n.log" | head -1)
  RESTARTS=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^modelgov_operator_watch_restarts_total/ {print $2}')
  kill -TERM $op; wait $op 2>/dev/null
  "$IT_ROOT/hack/testcluster/testcluster" down --dir "$IT_DIR/cluster" >/dev/null 2>&1
  rm -rf "$IT_DIR/cluster"
  echo "$OUT" >&2
}

for n in ${BENCH_OPERATOR_SIZES:-1000 10000}; do
  run_one bin/modelgov-operator "$n"
  /usr/bin/python3 - "$OUT" "$n" "$HWM" "$CPU" "${RESTARTS:-?}" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); n = int(sys.argv[2]); hwm_mb = int(sys.argv[3]) / 1024; cpu = float(sys.argv[4])
print(f"operator: {n} MDs all Serving (s)|{r['serving_s']:.1f}|{r['accept_s']:.1f} (API accepted creates)|{r['serving_s']/r['accept_s']:.2f}x|-")
print(f"operator: API writes per MD to converge (objects+status)|{r['writes']/n:.2f}|-|-|<= 4")
print(f"operator: Events per MD (one per phase transition)|{r['events']/n:.2f}|-|-|-")
print(f"operator: writes during {r['idle_s']} s idle ({n} MDs)|{r['idle_writes']}|-|-|0")
print(f"operator: watch streams re-opened ({n} MDs, incl. {r['idle_s']} s idle, resync every 10 s)|{sys.argv[5]}|-|-|-")
print(f"operator: peak RSS at {n} MDs (MB)|{hwm_mb:.1f}|-|-|<= 40 at 10000")
print(f"operator: CPU seconds ({n} MDs, incl. idle)|{cpu:.1f}|-|-|-")
PY
  if [ -n "${BENCH_OPERATOR_BASELINE_BIN:-}" ]; then
    hwm=$HWM cpu=$CPU restarts=${RESTARTS:-?}
    run_one "$BENCH_OPERATOR_BASELINE_BIN" "$n"
    b=$BENCH_OPERATOR_BASELINE_BIN
    echo "operator: watch streams re-opened, this build vs $b ($n MDs)|$restarts|${RESTARTS:-?}|-|-"
    echo "operator: peak RSS, this build vs $b ($n MDs, MB)|$(awk -v k=$hwm 'BEGIN{printf "%.1f", k/1024}')|$(awk -v k=$HWM 'BEGIN{printf "%.1f", k/1024}')|$(awk -v a=$hwm -v b=$HWM 'BEGIN{printf "%.2fx", a/b}')|-"
    echo "operator: CPU seconds, this build vs $b ($n MDs)|$cpu|$CPU|$(awk -v a=$cpu -v b=$CPU 'BEGIN{printf "%.2fx", a/b}')|-"
  fi
done
