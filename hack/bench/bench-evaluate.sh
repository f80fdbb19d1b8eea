#!/bin/bash
# Monitoring evaluation figure for make bench (rows "figure|modelgov|baseline|ratio|goal"):
# one evaluation round over 1,000 live ModelDeployments x 50 features x 20 bins (plus 2 protected
# attributes x 2 groups of predictions and a feedback confusion per group). Synthetic baselines
# and windows are generated once by numpy and written to a binary file that both sides read.
# - modelgov: tests/bench/bench_evaluate.c, per model mg_eval_window (bins -> PSI, KS, JS per
#   feature; accuracy, F1, accuracy drop; demographic parity difference, disparate impact, equal
#   opportunity difference; threshold breaches) + breach tracker update + lastEvaluation and
#   status.breaches JSON; CPU seconds (CLOCK_PROCESS_CPUTIME_ID), best of 3 runs. The ratio
#   compares the evaluation alone (the figures and breaches) with numpy.
# - baseline: the same figures computed by numpy (Debian's /usr/bin/python3) vectorized over the
#   whole round at once (no per-model JSON nor breach bookkeeping: the pure arithmetic), CPU
#   seconds (time.process_time), best of 3, in the same run.
# The checksums (sum of every figure) must agree to 1e-9 relative, else the script fails.
# MODELS=, FEATURES=, BINS= override the size.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BUILD:-build/release}/bench/bench_evaluate
[ -x "$bin" ] || make --no-print-directory -j2 "$bin" >&2
M=${MODELS:-1000} F=${FEATURES:-50} B=${BINS:-20}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp/data.bin" "$M" "$F" "$B" <<'PY' >&2
import sys, numpy as np
path, M, F, B = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(6)
props = rng.dirichlet(np.full(B, 5.0), size=(M, F))
# live traffic: 5000 samples per model from the baseline, every 10th model drifted
live_p = props.copy()
drift = np.zeros((M, F), bool); drift[::10, :3] = True
live_p[drift] = 0.5 * live_p[drift] + 0.5 * rng.dirichlet(np.full(B, 1.0), size=int(drift.sum()))
counts = np.stack([rng.multinomial(5000, p) for p in live_p.reshape(-1, B)]).reshape(M, F, B)
cum = np.cumsum(counts, axis=2).astype("<f8")
# predictions [m][race|sex][a|b][0|1]: each attribute splits the same 5000 predictions
pos = rng.binomial(5000, 0.4, size=M)
pred = np.zeros((M, 2, 2, 2))
for a in range(2):
    share = rng.uniform(0.3, 0.7, size=M)
    na = np.round(5000 * share); nb = 5000 - na
    pa = np.minimum(np.round(pos * share * rng.uniform(0.8, 1.2, size=M)), na)
    pred[:, a, 0, 1] = pa; pred[:, a, 0, 0] = na - pa
    pred[:, a, 1, 1] = np.minimum(pos - pa, nb); pred[:, a, 1, 0] = nb - pred[:, a, 1, 1]
# feedback [m][a|b][actual 0|1][predicted 0|1]
fb = rng.integers(20, 400, size=(M, 2, 2, 2)).astype(float)
with open(path, "wb") as f:
    np.array([M, F, B], dtype="<u8").tofile(f)
    props.astype("<f8").tofile(f); cum.tofile(f)
    pred.astype("<f8").tofile(f); fb.astype("<f8").tofile(f)
print(f"wrote {M} models x {F} features x {B} bins", file=sys.stderr)
PY
best_c= ; best_e= ; line=
for i in 1 2 3; do
  line=$("$bin" "$tmp/data.bin")
  read -r _ c_sum c_t c_e c_br <<<"$line"
  best_c=$(awk -v a="${best_c:-1e99}" -v b="$c_t" 'BEGIN{print (b<a)?b:a}')
  best_e=$(awk -v a="${best_e:-1e99}" -v b="$c_e" 'BEGIN{print (b<a)?b:a}')
done
echo "$line" >&2
/usr/bin/python3 - "$tmp/data.bin" > "$tmp/py.out" <<'PY'
import sys, time, numpy as np
path = sys.argv[1]
with open(path, "rb") as f:
    M, F, B = (int(x) for x in np.fromfile(f, dtype="<u8", count=3))
    props = np.fromfile(f, dtype="<f8", count=M * F * B).reshape(M, F, B)
    cum = np.fromfile(f, dtype="<f8", count=M * F * B).reshape(M, F, B)
    pred = np.fromfile(f, dtype="<f8", count=M * 8).reshape(M, 2, 2, 2)
    fb = np.fromfile(f, dtype="<f8", count=M * 8).reshape(M, 2, 2, 2)
LN2 = np.log(2.0)
def xlogy_over(p, m):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log(p / m), 0.0)
def round_():
    counts = np.diff(cum, axis=2, prepend=0.0)
    a = counts / counts.sum(axis=2, keepdims=True)
    e = props / props.sum(axis=2, keepdims=True)
    ee, aa = np.maximum(e, 1e-4), np.maximum(a, 1e-4)
    psi = np.maximum(((aa - ee) * np.log(aa / ee)).sum(axis=2), 0.0)
    ks = np.abs(np.cumsum(e, axis=2) - np.cumsum(a, axis=2)).max(axis=2)
    mm = 0.5 * (e + a)
    js = np.sqrt(np.maximum((xlogy_over(e, mm).sum(axis=2) + xlogy_over(a, mm).sum(axis=2)) / (2 * LN2), 0.0))
    tn, fp, fn, tp = (fb[:, :, 0, 0].sum(1), fb[:, :, 0, 1].sum(1), fb[:, :, 1, 0].sum(1), fb[:, :, 1, 1].sum(1))
    acc = (tp + tn) / (tp + tn + fp + fn)
    f1 = 2 * tp / (2 * tp + fp + fn)
    rate = pred[:, :, :, 1] / pred.sum(axis=3)            # [m][attr][group]
    dp = rate.max(axis=2) - rate.min(axis=2)
    di = rate.min(axis=2) / rate.max(axis=2)
    tpr = fb[:, :, 1, 1] / fb[:, :, 1, :].sum(axis=2)     # sex [m][group]
    eo = tpr.max(axis=1) - tpr.min(axis=1)
    return psi.sum() + ks.sum() + js.sum() + acc.sum() + f1.sum() + dp.sum() + di.sum() + eo.sum()
t, v = float("inf"), None
for _ in range(3):
    t0 = time.process_time(); v = round_(); t = min(t, time.process_time() - t0)
print(f"numpy {v!r} {t:.6f} {np.__version__}")
PY
read -r _ p_sum p_t np_ver < "$tmp/py.out"
ok=$(awk -v c="$c_sum" -v p="$p_sum" 'BEGIN{d=c-p; if(d<0)d=-d; s=p<0?-p:p; print (d<=1e-9*s) ? "same" : "DIFFERENT"}')
status=0
[ "$ok" = same ] || { echo "bench-evaluate: checksums differ: modelgov $c_sum, numpy $p_sum" >&2; status=1; }
ms() { awk -v t="$1" 'BEGIN{printf "%.1f ms", t*1000}'; }
printf '%s|%s CPU eval (%s with tracker + JSON)|%s CPU numpy %s, vectorized|%s|%s\n' \
  "eval round $M models x $F features x $B bins (+fairness, breaches)" "$(ms "$best_e")" "$(ms "$best_c")" \
  "$(ms "$p_t")" "$np_ver" "$(awk -v a="$best_e" -v b="$p_t" 'BEGIN{printf "%.2fx", b/a}')" \
  "< 1 s CPU per 30 s interval; results $ok"
exit $status
