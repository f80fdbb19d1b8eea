#!/usr/bin/python3
"""Generates the golden files of tests/plugin/ for kubectl-modelgov's data commands.

Inputs (CSV files with RFC 4180 quoting, embedded newlines, UTF-8, empty fields, CRLF) are
generated from a fixed seed; the expected outputs are computed here, independently of the C
code: Python's csv/hmac/hashlib for hashing and pseudonymization, plain Python for k-anonymity
and the bias scan, numpy for baseline quantiles and scipy for drift. Run it with Debian's
/usr/bin/python3 (numpy, scipy) when the inputs or the conventions change, and check the result
in:  hack/gen-plugin-golden.py [OUTDIR]   (default tests/plugin)
"""
import csv
csv.field_size_limit(1 << 24)
import hashlib
import hmac
import io
import json
import math
import os
import random
import sys

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "plugin")
IN = os.path.join(OUT, "in")
EXP = os.path.join(OUT, "expected")
os.makedirs(IN, exist_ok=True)
os.makedirs(EXP, exist_ok=True)
rng = random.Random(20261126)


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False, sort_keys=False)
        f.write("\n")


def csv_bytes(rows, terminator="\r\n"):
    s = io.StringIO()
    w = csv.writer(s, lineterminator=terminator)
    for r in rows:
        w.writerow(r)
    return s.getvalue().encode("utf-8")


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, strict=True) if r != []]
    return rows[0], rows[1:]


# ---- people.csv: the messy file -----------------------------------------------------------
names = ["Smith, J", "Zoë", "李雷", 'O"Brien', "  padded  ", "Ann\nMarie", "Bob", "", "Émile", "Ωmega"]
notes = ["", "said \"hi\"\r\nthen left", "line1\nline2", "plain", "comma, inside", "ünïcödé", " ", "x"]
header = ["id", "name", "sex", "race", "age", "zip", "income", "approved", "pred", "note"]
rows = []
for i in range(60):
    sex = rng.choice(["f", "m", "m", "f", "x"] if i % 17 else ["f"])
    race = rng.choice(["a", "b", "c", "é"])
    age = rng.choice([23, 31, 34, 45, 52, 67, 34, 31])
    zipc = rng.choice(["1012", "1013", "2000", "2000"])
    income = "" if i % 11 == 3 else f"{rng.gauss(50000, 15000):.2f}"
    # approval depends on sex to create a bias signal
    p = {"f": 0.35, "m": 0.6, "x": 0.5}[sex]
    approved = "1" if rng.random() < p else "0"
    pred = approved if rng.random() < 0.8 else ("0" if approved == "1" else "1")
    rows.append([str(i + 1), names[i % len(names)], sex, race, str(age), zipc, income, approved, pred,
                 notes[i % len(notes)]])
people = [header] + rows
write_bytes(os.path.join(IN, "people.csv"), csv_bytes(people, "\r\n"))
write_bytes(os.path.join(IN, "people_lf.csv"), csv_bytes(people, "\n"))
# a single-column file whose values include an empty one (must not become a blank line)
write_bytes(os.path.join(IN, "single.csv"), csv_bytes([["secret"], ["a"], [""], ["b"]], "\r\n"))

# large fields: a 50 KB value to pseudonymize (hashed inline, not by the output worker) and a
# 300 KB quoted value with quotes, commas and newlines (crosses the 256 KB output buffers)
bigrows = [["name", "note", "n"]]
for i in range(3):
    bigrows.append([("N%d-" % i) + "é" * 17000, ('say "x", y\n' * 27000) if i == 0 else "short", str(i)])
write_bytes(os.path.join(IN, "bigfields.csv"), csv_bytes(bigrows, "\n"))

# keys: raw bytes, including NUL and newline bytes that must not be trimmed
key1 = bytes(range(0, 40)) + b"\n"
key2 = b"another key, \x00 with a NUL and a trailing newline....\n"
short = b"x" * 31
long_key = bytes((i * 7) % 256 for i in range(100))  # > 64 bytes: hashed first (RFC 2104)
write_bytes(os.path.join(IN, "key1.bin"), key1)
write_bytes(os.path.join(IN, "key2.bin"), key2)
write_bytes(os.path.join(IN, "short.bin"), short)
write_bytes(os.path.join(IN, "long.bin"), long_key)

# ---- malformed files; the expected error line is known by construction --------------------
bad = {
    # stray quote inside an unquoted field on line 5 (after a record spanning lines 3-4)
    "bad_quote.csv": (b"a,b\r\n1,2\r\n\"multi\r\nline\",3\r\n4,x\"y\r\n", 5),
    # quoted field opened on line 3 and never closed
    "bad_unterminated.csv": (b"a,b\n1,2\n3,\"open\n4,5\n", 3),
    # record with 3 fields starting on line 5 (after a record spanning lines 2-4)
    "bad_fields.csv": (b"a,b\n\"x\ny\nz\",1\n2,3,4\n", 5),
    # text after a closing quote on line 2
    "bad_after_quote.csv": (b"a,b\n\"ab\"c,1\n", 2),
}
for name, (data, _) in bad.items():
    write_bytes(os.path.join(IN, name), data)
with open(os.path.join(EXP, "errors.txt"), "w") as f:
    for name, (_, line) in sorted(bad.items()):
        f.write(f"{name} {line}\n")

# ---- dataset hash -----------------------------------------------------------------------
hash_files = ["people.csv", "people_lf.csv", "single.csv"]
out = []
for n in hash_files:
    data = open(os.path.join(IN, n), "rb").read()
    out.append({"file": f"in/{n}", "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "sizeBytes": len(data)})
write_json(os.path.join(EXP, "hash.json"), out)


# ---- pseudonymize -----------------------------------------------------------------------
def pseudonymize(src, key, cols, drop):
    hdr, data = read_csv(src)
    ci = [hdr.index(c) for c in cols]
    di = [hdr.index(c) for c in drop]
    keep = [i for i in range(len(hdr)) if i not in di]
    outrows = [[hdr[i] for i in keep]]
    for r in data:
        r2 = []
        for i in keep:
            v = r[i]
            if i in ci and v != "":
                v = hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()
            r2.append(v)
        outrows.append(r2)
    return csv_bytes(outrows, "\r\n"), len(data)


def fingerprint(key):
    return "sha256:" + hashlib.sha256(b"modelgov-key-fingerprint-v1:" + key).hexdigest()


cases = {
    "pseudo1": ("people.csv", key1, ["name", "zip"], ["note", "income"]),
    "pseudo1lf": ("people_lf.csv", key1, ["name", "zip"], ["note", "income"]),
    "pseudo2": ("people.csv", key2, ["name", "zip"], ["note", "income"]),
    "pseudolong": ("people.csv", long_key, ["name", "note"], []),
    "pseudosingle": ("single.csv", key1, ["secret"], []),
    "pseudobig": ("bigfields.csv", key2, ["name"], ["n"]),
}
meta = {}
for case, (src, key, cols, drop) in cases.items():
    data, nrows = pseudonymize(os.path.join(IN, src), key, cols, drop)
    write_bytes(os.path.join(EXP, case + ".csv"), data)
    srcdata = open(os.path.join(IN, src), "rb").read()
    meta[case] = {
        "input": src,
        "key": {"pseudo1": "key1.bin", "pseudo1lf": "key1.bin", "pseudo2": "key2.bin", "pseudolong": "long.bin",
                "pseudosingle": "key1.bin", "pseudobig": "key2.bin"}[case],
        "columns": ",".join(cols),
        "drop": ",".join(drop),
        "report": {
            "keyFingerprint": fingerprint(key),
            "input": {"digest": "sha256:" + hashlib.sha256(srcdata).hexdigest(), "sizeBytes": len(srcdata)},
            "output": {"digest": "sha256:" + hashlib.sha256(data).hexdigest(), "sizeBytes": len(data)},
            "columnsPseudonymized": cols,
            "columnsDropped": drop,
            "rows": nrows,
            "algorithm": "HMAC-SHA256",
        },
    }
write_json(os.path.join(EXP, "pseudo-cases.json"), meta)


# ---- anonymity --------------------------------------------------------------------------
def anonymity(src, quasi, show=10):
    hdr, data = read_csv(src)
    idx = [hdr.index(q) for q in quasi]
    counts = {}
    for r in data:
        t = tuple(r[i] for i in idx)
        counts[t] = counts.get(t, 0) + 1
    items = sorted(counts.items(), key=lambda kv: (kv[1], [v.encode("utf-8") for v in kv[0]]))
    # the C code orders ties by the encoded key: (4-byte length, bytes) per value; the tuples
    # here never tie on a prefix with different lengths, checked below
    return {
        "quasiIdentifiers": quasi,
        "rows": len(data),
        "classes": len(counts),
        "k": items[0][1],
        "smallestClasses": [{"values": dict(zip(quasi, t)), "count": c} for t, c in items[:show]],
    }


anon = {
    "anon_age_zip": anonymity(os.path.join(IN, "people.csv"), ["age", "zip"]),
    "anon_sex": anonymity(os.path.join(IN, "people.csv"), ["sex"], 3),
}
for case, obj in anon.items():
    write_json(os.path.join(EXP, case + ".json"), obj)


# ---- bias scan --------------------------------------------------------------------------
def bias_scan(src, protected, label, positive="1"):
    hdr, data = read_csv(src)
    li = hdr.index(label)
    groups = []
    passed = True
    for a in protected:
        ai = hdr.index(a)
        cnt, pos = {}, {}
        for r in data:
            g = r[ai]
            cnt[g] = cnt.get(g, 0) + 1
            pos[g] = pos.get(g, 0) + (1 if r[li] == positive else 0)
        rates = {g: pos[g] / cnt[g] for g in cnt}
        best = max(rates.values())
        for g in sorted(cnt, key=lambda s: s.encode("utf-8")):
            di = rates[g] / best if best > 0 else 1.0
            ok = di >= 0.8
            passed = passed and ok
            groups.append({"attribute": a, "group": g, "count": cnt[g], "share": cnt[g] / len(data),
                           "positiveRate": rates[g], "disparateImpact": di, "fourFifthsPass": ok})
    digest = "sha256:" + hashlib.sha256(open(src, "rb").read()).hexdigest()
    return {"label": label, "positive": positive, "rows": len(data), "fileDigest": digest, "groups": groups,
            "passed": passed}


write_json(os.path.join(EXP, "bias_sex_race.json"), bias_scan(os.path.join(IN, "people.csv"), ["sex", "race"], "approved"))
write_json(os.path.join(EXP, "bias_pred0.json"), bias_scan(os.path.join(IN, "people.csv"), ["race"], "pred", "0"))


# ---- baseline ---------------------------------------------------------------------------
def edges_props(values, bins):
    v = np.asarray(values, dtype=float)
    q = np.quantile(v, [i / bins for i in range(1, bins)])  # numpy default method 'linear'
    e = np.unique(q)
    idx = np.searchsorted(e, v, side="left")  # bin i: e[i-1] < x <= e[i]  (Prometheus le)
    counts = np.bincount(idx, minlength=len(e) + 1)
    return e, counts


def baseline(src, features, bins, label=None, pred=None, protected=(), positive="1"):
    hdr, data = read_csv(src)
    out = {"samples": len(data)}
    if label and pred:
        li, pi = hdr.index(label), hdr.index(pred)
        tp = sum(1 for r in data if r[li] == positive and r[pi] == positive)
        fp = sum(1 for r in data if r[li] != positive and r[pi] == positive)
        fn = sum(1 for r in data if r[li] == positive and r[pi] != positive)
        tn = len(data) - tp - fp - fn
        out["accuracy"] = (tp + tn) / len(data)
        out["f1"] = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0
    feats = []
    for f in features:
        fi = hdr.index(f)
        vals = [float(r[fi]) for r in data if r[fi].strip() != ""]
        e, c = edges_props(vals, bins)
        feats.append({"name": f, "edges": [float(x) for x in e], "proportions": [float(x) / len(vals) for x in c]})
    out["features"] = feats
    if pred and protected:
        pi = hdr.index(pred)
        li = hdr.index(label) if label else None
        groups = []
        for a in protected:
            ai = hdr.index(a)
            for g in sorted({r[ai] for r in data}, key=lambda s: s.encode("utf-8")):
                rs = [r for r in data if r[ai] == g]
                x = {"attribute": a, "group": g, "positiveRate": sum(r[pi] == positive for r in rs) / len(rs)}
                if li is not None:
                    lp = [r for r in rs if r[li] == positive]
                    if lp:
                        x["truePositiveRate"] = sum(r[pi] == positive for r in lp) / len(lp)
                groups.append(x)
        out["groups"] = groups
    return out


write_json(os.path.join(EXP, "baseline_full.json"),
           baseline(os.path.join(IN, "people.csv"), ["age", "income"], 5, "approved", "pred", ["sex", "race"]))
write_json(os.path.join(EXP, "baseline_plain.json"), baseline(os.path.join(IN, "people.csv"), ["age"], 4))

# ---- drift ------------------------------------------------------------------------------
ref_rows = [["x", "y", "cat", "z"]]
cur_rows = [["z", "x", "y", "cat"]]  # other column order on purpose
for i in range(400):
    ref_rows.append([f"{rng.gauss(0, 1):.3f}", str(rng.choice([1, 2, 2, 3, 3, 3, 4])), rng.choice(["u", "v"]),
                     "" if i % 13 == 0 else f"{rng.uniform(0, 10):.2f}"])
for i in range(350):
    cur_rows.append(["" if i % 7 == 0 else f"{rng.uniform(1, 12):.2f}", f"{rng.gauss(0.4, 1.2):.3f}",
                     str(rng.choice([1, 2, 3, 3, 4, 4, 4])), rng.choice(["u", "v", "w"])])
write_bytes(os.path.join(IN, "ref.csv"), csv_bytes(ref_rows, "\n"))
write_bytes(os.path.join(IN, "cur.csv"), csv_bytes(cur_rows, "\r\n"))


def drift(ref, cur, features, bins):
    rh, rd = read_csv(ref)
    ch, cd = read_csv(cur)
    out = []
    for f in features:
        a = np.array([float(r[rh.index(f)]) for r in rd if r[rh.index(f)] != ""])
        b = np.array([float(r[ch.index(f)]) for r in cd if r[ch.index(f)] != ""])
        e, ca = edges_props(a, bins)
        idx = np.searchsorted(e, b, side="left")
        cb = np.bincount(idx, minlength=len(e) + 1)
        pa, pb = ca / ca.sum(), cb / cb.sum()
        pa_, pb_ = np.maximum(pa, 1e-4), np.maximum(pb, 1e-4)
        psi = float(np.sum((pb_ - pa_) * np.log(pb_ / pa_)))
        js = float(jensenshannon(pa, pb, base=2))
        if np.all(ca > 0):
            expct = ca / ca.sum() * cb.sum()
            chi = stats.chisquare(cb, expct)
            chi2, p = float(chi.statistic), float(chi.pvalue)
        else:
            chi2, p = None, None
        out.append({"name": f, "psi": psi, "ks": float(stats.ks_2samp(a, b).statistic), "jsDistance": js,
                    "wasserstein": float(stats.wasserstein_distance(a, b)), "chi2": chi2, "chi2PValue": p,
                    "referenceSamples": int(len(a)), "currentSamples": int(len(b))})
    return {"features": out, "bins": bins}


write_json(os.path.join(EXP, "drift_xyz.json"), drift(os.path.join(IN, "ref.csv"), os.path.join(IN, "cur.csv"),
                                                      ["x", "y", "z"], 10))
write_json(os.path.join(EXP, "drift_y4.json"), drift(os.path.join(IN, "ref.csv"), os.path.join(IN, "cur.csv"),
                                                     ["y"], 4))
print("golden files written to", os.path.normpath(OUT))
