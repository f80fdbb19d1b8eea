#!/usr/bin/env python3
"""Load figures of the test API server (stdlib only).

Usage: bench.py [--dir DIR] [--objects 10000] [--watches 100] [--procs 2] [--conns 4]
               [--watch-on same|other]
Without --dir a fresh server is started (and stopped) in a temporary directory. Measures, with
`--watches` watch streams open for the whole run:
  - creates/s: POST of `--objects` small ConfigMaps over keep-alive connections
  - gets/s: GET of one small ConfigMap, as many as fit in ~5 s
`--watch-on same` puts the watches on the ConfigMaps being created (every create is delivered
to every watch); `other` (default) puts them on another resource (Secrets), the usual shape of
a controller test. Prints one line per figure."""
import argparse
import http.client
import json
import multiprocessing
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def client(d):
    port = int(open(os.path.join(d, 'port')).read())
    tok = json.load(open(os.path.join(d, 'tokens.json')))['admin']
    ctx = ssl.create_default_context(cafile=os.path.join(d, 'ca.crt'))
    return port, tok, ctx


def worker(args):
    d, kind, start, count, ns, conns = args
    port, tok, ctx = client(d)
    hdr = {'Authorization': 'Bearer ' + tok, 'Content-Type': 'application/json', 'Accept': 'application/json'}
    per = [list(range(start + i, start + count, conns)) for i in range(conns)]
    errors = [0]

    def run(idx):
        c = http.client.HTTPSConnection('127.0.0.1', port, context=ctx)
        for i in idx:
            if kind == 'create':
                body = json.dumps({'apiVersion': 'v1', 'kind': 'ConfigMap',
                                   'metadata': {'name': 'cm-%06d' % i}, 'data': {'k': 'v'}})
                c.request('POST', '/api/v1/namespaces/%s/configmaps' % ns, body, hdr)
                r = c.getresponse()
                r.read()
                if r.status != 201:
                    errors[0] += 1
            else:
                c.request('GET', '/api/v1/namespaces/%s/configmaps/cm-000000' % ns, headers=hdr)
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    errors[0] += 1
        c.close()
    ts = [threading.Thread(target=run, args=(p,)) for p in per]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return errors[0]


def open_watches(d, n, path):
    port, tok, ctx = client(d)
    socks = []
    counts = [0] * n

    def reader(i, r):
        try:
            while True:
                line = r.readline()
                if not line:
                    break
                counts[i] += 1
        except Exception:
            pass
    for i in range(n):
        c = http.client.HTTPSConnection('127.0.0.1', port, context=ctx)
        c.request('GET', path, headers={'Authorization': 'Bearer ' + tok})
        r = c.getresponse()
        threading.Thread(target=reader, args=(i, r), daemon=True).start()
        socks.append(c)
    return socks, counts


def run_phase(d, kind, total, procs, conns, ns):
    per = total // procs
    jobs = [(d, kind, p * per, per, ns, conns) for p in range(procs)]
    t0 = time.time()
    with multiprocessing.Pool(procs) as pool:
        errs = sum(pool.map(worker, jobs))
    return total / (time.time() - t0), errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir')
    ap.add_argument('--objects', type=int, default=10000)
    ap.add_argument('--gets', type=int, default=10000)
    ap.add_argument('--watches', type=int, default=100)
    ap.add_argument('--procs', type=int, default=2)
    ap.add_argument('--conns', type=int, default=4)
    ap.add_argument('--watch-on', choices=['same', 'other'], default='other')
    a = ap.parse_args()
    started = None
    d = a.dir
    if not d:
        d = tempfile.mkdtemp(prefix='tcbench-')
        subprocess.run([os.path.join(HERE, 'testcluster'), 'up', '--dir', d], check=True, stdout=subprocess.DEVNULL)
        started = d
    try:
        port, tok, ctx = client(d)
        c = http.client.HTTPSConnection('127.0.0.1', port, context=ctx)
        ns = 'bench-%d' % int(time.time())
        c.request('POST', '/api/v1/namespaces', json.dumps({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}}),
                  {'Authorization': 'Bearer ' + tok, 'Content-Type': 'application/json'})
        c.getresponse().read()
        wpath = ('/api/v1/namespaces/%s/configmaps?watch=true' % ns) if a.watch_on == 'same' else \
            '/api/v1/namespaces/%s/secrets?watch=true' % ns
        socks, counts = open_watches(d, a.watches, wpath)
        time.sleep(0.5)
        rate, errs = run_phase(d, 'create', a.objects, a.procs, a.conns, ns)
        print('creates/s: %.0f  (%d ConfigMaps, %d watches on %s, %d procs x %d keep-alive conns, %d errors)'
              % (rate, a.objects, a.watches, 'the same resource' if a.watch_on == 'same' else 'another resource',
                 a.procs, a.conns, errs))
        if a.watch_on == 'same':
            deadline = time.time() + 60
            while time.time() < deadline and min(counts) < a.objects:
                time.sleep(0.2)
            print('watch delivery: every watch got %d/%d events' % (min(counts), a.objects))
        rate, errs = run_phase(d, 'get', a.gets, a.procs, a.conns, ns)
        print('gets/s:    %.0f  (GET of one small ConfigMap with %d objects stored, %d errors)' % (rate, a.objects, errs))
        for s in socks:
            try:
                s.sock.shutdown(2)
            except OSError:
                pass
    finally:
        if started:
            subprocess.run([os.path.join(HERE, 'testcluster'), 'down', '--dir', started], stdout=subprocess.DEVNULL)


if __name__ == '__main__':
    main()
    sys.stdout.flush()
    os._exit(0)
