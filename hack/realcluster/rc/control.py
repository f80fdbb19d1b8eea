"""Starting and stopping the real control plane: etcd, kube-apiserver, kube-controller-manager
and (with --kubelet) the node agent, all on loopback, in DIR.

Owner: realk8s. `up` prepares DIR (PKI, kubeconfigs, audit policy) and starts `run` in a new
session; `run` is the supervisor: it starts the components one after the other as its children
(each dies with it: PR_SET_PDEATHSIG), applies the test users' RBAC, writes DIR/ready, then
waits. It stops everything on SIGTERM/SIGINT, when a component exits, or when the process named
by --owner-pid is gone (a test killed without running its cleanup still leaves nothing
running). `down` sends SIGTERM to the supervisor's process group, waits, then SIGKILLs what is
left, including the node agent's container process groups (DIR/node/pgids/).

DIR layout: pki/ (certificates), kubeconfig (contexts admin, alice, bob, carol, dave),
system/*.kubeconfig (control-plane identities), audit-policy.yaml, audit.log, logs/*.log,
etcd (data, or a symlink to a tmpfs folder), node/ (node agent state), pid, port, ready.
"""
import base64
import ctypes
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

from . import assets, pki

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(HERE, 'config')
NODE_AGENT = os.path.join(os.path.dirname(HERE), 'nodeagent', 'nodeagent')

USERS = {
    'admin': ['system:masters'],
    'alice': ['modelgov:reviewers'],
    'bob': ['modelgov:reviewers'],
    'carol': ['modelgov:auditors'],
    'dave': [],
}
NODE_NAME = 'modelgov-node'
# Control-plane identities, each bound by the apiserver's bootstrap RBAC policy (or, for the
# node, by the Node authorizer): certificate name -> (CN, groups)
SYSTEM_USERS = {
    'kube-controller-manager': ('system:kube-controller-manager', []),
    'kube-scheduler': ('system:kube-scheduler', []),
    'node': ('system:node:' + NODE_NAME, ['system:nodes']),
}
SERVICE_CIDR = '10.96.0.0/16'  # a /24 runs out of ClusterIPs at 254 Services
START_ATTEMPTS = 3             # a free port picked by bind(0) can be taken before we use it
ETCD_READY_S = 20.0
APISERVER_READY_S = 60.0
CONTROLLERS_READY_S = 60.0
NODE_READY_S = 30.0
STOP_GRACE_S = 10.0
OWNER_POLL_S = 0.5
PR_SET_PDEATHSIG = 1


class StartError(Exception):
    pass


# --- helpers ---------------------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def die_with_parent():
    """preexec_fn: the child gets SIGTERM when the supervisor dies, however it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)


def b64(path):
    return base64.b64encode(open(path, 'rb').read()).decode()


def kubeconfig_text(server, ca, users, current):
    """USERS: [(name, crt, key)] -> a kubeconfig with one context per user (namespace default)."""
    doc = {'apiVersion': 'v1', 'kind': 'Config', 'preferences': {},
           'clusters': [{'name': 'realcluster', 'cluster': {'server': server, 'certificate-authority-data': b64(ca)}}],
           'users': [{'name': n, 'user': {'client-certificate-data': b64(c), 'client-key-data': b64(k)}}
                     for n, c, k in users],
           'contexts': [{'name': n, 'context': {'cluster': 'realcluster', 'user': n, 'namespace': 'default'}}
                        for n, _, _ in users],
           'current-context': current}
    return json.dumps(doc, indent=1) + '\n'  # JSON is YAML: kubectl, helm and the C client read it


# --- DIR preparation (up) --------------------------------------------------------------------

def prepare(d):
    """PKI and kubeconfigs for port-independent parts; returns nothing, raises PKIError."""
    p = os.path.join(d, 'pki')
    certs = pki.make_all(p, USERS)
    sysdir = os.path.join(p, 'system')
    os.makedirs(sysdir, exist_ok=True)
    for name, (cn, groups) in SYSTEM_USERS.items():
        pki.sign(sysdir, p, name, pki.subject(cn, groups), ['extendedKeyUsage=clientAuth'])
    for sub in ('logs', 'system', 'node'):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    shutil.copyfile(os.path.join(CONFIG, 'audit-policy.yaml'), os.path.join(d, 'audit-policy.yaml'))
    return certs


def write_kubeconfigs(d, port):
    p = os.path.join(d, 'pki')
    server = 'https://127.0.0.1:%d' % port
    ca = os.path.join(p, 'ca.crt')
    users = [(n, os.path.join(p, 'users', n + '.crt'), os.path.join(p, 'users', n + '.key')) for n in USERS]
    write_private(os.path.join(d, 'kubeconfig'), kubeconfig_text(server, ca, users, 'admin'))
    for name in SYSTEM_USERS:
        crt, key = (os.path.join(p, 'system', name + s) for s in ('.crt', '.key'))
        write_private(os.path.join(d, 'system', name + '.kubeconfig'),
                      kubeconfig_text(server, ca, [(name, crt, key)], name))


# --- the supervisor (run) --------------------------------------------------------------------

class Supervisor:
    def __init__(self, d, opts, bins):
        self.d = d
        self.opts = opts
        self.bins = bins
        self.procs = []  # (name, Popen), in start order
        self.etcd_dir = None
        self.stopping = False

    def log(self, msg):
        print('realcluster: %s' % msg, flush=True)

    def spawn(self, name, args):
        logf = open(os.path.join(self.d, 'logs', name + '.log'), 'ab')
        proc = subprocess.Popen(args, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                                preexec_fn=die_with_parent, cwd=self.d)
        logf.close()
        self.procs.append((name, proc))
        return proc

    def wait_until(self, what, timeout, fn, proc):
        end = time.time() + timeout
        while time.time() < end:
            if proc is not None and proc.poll() is not None:
                raise StartError('%s exited with %s while starting (see %s/logs/)' % (what, proc.returncode, self.d))
            try:
                if fn():
                    return
            except (OSError, ValueError, ssl.SSLError, subprocess.SubprocessError):
                pass
            time.sleep(0.1)
        raise StartError('%s not ready after %.0f s (see %s/logs/)' % (what, timeout, self.d))

    def stop_proc(self, name, proc):
        if proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self):
        for name, proc in reversed(self.procs):
            self.stop_proc(name, proc)
        self.procs = []

    # etcd ----------------------------------------------------------------------------------
    def etcd_data_dir(self):
        link = os.path.join(self.d, 'etcd')
        if os.path.islink(link):
            os.unlink(link)
        if os.path.isdir(link):
            shutil.rmtree(link)
        # tmpfs when there is one: etcd fsyncs every write, which costs seconds on a busy disk
        if not self.opts.etcd_on_disk and os.path.isdir('/dev/shm') and os.access('/dev/shm', os.W_OK):
            self.etcd_dir = tempfile.mkdtemp(prefix='modelgov-etcd.', dir='/dev/shm')
            os.symlink(self.etcd_dir, link)
            return self.etcd_dir
        os.makedirs(link)
        return link

    def start_etcd(self):
        client, peer = free_port(), free_port()
        data = self.etcd_data_dir()
        proc = self.spawn('etcd', [
            self.bins['etcd'], '--name', 'default', '--data-dir', data,
            '--listen-client-urls', 'http://127.0.0.1:%d' % client,
            '--advertise-client-urls', 'http://127.0.0.1:%d' % client,
            '--listen-peer-urls', 'http://127.0.0.1:%d' % peer,
            '--initial-advertise-peer-urls', 'http://127.0.0.1:%d' % peer,
            '--initial-cluster', 'default=http://127.0.0.1:%d' % peer,
            '--logger', 'zap', '--log-level', 'warn'])

        def healthy():
            with urllib.request.urlopen('http://127.0.0.1:%d/health' % client, timeout=2) as r:
                return json.load(r).get('health') == 'true'
        self.wait_until('etcd', ETCD_READY_S, healthy, proc)
        return client

    # kube-apiserver ------------------------------------------------------------------------
    def start_apiserver(self, etcd_port, port):
        p = os.path.join(self.d, 'pki')
        args = [
            self.bins['kube-apiserver'],
            '--etcd-servers=http://127.0.0.1:%d' % etcd_port,
            '--secure-port=%d' % port, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1',
            '--client-ca-file=' + os.path.join(p, 'ca.crt'),
            '--tls-cert-file=' + os.path.join(p, 'apiserver.crt'),
            '--tls-private-key-file=' + os.path.join(p, 'apiserver.key'),
            '--authorization-mode=Node,RBAC',
            '--service-account-issuer=https://kubernetes.default.svc',
            '--service-account-key-file=' + os.path.join(p, 'sa.pub'),
            '--service-account-signing-key-file=' + os.path.join(p, 'sa.key'),
            '--service-cluster-ip-range=' + SERVICE_CIDR,
            '--enable-admission-plugins=NodeRestriction',
            '--allow-privileged=true',
            # the `kubernetes` Service's Endpoints cannot hold a loopback address
            '--endpoint-reconciler-type=none',
            '--audit-policy-file=' + os.path.join(self.d, 'audit-policy.yaml'),
            '--audit-log-path=' + os.path.join(self.d, 'audit.log'),
            '--audit-log-format=json', '--audit-log-mode=blocking',
            # one file for the whole run: the benches count writes by line; the default (0)
            # rotates at 100 MB, which a 10,000-object run passes
            '--audit-log-maxsize=100000',
            '--profiling=false', '--v=%d' % self.opts.verbosity,
        ] + list(self.opts.apiserver_arg or [])
        proc = self.spawn('kube-apiserver', args)
        ctx = ssl.create_default_context(cafile=os.path.join(p, 'ca.crt'))

        def ready():
            with urllib.request.urlopen('https://127.0.0.1:%d/readyz' % port, context=ctx, timeout=2) as r:
                return r.status == 200
        self.wait_until('kube-apiserver', APISERVER_READY_S, ready, proc)
        return proc

    # kube-controller-manager ---------------------------------------------------------------
    def start_controller_manager(self):
        p = os.path.join(self.d, 'pki')
        flex = os.path.join(self.d, 'kcm-flexvolume')
        os.makedirs(flex, exist_ok=True)
        args = [
            self.bins['kube-controller-manager'],
            '--kubeconfig=' + os.path.join(self.d, 'system', 'kube-controller-manager.kubeconfig'),
            '--service-account-private-key-file=' + os.path.join(p, 'sa.key'),
            '--root-ca-file=' + os.path.join(p, 'ca.crt'),
            # each controller acts as its own service account (as the admission fixtures show:
            # a Deployment's Pods are created by system:serviceaccount:kube-system:replicaset-controller)
            '--use-service-account-credentials=true',
            '--controllers=*', '--leader-elect=false',
            '--bind-address=127.0.0.1', '--secure-port=0',
            '--authentication-skip-lookup=true', '--client-ca-file=' + os.path.join(p, 'ca.crt'),
            '--cluster-signing-cert-file=' + os.path.join(p, 'ca.crt'),
            '--cluster-signing-key-file=' + os.path.join(p, 'ca.key'),
            '--service-cluster-ip-range=' + SERVICE_CIDR,
            '--kube-api-qps=%d' % self.opts.kube_api_qps, '--kube-api-burst=%d' % self.opts.kube_api_burst,
            '--flex-volume-plugin-dir=' + flex, '--v=%d' % self.opts.verbosity,
        ] + list(self.opts.controller_manager_arg or [])
        return self.spawn('kube-controller-manager', args)

    def kubectl(self, *args, check=True):
        r = subprocess.run(['kubectl', '--kubeconfig', os.path.join(self.d, 'kubeconfig'), '--context', 'admin']
                           + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if check and r.returncode != 0:
            raise StartError('kubectl %s: %s' % (' '.join(args), r.stderr.decode(errors='replace').strip()))
        return r

    def wait_controllers(self, kcm):
        # The service-account controller puts `default` into every namespace and the root-CA
        # publisher `kube-root-ca.crt`: both in `default` means the controllers are running.
        def ready():
            return (self.kubectl('get', 'serviceaccount', 'default', '-n', 'default', check=False).returncode == 0 and
                    self.kubectl('get', 'configmap', 'kube-root-ca.crt', '-n', 'default', check=False).returncode == 0)
        self.wait_until('kube-controller-manager', CONTROLLERS_READY_S, ready, kcm)

    def start_node_agent(self, apiserver_port):
        args = [sys.executable, NODE_AGENT, '--kubeconfig', os.path.join(self.d, 'system', 'node.kubeconfig'),
                '--scheduler-kubeconfig', os.path.join(self.d, 'system', 'kube-scheduler.kubeconfig'),
                '--node-name', NODE_NAME, '--state-dir', os.path.join(self.d, 'node'),
                '--api-port', str(apiserver_port)]
        if self.opts.jobs == 'manual':
            args.append('--jobs=manual')
        if self.opts.node_runtime != 'process':
            args.append('--runtime=' + self.opts.node_runtime)
        if self.opts.podman_images:
            args.append('--podman-images=' + self.opts.podman_images)
        agent = self.spawn('nodeagent', args)

        def ready():
            r = self.kubectl('get', 'node', NODE_NAME, '-o',
                             'jsonpath={.status.conditions[?(@.type=="Ready")].status}', check=False)
            return r.stdout.decode().strip() == 'True'
        self.wait_until('node agent', NODE_READY_S, ready, agent)

    # ---------------------------------------------------------------------------------------
    def start(self, port):
        etcd_port = None
        for attempt in range(START_ATTEMPTS):
            try:
                etcd_port = self.start_etcd()
                break
            except StartError as e:
                self.stop_all()
                if attempt == START_ATTEMPTS - 1:
                    raise
                self.log('retrying etcd on other ports (%s)' % e)
        for attempt in range(START_ATTEMPTS):
            port = port or free_port()
            write_kubeconfigs(self.d, port)
            try:
                self.start_apiserver(etcd_port, port)
                break
            except StartError as e:
                name, proc = self.procs.pop()
                self.stop_proc(name, proc)
                if attempt == START_ATTEMPTS - 1 or self.opts.port:
                    raise
                self.log('retrying kube-apiserver on another port (%s)' % e)
                port = 0
        with open(os.path.join(self.d, 'port'), 'w') as f:
            f.write(str(port))
        kcm = self.start_controller_manager()
        self.kubectl('apply', '-f', os.path.join(CONFIG, 'test-users.yaml'))
        self.wait_controllers(kcm)
        if self.opts.kubelet:
            self.start_node_agent(port)
        return port

    def owner_alive(self):
        if not self.opts.owner_pid:
            return True
        try:
            os.kill(self.opts.owner_pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def serve(self):
        """Waits until told to stop, a component exits or the owner is gone."""
        while not self.stopping:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    self.log('%s exited with %s: stopping the cluster' % (name, proc.returncode))
                    return 1
            if not self.owner_alive():
                self.log('owner process %d is gone: stopping the cluster' % self.opts.owner_pid)
                return 0
            time.sleep(OWNER_POLL_S)
        return 0

    def cleanup(self):
        self.stop_all()
        if self.etcd_dir:
            shutil.rmtree(self.etcd_dir, ignore_errors=True)
        for f in ('ready',):
            try:
                os.unlink(os.path.join(self.d, f))
            except OSError:
                pass
        kill_container_groups(self.d)


def kill_container_groups(d):
    """SIGKILL every container process group the node agent recorded and did not clear."""
    pg = os.path.join(d, 'node', 'pgids')
    if not os.path.isdir(pg):
        return
    for name in os.listdir(pg):
        try:
            os.killpg(int(name), signal.SIGKILL)
        except (ValueError, OSError):
            pass
        try:
            os.unlink(os.path.join(pg, name))
        except OSError:
            pass


def cmd_run(a):
    d = os.path.abspath(a.dir)
    try:
        bins = assets.binaries()
    except assets.AssetsError as e:
        print('realcluster: %s' % e, file=sys.stderr)
        return 2
    sup = Supervisor(d, a, bins)

    def stop(*_):
        sup.stopping = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    rc = 0
    try:
        port = sup.start(a.port)
        with open(os.path.join(d, 'ready'), 'w') as f:
            f.write('https://127.0.0.1:%d\n' % port)
        sup.log('serving on https://127.0.0.1:%d' % port)
        rc = sup.serve()
    except (StartError, pki.PKIError, OSError, subprocess.SubprocessError) as e:
        sup.log('start failed: %s' % e)
        with open(os.path.join(d, 'failed'), 'w') as f:
            f.write(str(e) + '\n')
        rc = 1
    finally:
        sup.cleanup()
    return rc


def cmd_up(a):
    d = os.path.abspath(a.dir)
    os.makedirs(d, exist_ok=True)
    pidf = os.path.join(d, 'pid')
    if os.path.exists(pidf):
        try:
            os.kill(int(open(pidf).read().strip()), 0)
            print('realcluster: already running (pid file %s)' % pidf, file=sys.stderr)
            return 1
        except (OSError, ValueError):
            os.unlink(pidf)
    if a.service_map:
        print('realcluster: --service-map is a test-server feature; a real apiserver calls webhooks by '
              'Service through cluster networking (use the chart value webhook.development.url)', file=sys.stderr)
        return 2
    try:
        assets.binaries()  # decompress once here, so `run` starts at once and errors show here
        prepare(d)
    except (assets.AssetsError, pki.PKIError) as e:
        print('realcluster: %s' % e, file=sys.stderr)
        return 2
    for f in ('ready', 'failed'):
        if os.path.exists(os.path.join(d, f)):
            os.unlink(os.path.join(d, f))
    args = [sys.executable, os.path.join(HERE, 'realcluster'), 'run', '--dir', d] + run_flags(a)
    log = open(os.path.join(d, 'server.log'), 'ab')
    proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    with open(pidf, 'w') as f:
        f.write(str(proc.pid))
    while proc.poll() is None and not os.path.exists(os.path.join(d, 'ready')):
        time.sleep(0.1)
    if not os.path.exists(os.path.join(d, 'ready')):
        proc.wait()
        why = open(os.path.join(d, 'failed')).read().strip() if os.path.exists(os.path.join(d, 'failed')) else \
            'supervisor exited with %s' % proc.returncode
        print('realcluster: did not start: %s; logs in %s/logs and %s/server.log' % (why, d, d), file=sys.stderr)
        os.unlink(pidf)
        return 1
    port = int(open(os.path.join(d, 'port')).read())
    print('realcluster: up on https://127.0.0.1:%d (KUBECONFIG=%s/kubeconfig)' % (port, d))
    return 0


def run_flags(a):
    out = ['--port', str(a.port), '--kube-api-qps', str(a.kube_api_qps), '--kube-api-burst', str(a.kube_api_burst),
           '--verbosity', str(a.verbosity)]
    if a.kubelet:
        out.append('--kubelet')
    if a.jobs:
        out.append('--jobs=' + a.jobs)
    if a.node_runtime != 'process':
        out.append('--node-runtime=' + a.node_runtime)
    if a.podman_images:
        out.append('--podman-images=' + a.podman_images)
    if a.owner_pid:
        out += ['--owner-pid', str(a.owner_pid)]
    if a.etcd_on_disk:
        out.append('--etcd-on-disk')
    for x in a.apiserver_arg or []:
        out.append('--apiserver-arg=' + x)
    for x in a.controller_manager_arg or []:
        out.append('--controller-manager-arg=' + x)
    return out


def cmd_down(a):
    d = os.path.abspath(a.dir)
    pidf = os.path.join(d, 'pid')
    try:
        pid = int(open(pidf).read().strip())
    except (OSError, ValueError):
        kill_container_groups(d)
        return 0
    try:
        os.kill(pid, signal.SIGTERM)  # the supervisor stops its components in order
        end = time.time() + STOP_GRACE_S * 2
        while time.time() < end:
            os.kill(pid, 0)
            time.sleep(0.1)
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.killpg(pid, signal.SIGKILL)  # it leads its own process group: whatever outlived it
    except OSError:
        pass
    kill_container_groups(d)
    link = os.path.join(d, 'etcd')
    if os.path.islink(link):
        shutil.rmtree(os.readlink(link), ignore_errors=True)
    try:
        os.unlink(pidf)
    except OSError:
        pass
    return 0
