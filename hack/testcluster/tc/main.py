"""Command line of the test cluster: `up`, `down`, `run`.

Owner: tc-core. `up` prepares DIR (CA and serving certificate made with the openssl command,
bearer tokens, kubeconfig), starts `run` in the background (own session, pid in DIR/pid, log in
DIR/server.log) and waits for /readyz. `down` stops it by its pid file.
"""
import argparse
import base64
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

USERS = {
    'admin': ['system:masters', 'system:authenticated'],
    'alice': ['modelgov:reviewers', 'system:authenticated'],
    'bob': ['modelgov:reviewers', 'system:authenticated'],
    'carol': ['modelgov:auditors', 'system:authenticated'],
    'dave': ['system:authenticated'],
}


def openssl(*args):
    subprocess.run(['openssl'] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(d):
    ca_key, ca_crt = os.path.join(d, 'ca.key'), os.path.join(d, 'ca.crt')
    key, crt = os.path.join(d, 'server.key'), os.path.join(d, 'server.crt')
    if os.path.exists(crt) and os.path.exists(ca_crt):
        return
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', ca_key, '-out', ca_crt, '-days', '3650', '-subj', '/CN=testcluster-ca',
            '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature')
    csr = os.path.join(d, 'server.csr')
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', key, '-out', csr, '-subj', '/CN=kube-apiserver')
    ext = os.path.join(d, 'server.ext')
    with open(ext, 'w') as f:
        f.write('basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
                'extendedKeyUsage=serverAuth\n'
                'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,'
                'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1\n')
    openssl('x509', '-req', '-in', csr, '-CA', ca_crt, '-CAkey', ca_key, '-CAcreateserial',
            '-out', crt, '-days', '3650', '-extfile', ext)
    os.chmod(key, 0o600)
    os.chmod(ca_key, 0o600)


def make_tokens(d):
    p = os.path.join(d, 'tokens.json')
    if os.path.exists(p):
        return json.load(open(p))
    toks = {u: secrets.token_hex(24) for u in USERS}
    with open(p, 'w') as f:
        json.dump(toks, f)
    os.chmod(p, 0o600)
    return toks


def write_kubeconfig(d, port, toks):
    ca = base64.b64encode(open(os.path.join(d, 'ca.crt'), 'rb').read()).decode()
    lines = ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: testcluster', '  cluster:',
             '    server: https://127.0.0.1:%d' % port, '    certificate-authority-data: ' + ca,
             'users:']
    for u in USERS:
        lines += ['- name: %s' % u, '  user:', '    token: %s' % toks[u]]
    lines.append('contexts:')
    for u in USERS:
        lines += ['- name: %s' % u, '  context:', '    cluster: testcluster', '    user: %s' % u,
                  '    namespace: default']
    lines.append('current-context: admin')
    lines.append('preferences: {}')
    p = os.path.join(d, 'kubeconfig')
    with open(p, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    os.chmod(p, 0o600)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(d, port, timeout=20.0, proc=None):
    ctx = ssl.create_default_context(cafile=os.path.join(d, 'ca.crt'))
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen('https://127.0.0.1:%d/readyz' % port, context=ctx, timeout=2) as r:
                if r.status == 200:
                    return True
        except Exception:
            time.sleep(0.1)
    return False


def cmd_up(a):
    d = os.path.abspath(a.dir)
    os.makedirs(d, exist_ok=True)
    pidf = os.path.join(d, 'pid')
    if os.path.exists(pidf):
        try:
            os.kill(int(open(pidf).read().strip()), 0)
            print('testcluster: already running (pid file %s)' % pidf, file=sys.stderr)
            return 1
        except (OSError, ValueError):
            os.unlink(pidf)
    make_certs(d)
    toks = make_tokens(d)
    port = a.port or free_port()
    args = [sys.executable, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'testcluster'),
            'run', '--dir', d, '--port', str(port), '--history', str(a.history)]
    if a.kubelet:
        args.append('--kubelet')
    if a.jobs:
        args.append('--jobs=' + a.jobs)
    for m in a.service_map or []:
        args += ['--service-map', m]
    log = open(os.path.join(d, 'server.log'), 'ab')
    proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    with open(pidf, 'w') as f:
        f.write(str(proc.pid))
    with open(os.path.join(d, 'port'), 'w') as f:
        f.write(str(port))
    write_kubeconfig(d, port, toks)
    if not wait_ready(d, port, proc=proc):
        print('testcluster: server did not become ready; see %s/server.log' % d, file=sys.stderr)
        try:
            proc.kill()
        except OSError:
            pass
        os.unlink(pidf)
        return 1
    print('testcluster: up on https://127.0.0.1:%d (KUBECONFIG=%s/kubeconfig)' % (port, d))
    return 0


def cmd_down(a):
    d = os.path.abspath(a.dir)
    pidf = os.path.join(d, 'pid')
    try:
        pid = int(open(pidf).read().strip())
    except (OSError, ValueError):
        print('testcluster: not running (no pid file in %s)' % d, file=sys.stderr)
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            time.sleep(0.1)
            os.kill(pid, 0)
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.unlink(pidf)
    except OSError:
        pass
    return 0


def cmd_run(a):
    from . import server, admission, controllers
    d = os.path.abspath(a.dir)
    os.makedirs(d, exist_ok=True)
    make_certs(d)
    toks = make_tokens(d)
    port = a.port or free_port()
    tokens = {}
    for u, t in toks.items():
        tokens[t] = {'username': u, 'groups': list(USERS[u])}
    ca_pem = open(os.path.join(d, 'ca.crt')).read()
    tc = server.TestCluster(tokens, window=a.history, ca_pem=ca_pem)
    smap = {}
    for m in a.service_map or []:
        k, _, v = m.partition('=')
        smap[k] = v
    tc.cluster.admission = admission.Admission(tc.cluster, smap)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, 'server.crt'), os.path.join(d, 'server.key'))
    ctx.set_alpn_protocols(['http/1.1'])
    httpd = server.TLSServer(('127.0.0.1', port), server.Handler, ctx, tc)
    threading.Thread(target=controllers.gc_loop, args=(tc.cluster,), daemon=True).start()
    if a.kubelet:
        k = controllers.Kubelet(tc.cluster, jobs_manual=(a.jobs == 'manual'))
        threading.Thread(target=k.loop, daemon=True).start()
    if not os.path.exists(os.path.join(d, 'kubeconfig')):
        write_kubeconfig(d, port, toks)

    def stop(*_):
        tc.stopping = True
        tc.cluster.stopping = True
        threading.Thread(target=httpd.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print('testcluster: serving on https://127.0.0.1:%d' % port, flush=True)
    httpd.serve_forever(poll_interval=0.2)
    tc.cluster.store.drop_watches()
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog='testcluster', description='local Kubernetes API test server')
    sub = p.add_subparsers(dest='cmd', required=True)
    for name in ('up', 'run'):
        s = sub.add_parser(name)
        s.add_argument('--dir', required=True)
        s.add_argument('--port', type=int, default=0)
        s.add_argument('--kubelet', action='store_true')
        s.add_argument('--jobs', choices=['auto', 'manual'], default=None)
        s.add_argument('--service-map', action='append', metavar='NS/NAME=127.0.0.1:PORT')
        s.add_argument('--history', type=int, default=1000, help='watch history window per resource')
    s = sub.add_parser('down')
    s.add_argument('--dir', required=True)
    a = p.parse_args(argv)
    if a.cmd == 'up':
        return cmd_up(a)
    if a.cmd == 'down':
        return cmd_down(a)
    return cmd_run(a)
