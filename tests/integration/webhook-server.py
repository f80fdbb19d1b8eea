"""Driver for tests/integration/webhook-server.sh: talks to a running modelgov-webhook over TLS.

Usage: webhook-server.py PORT PID WORKDIR ADMISSION_DIR
WORKDIR holds ca.crt, the certificate directory certs/ (Kubernetes Secret-volume layout:
tls.crt -> ..data/tls.crt, ..data -> a versioned directory) and v2/ (the rotated pair).
Prints one line per check and exits non-zero when any check fails.
"""
import glob
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import warnings
import time

warnings.simplefilter("ignore", DeprecationWarning)

PORT, PID, WORK, ADMISSION = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
failures = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else "  -- " + str(detail)[:600]), flush=True)
    if not cond:
        failures.append(name)


def ctx():
    c = ssl.create_default_context(cafile=os.path.join(WORK, "ca.crt"))
    c.check_hostname = True
    return c


def conn():
    return http.client.HTTPSConnection("127.0.0.1", PORT, context=ctx(), timeout=10)


def req(method, path, body=None, headers=None, c=None):
    own = c is None
    c = c or conn()
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read(), dict(r.getheaders())
    finally:
        if own:
            c.close()


def review_uid(data):
    try:
        return json.loads(data)["response"]["uid"]
    except Exception:
        return None


def metrics():
    st, body, hdr = req("GET", "/metrics")
    return st, body.decode(), hdr


def metric_value(text, name, labels=""):
    pat = r"(?m)^" + re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" (\S+)\n"
    m = re.search(pat, text)
    return float(m.group(1)) if m else None


# ---------------------------------------------------------------- health
st, body, _ = req("GET", "/healthz")
check("GET /healthz is 200 ok", st == 200 and body == b"ok\n", (st, body))
st, body, _ = req("GET", "/readyz")
check("GET /readyz is 200 once ready", st == 200, (st, body))
st, body, _ = req("GET", "/nope")
check("unknown path is 404", st == 404, st)
st, body, hdr = req("GET", "/validate")
check("GET /validate is 405 with Allow: POST", st == 405 and hdr.get("Allow") == "POST", (st, hdr))

# ---------------------------------------------------------------- recorded reviews
files = sorted(glob.glob(os.path.join(ADMISSION, "*.json")))
check("recorded AdmissionReviews found", len(files) >= 10, ADMISSION)
c = conn()
for f in files:
    rec = json.load(open(f))
    body = json.dumps(rec["body"]).encode()
    headers = {k: v for k, v in rec["headers"].items() if k.lower() not in ("host", "content-length")}
    st, data, _ = req("POST", rec["path"], body, headers, c=c)
    uid = rec["body"]["request"]["uid"]
    ok = st == 200 and review_uid(data) == uid
    if ok:
        resp = json.loads(data)
        ok = resp["apiVersion"] == "admission.k8s.io/v1" and resp["kind"] == "AdmissionReview"
    check("recorded %s -> 200 with its uid" % os.path.basename(f), ok, (st, data[:300]))
c.close()

# ---------------------------------------------------------------- malformed bodies
sample = json.load(open(files[0]))["body"]
sample_uid = sample["request"]["uid"]
good = json.dumps(sample).encode()
JSON = {"Content-Type": "application/json"}


def expect_400(name, body, headers=JSON, want=None, uid=None):
    st, data, _ = req("POST", "/validate?timeout=5s", body, headers)
    try:
        msg = json.loads(data)["response"]["status"]["message"]
    except Exception:
        msg = None
    ok = st == 400 and msg and (want is None or want in msg)
    if ok and uid is not None:
        ok = review_uid(data) == uid
    check(name, ok, (st, data[:300]))


expect_400("malformed JSON -> 400 with reason", b"{not json", want="not valid JSON")
expect_400("truncated JSON -> 400 with reason", good[: len(good) // 2], want="not valid JSON")
expect_400("empty body -> 400", b"", want="empty")
expect_400("JSON array -> 400", b"[1,2]", want="not a JSON object")
bad = dict(sample, kind="Pod")
expect_400("wrong kind -> 400 echoing the uid", json.dumps(bad).encode(), want="AdmissionReview", uid=sample_uid)
bad = dict(sample, apiVersion="admission.k8s.io/v1beta1")
expect_400("wrong apiVersion -> 400", json.dumps(bad).encode(), want="admission.k8s.io/v1")
bad = json.loads(good)
del bad["request"]["uid"]
expect_400("missing uid -> 400", json.dumps(bad).encode(), want="uid")
expect_400("text/plain -> 400", good, headers={"Content-Type": "text/plain"}, want="Content-Type")

# Oversized: 4 MiB. The server answers 413 from the headers alone, before any of the body.
s = ctx().wrap_socket(socket.create_connection(("127.0.0.1", PORT), timeout=10), server_hostname="127.0.0.1")
s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: 4194304\r\n\r\n")
data = b""
try:
    while b"\r\n\r\n" not in data or len(data) < 100:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
s.close()
check("4 MiB Content-Length -> 413 before the body is sent",
      data.startswith(b"HTTP/1.1 413") and b"exceeds the limit" in data, data[:200])
big = os.path.join(WORK, "big.json")
with open(big, "wb") as fh:
    fh.write(b'{"kind":"AdmissionReview","pad":"' + b"x" * (4 << 20) + b'"}')
out = subprocess.run(["curl", "-sS", "--cacert", os.path.join(WORK, "ca.crt"), "-o", "-", "-w", "\n%{http_code}",
                      "-H", "Content-Type: application/json", "--data-binary", "@" + big,
                      "https://127.0.0.1:%d/validate" % PORT], capture_output=True, timeout=30)
lines = out.stdout.decode(errors="replace").rsplit("\n", 1)
check("4 MiB body via curl -> 413 with a reason", len(lines) == 2 and lines[1] == "413" and "exceeds" in lines[0],
      (out.stdout[:200], out.stderr[:200]))

# Body shorter than its Content-Length, then the client half-closes: no answer needed, no crash.
s = ctx().wrap_socket(socket.create_connection(("127.0.0.1", PORT), timeout=10), server_hostname="127.0.0.1")
s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
          + good[:100])
s.close()
st, body, _ = req("GET", "/healthz")
check("still serving after malformed, oversized and truncated requests", st == 200, st)

# ---------------------------------------------------------------- slowloris
slow_socks = []


def slowloris(i, mode):
    s = ctx().wrap_socket(socket.create_connection(("127.0.0.1", PORT), timeout=40), server_hostname="127.0.0.1")
    if mode == "headers":
        s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\n")
        trickle = b"X-Slow: " + b"a" * 200
    else:
        s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3000\r\n\r\n")
        trickle = b" " * 200
    slow_socks.append(s)
    start = time.time()
    try:
        for b in trickle:
            s.sendall(bytes([b]))
            time.sleep(0.25)
            if time.time() - start > 40:
                break
    except OSError:
        pass
    # The server must have dropped us (or answered with an error), not waited forever.
    closed_at = None
    try:
        s.settimeout(max(1, 40 - (time.time() - start)))
        while True:
            d = s.recv(4096)
            if not d:
                break
    except (OSError, ssl.SSLError):
        pass
    closed_at = time.time() - start
    results[i] = closed_at


results = {}
threads = [threading.Thread(target=slowloris, args=(i, "headers" if i < 3 else "body")) for i in range(6)]
for t in threads:
    t.start()
time.sleep(1)
served = 0
t0 = time.time()
for i in range(20):
    st, data, _ = req("POST", "/validate", good, JSON)
    served += st == 200 and review_uid(data) == sample_uid
check("20 requests served while 6 slowloris clients trickle", served == 20, served)
for t in threads:
    t.join(60)
check("slow header senders are cut off (header timeout)", all(results.get(i, 99) < 35 for i in range(3)), results)
check("slow body senders are cut off (body timeout)", all(results.get(i, 99) < 35 for i in range(3, 6)), results)

# ---------------------------------------------------------------- many large reviews at once
# 80 clients each send a 3 MiB review (the API server's largest) at once, half of them Pods with
# 3 MiB of environment and half Deployment UPDATEs with thousands of containers. The bodies being
# read or decided are capped together: the ones past the budget are answered 429 before their
# body is read (clients sending "Expect: 100-continue" see it; the others may see the connection
# closed under them), the rest 200. Meanwhile a small review every 50 ms must still be answered
# within the API server's timeout for the chart's webhook (timeoutSeconds 5), and the process must
# stay within the chart's memory limit.
FLOOD_CLIENTS, BIG = 80, 3 << 20
CHART_TIMEOUT_S, CHART_MEMORY_LIMIT_MB = 5, 256


def big_pod_review(uid):
    r = json.loads(good)
    r["request"]["uid"] = uid
    pod = r["request"].get("object") or {}
    spec = pod.setdefault("spec", {})
    cs = spec.setdefault("containers", [{"name": "c", "image": "nginx:1.25"}])
    cs[0]["env"] = [{"name": "E%06d" % i, "value": "v" * 40} for i in range(BIG // 64)]
    text = json.dumps(r).encode()
    return text[:BIG] if len(text) <= BIG else json.dumps(trim_env(r, len(text))).encode()


def trim_env(r, size):
    env = r["request"]["object"]["spec"]["containers"][0]["env"]
    del env[len(env) - (size - BIG) // 60 - 1:]
    return r


def big_deployment_review(uid):
    def dep(letter, n):
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "big", "namespace": "fx"},
                "spec": {"replicas": 1, "template": {"spec": {"containers": [
                    {"name": "c%d" % i, "image": "registry.example.com/apps/svc-%s%d:1.0" % (letter, i)}
                    for i in range(n)]}}}}
    n = BIG // 2 // 75
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid, "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"}, "name": "big", "namespace": "fx",
        "operation": "UPDATE", "userInfo": {"username": "alice"}, "object": dep("b", n),
        "oldObject": dep("a", n)}}).encode()


flood = {"200": 0, "429": 0, "closed": 0, "other": []}
flood_lock = threading.Lock()


BIG_BODIES = [big_deployment_review("flood-xx"), big_pod_review("flood-xx")]  # built once: the clients start together


def send_big(i):
    body = BIG_BODIES[i % 2].replace(b'"flood-xx"', b'"flood-%02d"' % i, 1)
    expect = i % 4 < 2
    head = ("POST /validate?timeout=5s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n%s\r\n" % (len(body), "Expect: 100-continue\r\n" if expect else "")).encode()
    outcome = "closed"
    try:
        s = ctx().wrap_socket(socket.create_connection(("127.0.0.1", PORT), timeout=60), server_hostname="127.0.0.1")
        s.sendall(head)
        first = b""
        if expect:
            while b"\r\n\r\n" not in first:
                chunk = s.recv(4096)
                if not chunk:
                    break
                first += chunk
        if not first.startswith(b"HTTP/1.1 429"):
            first = b""
            s.sendall(body)
            while b"\r\n\r\n" not in first:
                chunk = s.recv(65536)
                if not chunk:
                    break
                first += chunk
        outcome = first[9:12].decode() if first.startswith(b"HTTP/1.1 ") else "closed"
        s.close()
    except OSError:
        pass
    with flood_lock:
        if outcome in ("200", "429", "closed"):
            flood[outcome] += 1
        else:
            flood["other"].append(outcome)


small_latencies, small_failures = [], []
stop_small = threading.Event()


def small_reviews():
    c = conn()
    c.timeout = CHART_TIMEOUT_S
    while not stop_small.is_set():
        t0 = time.monotonic()
        try:
            st, data, _ = req("POST", "/validate?timeout=5s", good, JSON, c=c)
            ok = st == 200 and review_uid(data) == sample_uid
        except OSError as e:
            ok, st = False, repr(e)
            c.close()
            c = conn()
        small_latencies.append(time.monotonic() - t0)
        if not ok:
            small_failures.append(st)
        time.sleep(0.05)
    c.close()


def vm_kb(field):
    for line in open("/proc/%d/status" % PID):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


small = threading.Thread(target=small_reviews)
small.start()
time.sleep(0.3)
flooders = [threading.Thread(target=send_big, args=(i,)) for i in range(FLOOD_CLIENTS)]
t0 = time.monotonic()
for t in flooders:
    t.start()
for t in flooders:
    t.join()
flood_s = time.monotonic() - t0
time.sleep(0.3)
stop_small.set()
small.join()
lat = sorted(small_latencies)
peak_mb = vm_kb("VmHWM") / 1024
print("     flood: %d x %d MiB in %.1f s: %d answered 200, %d answered 429, %d closed unanswered; small reviews: "
      "%d, p50 %.3f s, p99 %.3f s, max %.3f s; peak RSS %.1f MB"
      % (FLOOD_CLIENTS, BIG >> 20, flood_s, flood["200"], flood["429"], flood["closed"], len(lat),
         lat[len(lat) // 2] if lat else -1, lat[int(len(lat) * 0.99)] if lat else -1, lat[-1] if lat else -1, peak_mb),
      flush=True)
check("flood: some large reviews decided (200), none answered otherwise", flood["200"] > 0 and not flood["other"],
      flood)
check("flood: reviews past the in-flight budget answered 429 (seen through Expect: 100-continue)",
      flood["429"] > 0, flood)
check("flood: every review answered or refused (80 in all)", flood["200"] + flood["429"] + flood["closed"] == 80,
      flood)
check("flood: every small review answered 200 within the chart's %d s webhook timeout" % CHART_TIMEOUT_S,
      not small_failures and lat and lat[-1] < CHART_TIMEOUT_S, (small_failures[:5], lat[-3:]))
check("flood: peak RSS %.0f MB within the chart's memory limit %d MiB" % (peak_mb, CHART_MEMORY_LIMIT_MB),
      0 < peak_mb < CHART_MEMORY_LIMIT_MB, peak_mb)
st, text, _ = metrics()
check("flood: the in-flight body gauge is back to 0",
      metric_value(text, "modelgov_webhook_http_inflight_body_bytes") == 0,
      metric_value(text, "modelgov_webhook_http_inflight_body_bytes"))
check("flood: 429 responses counted", (metric_value(text, "modelgov_webhook_http_responses_total", 'code="429"') or 0) > 0)

# ---------------------------------------------------------------- metrics, threads
st, text, hdr = metrics()
check("/metrics is 200 text/plain version=0.0.4", st == 200 and "version=0.0.4" in hdr.get("Content-Type", ""), hdr)
path = os.path.join(WORK, "metrics.txt")
open(path, "w").write(text)
pt = subprocess.run(["promtool", "check", "metrics"], stdin=open(path), capture_output=True, timeout=30)
check("/metrics passes promtool check metrics", pt.returncode == 0, pt.stdout + pt.stderr)
check("metrics count allowed pods",
      (metric_value(text, "modelgov_webhook_admission_requests_total", 'decision="allowed",resource="pods"') or 0) >= 1,
      text[:800])
check("metrics count malformed reviews",
      (metric_value(text, "modelgov_webhook_admission_requests_total", 'decision="error",resource="unknown"') or 0) >= 8)
check("metrics have the latency histogram",
      (metric_value(text, "modelgov_webhook_admission_duration_seconds_count", 'resource="pods"') or 0) >= 1)
check("metrics count 413 responses",
      (metric_value(text, "modelgov_webhook_http_responses_total", 'code="413"') or 0) >= 1)
nthreads = metric_value(text, "modelgov_webhook_http_server_threads")
ncpu = os.cpu_count() or 1
check("one service thread per CPU", nthreads == ncpu, (nthreads, ncpu))
tasks = len(os.listdir("/proc/%d/task" % PID))
check("process has the service threads (/proc/PID/task)", tasks >= ncpu + 1, tasks)
# New connections are spread over the threads' SO_REUSEPORT listeners.
for i in range(40):
    req("GET", "/healthz")
st, text, _ = metrics()
per = [metric_value(text, "modelgov_webhook_http_server_requests_total", 'thread="%d"' % i) or 0
       for i in range(int(nthreads or 1))]
check("every service thread answered requests (both cores used)", ncpu == 1 or all(v > 0 for v in per), per)

# ---------------------------------------------------------------- certificate rotation
def openssl_field(cert, field):
    return subprocess.run(["openssl", "x509", "-noout", "-" + field, "-in", cert], capture_output=True,
                          text=True).stdout.strip().split("=", 1)[1]


def epoch(openssl_date):
    return int(subprocess.run(["date", "-u", "-d", openssl_date, "+%s"], capture_output=True, text=True).stdout)


def ser(x):
    return x.upper().lstrip("0")


old_serial = openssl_field(os.path.join(WORK, "certs", "tls.crt"), "serial")
new_serial = openssl_field(os.path.join(WORK, "v2", "tls.crt"), "serial")
new_not_after = openssl_field(os.path.join(WORK, "v2", "tls.crt"), "enddate")
st, text, _ = metrics()
check("cert expiry gauge is the served notAfter",
      metric_value(text, "modelgov_webhook_tls_certificate_not_after_seconds") ==
      epoch(openssl_field(os.path.join(WORK, "certs", "tls.crt"), "enddate")))

keep = conn()
st, data, _ = req("POST", "/validate", good, JSON, c=keep)
keep_sock = keep.sock
check("kept connection works before rotation", st == 200 and ser(keep.sock.getpeercert()["serialNumber"]) == ser(old_serial),
      keep.sock.getpeercert())

# Rotate the way a Kubernetes Secret volume does: swap the ..data symlink atomically.
certs = os.path.join(WORK, "certs")
os.symlink(os.path.join(WORK, "v2"), os.path.join(certs, "..data_tmp"))
os.replace(os.path.join(certs, "..data_tmp"), os.path.join(certs, "..data"))
seen = None
deadline = time.time() + 20
while time.time() < deadline:
    s = ctx().wrap_socket(socket.create_connection(("127.0.0.1", PORT), timeout=5), server_hostname="127.0.0.1")
    pc = s.getpeercert()
    s.close()
    seen = ser(pc["serialNumber"])
    if seen == ser(new_serial):
        break
    time.sleep(0.3)
check("new connections get the rotated certificate (serial)", seen == ser(new_serial), (seen, new_serial))
check("new connections get the rotated certificate (notAfter)", epoch(pc["notAfter"]) == epoch(new_not_after),
      (pc["notAfter"], new_not_after))
st, data, _ = req("POST", "/validate", good, JSON, c=keep)
check("the connection opened before rotation still works", st == 200 and review_uid(data) == sample_uid
      and keep.sock is keep_sock and ser(keep.sock.getpeercert()["serialNumber"]) == ser(old_serial), st)
keep.close()
st, text, _ = metrics()
check("cert expiry gauge follows the rotation",
      metric_value(text, "modelgov_webhook_tls_certificate_not_after_seconds") == epoch(new_not_after),
      metric_value(text, "modelgov_webhook_tls_certificate_not_after_seconds"))
check("reload counted", metric_value(text, "modelgov_webhook_tls_certificate_reloads_total", 'result="success"') == 1)

# A broken pair (key of another cert) is refused; the current certificate stays in service.
os.symlink(os.path.join(WORK, "v3-broken"), os.path.join(certs, "..data_tmp"))
os.replace(os.path.join(certs, "..data_tmp"), os.path.join(certs, "..data"))
time.sleep(3)
s = ctx().wrap_socket(socket.create_connection(("127.0.0.1", PORT), timeout=5), server_hostname="127.0.0.1")
seen = ser(s.getpeercert()["serialNumber"])
s.close()
check("a mismatched cert/key pair is not installed", seen == ser(new_serial), seen)
st, text, _ = metrics()
check("failed reload counted", (metric_value(text, "modelgov_webhook_tls_certificate_reloads_total",
                                              'result="failure"') or 0) >= 1)

# TLS below 1.2 is refused.
old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
old.check_hostname = False
old.verify_mode = ssl.CERT_NONE
try:
    old.minimum_version = ssl.TLSVersion.TLSv1_1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("ALL:@SECLEVEL=0")
    s = old.wrap_socket(socket.create_connection(("127.0.0.1", PORT), timeout=5))
    s.close()
    refused = False
except (ssl.SSLError, OSError):
    refused = True
check("TLS 1.1 handshake refused", refused)

print("%d checks failed" % len(failures))
sys.exit(1 if failures else 0)
