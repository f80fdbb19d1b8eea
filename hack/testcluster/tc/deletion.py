"""Deletion in the test API server: DELETE and deletecollection with preconditions and
propagation policies, finalizers (orphan, foreground), namespaces that stay Terminating while
their content goes, CRDs taking their objects with them, and the garbage collector's queue.

Owner: tc-core. A mixin of api.Cluster (its store, registry, gc_queue and gc_cond; locking as
api.Cluster's). The garbage collection thread (controllers.py) calls gc_step.
"""
import json
import time

from . import errors
from . import registry as registry_mod
from .objects import FINALIZER_FOREGROUND, FINALIZER_ORPHAN, NAMESPACE_DELAY, deep, now_ts


class Deletion:
    def delete(self, ctx, res, ns, name, body=None):
        opts = {}
        if body:
            try:
                opts = json.loads(body) or {}
            except ValueError:
                raise errors.bad_request('invalid DeleteOptions')
        q = ctx.query
        policy = opts.get('propagationPolicy') or q.get('propagationPolicy')
        if opts.get('orphanDependents') is True or q.get('orphanDependents') == 'true':
            policy = policy or 'Orphan'
        if 'dryRun' in opts and opts['dryRun']:
            ctx.dry_run = True
        key = (ns if res.namespaced else '', name)
        b = self.store.bucket(res.bucket)
        with self.store.lock:
            cur = b.objs.get(key)
        if cur is None:
            raise errors.not_found(res.group, res.plural, name)
        pre = opts.get('preconditions') or {}
        if pre.get('uid') and pre['uid'] != cur['metadata']['uid']:
            raise errors.conflict(res.group, res.plural, name,
                                  'Precondition failed: UID in precondition: %s, UID in object meta: %s' % (pre['uid'], cur['metadata']['uid']))
        if pre.get('resourceVersion') and pre['resourceVersion'] != cur['metadata']['resourceVersion']:
            raise errors.conflict(res.group, res.plural, name,
                                  'Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s' % (pre['resourceVersion'], cur['metadata']['resourceVersion']))
        dopts = {'kind': 'DeleteOptions', 'apiVersion': 'meta.k8s.io/v1'}
        if ctx.dry_run:
            dopts['dryRun'] = ['All']
        for k in ('gracePeriodSeconds', 'preconditions', 'orphanDependents'):
            if k in opts:
                dopts[k] = opts[k]
        if policy:
            dopts['propagationPolicy'] = policy
        self._admit(ctx, 'DELETE', res, '', ns, name, None, cur, dopts)
        if ctx.dry_run:
            return self._delete_answer(res, cur)
        return self.delete_internal(res, key, policy, ctx)

    def _delete_answer(self, res, obj):
        if res.bucket in registry_mod.RETURNS_STATUS_ON_DELETE:
            d = {'name': obj['metadata']['name']}
            if res.group:
                d['group'] = res.group
            d['kind'] = res.plural
            d['uid'] = obj['metadata']['uid']
            return {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Success',
                    'details': d}
        return self.out(res, obj)

    def delete_internal(self, res, key, policy=None, ctx=None):
        """Delete honouring finalizers and the propagation policy. Returns the answer body."""
        b = self.store.bucket(res.bucket)
        if res.bucket == ('', 'namespaces'):
            return self._delete_namespace(res, key)
        if res.bucket == ('apiextensions.k8s.io', 'customresourcedefinitions'):
            return self._delete_crd(res, key)
        with self.store.lock:
            cur = b.objs.get(key)
            if cur is None:
                raise errors.not_found(res.group, res.plural, key[1])
            m = cur['metadata']
            fins = list(m.get('finalizers') or [])
            if policy == 'Orphan' and FINALIZER_ORPHAN not in fins:
                fins.append(FINALIZER_ORPHAN)
            elif policy == 'Foreground' and FINALIZER_FOREGROUND not in fins:
                fins.append(FINALIZER_FOREGROUND)
            if fins:
                if m.get('deletionTimestamp') and fins == list(m.get('finalizers') or []):
                    return self.out(res, cur)
                new = dict(cur)
                nm = dict(m)
                nm['finalizers'] = fins
                if not nm.get('deletionTimestamp'):
                    nm['deletionTimestamp'] = now_ts()
                    nm['deletionGracePeriodSeconds'] = 0
                    if 'generation' in nm:
                        nm['generation'] += 1
                new['metadata'] = nm
                self.store.put(b, key, new, cur)
                if FINALIZER_ORPHAN in fins or FINALIZER_FOREGROUND in fins:
                    self.gc_queue.append(('finalize', res.bucket, key))
                    self.gc_cond.notify_all()
                return self.out(res, new)
            final = self.store.remove(b, key, cur)
            self._on_deleted(res, cur)
        return self._delete_answer(res, final)

    def _on_deleted(self, res, obj):
        """Lock held: queue dependents for background garbage collection."""
        self.gc_queue.append(('owner-gone', obj['metadata']['uid']))
        self.gc_cond.notify_all()
        if res.bucket == ('', 'services'):
            ip = (obj.get('spec') or {}).get('clusterIP')
            if ip and ip != 'None':
                try:
                    self.ip_allocator.release(ip)
                except Exception:
                    pass

    def deletecollection(self, ctx, res, ns, body=None):
        lst = self.list(ctx, res, ns, ctx.query)
        for o in lst['items']:
            try:
                self.delete(ctx, res, ns, o['metadata']['name'], body)
            except errors.ApiError as e:
                if e.code != 404:
                    raise
        return {'kind': res.list_kind, 'apiVersion': res.gv, 'metadata': {'resourceVersion': str(self.store.rv)}, 'items': lst['items']}

    def _delete_namespace(self, res, key):
        b = self.store.bucket(res.bucket)
        with self.store.lock:
            cur = b.objs.get(key)
            if cur is None:
                raise errors.not_found('', 'namespaces', key[1])
            if cur['metadata'].get('deletionTimestamp'):
                return self.out(res, cur)
            new = deep(cur)
            new['metadata']['deletionTimestamp'] = now_ts()
            new['metadata']['deletionGracePeriodSeconds'] = 0
            new['status'] = {'phase': 'Terminating'}
            self.store.put(b, key, new, cur)
            self.gc_queue.append(('namespace', key[1], time.time() + NAMESPACE_DELAY))
            self.gc_cond.notify_all()
        return self.out(res, new)

    def finish_namespace(self, ns):
        """Delete everything in a Terminating namespace; True when the namespace is gone."""
        remaining = 0
        with self.store.lock:
            buckets = list(self.store.buckets.items())
        for bk, b in buckets:
            if bk == ('', 'namespaces'):
                continue
            res = self.registry.preferred(*bk)
            if res is None or not res.namespaced:
                continue
            with self.store.lock:
                keys = [k for k in b.objs if k[0] == ns]
            for k in keys:
                remaining += 1
                try:
                    self.delete_internal(res, k, 'Background')
                except errors.ApiError:
                    pass
        if remaining:
            with self.store.lock:
                for bk, b in buckets:
                    if bk != ('', 'namespaces') and any(k[0] == ns for k in b.objs):
                        return False
        nb = self.store.bucket(('', 'namespaces'))
        with self.store.lock:
            cur = nb.objs.get(('', ns))
            if cur is not None and cur['metadata'].get('deletionTimestamp'):
                self.store.remove(nb, ('', ns), cur)
        return True

    def _delete_crd(self, res, key):
        b = self.store.bucket(res.bucket)
        with self.store.lock:
            cur = b.objs.get(key)
            if cur is None:
                raise errors.not_found(res.group, res.plural, key[1])
            spec = cur['spec']
            bk = (spec['group'], spec['names']['plural'])
            cb = self.store.buckets.get(bk)
            if cb is not None:
                for k in list(cb.objs):
                    self.store.remove(cb, k, cb.objs[k])
            self.registry.remove_crd(cur)
            final = self.store.remove(b, key, cur)
            if cb is not None:
                cb.serving = False
                cb.generation += 1
                cb.cond.notify_all()
        return self.out(res, final)

    def gc_step(self):
        """Process queued GC work; returns the time of the next timed item (or None)."""
        with self.store.lock:
            queue, self.gc_queue = self.gc_queue, []
        later = []
        next_t = None
        for item in queue:
            if item[0] == 'owner-gone':
                self._gc_dependents(item[1])
            elif item[0] == 'finalize':
                if not self._gc_finalize(item[1], item[2]):
                    later.append(item)
            elif item[0] == 'namespace':
                if time.time() < item[2] or not self.finish_namespace(item[1]):
                    t = max(item[2], time.time() + 0.2)
                    later.append(('namespace', item[1], t))
                    next_t = t if next_t is None else min(next_t, t)
        if later:
            with self.store.lock:
                self.gc_queue.extend(later)
                if next_t is None:
                    next_t = time.time() + 0.2
        return next_t

    def _dependents(self, uid):
        return self.store.dependents(uid)

    def _gc_dependents(self, uid):
        with self.store.lock:
            deps = self._dependents(uid)
            if not deps:
                return
            alive = self.store.uids
            deps = [(bk, k, o) for bk, k, o in deps
                    if not any(r.get('uid') in alive for r in o['metadata'].get('ownerReferences') or [])]
        for bk, k, o in deps:
            res = self.registry.preferred(*bk)
            if res is None:
                continue
            try:
                self.delete_internal(res, k, 'Background')
            except errors.ApiError:
                pass

    def _gc_finalize(self, bk, key):
        b = self.store.bucket(bk)
        with self.store.lock:
            cur = b.objs.get(key)
            if cur is None or not cur['metadata'].get('deletionTimestamp'):
                return True
            fins = cur['metadata'].get('finalizers') or []
            uid = cur['metadata']['uid']
            deps = self._dependents(uid)
            if FINALIZER_ORPHAN in fins:
                for dbk, dk, o in deps:
                    db = self.store.buckets[dbk]
                    nd = dict(o)
                    nm = dict(o['metadata'])
                    refs = [r for r in nm.get('ownerReferences') or [] if r.get('uid') != uid]
                    if refs:
                        nm['ownerReferences'] = refs
                    else:
                        nm.pop('ownerReferences', None)
                    nd['metadata'] = nm
                    self.store.put(db, dk, nd, o)
                fins = [f for f in fins if f != FINALIZER_ORPHAN]
            elif FINALIZER_FOREGROUND in fins:
                if deps:
                    pending = []
                    for dbk, dk, o in deps:
                        if not o['metadata'].get('deletionTimestamp'):
                            pending.append((dbk, dk))
                    for dbk, dk in pending:
                        res = self.registry.preferred(*dbk)
                        if res is not None:
                            try:
                                self.delete_internal(res, dk, 'Foreground')
                            except errors.ApiError:
                                pass
                    return False
                fins = [f for f in fins if f != FINALIZER_FOREGROUND]
            else:
                return True
            cur = b.objs.get(key)
            new = dict(cur)
            nm = dict(cur['metadata'])
            if fins:
                nm['finalizers'] = fins
                new['metadata'] = nm
                self.store.put(b, key, new, cur)
            else:
                nm.pop('finalizers', None)
                new['metadata'] = nm
                self.store.remove(b, key, new)
                res = self.registry.preferred(*bk)
                self._on_deleted(res, new)
        return True
