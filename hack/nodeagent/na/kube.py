"""A minimal Kubernetes API client for the node agent (Python standard library only).

Owner: realk8s. `Client(kubeconfig)` reads a kubeconfig (JSON, or YAML when PyYAML is there)
with a client certificate or a bearer token; `request` makes one call on a keep-alive
connection of the calling thread and returns (status, decoded body); `watch` streams the events
of one watch request. Thread-safe: every thread has its own connection. The client-certificate
PEMs are written to a private temporary folder that `close` removes.
"""
import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import tempfile
import threading
import urllib.parse

USER_AGENT = 'modelgov-nodeagent/v1.28.0'
REQUEST_TIMEOUT_S = 30.0
WATCH_READ_TIMEOUT_S = 90.0  # a watch gets a BOOKMARK or an event at least every minute


class ApiError(Exception):
    def __init__(self, status, body):
        self.status = status
        self.body = body
        msg = body.get('message') if isinstance(body, dict) else str(body)[:200]
        super().__init__('HTTP %s: %s' % (status, msg))


def load_kubeconfig(path):
    text = open(path).read()
    try:
        return json.loads(text)
    except ValueError:
        import yaml  # only for hand-written kubeconfigs; the cluster's own are JSON
        return yaml.safe_load(text)


def current(cfg, section, name):
    for item in cfg.get(section) or []:
        if item.get('name') == name:
            return item
    raise ValueError('kubeconfig has no %s named %r' % (section, name))


class Client:
    def __init__(self, kubeconfig, context=None):
        cfg = load_kubeconfig(kubeconfig)
        ctx = current(cfg, 'contexts', context or cfg.get('current-context'))['context']
        cluster = current(cfg, 'clusters', ctx['cluster'])['cluster']
        user = current(cfg, 'users', ctx['user'])['user']
        u = urllib.parse.urlparse(cluster['server'])
        self.host, self.port = u.hostname, u.port or 443
        self.tmp = tempfile.mkdtemp(prefix='nodeagent-tls.')
        self.ssl = ssl.create_default_context()
        base = os.path.dirname(os.path.abspath(kubeconfig))
        ca = self.pem(cluster, 'certificate-authority', base, 'ca.crt')
        if ca:
            self.ssl.load_verify_locations(ca)
        crt = self.pem(user, 'client-certificate', base, 'client.crt')
        key = self.pem(user, 'client-key', base, 'client.key')
        if crt and key:
            self.ssl.load_cert_chain(crt, key)
        self.token = user.get('token')
        self.local = threading.local()

    def pem(self, section, field, base, fname):
        if section.get(field + '-data'):
            p = os.path.join(self.tmp, fname)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, 'wb') as f:
                f.write(base64.b64decode(section[field + '-data']))
            return p
        if section.get(field):
            return os.path.join(base, section[field])
        return None

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def headers(self, content_type=None):
        h = {'Accept': 'application/json', 'User-Agent': USER_AGENT}
        if content_type:
            h['Content-Type'] = content_type
        if self.token:
            h['Authorization'] = 'Bearer ' + self.token
        return h

    def conn(self, timeout):
        c = getattr(self.local, 'conn', None)
        if c is None:
            c = http.client.HTTPSConnection(self.host, self.port, context=self.ssl, timeout=timeout)
            self.local.conn = c
        c.timeout = timeout
        if c.sock is not None:
            c.sock.settimeout(timeout)
        return c

    def request(self, method, path, body=None, content_type='application/json', timeout=REQUEST_TIMEOUT_S):
        data = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):  # a kept-alive connection the server closed fails once
            c = self.conn(timeout)
            try:
                c.request(method, path, body=data, headers=self.headers(content_type if data else None))
                r = c.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, OSError):
                c.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = raw.decode(errors='replace')
        if r.status >= 400:
            raise ApiError(r.status, doc)
        return r.status, doc

    def get(self, path):
        return self.request('GET', path)[1]

    def watch(self, path):
        """Yields decoded watch events until the server ends the stream; raises on errors."""
        c = http.client.HTTPSConnection(self.host, self.port, context=self.ssl, timeout=WATCH_READ_TIMEOUT_S)
        try:
            c.request('GET', path, headers=self.headers())
            r = c.getresponse()
            if r.status >= 400:
                raw = r.read()
                try:
                    raise ApiError(r.status, json.loads(raw))
                except ValueError:
                    raise ApiError(r.status, raw.decode(errors='replace'))
            while True:
                line = r.readline()
                if not line:
                    return
                line = line.strip()
                if line:
                    yield json.loads(line)
        except socket.timeout:
            return
        finally:
            c.close()
