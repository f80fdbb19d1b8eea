#!/usr/bin/env python3
"""A test model server that speaks modelgov's metric contract (README.md, "Metric contract for model servers").

It simulates a binary classifier serving live traffic whose behaviour can be switched at run
time, so tests and `make demo` can drive the monitoring loop:

  healthy  inputs follow the baseline's feature proportions, accuracy and per-group rates match
  drift    feature DRIFT_FEATURE (default: the first) shifts its mass towards the upper bins
  decay    accuracy drops (labels disagree with predictions more often)
  bias     the positive rate of the first group of the first protected attribute falls

Endpoints: GET /metrics (Prometheus text 0.0.4), GET /healthz, GET /state, POST /control with
JSON {"mode": "drift", "strength": 0.8, "rate": 200, "reset": true}. "reset" zeroes every counter
(as a restarted pod would), so counter-reset handling can be tested.

Usage: modelserver.py --port N [--host 127.0.0.1] [--baseline FILE.json] [--rate SAMPLES_PER_S]
       [--mode healthy] [--port-file F]
Python standard library only. Traffic is generated from a seeded PRNG in proportion to elapsed
time (rate samples per second), so counters grow like a real server's.
"""
import argparse
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_BASELINE = {
    "samples": 50000, "accuracy": 0.91, "f1": 0.88,
    "features": [
        {"name": "age", "edges": [20, 30, 40, 50, 60], "proportions": [0.05, 0.2, 0.3, 0.25, 0.15, 0.05]},
        {"name": "income", "edges": [1000, 2000, 4000, 8000], "proportions": [0.1, 0.3, 0.35, 0.2, 0.05]},
    ],
    "groups": [
        {"attribute": "sex", "group": "f", "positiveRate": 0.41, "truePositiveRate": 0.80},
        {"attribute": "sex", "group": "m", "positiveRate": 0.44, "truePositiveRate": 0.82},
    ],
}


def fmt(v):
    if v == float("inf"):
        return "+Inf"
    if float(v).is_integer():
        return str(int(v))
    return repr(float(v))


class Model:
    def __init__(self, baseline, rate, mode, seed=42):
        self.lock = threading.Lock()
        self.baseline = baseline
        self.rate = float(rate)
        self.mode = mode
        self.strength = 1.0
        self.rng = random.Random(seed)
        self.last = time.monotonic()
        self.carry = 0.0
        self.reset_counters()

    def reset_counters(self):
        self.hist = {f["name"]: [0] * (len(f["edges"]) + 1) for f in self.baseline["features"]}
        self.sums = {f["name"]: 0.0 for f in self.baseline["features"]}
        self.pred = {}
        self.feedback = {}
        self.total = 0

    def _proportions(self, feat, index):
        p = list(feat["proportions"])
        if self.mode == "drift" and index == 0:
            # move `strength` of the mass to the last two bins
            s = max(0.0, min(1.0, self.strength))
            moved = [x * s for x in p]
            p = [x - m for x, m in zip(p, moved)]
            p[-1] += sum(moved) * 0.5
            p[-2] += sum(moved) * 0.5
        return p

    def _value_in_bin(self, edges, b):
        lo = edges[b - 1] if b > 0 else edges[0] - (edges[1] - edges[0] if len(edges) > 1 else 1)
        hi = edges[b] if b < len(edges) else edges[-1] + (edges[-1] - edges[-2] if len(edges) > 1 else 1)
        return self.rng.uniform(lo, hi)

    def _one(self):
        for i, feat in enumerate(self.baseline["features"]):
            p = self._proportions(feat, i)
            b = self.rng.choices(range(len(p)), weights=p)[0]
            self.hist[feat["name"]][b] += 1
            self.sums[feat["name"]] += self._value_in_bin(feat["edges"], b)
        groups = self.baseline["groups"]
        by_attr = {}
        for g in groups:
            by_attr.setdefault(g["attribute"], []).append(g)
        acc = float(self.baseline.get("accuracy", 0.9))
        if self.mode == "decay":
            acc = max(0.0, acc - 0.4 * self.strength)
        first_attr = next(iter(by_attr)) if by_attr else None
        for attr, gs in by_attr.items():
            g = self.rng.choice(gs)
            pos_rate = float(g["positiveRate"])
            tpr = float(g.get("truePositiveRate", acc))
            if self.mode == "bias" and attr == first_attr and g is gs[0]:
                pos_rate = pos_rate * (1 - 0.7 * self.strength)
                tpr = tpr * (1 - 0.6 * self.strength)
            predicted = 1 if self.rng.random() < pos_rate else 0
            key = (attr, g["group"], str(predicted))
            self.pred[key] = self.pred.get(key, 0) + 1
            # ground truth: true positive rate for predicted positives, overall accuracy otherwise
            if predicted == 1:
                actual = 1 if self.rng.random() < min(1.0, acc + (tpr - 0.8) * 0.5) else 0
            else:
                actual = 0 if self.rng.random() < acc else 1
            fkey = (attr, g["group"], str(actual), str(predicted))
            self.feedback[fkey] = self.feedback.get(fkey, 0) + 1
        self.total += 1

    def advance(self):
        with self.lock:
            now = time.monotonic()
            n = (now - self.last) * self.rate + self.carry
            self.last = now
            whole = int(n)
            self.carry = n - whole
            for _ in range(min(whole, 200000)):
                self._one()

    def render(self):
        self.advance()
        out = []
        with self.lock:
            out.append("# HELP modelgov_feature Input feature values seen by the model.")
            out.append("# TYPE modelgov_feature histogram")
            for feat in self.baseline["features"]:
                name = feat["name"]
                cum = 0
                for b, edge in enumerate(list(feat["edges"]) + [float("inf")]):
                    cum += self.hist[name][b]
                    out.append(f'modelgov_feature_bucket{{feature="{name}",le="{fmt(edge)}"}} {cum}')
                out.append(f'modelgov_feature_sum{{feature="{name}"}} {self.sums[name]!r}')
                out.append(f'modelgov_feature_count{{feature="{name}"}} {cum}')
            out.append("# HELP modelgov_predictions_total Predictions by protected group and class.")
            out.append("# TYPE modelgov_predictions_total counter")
            for (attr, group, p), v in sorted(self.pred.items()):
                out.append(f'modelgov_predictions_total{{attribute="{attr}",group="{group}",prediction="{p}"}} {v}')
            out.append("# HELP modelgov_feedback_total Ground truth by group (a confusion matrix per group).")
            out.append("# TYPE modelgov_feedback_total counter")
            for (attr, group, a, p), v in sorted(self.feedback.items()):
                out.append(f'modelgov_feedback_total{{attribute="{attr}",group="{group}",actual="{a}",predicted="{p}"}} {v}')
        return "\n".join(out) + "\n"

    def control(self, req):
        self.advance()
        with self.lock:
            if "mode" in req:
                if req["mode"] not in ("healthy", "drift", "decay", "bias"):
                    raise ValueError(f'unknown mode {req["mode"]!r}')
                self.mode = req["mode"]
            if "strength" in req:
                self.strength = float(req["strength"])
            if "rate" in req:
                self.rate = float(req["rate"])
            if req.get("reset"):
                self.reset_counters()
            return self.state()

    def state(self):
        return {"mode": self.mode, "strength": self.strength, "rate": self.rate, "samples": self.total}


def make_handler(model):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, code, body, ctype="application/json"):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/metrics":
                self._send(200, model.render(), "text/plain; version=0.0.4; charset=utf-8")
            elif path in ("/healthz", "/readyz"):
                self._send(200, "ok\n", "text/plain")
            elif path == "/state":
                with model.lock:
                    self._send(200, json.dumps(model.state()) + "\n")
            else:
                self._send(404, '{"error":"not found"}\n')

        def do_POST(self):
            if self.path.split("?")[0] != "/control":
                self._send(404, '{"error":"not found"}\n')
                return
            try:
                n = int(self.headers.get("Content-Length", "0"))
                req = json.loads(self.rfile.read(n) or b"{}")
                self._send(200, json.dumps(model.control(req)) + "\n")
            except (ValueError, TypeError) as e:
                self._send(400, json.dumps({"error": str(e)}) + "\n")

        def log_message(self, *args):
            pass

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--baseline", help="JSON file: a ModelVersion spec.baseline")
    ap.add_argument("--rate", type=float, default=100.0, help="simulated requests per second")
    ap.add_argument("--mode", default="healthy", choices=["healthy", "drift", "decay", "bias"])
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    baseline = DEFAULT_BASELINE
    if args.baseline:
        with open(args.baseline) as f:
            baseline = json.load(f)
    model = Model(baseline, args.rate, args.mode, args.seed)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(model))
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
