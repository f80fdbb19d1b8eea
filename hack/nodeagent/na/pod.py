"""One Pod on the node: its containers' lifecycle and the status the kubelet would report.

Owner: realk8s. A PodRun is driven only by the agent's loop thread (`sync`), which hands it the
latest Pod object. It starts init containers one by one, then the containers; restarts them as
restartPolicy says (first restart at once, then back-off 10 s doubling to 5 min, as the
kubelet); runs probes through the agent's probe pool; on deletionTimestamp stops every
container (SIGTERM, SIGKILL after the grace period) and then asks the agent to delete the Pod
object (as the kubelet does, grace period 0, uid precondition). `status()` builds the Pod status
(phase, the Initialized/Ready/ContainersReady conditions, container statuses sorted by name as
the kubelet sorts them) from what it observed.
"""
import os
import time

from . import env as envmod
from . import probe
from .runtime import ContainerSpec, StartFailure

BACKOFF_INITIAL_S = 10.0
BACKOFF_MAX_S = 300.0
DEFAULT_GRACE_S = 30
CONFIG_RETRY_S = 1.0
EXIT_SIGKILL = 137
EXIT_START_ERROR = 128


def ts(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


class ContainerRun:
    def __init__(self, spec, init):
        self.spec = spec
        self.name = spec['name']
        self.init = init
        self.handle = None
        self.state = {'waiting': {'reason': 'ContainerCreating' if init else 'PodInitializing'}}
        self.last_state = {}
        self.restart_count = 0
        self.runs = 0
        self.started_at = None
        self.container_id = ''
        self.image_id = ''
        self.probes = {}
        self.backoff = 0.0
        self.backoff_until = 0.0
        self.kill_at = None
        self.done = False  # terminated, will not run again
        self.exit_code = None
        self.env = {}
        self.cwd = None

    def ready(self):
        if self.handle is None:
            return False
        r = self.probes.get('readiness')
        return self.started() and (r is None or r.result is True)

    def started(self):
        if self.handle is None:
            return False
        s = self.probes.get('startup')
        return s is None or s.result is True

    def status(self):
        st = {'name': self.name, 'state': self.state, 'lastState': self.last_state, 'ready': self.ready(),
              'restartCount': self.restart_count, 'image': self.spec.get('image', ''), 'imageID': self.image_id}
        if self.container_id:
            st['containerID'] = self.container_id
        st['started'] = self.started()
        return st


class PodRun:
    def __init__(self, agent, pod):
        self.agent = agent
        self.pod = pod
        m = pod['metadata']
        self.uid, self.ns, self.name = m['uid'], m['namespace'], m['name']
        spec = pod.get('spec') or {}
        self.policy = spec.get('restartPolicy') or 'Always'
        self.inits = [ContainerRun(c, True) for c in spec.get('initContainers') or []]
        self.containers = [ContainerRun(c, False) for c in spec.get('containers') or []]
        if not self.inits:
            for c in self.containers:
                c.state = {'waiting': {'reason': 'ContainerCreating'}}
        self.start_time = ts(time.time())
        self.dir = os.path.join(agent.state_dir, 'pods', '%s_%s_%s' % (self.ns, self.name, self.uid))
        self.gone = False          # removed from the API
        self.terminating = False
        self.deleted = False       # the DELETE was sent
        self.transitions = {}      # condition type -> (status, lastTransitionTime)
        self.init_failed = False

    # --- containers ---------------------------------------------------------------------------
    def start(self, c, now):
        try:
            argv, env = envmod.resolve(self.pod, c.spec, self.agent.fetch, self.agent.api_port)
        except envmod.ConfigError as e:
            c.state = {'waiting': {'reason': 'CreateContainerConfigError', 'message': str(e)}}
            c.backoff_until = now + CONFIG_RETRY_S
            return
        cdir = os.path.join(self.dir, c.name)
        os.makedirs(cdir, exist_ok=True)
        spec = ContainerSpec(self.uid, c.name, c.spec.get('image', ''), argv, env, c.spec.get('workingDir'),
                             [p['containerPort'] for p in c.spec.get('ports') or []
                              if p.get('protocol', 'TCP') == 'TCP' and p.get('containerPort')],
                             os.path.join(cdir, '%d.log' % c.runs), finite=self.policy != 'Always',
                             pod=self.pod, container=c.spec)
        if c.runs > 0:
            c.restart_count += 1
        c.runs += 1
        try:
            h = self.agent.runtime.start(spec)
        except StartFailure as f:
            self.exited(c, EXIT_START_ERROR, now, reason=f.reason, message=f.message)
            return
        c.handle = h
        c.started_at = now
        c.container_id = '%s://%s' % (getattr(h, 'runtime_name', self.agent.runtime.name), h.id)
        c.image_id = h.image_id
        c.state = {'running': {'startedAt': ts(now)}}
        c.probes = {k: probe.Prober(c.spec[k + 'Probe'], now) for k in ('readiness', 'liveness', 'startup')
                    if c.spec.get(k + 'Probe') and h.probed}
        c.env = env
        c.cwd = spec.working_dir or cdir

    def exited(self, c, code, now, reason=None, message=None):
        started = c.started_at if c.started_at is not None else now
        term = {'exitCode': code, 'reason': reason or ('Completed' if code == 0 else 'Error'),
                'startedAt': ts(started), 'finishedAt': ts(now)}
        if message:
            term['message'] = message
        if c.container_id:
            term['containerID'] = c.container_id
        if c.handle is not None:
            c.handle.release()
        c.handle = None
        c.probes = {}
        c.exit_code = code
        if c.init:
            restart = code != 0 and self.policy != 'Never'
        else:
            restart = self.policy == 'Always' or (self.policy == 'OnFailure' and code != 0)
        if self.terminating or not restart:
            c.state = {'terminated': term}
            c.done = True
            if c.init and code != 0:
                self.init_failed = True
            return
        c.last_state = {'terminated': term}
        c.backoff_until = now + c.backoff
        if c.backoff:
            c.state = {'waiting': {'reason': 'CrashLoopBackOff', 'message': 'back-off %ds restarting failed '
                                   'container=%s pod=%s_%s(%s)' % (c.backoff, c.name, self.name, self.ns, self.uid)}}
        else:
            c.state = {'terminated': term}
        c.backoff = min(max(c.backoff * 2, BACKOFF_INITIAL_S), BACKOFF_MAX_S)

    def reap(self, now):
        for c in self.inits + self.containers:
            if c.handle is None:
                continue
            code = c.handle.poll()
            if code is not None:
                self.exited(c, code, now)
            elif c.kill_at is not None and now >= c.kill_at:
                c.handle.kill()

    def run_probes(self, c, now):
        for kind in ('startup', 'liveness', 'readiness'):
            p = c.probes.get(kind)
            if p is None:
                continue
            if p.pending is not None and p.pending.done():
                ok, msg = p.pending.result()
                p.record(ok, msg, now)
            if kind != 'startup' and not c.started():
                continue
            if p.due(now):
                p.pending = self.agent.probe_pool.submit(probe.check, p.probe, c.spec, c.env, c.cwd)
        live, start = c.probes.get('liveness'), c.probes.get('startup')
        if (live is not None and live.result is False) or (start is not None and start.result is False):
            c.handle.stop()  # the kubelet restarts a container whose liveness/startup probe failed
            c.kill_at = now + self.grace()
            for p in c.probes.values():
                p.result, p.failures = None, 0

    def grace(self):
        m, spec = self.pod.get('metadata') or {}, self.pod.get('spec') or {}
        g = m.get('deletionGracePeriodSeconds')
        if g is None:
            g = spec.get('terminationGracePeriodSeconds', DEFAULT_GRACE_S)
        return g

    # --- the loop's entry points -------------------------------------------------------------
    def sync(self, now):
        """One step; returns True when the PodRun is finished and can be forgotten."""
        if self.gone and not self.terminating:
            self.terminating = True
            for c in self.inits + self.containers:
                if c.handle is not None:
                    c.handle.kill()
        if (self.pod['metadata'].get('deletionTimestamp') or self.gone) and not self.terminating:
            self.terminating = True
        if self.terminating:
            return self.sync_terminating(now)
        self.reap(now)
        self.sync_containers(now)
        for c in self.inits + self.containers:
            if c.handle is not None:
                self.run_probes(c, now)
        self.agent.write_status(self, self.status(now))
        return False

    def sync_containers(self, now):
        for c in self.inits:
            if c.done and c.exit_code == 0:
                continue
            if c.handle is None and not c.done and now >= c.backoff_until:
                self.start(c, now)
            return  # one init container at a time; the containers wait for all of them
        if self.init_failed:
            return
        for c in self.containers:
            if c.handle is None and not c.done and now >= c.backoff_until:
                self.start(c, now)

    def sync_terminating(self, now):
        grace = self.grace()
        for c in self.inits + self.containers:
            if c.handle is not None and c.kill_at is None:
                c.handle.stop()
                c.kill_at = now + grace
        self.reap(now)
        if any(c.handle is not None for c in self.inits + self.containers):
            return False
        for c in self.inits + self.containers:
            if not c.done:  # never started, or waiting to restart: it will not run again
                c.done = True
                if 'terminated' not in c.state:
                    c.state = {'waiting': c.state.get('waiting') or {'reason': 'ContainerCreating'}}
        if self.gone:
            return True
        if not self.deleted:
            self.deleted = True
            self.agent.write_status(self, self.status(now))
            self.agent.delete_pod(self)
        return False

    # --- status ------------------------------------------------------------------------------
    def phase(self):
        if self.init_failed:
            return 'Failed'
        if not all(c.done and c.exit_code == 0 for c in self.inits):
            return 'Pending'
        if self.containers and all(c.done for c in self.containers):
            return 'Succeeded' if all(c.exit_code == 0 for c in self.containers) else 'Failed'
        if any(c.runs > 0 for c in self.containers):
            return 'Running'
        return 'Pending'

    def condition(self, ctype, ok, reason, message, now):
        status = 'True' if ok else 'False'
        prev = self.transitions.get(ctype)
        if prev is None or prev[0] != status:
            prev = self.transitions[ctype] = (status, ts(now))
        c = {'type': ctype, 'status': status, 'lastProbeTime': None, 'lastTransitionTime': prev[1]}
        if not ok:
            c['reason'] = reason
            if message:
                c['message'] = message
        return c

    def status(self, now):
        phase = self.phase()
        pending_init = [c.name for c in self.inits if not (c.done and c.exit_code == 0)]
        unready = [c.name for c in self.containers if not c.ready()]
        done = phase in ('Succeeded', 'Failed')
        reason = 'PodCompleted' if done else 'ContainersNotReady'
        msg = '' if done else 'containers with unready status: [%s]' % ' '.join(unready)
        conds = [self.condition('Initialized', not pending_init or done, 'ContainersNotInitialized',
                                'containers with incomplete status: [%s]' % ' '.join(pending_init), now),
                 self.condition('Ready', not unready and not done, reason, msg, now),
                 self.condition('ContainersReady', not unready and not done, reason, msg, now)]
        ours = {c['type'] for c in conds}
        conds += [c for c in (self.pod.get('status') or {}).get('conditions') or [] if c.get('type') not in ours]
        st = {'phase': phase, 'conditions': conds, 'hostIP': envmod.POD_IP, 'podIP': envmod.POD_IP,
              'podIPs': [{'ip': envmod.POD_IP}], 'startTime': self.start_time,
              'containerStatuses': sorted((c.status() for c in self.containers), key=lambda s: s['name'])}
        if self.inits:
            st['initContainerStatuses'] = [c.status() for c in self.inits]
        return st
