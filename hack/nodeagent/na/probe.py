"""Container probes (readiness, liveness, startup) as the kubelet runs them.

Owner: realk8s. `Prober` holds one probe's counters; the agent's loop asks `due(now)`, runs
`check` in a worker thread (it blocks up to timeoutSeconds) and feeds the outcome back with
`record(ok, now)`. Thresholds, periods and the initial delay follow the Probe API defaults
(period 10 s, timeout 1 s, success 1, failure 3). httpGet (2xx/3xx passes; HTTPS without verifying
the certificate, as the kubelet), tcpSocket and exec
are supported; grpc probes report failure with a message. Ports given by name resolve through
the container's ports. Host is always the Pod IP, 127.0.0.1, unless httpGet.host says otherwise.
"""
import http.client
import socket
import ssl
import subprocess

DEFAULT_PERIOD_S = 10
DEFAULT_TIMEOUT_S = 1
DEFAULT_SUCCESS = 1
DEFAULT_FAILURE = 3
POD_IP = '127.0.0.1'


def resolve_port(port, container):
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for p in container.get('ports') or []:
        if p.get('name') == port:
            return p.get('containerPort')
    raise ValueError('port %r not found among the container\'s ports' % (port,))


def check(probe, container, env, cwd):
    """Runs one probe: (ok, message). Never raises."""
    timeout = probe.get('timeoutSeconds') or DEFAULT_TIMEOUT_S
    try:
        if 'httpGet' in probe:
            g = probe['httpGet']
            port = resolve_port(g.get('port'), container)
            if (g.get('scheme') or 'HTTP').upper() == 'HTTPS':
                # the kubelet does not verify a probed container's certificate
                c = http.client.HTTPSConnection(g.get('host') or POD_IP, port, timeout=timeout,
                                                context=ssl._create_unverified_context())
            else:
                c = http.client.HTTPConnection(g.get('host') or POD_IP, port, timeout=timeout)
            headers = {h['name']: h['value'] for h in g.get('httpHeaders') or []}
            headers.setdefault('User-Agent', 'kube-probe/1.28')
            try:
                c.request('GET', g.get('path') or '/', headers=headers)
                r = c.getresponse()
                r.read()
            finally:
                c.close()
            if 200 <= r.status < 400:
                return True, ''
            return False, 'HTTP probe failed with statuscode: %d' % r.status
        if 'tcpSocket' in probe:
            t = probe['tcpSocket']
            port = resolve_port(t.get('port'), container)
            socket.create_connection((t.get('host') or POD_IP, port), timeout=timeout).close()
            return True, ''
        if 'exec' in probe:
            r = subprocess.run(probe['exec'].get('command') or [], env=env, cwd=cwd, timeout=timeout,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if r.returncode == 0:
                return True, ''
            return False, r.stdout.decode(errors='replace')[-200:]
        return False, 'unsupported probe handler (grpc needs a gRPC health server)'
    except subprocess.TimeoutExpired:
        return False, 'command timed out'
    except (OSError, ValueError, http.client.HTTPException) as e:
        return False, str(e)


class Prober:
    def __init__(self, probe, started_at):
        self.probe = probe
        self.period = probe.get('periodSeconds') or DEFAULT_PERIOD_S
        self.success_threshold = probe.get('successThreshold') or DEFAULT_SUCCESS
        self.failure_threshold = probe.get('failureThreshold') or DEFAULT_FAILURE
        self.next_at = started_at + (probe.get('initialDelaySeconds') or 0)
        self.successes = 0
        self.failures = 0
        self.result = None  # None: not known yet; True/False once a threshold was reached
        self.pending = None  # the running check (a Future)
        self.message = ''

    def due(self, now):
        return self.pending is None and now >= self.next_at

    def record(self, ok, message, now):
        self.pending = None
        self.next_at = now + self.period
        self.message = message
        if ok:
            self.successes += 1
            self.failures = 0
            if self.successes >= self.success_threshold:
                self.result = True
        else:
            self.failures += 1
            self.successes = 0
            if self.failures >= self.failure_threshold:
                self.result = False
