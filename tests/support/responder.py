#!/usr/bin/python3
"""Scripted HTTPS responder for client and informer tests that do not need a full API server.

Usage:
    responder.py --dir DIR --script SCRIPT.json [--log LOG.jsonl] [--sans NAME,...]

At start it creates, with the `openssl` command, a throw-away CA and, signed by it, a server
certificate (SANs: 127.0.0.1, localhost and any --sans names) and a client certificate
(CN=alice, O=team-a):  DIR/ca.crt, DIR/server.{crt,key}, DIR/client.{crt,key}.
It then listens on 127.0.0.1, port 0 (the OS picks a free port), HTTPS only, HTTP/1.1 with
keep-alive, and writes the port number to DIR/port (atomically: the file appears complete).
Client certificates are optional; when one is presented it must chain to DIR/ca.crt.
The responder exits on SIGTERM/SIGINT, or by itself when its parent process goes away.

Script (JSON file, re-read whenever it changes on disk, which also resets "times" counters):
an ordered list of rules; each request is answered by the first rule that matches and still
has uses left. Fields:
    "method":   "GET" | "POST" | ... | "*"  (default "*")
    "path":     a prefix of the request target (path plus "?query", as received, still
                percent-encoded), or, when it starts with "^", a regular expression searched in it
    "status":   HTTP status (default 200)
    "headers":  {"Name": "value"} extra response headers (e.g. "Retry-After": "3")
    "body":     a string sent as is, or any other JSON value sent as JSON
                (Content-Type application/json unless "headers" sets one)
    "repeat":   n  -> the body string is repeated n times (large responses)
    "chunks":   [{"data": str, "delay_ms": n}, ...] -> a chunked response: each item is one
                HTTP chunk, sent after sleeping delay_ms; "body" is then ignored. Split JSON
                anywhere you like to test framing.
    "hold_ms":  after the chunks, keep the stream open this long (silent) before ending it
    "close":    true -> after the chunks/hold, drop the TCP connection without the final
                zero-length chunk (a broken watch stream)
    "delay_ms": sleep before sending the status line (slow server)
    "times":    n  -> the rule answers at most n requests (default unlimited)
A request no rule matches gets 404 with a metav1.Status whose message says so.

Log (--log, JSON lines, one per request, written before answering):
    {"conn": N, "method": ..., "path": "/api/v1/...?a=b", "headers": {lower-case name: value},
     "body": "raw request body text", "client_cn": "alice" | null, "rule": index | null}
"conn" numbers TCP connections 1, 2, ... in accept order, so a test can check that several
requests shared one connection (keep-alive reuse).

Examples (rules):
    LIST then a WATCH split mid-event, then a 410 as an ERROR event, then 410 as HTTP:
    {"method": "GET", "path": "/api/v1/configmaps?limit", "body": {"kind": "ConfigMapList",
     "apiVersion": "v1", "metadata": {"resourceVersion": "10"}, "items": []}}
    {"path": "^/api/v1/configmaps\\?watch=1.*resourceVersion=10", "times": 1, "chunks": [
       {"data": "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"na"},
       {"data": "me\":\"a\",\"resourceVersion\":\"11\"}}}\n", "delay_ms": 50}]}
    {"path": "^/api/v1/configmaps\\?watch=1", "times": 1, "chunks": [{"data":
       "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",
        \"message\":\"too old resource version: 10 (20)\",\"reason\":\"Expired\",\"code\":410}}\n"}]}
    {"path": "^/api/v1/configmaps\\?watch=1", "status": 410, "body": {"kind": "Status", ...}}
    429 with Retry-After:  {"path": "/api/v1/configmaps", "times": 2, "status": 429,
                            "headers": {"Retry-After": "1"}, "body": {"kind": "Status", ...}}
    a silent watch (stall): {"path": "^/api.*watch=1", "chunks": [], "hold_ms": 5000}
    a dropped watch:        {"path": "^/api.*watch=1", "chunks": [...], "close": true}
How a C test drives it: tests/unit/test_client.c (group_setup starts it with posix_spawnp and
waits for DIR/port; script() rewrites the script and empties the log; requests() reads the log).
"""
import argparse
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"rules": [], "mtime": None, "used": [], "conn": 0}
LOCK = threading.Lock()
ARGS = None


def gen_certs(d, sans):
    def run(*a):
        subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    p = lambda n: os.path.join(d, n)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("openssl", "req", "-x509", *ec, "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "2",
        "-subj", "/CN=responder-test-ca")
    alt = ",".join(["IP:127.0.0.1", "DNS:localhost"] + ["DNS:" + s for s in sans])
    with open(p("server.ext"), "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % alt)
    with open(p("client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for who, subj in (("server", "/CN=127.0.0.1"), ("client", "/O=team-a/CN=alice")):
        run("openssl", "req", *ec, "-keyout", p(who + ".key"), "-out", p(who + ".csr"), "-subj", subj)
        run("openssl", "x509", "-req", "-in", p(who + ".csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-days", "2", "-out", p(who + ".crt"), "-extfile", p(who + ".ext"))


def load_script():
    try:
        st = os.stat(ARGS.script)
    except OSError:
        return
    if (st.st_mtime_ns, st.st_ino, st.st_size) == STATE["mtime"]:
        return
    with open(ARGS.script) as f:
        rules = json.load(f)
    STATE["rules"] = rules
    STATE["used"] = [0] * len(rules)
    STATE["mtime"] = (st.st_mtime_ns, st.st_ino, st.st_size)


def pick(method, target):
    with LOCK:
        load_script()
        for i, r in enumerate(STATE["rules"]):
            m = r.get("method", "*")
            if m != "*" and m.upper() != method:
                continue
            pat = r.get("path", "")
            if pat.startswith("^"):
                if not re.search(pat, target):
                    continue
            elif not target.startswith(pat):
                continue
            if "times" in r and STATE["used"][i] >= r["times"]:
                continue
            STATE["used"][i] += 1
            return i, r
    return None, None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "responder"

    def setup(self):
        self.bad = False
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            self.bad = True  # e.g. the client refused our certificate
        super().setup()
        with LOCK:
            STATE["conn"] += 1
            self.conn_id = STATE["conn"]
        self.client_cn = None
        try:
            cert = self.connection.getpeercert()
            for rdn in (cert or {}).get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        self.client_cn = v
        except (AttributeError, ValueError):
            pass

    def log_message(self, fmt, *args):
        pass

    def handle(self):
        if not self.bad:
            super().handle()

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        idx, rule = pick(self.command, self.path)
        if ARGS.log:
            rec = {"conn": self.conn_id, "method": self.command, "path": self.path,
                   "headers": {k.lower(): v for k, v in self.headers.items()},
                   "body": body.decode("utf-8", "replace"), "client_cn": self.client_cn, "rule": idx}
            with LOCK, open(ARGS.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if rule is None:
            rule = {"status": 404, "body": {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                            "reason": "NotFound", "code": 404,
                                            "message": "responder: no rule for %s %s" % (self.command, self.path)}}
        try:
            self.answer(rule)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def answer(self, r):
        if r.get("delay_ms"):
            time.sleep(r["delay_ms"] / 1000.0)
        status = r.get("status", 200)
        headers = dict(r.get("headers", {}))
        lower = {k.lower() for k in headers}
        self.send_response(status)
        if "chunks" in r:
            if "content-type" not in lower:
                self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            for ch in r["chunks"]:
                if ch.get("delay_ms"):
                    time.sleep(ch["delay_ms"] / 1000.0)
                data = ch.get("data", "").encode()
                if data:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
            if r.get("hold_ms"):
                time.sleep(r["hold_ms"] / 1000.0)
            if r.get("close"):
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        body = r.get("body", "")
        if isinstance(body, str):
            data = body.encode() * int(r.get("repeat", 1))
        else:
            data = json.dumps(body).encode()
            if "content-type" not in lower:
                self.send_header("Content-Type", "application/json")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if r.get("close"):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def handle_error(self, request, client_address):
        pass  # broken connections are part of the tests


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--script", required=True)
    ap.add_argument("--log")
    ap.add_argument("--sans", default="")
    ARGS = ap.parse_args()
    os.makedirs(ARGS.dir, exist_ok=True)
    gen_certs(ARGS.dir, [s for s in ARGS.sans.split(",") if s])
    load_script()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(ARGS.dir, "server.crt"), os.path.join(ARGS.dir, "server.key"))
    ctx.load_verify_locations(os.path.join(ARGS.dir, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    srv = Server(("127.0.0.1", 0), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    port_file = os.path.join(ARGS.dir, "port")
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    parent = os.getppid()

    def watch_parent():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()


if __name__ == "__main__":
    sys.exit(main())
