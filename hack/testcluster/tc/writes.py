"""Writes of the test API server: create, update (PUT), patch (merge, JSON, strategic, apply),
the status and ephemeralcontainers subresources, and what every write goes through: decoding,
kind checks, unknown-field pruning (fieldValidation), defaulting, validation and admission.

Owner: tc-core. A mixin of api.Cluster (uses its store, registry, admission and allocators);
the locking rules are api.Cluster's: webhooks are called without the lock, then the commit
re-checks that the object is still the one the write started from (optimistic retry).
"""
import json
import random

from . import builtins as builtinsmod
from . import errors
from . import fields as fieldsmod
from . import patch as patchmod
from . import registry as registry_mod
from . import schema as schemamod
from .objects import NAME_CHARS, deep, meta, new_uid, normalize, now_ts, scale_causes, strip_for_compare



QUOTA_COUNTED = ('pods', 'services')  # the object counts a ResourceQuota enforces here


def quota_counted(store, plural, ns):
    """The objects of `plural` (pods, services) a ResourceQuota counts in ns: every Service; the
    Pods that are not terminal (Succeeded, Failed) and not being deleted. The caller holds the
    store lock."""
    return sum(1 for (ons, _), o in store.bucket(('', plural)).objs.items()
               if ons == ns and (plural != 'pods' or (not o['metadata'].get('deletionTimestamp')
                                                      and (o.get('status') or {}).get('phase') not in ('Succeeded', 'Failed'))))

class Writes:
    def _decode(self, res, body, name=None, ns=None):
        try:
            obj = json.loads(body) if isinstance(body, (bytes, str)) else body
        except ValueError as e:
            raise errors.bad_request('the object provided is unrecognized (must be of type %s): '
                                     "couldn't get version/kind; json parse error: %s" % (res.kind, e))
        if not isinstance(obj, dict):
            raise errors.bad_request('the object provided is unrecognized (must be of type %s): '
                                     "couldn't get version/kind; json parse error: expected object" % res.kind)
        return obj

    def _check_kind(self, res, obj, kind=None, gv=None):
        kind = kind or res.kind
        gv = gv or res.gv
        av, k = obj.get('apiVersion'), obj.get('kind')
        if not k and not av and not res.builtin:
            raise errors.bad_request('Object \'Kind\' is missing in \'%s\'' % json.dumps(obj, separators=(',', ':'))[:200])
        if k and k != kind:
            raise errors.bad_request('the object provided is unrecognized (must be of type %s): %s' % (kind, k))
        if av and av != gv:
            raise errors.bad_request('the API version in the data (%s) does not match the expected API version (%s)' % (av, gv))
        obj['apiVersion'] = gv
        obj['kind'] = kind

    def _strict(self, ctx, res, obj, mode='create', patched=None):
        """Unknown fields: pruned (custom resources by their schema, built-ins like the typed
        decoder) and a 400 strict decoding error under fieldValidation=Strict (422 for PATCH, as
        the real server), a warning under Warn."""
        if res.schema is not None:
            probe = deep(obj)
            unknown = res.schema.prune(probe) or []
            md = obj.get('metadata') or {}
            probe['metadata'] = md
        elif fieldsmod.known(res.group, res.kind):
            probe = obj
            before = deep(obj) if mode == 'patch' and (ctx.field_validation == 'Strict') else None
            unknown = fieldsmod.prune_unknown(res.group, res.kind, probe) or []
            if before is not None:
                patched = before
        else:
            return
        if unknown:
            mode_v = ctx.field_validation or 'Ignore'
            if mode_v == 'Strict':
                if mode == 'patch':
                    src = patched if patched is not None else obj
                    raise errors.strict_decoding_patch(
                        json.dumps(src, separators=(',', ':'), sort_keys=True), unknown)
                raise errors.strict_decoding(unknown, res.kind, res.version)
            if mode_v == 'Warn':
                for u in unknown:
                    ctx.warnings.append('unknown field "%s"' % u)
        if probe is not obj:
            obj.clear()
            obj.update(probe)

    def _validate_and_default(self, ctx, res, obj, old, sub=None, mode='create'):
        self._strict(ctx, res, obj, mode)
        if not res.builtin:
            res.schema.apply_defaults(obj)
            causes = schemamod.validate_custom_object(res.schema, obj, res.namespaced)
            causes = causes + scale_causes(obj, res.scale)
            if causes:
                raise errors.invalid(res.group, res.kind, meta(obj).get('name', ''), causes)
        else:
            if old is None:
                builtinsmod.apply_defaults(res.group, res.version, res.kind, obj, self.ip_allocator,
                                           self.port_allocator)
                if res.bucket == ('', 'pods'):
                    builtinsmod.apply_pod_admission(obj)
            else:
                builtinsmod.apply_defaults(res.group, res.version, res.kind, obj, None)
            if sub == 'ephemeralcontainers' and old is not None:
                # the subresource's own check (_merge_ephemeral) has run; the pod update rules
                # apply to everything else
                old = deep(old)
                ecs = (obj.get('spec') or {}).get('ephemeralContainers')
                old.setdefault('spec', {}).pop('ephemeralContainers', None)
                if ecs is not None:
                    old['spec']['ephemeralContainers'] = ecs
            causes = builtinsmod.validate(res.group, res.kind, obj, old)
            if causes:
                raise errors.invalid(res.group, res.kind, meta(obj).get('name', ''), causes)
            if res.bucket == ('apiextensions.k8s.io', 'customresourcedefinitions'):
                schemamod.crd_defaults(obj)
                causes = schemamod.validate_crd(obj, old)
                if causes:
                    raise errors.invalid(res.group, res.kind, meta(obj).get('name', ''), causes)

    def _admit(self, ctx, op, res, sub, ns, name, obj, old, options, kind=None, object_res=None):
        """Mutating then validating admission; returns the object as the mutating webhooks left it."""
        if self.admission is None or ctx.internal == 'noadmission':
            return obj
        if op in ('CREATE', 'UPDATE'):
            mutated = self.admission.mutate(ctx, op, res, sub, ns, name, obj, old, options, kind)
            if mutated is not obj:
                rv = (obj.get('metadata') or {}).get('resourceVersion')
                obj = normalize(res, mutated, False)
                if rv is not None:
                    obj['metadata']['resourceVersion'] = rv
        self.admission.validate(ctx, op, res, sub, ns, name, obj, old, options, kind)
        return obj

    def review(self, ctx, res, ns, obj):
        """authentication/authorization reviews are evaluated, never stored: every
        authenticated user may do everything (authz is not enforced, see the request log)."""
        obj.setdefault('metadata', {})
        obj['metadata'].setdefault('creationTimestamp', None)
        if res.namespaced:
            obj['metadata']['namespace'] = ns
        spec = obj.get('spec') or {}
        u = ctx.user or {}
        if res.plural in ('selfsubjectaccessreviews', 'subjectaccessreviews', 'localsubjectaccessreviews'):
            obj['status'] = {'allowed': True}
        elif res.plural == 'selfsubjectrulesreviews':
            obj['status'] = {'resourceRules': [{'verbs': ['*'], 'apiGroups': ['*'], 'resources': ['*']}],
                             'nonResourceRules': [{'verbs': ['*'], 'nonResourceURLs': ['*']}],
                             'incomplete': False}
        elif res.plural == 'selfsubjectreviews':
            ui = {'username': u.get('username', '')}
            if u.get('uid'):
                ui['uid'] = u['uid']
            ui['groups'] = u.get('groups', [])
            obj['status'] = {'userInfo': ui}
        elif res.plural == 'tokenreviews':
            who = (getattr(self, 'tokens', None) or {}).get(spec.get('token') or '')
            if who:
                obj['status'] = {'authenticated': True, 'user': {'username': who['username'], 'groups': who['groups']},
                                 'audiences': spec.get('audiences') or ['https://kubernetes.default.svc.cluster.local']}
            else:
                obj['status'] = {'user': {}, 'error': '[invalid bearer token, token lookup failed]'}
        return obj

    def create(self, ctx, res, ns, body, path_name=None):
        obj = self._decode(res, body)
        self._check_kind(res, obj)
        if res.group in ('authorization.k8s.io', 'authentication.k8s.io'):
            return self.review(ctx, res, ns, obj)
        m = meta(obj)
        if res.namespaced:
            if m.get('namespace') and m['namespace'] != ns:
                raise errors.bad_request('the namespace of the provided object does not match the namespace sent on the request')
            m['namespace'] = ns
        else:
            m.pop('namespace', None)
        generated = not m.get('name') and m.get('generateName')
        if generated:
            m['name'] = m['generateName'] + ''.join(random.choice(NAME_CHARS) for _ in range(5))
        name = m.get('name', '')
        if not name:
            raise errors.invalid(res.group, res.kind, '', [errors.c_required('metadata.name', 'name or generateName is required')])
        self._check_namespace(res, ns, True)
        for k in ('resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'):
            m.pop(k, None)
        m['uid'] = new_uid()
        m['creationTimestamp'] = now_ts()
        if res.generation:
            m['generation'] = 1
        else:
            m.pop('generation', None)
        if res.has_status and not res.builtin:
            obj.pop('status', None)
        self._prepare_create_builtin(res, obj)
        self._validate_and_default(ctx, res, obj, None)
        obj = normalize(res, obj, False)
        obj = self._admit(ctx, 'CREATE', res, '', ns, name, obj, None, ctx.options('CreateOptions'))
        key = (ns if res.namespaced else '', name)
        b = self.store.bucket(res.bucket)
        with self.store.lock:
            if key in b.objs:
                raise errors.already_exists(res.group, res.plural, name)
            if res.namespaced:
                self._check_namespace(res, ns, True)
            if res.bucket in (('', 'pods'), ('', 'services')):
                # admission's errors name a generated object by its generateName
                self._count_quota(res.plural, ns, m['generateName'] if generated else name)
            obj = normalize(res, obj)
            if ctx.dry_run:
                obj['metadata'].pop('resourceVersion', None)
                return self.out(res, obj)
            self.store.put(b, key, obj, None)
            self._after_write(res, obj, None)
        if res.bucket == ('apiextensions.k8s.io', 'customresourcedefinitions'):
            obj = self.establish_crd(obj) or obj
        if res.bucket == ('', 'namespaces'):
            self._namespace_extras(name)
        return self.out(res, obj)

    def _count_quota(self, plural, ns, name):
        """kube-apiserver's ResourceQuota admission (the last validating plugin), for object
        counts only: a Pod or Service beyond a quota's spec.hard (`pods`, `count/pods`,
        `services`, `count/services`) is refused 403 "exceeded quota", counted as the quota
        evaluators do (quota_counted). Other quota resources (cpu, memory, ...) are not
        enforced. Called under the store lock, so two creates cannot both take the last slot."""
        quotas = sorted((q for (qns, _), q in self.store.bucket(('', 'resourcequotas')).objs.items() if qns == ns),
                        key=lambda q: q['metadata']['name'])
        if not quotas:
            return
        used = quota_counted(self.store, plural, ns)
        for q in quotas:
            hard = (q.get('spec') or {}).get('hard') or {}
            for key in ('count/' + plural, plural):
                if key in hard and used + 1 > int(str(hard[key])):
                    raise errors.forbidden('', plural, name,
                                           'exceeded quota: %s, requested: %s=1, used: %s=%d, limited: %s=%s'
                                           % (q['metadata']['name'], key, key, used, key, hard[key]))

    def _prepare_create_builtin(self, res, obj):
        bk = res.bucket
        if bk == ('', 'namespaces'):
            m = obj['metadata']
            labels = dict(m.get('labels') or {})
            labels['kubernetes.io/metadata.name'] = m['name']
            m['labels'] = labels
            obj['spec'] = {'finalizers': ['kubernetes']}
            obj['status'] = {'phase': 'Active'}
        elif bk in (('apps', 'deployments'), ('batch', 'jobs'), ('apps', 'statefulsets'),
                    ('apps', 'replicasets'), ('apps', 'daemonsets')):
            obj['status'] = {}
        elif bk == ('', 'pods'):
            obj.pop('status', None)
        elif bk == ('apiextensions.k8s.io', 'customresourcedefinitions'):
            obj['status'] = {'conditions': [], 'acceptedNames': {'plural': '', 'kind': ''},
                             'storedVersions': []}

    def _after_write(self, res, obj, old):
        """Bookkeeping after a commit (lock held): an object written with an ownerReference to an
        owner that no longer exists is garbage, as kube-controller-manager's garbage collector
        finds when it verifies dangling owners (a controller racing its owner's deletion)."""
        refs = obj['metadata'].get('ownerReferences') or []
        if refs and not any(r.get('uid') in self.store.uids for r in refs):
            for r in refs:
                self.gc_queue.append(('owner-gone', r.get('uid')))
            self.gc_cond.notify_all()

    def update(self, ctx, res, ns, name, body, sub=''):
        if not name:
            raise errors.bad_request('name must be provided')
        obj = self._decode(res, body)
        if sub == 'scale':
            return self._scale_write(ctx, res, ns, name, lambda cur: obj, put=True)
        self._check_kind(res, obj)
        m = meta(obj)
        if m.get('name') and m['name'] != name:
            raise errors.bad_request('the name of the object (%s) does not match the name on the URL (%s)' % (m['name'], name))
        if res.namespaced and m.get('namespace') and m['namespace'] != ns:
            raise errors.bad_request('the namespace of the provided object does not match the namespace sent on the request')
        want_rv = m.get('resourceVersion')
        return self._update(ctx, res, ns, name, lambda cur: deep(obj), sub, want_rv, put=True)

    def patch(self, ctx, res, ns, name, body, content_type, sub=''):
        ct = (content_type or '').split(';')[0].strip()
        try:
            doc = json.loads(body)
        except ValueError as e:
            doc = None
            if ct == 'application/apply-patch+yaml':
                try:
                    import yaml
                    doc = yaml.safe_load(body)
                except Exception:
                    doc = None
            if doc is None:
                raise errors.bad_request('error decoding patch: %s' % e)
        if ct == 'application/apply-patch+yaml':
            if not ctx.field_manager:
                raise errors.invalid('meta.k8s.io', 'PatchOptions', '', [
                    errors.c_required('fieldManager', 'is required for apply patch')])
            key = (ns if res.namespaced else '', name)
            if not sub and key not in self.store.bucket(res.bucket).objs and isinstance(doc, dict):
                # server-side apply creates the object when it does not exist
                return self.create(ctx, res, ns, json.dumps(doc).encode())

        def apply(cur, kind=None, group=None):
            g = res.group if group is None else group
            return patchmod.apply_patch(ct, cur, doc, g, res.version if group is None else 'v1',
                                        kind or res.kind, not res.builtin and kind is None)
        if sub == 'scale':
            return self._scale_write(ctx, res, ns, name,
                                     lambda cur: apply(cur, 'Scale', 'autoscaling'), put=False)
        return self._update(ctx, res, ns, name, lambda cur: apply(deep(cur)), sub, None, put=False)

    def _update(self, ctx, res, ns, name, mutate, sub, want_rv, put):
        key = (ns if res.namespaced else '', name)
        b = self.store.bucket(res.bucket)
        for attempt in range(20):
            with self.store.lock:
                cur = b.objs.get(key)
            if cur is None:
                if put and res.bucket in registry_mod.CREATE_ON_UPDATE and not sub:
                    return self.create(ctx, res, ns, json.dumps(mutate(None)).encode())
                raise errors.not_found(res.group, res.plural, name)
            new = mutate(cur)
            if not isinstance(new, dict):
                raise errors.bad_request('the object provided is unrecognized')
            if not put:
                self._check_kind(res, new)
            nm = meta(new)
            if nm.get('name') and nm['name'] != name:
                raise errors.bad_request('the name of the object (%s) does not match the name on the URL (%s)' % (nm['name'], name))
            prv = nm.get('resourceVersion')
            if put and want_rv and want_rv != cur['metadata'].get('resourceVersion'):
                raise errors.conflict(res.group, res.plural, name)
            if not put and prv and prv != cur['metadata'].get('resourceVersion'):
                raise errors.conflict(res.group, res.plural, name)
            if sub != 'status':
                # decoding prunes and defaults before the update strategy compares generations
                self._strict(ctx, res, new, 'update' if put else 'patch')
                if res.builtin:
                    builtinsmod.apply_defaults(res.group, res.version, res.kind, new, None)
                else:
                    res.schema.apply_defaults(new)
            new = self._merge_update(res, cur, new, sub)
            if sub != 'status':
                self._validate_and_default(ctx, res, new, cur, sub, 'update' if put else 'patch')
            elif not res.builtin:
                self._strict(ctx, res, new, 'update' if put else 'patch')
                causes = schemamod.validate_custom_object(res.schema, new, res.namespaced)
                causes = causes + scale_causes(new, res.scale, status_only=True)
                if causes:
                    raise errors.invalid(res.group, res.kind, name, causes)
            new = normalize(res, new)
            new['metadata']['resourceVersion'] = cur['metadata'].get('resourceVersion', '')
            opts = ctx.options('UpdateOptions')
            new = self._admit(ctx, 'UPDATE', res, sub, ns, name, new, cur, opts)
            changed = new != cur
            with self.store.lock:
                now = b.objs.get(key)
                if now is not cur:
                    if (put and want_rv) or now is None:
                        if now is None:
                            raise errors.not_found(res.group, res.plural, name)
                        raise errors.conflict(res.group, res.plural, name)
                    continue
                if ctx.dry_run or not changed:
                    return self.out(res, new if ctx.dry_run else cur)
                md = new['metadata']
                if md.get('deletionTimestamp') and not md.get('finalizers'):
                    final = self.store.remove(b, key, cur)
                    self._on_deleted(res, cur)
                    return self.out(res, final)
                self.store.put(b, key, new, cur)
                self._after_write(res, new, cur)
            if res.bucket == ('apiextensions.k8s.io', 'customresourcedefinitions') and sub != 'status':
                self.establish_crd(new, update=True)
            return self.out(res, new)
        raise errors.conflict(res.group, res.plural, name)

    def _merge_update(self, res, cur, new, sub):
        """Apply the update strategy: immutable metadata, status vs main resource, generation."""
        cm = cur['metadata']
        if sub == 'ephemeralcontainers':
            return self._merge_ephemeral(cur, new)
        if sub == 'status':
            out = deep(cur)
            if 'status' in new:
                out['status'] = new['status']
            else:
                out.pop('status', None)
            out['metadata'] = dict(cm)
            if res.bucket == ('', 'pods') and isinstance(out.get('status'), dict) and \
                    not (cur.get('status') or {}).get('hostIPs'):
                # feature gate PodHostIPs is off in 1.28: the apiserver drops status.hostIPs
                out['status'].pop('hostIPs', None)
            return out
        nm = new.setdefault('metadata', {})
        for k in ('uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds',
                  'namespace', 'generation', 'resourceVersion'):
            if k in cm:
                nm[k] = cm[k]
            else:
                nm.pop(k, None)
        nm['name'] = cm['name']
        if nm.get('generateName') is None and cm.get('generateName'):
            nm['generateName'] = cm['generateName']
        if res.has_status:
            if 'status' in cur:
                new['status'] = cur['status']
            else:
                new.pop('status', None)
        if res.bucket == ('', 'services'):
            # the service registry keeps allocated values a PUT leaves unset
            ns_, os_ = new.get('spec'), cur.get('spec') or {}
            if isinstance(ns_, dict):
                for k in ('clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy'):
                    if k not in ns_ and k in os_ and ns_.get('type', 'ClusterIP') != 'ExternalName':
                        ns_[k] = os_[k]
                old_np = {(p.get('port'), p.get('protocol', 'TCP')): p.get('nodePort') for p in os_.get('ports') or []}
                for p in ns_.get('ports') or []:
                    if isinstance(p, dict) and 'nodePort' not in p:
                        np_ = old_np.get((p.get('port'), p.get('protocol', 'TCP')))
                        if np_:
                            p['nodePort'] = np_
        if res.bucket == ('', 'namespaces') and sub == 'finalize':
            new['status'] = cur.get('status', {})
            new['metadata'] = dict(cm)
        elif res.bucket == ('', 'namespaces'):
            new['spec'] = cur.get('spec', {})
            new['status'] = cur.get('status', {})
            labels = dict(nm.get('labels') or {})
            labels['kubernetes.io/metadata.name'] = cm['name']
            nm['labels'] = labels
        new = normalize(res, new, False)
        nm = new['metadata']
        if res.generation and 'generation' in cm:
            if strip_for_compare(new, not res.has_status) != strip_for_compare(cur, not res.has_status):
                nm['generation'] = cm['generation'] + 1
        return new

    def _merge_ephemeral(self, cur, new):
        """pods/ephemeralcontainers: only spec.ephemeralContainers changes, and only by adding
        containers (kube-apiserver's ephemeral container strategy and validation)."""
        old_ecs = (cur.get('spec') or {}).get('ephemeralContainers') or []
        new_ecs = (new.get('spec') or {}).get('ephemeralContainers') or []
        by_name = {c.get('name'): c for c in new_ecs if isinstance(c, dict)}
        for c in old_ecs:
            if by_name.get(c.get('name')) != c:
                raise errors.invalid('', 'Pod', cur['metadata']['name'], [errors.c_forbidden(
                    'spec.ephemeralContainers', 'existing ephemeral containers "%s" may not be changed' % c.get('name'))])
        out = deep(cur)
        out.setdefault('spec', {})['ephemeralContainers'] = new_ecs
        return out
