"""Background controllers: garbage collector / namespace finalizer (always) and the optional
"kubelet" (Deployments get ReplicaSet-less Pods that become Ready; Jobs complete).

Owner: tc-core. Each controller is one daemon thread; they write through api.Cluster like any
client (pods created by the kubelet go through admission as the replicaset-controller service
account), so they never hold the store lock across a write.
"""
import calendar
import hashlib
import json
import time

from . import errors
from . import objects

RS_USER = {'username': 'system:serviceaccount:kube-system:replicaset-controller',
           'uid': '911cd2ad-1191-46af-858b-de59e80cfbc7',
           'groups': ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']}
DEPLOY_USER = {'username': 'system:serviceaccount:kube-system:deployment-controller',
               'groups': ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']}
JOB_USER = {'username': 'system:serviceaccount:kube-system:job-controller',
            'groups': ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']}
NODE_USER = {'username': 'system:node:testcluster-node', 'groups': ['system:nodes', 'system:authenticated']}
NODE = 'testcluster-node'


def gc_loop(cl):
    while not cl.stopping:
        with cl.gc_cond:
            if not cl.gc_queue:
                cl.gc_cond.wait(1.0)
        if cl.stopping:
            return
        try:
            nxt = cl.gc_step()
            sync_quotas(cl)
        except Exception:  # pragma: no cover
            import traceback
            traceback.print_exc()
            nxt = time.time() + 0.5
        if nxt is not None:
            time.sleep(max(0.0, min(nxt - time.time(), 0.5)))


QUOTA_USER = {'username': 'system:serviceaccount:kube-system:resourcequota-controller',
              'groups': ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']}


def sync_quotas(cl):
    """The resource-quota controller's part that clients see: status.hard is spec.hard and
    status.used counts what the admission counts (pods, services; other resources show 0)."""
    from .writes import QUOTA_COUNTED, quota_counted
    with cl.store.lock:
        quotas = list(cl.store.bucket(('', 'resourcequotas')).objs.values())
        counts = {(ns, plural): quota_counted(cl.store, plural, ns)
                  for ns in {q['metadata']['namespace'] for q in quotas} for plural in QUOTA_COUNTED}
    res = cl.registry.preferred('', 'resourcequotas')
    for q in quotas:
        ns = q['metadata']['namespace']
        hard = dict((q.get('spec') or {}).get('hard') or {})
        used = {}
        for k in hard:
            plural = k[len('count/'):] if k.startswith('count/') else k
            used[k] = str(counts[(ns, plural)]) if plural in QUOTA_COUNTED else '0'
        st = {'hard': hard, 'used': used}
        if st == q.get('status'):
            continue
        new = dict(q)
        new['status'] = st
        try:
            cl.update(objects.Ctx(QUOTA_USER, {}), res, ns, q['metadata']['name'], json.dumps(new).encode(), 'status')
        except errors.ApiError:
            pass


def template_hash(tpl):
    h = hashlib.sha256(json.dumps(tpl, sort_keys=True).encode()).hexdigest()
    n = int(h[:12], 16)
    alphabet = 'bcdfghjklmnpqrstvwxz2456789'
    out = ''
    for _ in range(10):
        out += alphabet[n % len(alphabet)]
        n //= len(alphabet)
    return out


class Kubelet:
    def __init__(self, cl, jobs_manual=False, ready_delay=0.5, job_delay=1.0):
        self.cl = cl
        self.jobs_manual = jobs_manual
        self.ready_delay = ready_delay
        self.job_delay = job_delay
        self.backoff = {}

    def res(self, group, plural):
        return self.cl.registry.preferred(group, plural)

    def loop(self):
        while not self.cl.stopping:
            try:
                self.step()
            except Exception:  # pragma: no cover
                import traceback
                traceback.print_exc()
            time.sleep(0.2)

    def step(self):
        cl = self.cl
        st = cl.store
        with st.lock:
            deps = list(st.bucket(('apps', 'deployments')).objs.values())
            pods = list(st.bucket(('', 'pods')).objs.values())
            jobs = list(st.bucket(('batch', 'jobs')).objs.values())
        by_owner = {}
        for p in pods:
            for r in p['metadata'].get('ownerReferences') or []:
                by_owner.setdefault(r.get('uid'), []).append(p)
        now = time.time()
        for p in pods:
            self.maybe_ready(p, now)
        for d in deps:
            try:
                self.sync_deployment(d, by_owner.get(d['metadata']['uid'], []), now)
            except errors.ApiError:
                pass
        for j in jobs:
            try:
                self.sync_job(j, now)
            except errors.ApiError:
                pass

    def maybe_ready(self, p, now):
        if p['metadata'].get('deletionTimestamp'):
            return
        if (p.get('status') or {}).get('phase') != 'Pending':
            return
        node = (p.get('spec') or {}).get('nodeName')
        if node and node != NODE:
            return
        if not node:
            # the scheduler's binding (pods/binding): sets spec.nodeName and PodScheduled
            st = self.cl.store
            b = st.bucket(('', 'pods'))
            key = (p['metadata']['namespace'], p['metadata']['name'])
            with st.lock:
                cur = b.objs.get(key)
                if cur is None or cur is not p:
                    return
                new = objects.deep(cur)
                new['spec']['nodeName'] = NODE
                new['status'] = dict(new.get('status') or {})
                new['status']['conditions'] = [{'type': 'PodScheduled', 'status': 'True', 'lastProbeTime': None,
                                                'lastTransitionTime': objects.now_ts()}]
                st.put(b, key, new, cur)
            self.seen.setdefault(p['metadata']['uid'], now)
            return
        created = calendar.timegm(time.strptime(p['metadata']['creationTimestamp'], '%Y-%m-%dT%H:%M:%SZ'))
        if now - created < self.ready_delay and now - self.seen.setdefault(p['metadata']['uid'], now) < self.ready_delay:
            return
        ts = objects.now_ts()
        containers = (p.get('spec') or {}).get('containers') or []
        status = dict(p.get('status') or {})
        status.update({
            'phase': 'Running',
            'conditions': [
                {'type': t, 'status': 'True', 'lastProbeTime': None, 'lastTransitionTime': ts}
                for t in ('Initialized', 'Ready', 'ContainersReady', 'PodScheduled')],
            'hostIP': '127.0.0.1',
            'podIP': '127.0.0.1', 'podIPs': [{'ip': '127.0.0.1'}], 'startTime': ts,
            'containerStatuses': [{
                'name': c.get('name'), 'state': {'running': {'startedAt': ts}}, 'lastState': {},
                'ready': True, 'restartCount': 0, 'image': c.get('image'),
                'imageID': 'docker-pullable://' + str(c.get('image')),
                'containerID': 'containerd://' + hashlib.sha256((p['metadata']['uid'] + str(c.get('name'))).encode()).hexdigest(),
                'started': True} for c in containers]})
        new = dict(p)
        new['status'] = status
        pres = self.res('', 'pods')
        ctx = objects.Ctx(NODE_USER, {})
        try:
            self.cl.update(ctx, pres, p['metadata']['namespace'], p['metadata']['name'],
                           json.dumps(new).encode(), 'status')
        except errors.ApiError:
            pass

    seen = {}

    def sync_deployment(self, d, pods, now):
        cl = self.cl
        m = d['metadata']
        if m.get('deletionTimestamp'):
            return
        spec = d.get('spec') or {}
        desired = spec.get('replicas', 1)
        tpl = spec.get('template') or {}
        h = template_hash(tpl)
        pres = self.res('', 'pods')
        ns = m['namespace']
        live = [p for p in pods if not p['metadata'].get('deletionTimestamp')]
        old = [p for p in live if (p['metadata'].get('labels') or {}).get('pod-template-hash') != h]
        cur = [p for p in live if (p['metadata'].get('labels') or {}).get('pod-template-hash') == h]
        ictx = objects.Ctx(RS_USER, {})
        for p in old:
            try:
                cl.delete_internal(pres, (ns, p['metadata']['name']), 'Background')
            except errors.ApiError:
                pass
        if len(cur) > desired:
            extra = sorted(cur, key=lambda p: p['metadata']['creationTimestamp'], reverse=True)[:len(cur) - desired]
            for p in extra:
                try:
                    cl.delete_internal(pres, (ns, p['metadata']['name']), 'Background')
                except errors.ApiError:
                    pass
            cur = [p for p in cur if p not in extra]
        failure = None
        # A create that failed stays reported (ReplicaFailure) until one succeeds or none is
        # needed, as the ReplicaSet's condition does: not only on the step that tried.
        old_failure = next((c for c in (d.get('status') or {}).get('conditions') or []
                            if c.get('type') == 'ReplicaFailure' and c.get('status') == 'True'), None)
        if len(cur) < desired and old_failure and self.backoff.get(m['uid'], 0) > now:
            failure = old_failure.get('message')
        if len(cur) < desired and self.backoff.get(m['uid'], 0) <= now:
            for _ in range(desired - len(cur)):
                pod = {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {
                    'generateName': '%s-%s-' % (m['name'], h),
                    'namespace': ns,
                    'labels': dict((tpl.get('metadata') or {}).get('labels') or {}, **{'pod-template-hash': h}),
                    'ownerReferences': [{'apiVersion': 'apps/v1', 'kind': 'Deployment', 'name': m['name'],
                                         'uid': m['uid'], 'controller': True, 'blockOwnerDeletion': True}]},
                    'spec': json.loads(json.dumps(tpl.get('spec') or {}))}
                anns = (tpl.get('metadata') or {}).get('annotations')
                if anns:
                    pod['metadata']['annotations'] = dict(anns)
                try:
                    created = cl.create(ictx, pres, ns, json.dumps(pod).encode())
                    cur.append(created)
                except errors.ApiError as e:
                    failure = e.message
                    self.backoff[m['uid']] = now + 1.0
                    break
        with cl.store.lock:
            pods_now = [p for p in cl.store.bucket(('', 'pods')).objs.values()
                        if any(r.get('uid') == m['uid'] for r in p['metadata'].get('ownerReferences') or [])
                        and not p['metadata'].get('deletionTimestamp')]
        ready = [p for p in pods_now if (p.get('status') or {}).get('phase') == 'Running']
        updated = [p for p in pods_now if (p['metadata'].get('labels') or {}).get('pod-template-hash') == h]
        st = {'observedGeneration': m.get('generation', 1)}
        if pods_now:
            st['replicas'] = len(pods_now)
        if updated:
            st['updatedReplicas'] = len(updated)
        if ready:
            st['readyReplicas'] = len(ready)
            st['availableReplicas'] = len(ready)
        unavailable = max(desired - len(ready), 0)
        if unavailable:
            st['unavailableReplicas'] = unavailable
        old_st = d.get('status') or {}
        old_conds = {c['type']: c for c in old_st.get('conditions') or []}
        ts = objects.now_ts()

        def cond(t, status, reason, msg):
            c = old_conds.get(t)
            if c and c.get('status') == status and c.get('reason') == reason and c.get('message') == msg:
                return c
            lt = c['lastTransitionTime'] if c and c.get('status') == status else ts
            return {'type': t, 'status': status, 'lastUpdateTime': ts, 'lastTransitionTime': lt,
                    'reason': reason, 'message': msg}
        avail_ok = len(ready) >= desired
        conds = [cond('Available', 'True' if avail_ok else 'False',
                      'MinimumReplicasAvailable' if avail_ok else 'MinimumReplicasUnavailable',
                      'Deployment has minimum availability.' if avail_ok else 'Deployment does not have minimum availability.')]
        rsname = '%s-%s' % (m['name'], h)
        if failure:
            conds.append(cond('ReplicaFailure', 'True', 'FailedCreate', failure))
        done = len(updated) == desired and len(ready) >= desired and len(pods_now) == desired
        conds.append(cond('Progressing', 'True', 'NewReplicaSetAvailable' if done else 'ReplicaSetUpdated',
                          ('ReplicaSet "%s" has successfully progressed.' if done else 'ReplicaSet "%s" is progressing.') % rsname))
        st['conditions'] = conds
        if st != old_st:
            dres = self.res('apps', 'deployments')
            new = dict(d)
            new['status'] = st
            try:
                cl.update(objects.Ctx(DEPLOY_USER, {}), dres, ns, m['name'], json.dumps(new).encode(), 'status')
            except errors.ApiError:
                pass

    def sync_job(self, j, now):
        m = j['metadata']
        if m.get('deletionTimestamp'):
            return
        st = j.get('status') or {}
        if (j.get('spec') or {}).get('suspend'):
            return
        if any(c.get('type') in ('Complete', 'Failed') and c.get('status') == 'True' for c in st.get('conditions') or []):
            return
        ts = objects.now_ts()
        jres = self.res('batch', 'jobs')
        ctx = objects.Ctx(JOB_USER, {})
        if not st.get('startTime'):
            new = dict(j)
            new['status'] = {'startTime': ts, 'active': 1, 'ready': 0, 'uncountedTerminatedPods': {}}
            self.cl.update(ctx, jres, m['namespace'], m['name'], json.dumps(new).encode(), 'status')
            return
        if self.jobs_manual:
            return
        started = calendar.timegm(time.strptime(st['startTime'], '%Y-%m-%dT%H:%M:%SZ'))
        first = self.seen.setdefault('job:' + m['uid'], now)
        if now - max(started, first - 1.0) < self.job_delay and now - first < self.job_delay:
            return
        new = dict(j)
        new['status'] = {'startTime': st['startTime'], 'completionTime': ts, 'ready': 0,
                         'succeeded': (j.get('spec') or {}).get('completions') or 1,
                         'uncountedTerminatedPods': {},
                         'conditions': [{'type': 'Complete', 'status': 'True', 'lastProbeTime': ts,
                                         'lastTransitionTime': ts}]}
        self.cl.update(ctx, jres, m['namespace'], m['name'], json.dumps(new).encode(), 'status')
