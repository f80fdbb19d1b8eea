#!/bin/bash
# Stats figures for make bench (rows "figure|modelgov|baseline|ratio|goal" on stdout):
# - raw-sample two-sample KS and Wasserstein-1 on 10^6 vs 10^6 values: modelgov's C against
#   scipy.stats.ks_2samp / wasserstein_distance (Debian's /usr/bin/python3) on the SAME data,
#   written once to a binary file both read, in the same run; best of 5 wall-clock runs each;
#   results must agree to 1e-9 (relative), else the script fails;
# - one evaluation round: 1,000 models x 50 features x 20 bins (baseline binning of the scraped
#   buckets + PSI + KS + JS per feature), CPU time.
# Needs bench-bins built (make bench does it). N=... overrides the sample size.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BUILD:-build/release}/bench/bench_stats
[ -x "$bin" ] || make --no-print-directory -j2 "$bin" >&2
n=${N:-1000000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp/data.bin" "$n" <<'PY' >&2
import sys, numpy as np
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(6)
a = rng.normal(0.0, 1.0, n)
b = rng.normal(0.05, 1.1, n)
with open(path, "wb") as f:
    np.array([n, n], dtype="<u8").tofile(f)
    a.astype("<f8").tofile(f)
    b.astype("<f8").tofile(f)
print(f"wrote {n} vs {n} samples", file=sys.stderr)
PY
"$bin" raw "$tmp/data.bin" > "$tmp/c.out"
/usr/bin/python3 - "$tmp/data.bin" > "$tmp/py.out" <<'PY'
import sys, time, numpy as np, scipy, scipy.stats
path = sys.argv[1]
with open(path, "rb") as f:
    na, nb = np.fromfile(f, dtype="<u8", count=2)
    a = np.fromfile(f, dtype="<f8", count=int(na))
    b = np.fromfile(f, dtype="<f8", count=int(nb))
def best(fn):
    t, v = float("inf"), None
    for _ in range(5):
        t0 = time.perf_counter(); v = fn(); t = min(t, time.perf_counter() - t0)
    return v, t
ks, tks = best(lambda: scipy.stats.ks_2samp(a, b).statistic)
w, tw = best(lambda: scipy.stats.wasserstein_distance(a, b))
print(f"ks {ks!r} {tks:.6f}")
print(f"wasserstein {w!r} {tw:.6f}")
print(f"version {scipy.__version__}")
PY
"$bin" eval 1000 50 20 > "$tmp/eval.out"
status=0
row() { # name key goal
  local c p ct pt
  read -r _ c ct < <(grep "^$2 " "$tmp/c.out")
  read -r _ p pt < <(grep "^$2 " "$tmp/py.out")
  local ok
  ok=$(awk -v c="$c" -v p="$p" 'BEGIN{d=c-p; if(d<0)d=-d; s=p<0?-p:p; print (d<=1e-9*s || d<=1e-15) ? "same" : "DIFFERENT"}')
  [ "$ok" = same ] || { echo "bench-stats: $2 differs: modelgov $c, scipy $p" >&2; status=1; }
  printf '%s|%.1f ms (%s)|%.1f ms scipy %s (%s)|%.1fx|%s\n' "$1" "$(awk -v t="$ct" 'BEGIN{print t*1000}')" "$c" \
    "$(awk -v t="$pt" 'BEGIN{print t*1000}')" "$(awk '/^version/{print $2}' "$tmp/py.out")" "$p" \
    "$(awk -v a="$ct" -v b="$pt" 'BEGIN{print b/a}')" "$3; results $ok"
}
row "raw KS statistic, 10^6 vs 10^6" ks ">=3x faster, same to 1e-9"
row "raw Wasserstein-1, 10^6 vs 10^6" wasserstein ">=3x faster, same to 1e-9"
read -r _ sum et < "$tmp/eval.out"
printf '%s|%.1f ms CPU|-|-|%s\n' "eval round 1000 models x 50 features x 20 bins (PSI+KS+JS)" \
  "$(awk -v t="$et" 'BEGIN{print t*1000}')" "well under the 30 s interval"
exit $status
