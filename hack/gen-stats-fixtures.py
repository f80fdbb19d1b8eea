#!/usr/bin/python3
"""Writes tests/unit/data/stats/*.json: deterministic random cases and the values that
scipy / numpy (and the published scikit-learn and Fairlearn definitions, recomputed here with
numpy because neither is installed) give for them. tests/unit/test_stats.c checks src/stats
against these to 1e-9 without needing scipy at test time.

Run with Debian's interpreter (python3-numpy, python3-scipy):
    /usr/bin/python3 hack/gen-stats-fixtures.py
The output is deterministic for a given numpy/scipy version (seeded generator).

References for the re-implemented definitions:
- scikit-learn accuracy_score, precision_score, recall_score, f1_score with zero_division=0;
  average='macro' is the unweighted mean of per-label scores over the labels present in
  y_true or y_pred (sklearn.utils.multiclass.unique_labels).
- Fairlearn (fairlearn.metrics): selection_rate = mean(y_pred == 1);
  demographic_parity_difference = MetricFrame(selection_rate).difference(method='between_groups')
  = max - min over groups; demographic_parity_ratio = group_min / group_max;
  equal_opportunity_difference = difference of true_positive_rate = TP/(TP+FN) between groups.
- PSI: sum((a - e) * ln(a / e)) over bins with proportions floored at 1e-4 (our documented
  smoothing; there is no scipy function for PSI).
"""
import json
import os
import sys

import numpy as np
import scipy
import scipy.special
import scipy.stats
from scipy.spatial.distance import jensenshannon

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "unit", "data", "stats")
PSI_EPS = 1e-4
rng = np.random.default_rng(20261126)


def f(x):
    """JSON-safe float (json writes repr, which round-trips exactly)."""
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def fl(a):
    return [f(x) for x in np.asarray(a, dtype=float).ravel()]


def dump(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=None, separators=(",", ":"))
        fh.write("\n")
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)", file=sys.stderr)


def safe_div(n, d):
    return n / d if d > 0 else 0.0


def classification():
    binary = []
    for i in range(12):
        n = int(rng.integers(0, 200)) if i > 1 else (0 if i == 0 else 5)
        y_true = rng.integers(0, 2, n)
        flip = rng.random(n) < rng.random()
        y_pred = np.where(flip, 1 - y_true, y_true)
        if i == 1:
            y_pred = np.zeros(n, dtype=int)
            y_true = np.zeros(n, dtype=int)  # no positives at all: zero_division cases
        tp = int(np.sum((y_true == 1) & (y_pred == 1)))
        fp = int(np.sum((y_true == 0) & (y_pred == 1)))
        tn = int(np.sum((y_true == 0) & (y_pred == 0)))
        fn = int(np.sum((y_true == 1) & (y_pred == 0)))
        binary.append({
            "tp": tp, "fp": fp, "tn": tn, "fn": fn,
            "accuracy": f(np.mean(y_true == y_pred)) if n else 0.0,
            "precision": f(safe_div(tp, tp + fp)),
            "recall": f(safe_div(tp, tp + fn)),
            "f1": f(safe_div(2 * tp, 2 * tp + fp + fn)),
        })
    multi = []
    for i in range(10):
        k = int(rng.integers(2, 7))
        n = int(rng.integers(1, 400))
        y_true = rng.integers(0, k, n)
        noise = rng.integers(0, k, n)
        y_pred = np.where(rng.random(n) < 0.3, noise, y_true)
        if i == 0:
            # one class never appears in y_true nor y_pred: not a label
            y_true = np.where(y_true == k - 1, 0, y_true)
            y_pred = np.where(y_pred == k - 1, 0, y_pred)
        m = np.zeros((k, k))
        for t, p in zip(y_true, y_pred):
            m[t, p] += 1
        labels = np.unique(np.concatenate([y_true, y_pred]))
        prec, rec, f1 = [], [], []
        for c in labels:
            tp = np.sum((y_true == c) & (y_pred == c))
            fp = np.sum((y_true != c) & (y_pred == c))
            fn = np.sum((y_true == c) & (y_pred != c))
            prec.append(safe_div(tp, tp + fp))
            rec.append(safe_div(tp, tp + fn))
            f1.append(safe_div(2 * tp, 2 * tp + fp + fn))
        multi.append({
            "k": k, "matrix": fl(m), "classes": int(len(labels)),
            "accuracy": f(np.mean(y_true == y_pred)),
            "macro_precision": f(np.mean(prec)), "macro_recall": f(np.mean(rec)),
            "macro_f1": f(np.mean(f1)),
        })
    dump("classification.json", {"binary": binary, "multiclass": multi})


def psi(e, a):
    e = np.asarray(e, float) / np.sum(e)
    a = np.asarray(a, float) / np.sum(a)
    e = np.maximum(e, PSI_EPS)
    a = np.maximum(a, PSI_EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def bin_positions(edges):
    edges = np.asarray(edges, float)
    k = len(edges)
    w0 = edges[1] - edges[0] if k > 1 else 1.0
    w1 = edges[-1] - edges[-2] if k > 1 else 1.0
    pos = [edges[0] - w0 / 2]
    pos += [edges[i - 1] + (edges[i] - edges[i - 1]) / 2 for i in range(1, k)]
    pos.append(edges[-1] + w1 / 2)
    return np.array(pos)


def binned():
    cases = []
    for i in range(24):
        nb = int(rng.integers(2, 25))
        edges = np.cumsum(rng.uniform(0.5, 10, nb - 1)) - 20
        if i % 4 == 0:
            # baseline given as proportions, live as integer counts
            expected = rng.dirichlet(np.ones(nb))
        else:
            expected = rng.integers(0, 300, nb).astype(float)
            expected[0] += 1
        shift = rng.normal(0, 0.5)
        actual = rng.poisson(np.maximum(expected / np.sum(expected) * rng.integers(50, 3000) * np.exp(
            shift * np.linspace(-1, 1, nb)), 0)).astype(float)
        if i % 5 == 1:
            actual[rng.integers(0, nb)] = 0  # empty bins exercise the smoothing
            expected[rng.integers(0, nb)] = 0
        if np.sum(actual) == 0:
            actual[0] = 1
        if np.sum(expected) == 0:
            expected[-1] = 1
        if i == 2:
            actual = expected.copy()  # identical: every distance is 0
        case = {"expected": fl(expected), "actual": fl(actual), "edges": fl(edges)}
        case["psi"] = f(psi(expected, actual))
        case["js"] = f(jensenshannon(expected, actual, base=2))
        pos = bin_positions(edges)
        case["positions"] = fl(pos)
        case["wasserstein"] = f(scipy.stats.wasserstein_distance(pos, pos, expected, actual))
        if np.all(expected == np.round(expected)):
            # integer counts: ks_2samp on the expanded samples, every bin's observations placed
            # at the bin's index
            xa = np.repeat(np.arange(nb), expected.astype(int))
            xb = np.repeat(np.arange(nb), actual.astype(int))
            case["ks"] = f(scipy.stats.ks_2samp(xa, xb).statistic)
        else:
            ca = np.cumsum(expected) / np.sum(expected)
            cb = np.cumsum(actual) / np.sum(actual)
            case["ks"] = f(np.max(np.abs(ca - cb)))
        if np.all(expected > 0):
            fe = expected * (np.sum(actual) / np.sum(expected))
            r = scipy.stats.chisquare(actual, fe)
            case["chisq_stat"] = f(r.statistic)
            case["chisq_p"] = f(r.pvalue)
        cases.append(case)
    # the contract's example baseline
    cases.append({
        "expected": [0.05, 0.2, 0.3, 0.25, 0.15, 0.05],
        "actual": [40, 210, 330, 220, 150, 50],
        "edges": [20, 30, 40, 50, 60],
    })
    c = cases[-1]
    c["psi"] = f(psi(c["expected"], c["actual"]))
    c["js"] = f(jensenshannon(c["expected"], c["actual"], base=2))
    pos = bin_positions(c["edges"])
    c["positions"] = fl(pos)
    c["wasserstein"] = f(scipy.stats.wasserstein_distance(pos, pos, c["expected"], c["actual"]))
    c["ks"] = f(np.max(np.abs(np.cumsum(c["expected"]) - np.cumsum(c["actual"]) / np.sum(c["actual"]))))
    fe = np.array(c["expected"]) * np.sum(c["actual"])
    r = scipy.stats.chisquare(c["actual"], fe)
    c["chisq_stat"], c["chisq_p"] = f(r.statistic), f(r.pvalue)
    dump("binned.json", {"psi_eps": PSI_EPS, "cases": cases})


def contingency():
    cases = []
    shapes = [(2, 2), (2, 2), (2, 3), (3, 2), (4, 5), (2, 8), (6, 6), (1, 4), (2, 2)]
    for i, (r, c) in enumerate(shapes):
        t = rng.integers(1, 60, (r, c)).astype(float)
        if i == 8:
            t = np.array([[10.0, 10.2], [10.1, 10.0]])  # |o - e| < 0.5: Yates clamps
        res = scipy.stats.chi2_contingency(t)
        cases.append({"r": r, "c": c, "table": fl(t), "stat": f(res[0]), "p": f(res[1]), "dof": f(res[2])})
    dump("contingency.json", {"cases": cases})


def gamma():
    cases = []
    grid_a = [0.5, 1, 1.5, 2.5, 4, 9.5, 10, 24.5, 50, 99.5, 500, 5000]
    for a in grid_a:
        for ratio in [0.01, 0.3, 0.8, 0.99, 1.0, 1.01, 1.2, 2, 4]:
            x = a * ratio
            cases.append({"a": f(a), "x": f(x), "p": f(scipy.special.gammainc(a, x)),
                          "q": f(scipy.special.gammaincc(a, x))})
    for a, x in [(0.5, 1e-8), (3, 60), (10, 80), (0.5, 30), (200, 320), (1.5, 0.0)]:
        cases.append({"a": f(a), "x": f(x), "p": f(scipy.special.gammainc(a, x)),
                      "q": f(scipy.special.gammaincc(a, x))})
    chi2 = []
    for x, k in [(3.84, 1), (0.5, 1), (12.0, 5), (100.0, 19), (250.0, 199), (1e-3, 3), (40.0, 2)]:
        chi2.append({"x": f(x), "dof": f(k), "sf": f(scipy.stats.chi2.sf(x, k))})
    dump("gamma.json", {"cases": cases, "chi2_sf": chi2})


def raw():
    cases = []
    for i in range(14):
        na = int(rng.integers(1, 400))
        nb = int(rng.integers(1, 400))
        a = rng.normal(0, 1, na)
        b = rng.normal(rng.normal(0, 0.5), rng.uniform(0.5, 2), nb)
        if i % 3 == 0:
            # heavy ties, within and across samples
            a = np.round(a, 1)
            b = np.round(b, 1)
        else:
            a = np.round(a, 6)
            b = np.round(b, 6)
        if i == 1:
            b = a.copy()
        if i == 2:
            a = np.full(na, 3.0)
            b = np.full(nb, 3.0)
        if i == 3:
            a = np.array([1.0])
            b = np.array([2.0])
        r = scipy.stats.ks_2samp(a, b)
        case = {"a": fl(a), "b": fl(b),
                "ks": f(r.statistic), "ks_p": f(r.pvalue),
                "wasserstein": f(scipy.stats.wasserstein_distance(a, b))}
        qs = [0.0, 0.1, 0.25, 0.333, 0.5, 0.9, 0.999, 1.0]
        case["quantile_q"] = qs
        case["quantile"] = fl(np.quantile(a, qs))
        nbins = int(rng.integers(2, 12))
        edges = np.unique(np.quantile(a, np.arange(1, nbins) / nbins))
        case["nbins"] = nbins
        case["edges"] = fl(edges)
        idx = np.searchsorted(edges, b, side="left")  # Prometheus le: v <= edge
        case["histogram"] = fl(np.bincount(idx, minlength=len(edges) + 1))
        cases.append(case)
    dump("raw.json", {"cases": cases})


def ks_pvalues():
    """Exact-mode p-values for sizes up to 10000 (scipy's own exact code path, which ks_2samp
    takes for them with method='auto'), and the Kolmogorov distribution's sf."""
    from math import gcd
    from scipy.stats._stats_py import _attempt_exact_2kssamp
    cases = []
    sizes = [(5, 5), (40, 40), (300, 300), (7, 5), (30, 20), (250, 97), (1000, 1500), (3000, 2000),
             (10000, 9999), (10000, 10000), (1, 10000), (8000, 60)]
    for n1, n2 in sizes:
        g = gcd(n1, n2)
        lcm = (n1 // g) * n2
        for frac in [0.0, 0.3, 1.0, 2.0, 4.0, 8.0]:
            # d around the interesting range: frac / sqrt(en)
            en = n1 * n2 / (n1 + n2)
            d = min(1.0, frac / np.sqrt(en))
            h = int(np.round(d * lcm))
            d = h / lcm
            ok, d2, p = _attempt_exact_2kssamp(n1, n2, g, d, "two-sided")
            if not ok:
                continue
            cases.append({"n1": n1, "n2": n2, "d": f(d2), "p": f(np.clip(p, 0, 1))})
    kol = [{"y": f(y), "sf": f(scipy.special.kolmogorov(y))}
           for y in [0.05, 0.2, 0.5, 0.8, 0.99, 1.0, 1.3, 2.0, 3.0, 5.0]]
    dump("ks.json", {"cases": cases, "kolmogorov": kol})


def fairness():
    cases = []
    for i in range(12):
        g = int(rng.integers(2, 6))
        n = rng.integers(0 if i % 4 == 0 else 1, 300, g)
        pred = []
        tp_l, pos_l = [], []
        for j in range(g):
            y_true = rng.integers(0, 2, n[j])
            y_pred = np.where(rng.random(n[j]) < rng.uniform(0.1, 0.9), 1, 0)
            pred.append(y_pred)
            tp_l.append(int(np.sum((y_true == 1) & (y_pred == 1))))
            pos_l.append(int(np.sum(y_true == 1)))
        sel_num = [int(np.sum(p == 1)) for p in pred]
        sel_den = [int(len(p)) for p in pred]
        # groups with no predictions / no actual positives carry no information: left out
        sel = [np.mean(p == 1) for p in pred if len(p) > 0]
        tpr = [tp_l[j] / pos_l[j] for j in range(g) if pos_l[j] > 0]
        case = {"sel_num": sel_num, "sel_den": sel_den, "tp": tp_l, "pos": pos_l}
        if sel:
            case["dpd"] = f(max(sel) - min(sel))
            case["dir"] = f(min(sel) / max(sel)) if max(sel) > 0 else "nan"
        if tpr:
            case["eod"] = f(max(tpr) - min(tpr))
        cases.append(case)
    dump("fairness.json", {"cases": cases})


def main():
    os.makedirs(OUT, exist_ok=True)
    print(f"numpy {np.__version__}, scipy {scipy.__version__}", file=sys.stderr)
    classification()
    binned()
    contingency()
    gamma()
    raw()
    ks_pvalues()
    fairness()


if __name__ == "__main__":
    main()
