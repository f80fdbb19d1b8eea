#!/usr/bin/env python3
"""Operator benchmark driver for the real kube-apiserver (hack/realcluster), stdlib only.

Creates N ModelDeployments at once over one approved ModelVersion, waits until every one is
Serving (the controller manager making their ReplicaSets and Pods, the node agent running them),
then stays idle; samples the operator's RSS all along. Writes are counted from the API server's
audit log (one line per write), by the operator's user agent ("modelgov/"). Prints one JSON line:
  accept_s     time the API server took to accept the N creates (8 client threads)
  serving_s    time from the first create until all N are Serving
  writes       the operator's writes (creates, updates, patches; Events apart) until then
  events       the operator's Events until then
  idle_writes  the operator's writes during IDLE seconds with nothing changing
  rss_peak_mb, rss_end_mb, rss_samples [[t, MB]...]  the operator's memory
Usage: operator_bench_real.py CLUSTER_DIR N IDLE OPERATOR_PID"""
import http.client
import json
import os
import ssl
import sys
import threading
import time

d, n, idle, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
port = int(open(os.path.join(d, "port")).read())
users = os.path.join(d, "pki", "users")
ctx = ssl.create_default_context(cafile=os.path.join(d, "pki", "ca.crt"))
ctx.load_cert_chain(os.path.join(users, "admin.crt"), os.path.join(users, "admin.key"))
NS = "bench"
G = "/apis/mlops.modelgov.io/v1alpha1/namespaces/" + NS


def conn():
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=120)


def req(c, method, path, body=None):
    """One request; a keep-alive connection the server closed meanwhile is opened again."""
    h = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "operator-bench"}
    for attempt in range(3):
        try:
            c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, json.loads(data) if data else None
        except (http.client.HTTPException, ConnectionError):
            c.close()
            if attempt == 2:
                raise


rss = []  # (seconds since start, MB)
t_start = time.monotonic()
stop = threading.Event()


def rss_mb():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def sampler():
    while not stop.is_set():
        try:
            rss.append((round(time.monotonic() - t_start, 1), round(rss_mb(), 1)))
        except OSError:
            return
        stop.wait(2)


threading.Thread(target=sampler, daemon=True).start()
c = conn()
req(c, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
digest = "sha256:" + "ab" * 32
s, mv = req(c, "POST", G + "/modelversions", {
    "apiVersion": "mlops.modelgov.io/v1alpha1", "kind": "ModelVersion",
    "metadata": {"name": "m-1", "annotations": {"mlops.modelgov.io/author": "bob"}},
    "spec": {"model": "m", "version": "1", "image": "registry.example.com/models/m", "digest": digest}})
for kind, who in (("security", "alice"), ("performance", "carol"), ("bias", "alice")):
    req(c, "POST", G + "/modelreviews", {
        "apiVersion": "mlops.modelgov.io/v1alpha1", "kind": "ModelReview", "metadata": {"name": "m-1-" + kind},
        "spec": {"modelVersion": "m-1", "modelVersionUID": mv["metadata"]["uid"], "digest": digest,
                 "kind": kind, "verdict": "approve", "reviewer": who}})
for _ in range(600):  # the measured phase starts from a settled, approved ModelVersion
    s, mv = req(c, "GET", G + "/modelversions/m-1")
    if mv.get("status", {}).get("approved"):
        break
    time.sleep(0.1)
else:
    sys.exit("the ModelVersion was not approved within 60 s: the measurement would be of nothing")


def audit_lines():
    with open(os.path.join(d, "audit.log"), "rb") as f:
        return sum(1 for _ in f)


def operator_writes(since):
    """(writes other than Events, Event writes) by the operator after audit line `since`."""
    w = ev = 0
    with open(os.path.join(d, "audit.log")) as f:
        for i, line in enumerate(f):
            if i < since:
                continue
            e = json.loads(line)
            if not e.get("userAgent", "").startswith("modelgov/") or e.get("stage") != "ResponseComplete":
                continue
            if e.get("verb") not in ("create", "update", "patch", "delete"):
                continue
            if e.get("objectRef", {}).get("resource") == "events":
                ev += 1
            else:
                w += 1
    return w, ev


mark = audit_lines()
t0 = time.monotonic()
errors = []


def creator(lo, hi):
    cc = conn()
    for i in range(lo, hi):
        s, _ = req(cc, "POST", G + "/modeldeployments", {
            "apiVersion": "mlops.modelgov.io/v1alpha1", "kind": "ModelDeployment",
            "metadata": {"name": "md-%05d" % i}, "spec": {"modelVersion": "m-1", "replicas": 1}})
        if s != 201:
            errors.append(s)


threads = [threading.Thread(target=creator, args=(k * n // 8, (k + 1) * n // 8)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
accept_s = time.monotonic() - t0


def count_serving():
    serving, cont = 0, ""
    while True:
        s, lst = req(c, "GET", G + "/modeldeployments?limit=500" + ("&continue=" + cont if cont else ""))
        serving += sum(1 for o in lst["items"] if o.get("status", {}).get("phase") == "Serving")
        cont = lst["metadata"].get("continue", "")
        if not cont:
            return serving


serving = 0
while time.monotonic() - t0 < 3600:
    serving = count_serving()
    if serving == n:
        break
    time.sleep(5)
serving_s = time.monotonic() - t0
time.sleep(5)
writes, events = operator_writes(mark)
mark = audit_lines()
time.sleep(idle)
idle_writes = sum(operator_writes(mark))
stop.set()
print(json.dumps({"n": n, "accept_s": accept_s, "serving_s": serving_s, "serving": serving, "writes": writes,
                  "events": events, "idle_s": idle, "idle_writes": idle_writes, "create_errors": len(errors),
                  "rss_peak_mb": max(r for _, r in rss) if rss else 0, "rss_end_mb": rss[-1][1] if rss else 0,
                  "rss_samples": rss}))
