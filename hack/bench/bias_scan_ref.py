#!/usr/bin/python3
"""Python standard-library reference for `kubectl modelgov bias-scan` (the bench baseline):
bias_scan_ref.py PROTECTED LABEL POSITIVE IN — csv + hashlib, streamed: per attribute and
group count, share, positive rate, disparate impact, four-fifths verdict; prints JSON."""
import csv
import hashlib
import json
import sys

prot, label, positive, src = sys.argv[1].split(","), sys.argv[2], sys.argv[3], sys.argv[4]
h = hashlib.sha256()
with open(src, "rb") as f:  # the file digest (the C tool reports fileDigest too)
    for block in iter(lambda: f.read(1 << 20), b""):
        h.update(block)
counts = [dict() for _ in prot]
rows = 0
with open(src, newline="", encoding="utf-8") as f:
    r = csv.reader(f)
    hdr = next(r)
    pi = [hdr.index(p) for p in prot]
    li = hdr.index(label)
    for row in r:
        pos = row[li] == positive
        for k, i in enumerate(pi):
            c = counts[k].get(row[i])
            if c is None:
                c = counts[k][row[i]] = [0, 0]
            c[0] += 1
            c[1] += pos
        rows += 1
groups, passed = [], True
for a, m in zip(prot, counts):
    best = max(p / n for n, p in m.values())
    for g in sorted(m):
        n, p = m[g]
        di = (p / n) / best if best > 0 else 1.0
        passed = passed and di >= 0.8
        groups.append({"attribute": a, "group": g, "count": n, "share": n / rows, "positiveRate": p / n,
                       "disparateImpact": di, "fourFifthsPass": di >= 0.8})
print(json.dumps({"label": label, "positive": positive, "rows": rows, "fileDigest": "sha256:" + h.hexdigest(),
                  "groups": groups, "passed": passed}))
