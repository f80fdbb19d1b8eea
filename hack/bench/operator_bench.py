#!/usr/bin/env python3
"""Operator benchmark driver (stdlib only): creates N ModelDeployments at once against the test
API server, waits until every one is Serving, and reports
  accept_s   time the API server took to accept the N creates (8 client threads, keep-alive)
  serving_s  time from the first create until all N are Serving
  writes     API writes (create/update/patch/delete) made by the operator's user while converging
  idle_writes writes during IDLE seconds with nothing changing (resyncs every 10 s)
as one JSON line. Usage: operator_bench.py KUBECONFIG-DIR N IDLE OPERATOR_USER"""
import http.client, json, ssl, sys, threading, time, urllib.parse

d, n, idle, op_user = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
port = int(open(d + "/port").read())
tokens = json.load(open(d + "/tokens.json"))
token = tokens["admin"]
ctx = ssl.create_default_context(cafile=d + "/ca.crt")

def conn():
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)

def req(c, method, path, body=None):
    h = {"Authorization": "Bearer " + token, "Content-Type": "application/json", "Accept": "application/json"}
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    data = r.read()
    return r.status, json.loads(data) if data else None

NS = "bench"
BASE = "/apis/mlops.modelgov.io/v1alpha1/namespaces/" + NS
c = conn()
req(c, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
digest = "sha256:" + "ab" * 32
s, mv = req(c, "POST", BASE + "/modelversions", {"apiVersion": "mlops.modelgov.io/v1alpha1", "kind": "ModelVersion",
    "metadata": {"name": "m-1", "annotations": {"mlops.modelgov.io/author": "bob"}},
    "spec": {"model": "m", "version": "1", "image": "registry.example.com/models/m", "digest": digest}})
for kind, who in (("security", "alice"), ("performance", "carol"), ("bias", "alice")):
    req(c, "POST", BASE + "/modelreviews", {"apiVersion": "mlops.modelgov.io/v1alpha1", "kind": "ModelReview",
        "metadata": {"name": "m-1-" + kind},
        # a review names the object and the artifact it judged (uid and digest), else it does not count
        "spec": {"modelVersion": "m-1", "modelVersionUID": mv["metadata"]["uid"], "digest": digest,
                 "kind": kind, "verdict": "approve", "reviewer": who}})
# wait until the operator has approved it, so the measured phase starts from a settled state
for _ in range(600):
    s, mv = req(c, "GET", BASE + "/modelversions/m-1")
    if mv.get("status", {}).get("approved"):
        break
    time.sleep(0.1)
else:
    sys.exit("the ModelVersion was not approved within 60 s: the measurement would be of nothing")

def log_seq():
    s, d2 = req(c, "GET", "/_testcluster/requests")
    items = d2["items"]
    return items[-1]["seq"] if items else 0

def writes_since(seq):
    """(writes other than Events, Event writes) by the operator's user since seq"""
    s, d2 = req(c, "GET", "/_testcluster/requests?since=%d" % seq)
    w = [r for r in d2["items"] if r.get("user") == op_user and r.get("verb") in ("create", "update", "patch", "delete")]
    ev = sum(1 for r in w if r.get("resource") == "events")
    return len(w) - ev, ev

seq0 = log_seq()
t0 = time.monotonic()
errors = []
def creator(lo, hi):
    cc = conn()
    for i in range(lo, hi):
        s, _ = req(cc, "POST", BASE + "/modeldeployments", {"apiVersion": "mlops.modelgov.io/v1alpha1",
            "kind": "ModelDeployment", "metadata": {"name": "md-%05d" % i}, "spec": {"modelVersion": "m-1", "replicas": 1}})
        if s != 201:
            errors.append(s)
threads = [threading.Thread(target=creator, args=(k * n // 8, (k + 1) * n // 8)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
accept_s = time.monotonic() - t0
while True:
    s, lst = req(c, "GET", BASE + "/modeldeployments")
    serving = sum(1 for o in lst["items"] if o.get("status", {}).get("phase") == "Serving")
    if serving == n:
        break
    if time.monotonic() - t0 > 1800:
        break
    time.sleep(0.5)
serving_s = time.monotonic() - t0
time.sleep(2)
writes, events = writes_since(seq0)
seq1 = log_seq()
time.sleep(idle)
idle_writes = sum(writes_since(seq1))
print(json.dumps({"n": n, "accept_s": accept_s, "serving_s": serving_s, "serving": serving, "writes": writes, "events": events,
                  "idle_s": idle, "idle_writes": idle_writes, "create_errors": len(errors)}))
