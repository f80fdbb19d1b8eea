"""The node agent: one Node, a scheduler for it, and a kubelet that runs Pods as local processes.

Owner: realk8s. Threads:
  - the watch thread lists and watches every Pod (as system:kube-scheduler) and posts what it
    sees to the loop's inbox;
  - the loop (main thread) owns the Pod cache and one PodRun per Pod bound to this node; it
    binds pending Pods to the node, drives every PodRun, and is the only thread that starts
    processes (see runtime.py);
  - the API pool sends bindings, status patches and deletes, in order per Pod (KeyedExecutor);
  - the probe pool runs probes (each may block up to its timeoutSeconds);
  - the heartbeat thread renews the node Lease every 10 s (the node lifecycle controller marks a
    node NotReady, and its Pods not ready, 40 s after the last renewal) and re-posts the Node's
    conditions every 5 minutes, as the kubelet does.
Writes are made as the node (system:node:NAME; the Node authorizer and NodeRestriction check
them as for a real kubelet), bindings as system:kube-scheduler.
"""
import collections
import concurrent.futures
import http.client
import os
import platform
import queue
import threading
import time
import traceback
import urllib.parse
import uuid

from . import kube, pod as podmod, runtime as rtmod

API_WORKERS = 4
PROBE_WORKERS = 8
TICK_S = 0.2
RUNTIME_TICK_S = 1.0
LEASE_DURATION_S = 40
LEASE_RENEW_S = 10
NODE_STATUS_EVERY_S = 300
WATCH_TIMEOUT_S = 300
LIST_PAGE = 500
RETRY_S = 1.0
BIND_RETRY_S = 1.0
STOP_WAIT_S = 5.0
KUBE_VERSION = 'v1.28.0'
DEFAULT_SCHEDULER = 'default-scheduler'


def log(msg):
    print('nodeagent: %s' % msg, flush=True)


def micro_now():
    t = time.time()
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.%06dZ' % int((t % 1) * 1e6)


class KeyedExecutor:
    """A thread pool that runs the functions of one key in submission order, one at a time."""

    def __init__(self, workers):
        self.pool = concurrent.futures.ThreadPoolExecutor(workers)
        self.lock = threading.Lock()
        self.queues = {}

    def submit(self, key, fn):
        with self.lock:
            q = self.queues.get(key)
            if q is not None:
                q.append(fn)
                return
            self.queues[key] = collections.deque([fn])
        self.pool.submit(self.drain, key)

    def drain(self, key):
        while True:
            with self.lock:
                q = self.queues[key]
                if not q:
                    del self.queues[key]
                    return
                fn = q.popleft()
            try:
                fn()
            except Exception:  # one failed call must not stop the Pod's queue
                traceback.print_exc()


class Agent:
    def __init__(self, a):
        self.node_name = a.node_name
        self.node = kube.Client(a.kubeconfig)
        self.sched = kube.Client(a.scheduler_kubeconfig or a.kubeconfig)
        self.state_dir = os.path.abspath(a.state_dir)
        self.api_port = a.api_port
        self.max_pods = a.max_pods
        if getattr(a, 'runtime', 'process') == 'podman':
            from . import podman
            self.runtime = podman.PodmanRuntime(self.state_dir, self.fetch, self.node)
            if getattr(a, 'podman_images', None):
                self.runtime = rtmod.RoutedRuntime(a.podman_images, self.runtime, rtmod.ProcessRuntime(
                    self.state_dir, jobs_manual=(a.jobs == 'manual')))
        else:
            self.runtime = rtmod.ProcessRuntime(self.state_dir, jobs_manual=(a.jobs == 'manual'))
        self.probe_pool = concurrent.futures.ThreadPoolExecutor(PROBE_WORKERS)
        self.api = KeyedExecutor(API_WORKERS)
        self.inbox = queue.Queue()
        self.cache = {}       # uid -> Pod (loop thread only)
        self.runs = {}        # uid -> PodRun (loop thread only)
        self.binding = {}     # uid -> time a binding was sent (loop thread only)
        self.lock = threading.Lock()
        self.written = {}     # uid -> last status the API accepted
        self.pending = {}     # uid -> status waiting to be sent
        self.stopping = threading.Event()
        self.node_uid = None

    # --- Node and Lease ----------------------------------------------------------------------
    def node_object(self):
        mem_ki = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 1024
        res = {'cpu': str(os.cpu_count() or 1), 'memory': '%dKi' % mem_ki, 'pods': str(self.max_pods)}
        arch = {'x86_64': 'amd64', 'aarch64': 'arm64'}.get(platform.machine(), platform.machine())
        labels = {'kubernetes.io/hostname': self.node_name, 'kubernetes.io/os': 'linux',
                  'kubernetes.io/arch': arch, 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': arch}
        return {'apiVersion': 'v1', 'kind': 'Node', 'metadata': {'name': self.node_name, 'labels': labels},
                'spec': {}, 'status': {
                    'capacity': res, 'allocatable': dict(res), 'conditions': self.node_conditions(),
                    'addresses': [{'type': 'InternalIP', 'address': '127.0.0.1'},
                                  {'type': 'Hostname', 'address': self.node_name}],
                    'daemonEndpoints': {'kubeletEndpoint': {'Port': 0}},
                    'nodeInfo': {'machineID': uuid.uuid5(uuid.NAMESPACE_DNS, self.node_name).hex,
                                 'systemUUID': str(uuid.uuid5(uuid.NAMESPACE_DNS, self.node_name)),
                                 'bootID': str(uuid.uuid4()), 'kernelVersion': platform.release(),
                                 'osImage': os_image(), 'containerRuntimeVersion': self.runtime.name + '://nodeagent',
                                 'kubeletVersion': KUBE_VERSION, 'kubeProxyVersion': KUBE_VERSION,
                                 'operatingSystem': 'linux', 'architecture': arch}}}

    def node_conditions(self):
        now = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        rows = [('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
                ('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
                ('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
                ('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')]
        return [{'type': t, 'status': s, 'lastHeartbeatTime': now, 'lastTransitionTime': self.transition_time(t, now),
                 'reason': r, 'message': m} for t, s, r, m in rows]

    def transition_time(self, ctype, now):
        if not hasattr(self, 'transitions'):
            self.transitions = {}
        return self.transitions.setdefault(ctype, now)

    def register(self):
        path = '/api/v1/nodes/' + self.node_name
        try:
            _, n = self.node.request('POST', '/api/v1/nodes', self.node_object())
        except kube.ApiError as e:
            if e.status != 409:
                raise
            n = self.node.get(path)
            self.post_node_status()
        self.node_uid = n['metadata']['uid']
        lease = {'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease',
                 'metadata': {'name': self.node_name, 'namespace': 'kube-node-lease',
                              'ownerReferences': [{'apiVersion': 'v1', 'kind': 'Node', 'name': self.node_name,
                                                   'uid': self.node_uid}]},
                 'spec': {'holderIdentity': self.node_name, 'leaseDurationSeconds': LEASE_DURATION_S,
                          'renewTime': micro_now()}}
        try:
            self.node.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease)
        except kube.ApiError as e:
            if e.status != 409:
                raise
            self.renew_lease()
        log('node %s registered' % self.node_name)

    def post_node_status(self):
        self.node.request('PATCH', '/api/v1/nodes/%s/status' % self.node_name,
                          {'status': {'conditions': self.node_conditions()}},
                          content_type='application/strategic-merge-patch+json')

    def renew_lease(self):
        path = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/' + self.node_name
        lease = self.node.get(path)
        lease['spec']['renewTime'] = micro_now()
        lease['spec']['holderIdentity'] = self.node_name
        self.node.request('PUT', path, lease)

    def heartbeat(self):
        last_status = time.time()
        while not self.stopping.wait(LEASE_RENEW_S):
            try:
                self.renew_lease()
                if time.time() - last_status >= NODE_STATUS_EVERY_S:
                    self.post_node_status()
                    last_status = time.time()
            except (kube.ApiError, OSError, http.client.HTTPException) as e:
                log('heartbeat: %s' % e)

    # --- watching Pods -----------------------------------------------------------------------
    def list_pods(self):
        items, cont = {}, ''
        while True:
            q = {'limit': LIST_PAGE}
            if cont:
                q['continue'] = cont
            lst = self.sched.get('/api/v1/pods?' + urllib.parse.urlencode(q))
            for p in lst.get('items') or []:
                items[p['metadata']['uid']] = p
            cont = lst['metadata'].get('continue')
            if not cont:
                return items, lst['metadata']['resourceVersion']

    def watch_loop(self):
        rv = None
        while not self.stopping.is_set():
            try:
                if rv is None:
                    items, rv = self.list_pods()
                    self.inbox.put(('SYNC', items))
                q = urllib.parse.urlencode({'watch': '1', 'allowWatchBookmarks': 'true', 'resourceVersion': rv,
                                            'timeoutSeconds': WATCH_TIMEOUT_S})
                for ev in self.sched.watch('/api/v1/pods?' + q):
                    obj = ev.get('object') or {}
                    if ev.get('type') == 'ERROR':
                        rv = None  # 410 Gone (too old) or another error: list again
                        break
                    rv = obj['metadata']['resourceVersion']
                    if ev['type'] != 'BOOKMARK':
                        self.inbox.put((ev['type'], obj))
                    if self.stopping.is_set():
                        return
            except (kube.ApiError, OSError, ValueError, http.client.HTTPException) as e:
                if isinstance(e, kube.ApiError) and e.status == 410:
                    rv = None
                log('pod watch: %s; again in %.0f s' % (e, RETRY_S))
                self.stopping.wait(RETRY_S)

    # --- API calls (pool) ----------------------------------------------------------------------
    def bind(self, p):
        m = p['metadata']
        body = {'apiVersion': 'v1', 'kind': 'Binding',
                'metadata': {'name': m['name'], 'namespace': m['namespace'], 'uid': m['uid']},
                'target': {'apiVersion': 'v1', 'kind': 'Node', 'name': self.node_name}}
        try:
            self.sched.request('POST', '/api/v1/namespaces/%s/pods/%s/binding' % (m['namespace'], m['name']), body)
        except kube.ApiError as e:
            if e.status not in (404, 409):
                log('binding %s/%s: %s' % (m['namespace'], m['name'], e))
        except (OSError, http.client.HTTPException) as e:
            log('binding %s/%s: %s' % (m['namespace'], m['name'], e))

    def write_status(self, run, st):
        with self.lock:
            if self.pending.get(run.uid, self.written.get(run.uid)) == st:
                return
            first = run.uid not in self.pending
            self.pending[run.uid] = st
        if first:
            self.api.submit(run.uid, lambda: self.flush_status(run.uid, run.ns, run.name))

    def flush_status(self, uid, ns, name):
        with self.lock:
            st = self.pending.pop(uid, None)
        if st is None:
            return
        try:
            # the uid makes it a precondition: a Pod recreated under the same name is not touched
            self.node.request('PATCH', '/api/v1/namespaces/%s/pods/%s/status' % (ns, name),
                              {'metadata': {'uid': uid}, 'status': st}, content_type='application/merge-patch+json')
            with self.lock:
                self.written[uid] = st
        except kube.ApiError as e:
            if e.status not in (404, 409):
                log('status of %s/%s: %s' % (ns, name, e))
            with self.lock:
                self.written.pop(uid, None)
        except (OSError, http.client.HTTPException) as e:
            log('status of %s/%s: %s' % (ns, name, e))
            with self.lock:
                self.written.pop(uid, None)

    def delete_pod(self, run):
        def call():
            body = {'apiVersion': 'v1', 'kind': 'DeleteOptions', 'gracePeriodSeconds': 0,
                    'preconditions': {'uid': run.uid}}
            try:
                self.node.request('DELETE', '/api/v1/namespaces/%s/pods/%s' % (run.ns, run.name), body)
            except kube.ApiError as e:
                if e.status not in (404, 409):
                    log('delete %s/%s: %s' % (run.ns, run.name, e))
            except (OSError, http.client.HTTPException) as e:
                log('delete %s/%s: %s' % (run.ns, run.name, e))
        self.api.submit(run.uid, call)

    def fetch(self, kind, ns, name):
        """A ConfigMap or Secret the Pod references, read as the node; None when missing."""
        try:
            return self.node.get('/api/v1/namespaces/%s/%s/%s' % (ns, kind, name))
        except kube.ApiError as e:
            if e.status == 404:
                return None
            raise podmod.envmod.ConfigError(str(e))

    # --- the loop ------------------------------------------------------------------------------
    def drain_inbox(self, until):
        while True:
            try:
                kind, obj = self.inbox.get(timeout=max(0.0, until - time.time()))
            except queue.Empty:
                return
            if kind == 'SYNC':
                self.cache = obj
            elif kind == 'DELETED':
                self.cache.pop(obj['metadata']['uid'], None)
            else:
                self.cache[obj['metadata']['uid']] = obj
            if time.time() >= until:
                return

    def schedule(self, now):
        for uid in [u for u in self.binding if u not in self.cache]:
            del self.binding[uid]
        for uid, p in self.cache.items():
            spec, m = p.get('spec') or {}, p['metadata']
            node = spec.get('nodeName')
            if node:
                self.binding.pop(uid, None)
                if node == self.node_name and uid not in self.runs:
                    self.adopt(p)
                continue
            if m.get('deletionTimestamp') or (spec.get('schedulerName') or DEFAULT_SCHEDULER) != DEFAULT_SCHEDULER:
                continue
            if now - self.binding.get(uid, 0) < BIND_RETRY_S:
                continue
            self.binding[uid] = now
            self.api.submit(uid, lambda p=p: self.bind(p))

    def adopt(self, p):
        phase = (p.get('status') or {}).get('phase')
        if phase in ('Succeeded', 'Failed'):
            # finished before this agent started: nothing to run; a deleted one is removed
            if p['metadata'].get('deletionTimestamp') and p['metadata']['uid'] not in self.binding:
                run = podmod.PodRun(self, p)
                run.terminating = run.deleted = True
                self.binding[p['metadata']['uid']] = time.time()
                self.delete_pod(run)
            return
        self.runs[p['metadata']['uid']] = podmod.PodRun(self, p)

    def step(self, now):
        self.schedule(now)
        for uid, run in list(self.runs.items()):
            p = self.cache.get(uid)
            if p is None:
                run.gone = True
            else:
                run.pod = p
            if run.sync(now):
                del self.runs[uid]
                with self.lock:
                    self.written.pop(uid, None)
                    self.pending.pop(uid, None)

    def run(self):
        self.register()
        threading.Thread(target=self.watch_loop, daemon=True).start()
        threading.Thread(target=self.heartbeat, daemon=True).start()
        last_tick = 0.0
        while not self.stopping.is_set():
            self.drain_inbox(time.time() + TICK_S)
            try:
                now = time.time()
                self.step(now)
                if now - last_tick >= RUNTIME_TICK_S:
                    self.runtime.tick()
                    last_tick = now
            except Exception:  # a bug in one step must not stop the node
                traceback.print_exc()
        self.shutdown()

    def shutdown(self):
        handles = [c.handle for r in self.runs.values() for c in r.inits + r.containers if c.handle is not None]
        for h in handles:
            h.stop()
        end = time.time() + STOP_WAIT_S
        while time.time() < end and any(h.poll() is None for h in handles):
            time.sleep(0.05)
        for h in handles:
            h.kill()
            h.release()
        self.runtime.close()
        self.node.close()
        self.sched.close()


def os_image():
    try:
        for line in open('/etc/os-release'):
            if line.startswith('PRETTY_NAME='):
                return line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass
    return 'Linux'
