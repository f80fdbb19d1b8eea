#!/bin/bash
# Monitoring engine figures for make bench (rows "figure|modelgov|baseline|ratio|goal"):
# tests/bench/bench_monitor.c runs operator/monitor against a fleet of simulated model pods
# (tests/support/fleet_server.c: one process, every pod on a loopback address of its own):
# N ModelDeployments x 2 pods x 20 features, each evaluated every 30 s at its own phase.
# - the run: 1 pod in 100 answers after 2 s, 1 in 200 never answers (each scrape bounded by
#   the 5 s timeout);
# - baseline, in the same run: the same fleet with every pod answering at once.
# Figures taken over BENCH_MONITOR_MEASURE_S (default 60) after one whole interval: evaluations
# per second, lateness (verdict time minus due time; 0 when ready before it, as evaluations start
# the scrape timeout ahead) p99 over every model and over the models
# whose pods all answer, CPU of the engine per evaluation, RSS. BENCH_MONITOR_MODELS (default
# 10000) sets N.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build/release}
bin=$build/bench/bench_monitor fleet=$build/support/fleet-server
[ -x "$bin" ] && [ -x "$fleet" ] || make --no-print-directory -j2 "$bin" "$fleet" >&2
N=${BENCH_MONITOR_MODELS:-10000} S=${BENCH_MONITOR_MEASURE_S:-60}
base=$("$bin" "$fleet" "$N" 2 20 30 "$S" 0 0)
run=$("$bin" "$fleet" "$N" 2 20 30 "$S" 100 200)
echo "baseline: $base" >&2
echo "run: $run" >&2
/usr/bin/python3 - "$base" "$run" <<'PY'
import json, sys
b, r = json.loads(sys.argv[1]), json.loads(sys.argv[2])
n = r["models"]
def ratio(x, y): return f"{x / y:.2f}x" if y else "-"
def late(x, key):  # lateness is taken over verdicts: none judged in the window has none to time
    return f"{x[key]:.3f}" if x["judged"] else "none judged"
print(f"monitoring: evaluations/s ({n} models x 2 pods x 20 features, 30 s; 1% pods slow, 0.5% hanging)|"
      f"{r['evals_per_s']:.1f}|{b['evals_per_s']:.1f} (all pods healthy)|{ratio(r['evals_per_s'], b['evals_per_s'])}|"
      f">= {r['expected_per_s']:.1f} (every model once per interval)")
print(f"monitoring: lateness p99 s, every model|{late(r, 'late_p99')}|{late(b, 'late_p99')} (all pods healthy)|"
      f"{ratio(r['late_p99'], b['late_p99']) if r['judged'] and b['judged'] else '-'}|<= 1 (evaluations start a scrape timeout ahead of their due time)")
print(f"monitoring: lateness p99 s, models whose pods all answer|{late(r, 'healthy_p99')}|{late(b, 'healthy_p99')}|"
      f"{ratio(r['healthy_p99'], b['healthy_p99']) if r['judged'] and b['judged'] else '-'}|<= 1")
print(f"monitoring: CPU ms per evaluation (2 scrapes, parse, window, judge, verdict)|{r['cpu_ms_per_eval']:.3f}|"
      f"{b['cpu_ms_per_eval']:.3f}|{ratio(r['cpu_ms_per_eval'], b['cpu_ms_per_eval'])}|-")
print(f"monitoring: fleet server CPU ms per scrape (not the bottleneck)|{r['fleet_cpu_ms_per_scrape']:.3f}|-|-|-")
print(f"monitoring: RSS MB ({n} models; traffic windows KB per model)|{r['rss_mb']:.1f} ({r['window_kb_per_model']:.1f})|-|-|-")
PY
