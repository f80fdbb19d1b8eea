#!/usr/bin/python3
"""Python standard-library reference for `kubectl modelgov pseudonymize` (the bench baseline):
pseudonymize_ref.py KEYFILE COLUMNS DROP IN OUT — csv + hmac + hashlib, same token format
(lowercase hex HMAC-SHA256 of the UTF-8 field; empty stays empty), same output (CRLF,
minimal quoting), input/output digests and a JSON report, streamed row by row."""
import csv
import hashlib
import hmac
import json
import sys

keyfile, cols, drop, src, dst = sys.argv[1:6]
key = open(keyfile, "rb").read()
cols, drop = cols.split(","), [d for d in drop.split(",") if d]
ih, oh = hashlib.sha256(), hashlib.sha256()


class HashingReader:
    def __init__(self, f):
        self.f = f

    def __iter__(self):
        for line in self.f:
            ih.update(line.encode("utf-8"))
            yield line


class HashingWriter:
    def __init__(self, f):
        self.f = f

    def write(self, s):
        oh.update(s.encode("utf-8"))
        return self.f.write(s)


rows = 0
with open(src, newline="", encoding="utf-8") as fi, open(dst, "w", newline="", encoding="utf-8") as fo:
    r = csv.reader(HashingReader(fi))
    w = csv.writer(HashingWriter(fo), lineterminator="\r\n")
    hdr = next(r)
    ci = {hdr.index(c) for c in cols}
    keep = [i for i, h in enumerate(hdr) if h not in drop]
    w.writerow([hdr[i] for i in keep])
    new = hmac.new
    sha = hashlib.sha256
    for row in r:
        w.writerow([(new(key, row[i].encode("utf-8"), sha).hexdigest() if row[i] else "") if i in ci else row[i]
                    for i in keep])
        rows += 1
report = {"keyFingerprint": "sha256:" + hashlib.sha256(b"modelgov-key-fingerprint-v1:" + key).hexdigest(),
          "input": {"digest": "sha256:" + ih.hexdigest()}, "output": {"digest": "sha256:" + oh.hexdigest()},
          "columnsPseudonymized": cols, "columnsDropped": drop, "rows": rows}
text = json.dumps(report, indent=2) + "\n"
open(dst + ".report.json", "w").write(text)
print("sha256:" + hashlib.sha256(text.encode()).hexdigest())
