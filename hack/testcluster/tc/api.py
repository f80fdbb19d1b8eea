"""Object semantics of the test API server: create/get/list/update/patch/delete, subresources,
watch streams, namespaces, CRD lifecycle, garbage collection queue.

Owner: tc-core. `Cluster` owns the Registry, the Store and the admission chain. Request
handlers call its methods with a `Ctx` (user, query options, collected warnings); every method
returns a JSON-ready dict or raises errors.ApiError. Locking: see store.py; webhooks are called
without holding the lock, then the commit re-checks the resourceVersion (optimistic retry).
"""
import base64
import copy
import json
import random
import threading
import time
import uuid

from . import errors
from . import registry as registry_mod
from .store import Store

from . import builtins as builtinsmod
from . import fields as fieldsmod
from . import patch as patchmod
from . import schema as schemamod
from . import selectors

NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789'
FINALIZER_ORPHAN = 'orphan'
NAMESPACE_DELAY = 5.0   # seconds a deleted namespace stays Terminating before its content goes (a real
                        # one takes seconds too: the namespace controller walks every resource)
FINALIZER_FOREGROUND = 'foregroundDeletion'


def now_ts():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


def new_uid():
    return str(uuid.uuid4())


def deep(o):
    return copy.deepcopy(o)


class Ctx:
    __slots__ = ('user', 'query', 'warnings', 'dry_run', 'field_manager', 'field_validation',
                 'internal')

    def __init__(self, user, query=None, internal=False):
        self.user = user
        self.query = query or {}
        self.warnings = []
        self.dry_run = self.query.get('dryRun') == 'All'
        self.field_manager = self.query.get('fieldManager')
        self.field_validation = self.query.get('fieldValidation')
        self.internal = internal

    def options(self, kind, extra=None):
        o = {'kind': kind, 'apiVersion': 'meta.k8s.io/v1'}
        if self.dry_run:
            o['dryRun'] = ['All']
        if kind != 'DeleteOptions':
            if self.field_manager:
                o['fieldManager'] = self.field_manager
            if self.field_validation and kind == 'CreateOptions' or (
                    self.field_validation and kind == 'UpdateOptions' and self.query.get('_put')):
                o['fieldValidation'] = self.field_validation
        if extra:
            o.update(extra)
        return o


def make_schema(s):
    return schemamod.Schema(s)


def parse_label_selector(s):
    if not s:
        return None
    return selectors.parse_label_selector(s)


def parse_field_selector(res, s):
    if not s:
        return None
    return selectors.parse_field_selector(s, selectors.supported_fields(res.group, res.plural),
                                          selectors.has_conversion(res.group, res.plural, res.builtin))


def meta(obj):
    m = obj.get('metadata')
    if not isinstance(m, dict):
        m = {}
        obj['metadata'] = m
    return m


def scale_causes(obj, scale, status_only=False):
    return schemamod.scale_path_causes(obj, scale, status_only)


def get_path(obj, path):
    cur = obj
    for p in [x for x in path.strip('.').split('.') if x]:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def set_path(obj, path, value):
    parts = [x for x in path.strip('.').split('.') if x]
    cur = obj
    for p in parts[:-1]:
        if not isinstance(cur.get(p), dict):
            cur[p] = {}
        cur = cur[p]
    cur[parts[-1]] = value


META_ORDER = ('name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation',
              'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels',
              'annotations', 'ownerReferences', 'finalizers', 'managedFields')


TEMPLATE_KINDS = {('apps', 'deployments'), ('apps', 'replicasets'), ('apps', 'statefulsets'),
                  ('apps', 'daemonsets'), ('batch', 'jobs'), ('', 'replicationcontrollers'),
                  ('', 'podtemplates')}


def _sorted_deep(o):
    if isinstance(o, dict):
        return {k: _sorted_deep(o[k]) for k in sorted(o)}
    if isinstance(o, list):
        return [_sorted_deep(x) for x in o]
    return o


def normalize(res, obj, placeholder=True):
    """Key order as kube-apiserver serializes: custom resources are Go maps (sorted keys);
    built-ins are structs (kind, apiVersion, metadata in ObjectMeta field order, ..., status).
    A resourceVersion placeholder keeps its slot for Store.put."""
    md = obj.get('metadata') or {}
    if placeholder:
        md.setdefault('resourceVersion', '')
    if not res.builtin:
        return _sorted_deep(obj)
    m = {k: md[k] for k in META_ORDER if k in md}
    for k in md:
        if k not in m:
            m[k] = md[k]
    spec = obj.get('spec')
    if isinstance(spec, dict) and isinstance(spec.get('template'), dict) and res.bucket in TEMPLATE_KINDS:
        tm = spec['template'].get('metadata')
        tm = dict(tm) if isinstance(tm, dict) else {}
        tm.setdefault('creationTimestamp', None)      # a zero metav1.Time serializes as null
        spec['template']['metadata'] = {k: tm[k] for k in META_ORDER if k in tm}
        spec['template']['metadata'].update({k: v for k, v in tm.items() if k not in META_ORDER})
        spec['template'] = dict([('metadata', spec['template']['metadata'])] +
                                [(k, v) for k, v in spec['template'].items() if k != 'metadata'])
    out = {'kind': obj.get('kind'), 'apiVersion': obj.get('apiVersion'), 'metadata': m}
    for k, v in obj.items():
        if k not in out and k != 'status':
            out[k] = v
    if 'status' in obj:
        out['status'] = obj['status']
    return out


def strip_for_compare(obj, keep_status):
    o = dict(obj)
    o.pop('metadata', None)
    if not keep_status:
        o.pop('status', None)
    return o


class Cluster:
    def __init__(self, window=1000, log=None, ca_pem=''):
        self.ca_pem = ca_pem
        self.registry = registry_mod.Registry()
        self.store = Store(window)
        self.admission = None          # set by server (admission.Admission)
        self.gc_queue = []
        self.gc_cond = threading.Condition(self.store.lock)
        self.ns_deleting = set()
        self.ip_allocator = builtinsmod.IPAllocator()
        try:
            self.ip_allocator.allocate('10.96.0.1')  # the kubernetes Service's address
        except Exception:
            pass
        self.port_allocator = builtinsmod.NodePortAllocator()
        self.log = log or (lambda *a: None)
        self.stopping = False
        for ns in ('default', 'kube-system', 'kube-public', 'kube-node-lease'):
            self._bootstrap_namespace(ns)
        self._bootstrap_default_service()

    # ------------------------------------------------------------------ bootstrap
    def _bootstrap_namespace(self, name):
        b = self.store.bucket(('', 'namespaces'))
        obj = {'kind': 'Namespace', 'apiVersion': 'v1',
               'metadata': {'name': name, 'uid': new_uid(), 'creationTimestamp': now_ts(),
                            'labels': {'kubernetes.io/metadata.name': name}},
               'spec': {'finalizers': ['kubernetes']}, 'status': {'phase': 'Active'}}
        with self.store.lock:
            self.store.put(b, ('', name), obj, None)
        self._namespace_extras(name)

    def _bootstrap_default_service(self):
        b = self.store.bucket(('', 'services'))
        obj = {'kind': 'Service', 'apiVersion': 'v1',
               'metadata': {'name': 'kubernetes', 'namespace': 'default', 'uid': new_uid(),
                            'creationTimestamp': now_ts(),
                            'labels': {'component': 'apiserver', 'provider': 'kubernetes'}},
               'spec': {'ports': [{'name': 'https', 'protocol': 'TCP', 'port': 443, 'targetPort': 6443}],
                        'clusterIP': '10.96.0.1', 'clusterIPs': ['10.96.0.1'], 'type': 'ClusterIP',
                        'sessionAffinity': 'None', 'ipFamilies': ['IPv4'],
                        'ipFamilyPolicy': 'SingleStack', 'internalTrafficPolicy': 'Cluster'},
               'status': {'loadBalancer': {}}}
        with self.store.lock:
            self.store.put(b, ('default', 'kubernetes'), obj, None)

    def _namespace_extras(self, ns):
        """What kube-controller-manager adds to every namespace: the default ServiceAccount and
        the kube-root-ca.crt ConfigMap."""
        with self.store.lock:
            sa_b = self.store.bucket(('', 'serviceaccounts'))
            if (ns, 'default') not in sa_b.objs:
                self.store.put(sa_b, (ns, 'default'), {
                    'kind': 'ServiceAccount', 'apiVersion': 'v1',
                    'metadata': {'name': 'default', 'namespace': ns, 'uid': new_uid(),
                                 'creationTimestamp': now_ts()}}, None)
            cm_b = self.store.bucket(('', 'configmaps'))
            if (ns, 'kube-root-ca.crt') not in cm_b.objs:
                self.store.put(cm_b, (ns, 'kube-root-ca.crt'), {
                    'kind': 'ConfigMap', 'apiVersion': 'v1',
                    'metadata': {'name': 'kube-root-ca.crt', 'namespace': ns, 'uid': new_uid(),
                                 'creationTimestamp': now_ts(),
                                 'annotations': {'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.'}},
                    'data': {'ca.crt': getattr(self, 'ca_pem', '')}}, None)

    # ------------------------------------------------------------------ helpers
    def out(self, res, obj):
        """The object as served by res's version (apiVersion rewritten when needed)."""
        if obj.get('apiVersion') != res.gv:
            obj = dict(obj)
            obj['apiVersion'] = res.gv
        return obj

    def namespace_obj(self, ns):
        return self.store.bucket(('', 'namespaces')).objs.get(('', ns))

    def _check_namespace(self, res, ns, creating):
        if not res.namespaced:
            return
        nsobj = self.namespace_obj(ns)
        if nsobj is None:
            raise errors.not_found('', 'namespaces', ns)
        if creating and nsobj['metadata'].get('deletionTimestamp'):
            e = errors.forbidden(res.group, res.plural, '', '')
            e.status['message'] = ('%s "%s" is forbidden: unable to create new content in namespace %s '
                                   'because it is being terminated' % (res.qualified, '', ns))
            raise e

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
        if not k or not av:
            if not res.builtin or not k:
                pass
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

    # ------------------------------------------------------------------ read
    def get(self, ctx, res, ns, name):
        b = self.store.bucket(res.bucket)
        obj = b.objs.get((ns if res.namespaced else '', name))
        if obj is None:
            raise errors.not_found(res.group, res.plural, name)
        return self.out(res, obj)

    def list(self, ctx, res, ns, q):
        lsel = parse_label_selector(q.get('labelSelector'))
        fsel = parse_field_selector(res, q.get('fieldSelector'))
        limit = int(q.get('limit') or 0) if (q.get('limit') or '0').isdigit() else 0
        cont = q.get('continue')
        if q.get('resourceVersion') == '0' and not cont and q.get('resourceVersionMatch', 'NotOlderThan') == 'NotOlderThan':
            limit = 0       # served from the watch cache: the limit is ignored (1.28 behaviour)
        start = None
        if cont:
            try:
                c = json.loads(base64.b64decode(cont))
                start = tuple(c['start'])
                if c.get('rv', 0) < self.store.bucket(res.bucket).oldest() and False:
                    pass
            except Exception:
                raise errors.bad_request('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)')
        b = self.store.bucket(res.bucket)
        with self.store.lock:
            rv = self.store.rv
            if res.namespaced and ns:
                items = [(k, o) for k, o in b.objs.items() if k[0] == ns]
            else:
                items = list(b.objs.items())
        items.sort(key=lambda kv: kv[0])
        out = []
        remaining = 0
        next_key = None
        for k, o in items:
            if start is not None and k <= start:
                continue
            if lsel is not None and not lsel.matches(o['metadata'].get('labels') or {}):
                continue
            if fsel is not None and not fsel.matches(selectors.object_fields(res.group, res.plural, o)):
                continue
            if limit and len(out) >= limit:
                remaining += 1
                continue
            out.append(self.out(res, o))
            next_key = k
        lm = {'resourceVersion': str(rv)}
        if limit and remaining:
            lm['continue'] = base64.b64encode(json.dumps({'v': 'meta.k8s.io/v1', 'rv': rv, 'start': list(next_key)}).encode()).decode()
            lm['remainingItemCount'] = remaining
        return {'kind': res.list_kind, 'apiVersion': res.gv, 'metadata': lm, 'items': out}

    # ------------------------------------------------------------------ create
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
        if not m.get('name') and m.get('generateName'):
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

    # ------------------------------------------------------------------ update / patch
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

    # ------------------------------------------------------------------ scale
    def _scale_paths(self, res):
        if res.scale:
            return (res.scale.get('specReplicasPath', '.spec.replicas'),
                    res.scale.get('statusReplicasPath', '.status.replicas'),
                    res.scale.get('labelSelectorPath'))
        return ('.spec.replicas', '.status.replicas', None)

    def scale_of(self, res, obj):
        spec_p, status_p, sel_p = self._scale_paths(res)
        m = obj['metadata']
        sm = {'name': m['name']}
        if res.namespaced:
            sm['namespace'] = m.get('namespace')
        sm['uid'] = m['uid']
        sm['resourceVersion'] = m['resourceVersion']
        sm['creationTimestamp'] = m['creationTimestamp']
        st = {'replicas': get_path(obj, status_p) or 0}
        if res.builtin:
            sel = (obj.get('spec') or {}).get('selector')
            if sel:
                try:
                    st['selector'] = str(selectors.label_selector_from_object(sel))
                except Exception:
                    pass
        elif sel_p:
            v = get_path(obj, sel_p)
            if isinstance(v, str) and v:
                st['selector'] = v
        sp = {}
        r = get_path(obj, spec_p)
        if r is not None:
            sp['replicas'] = r
        return {'kind': 'Scale', 'apiVersion': 'autoscaling/v1', 'metadata': sm, 'spec': sp, 'status': st}

    def get_scale(self, ctx, res, ns, name):
        return self.scale_of(res, self.get(ctx, res, ns, name))

    def _scale_write(self, ctx, res, ns, name, mutate, put):
        key = (ns if res.namespaced else '', name)
        b = self.store.bucket(res.bucket)
        spec_p = self._scale_paths(res)[0]
        for attempt in range(20):
            with self.store.lock:
                cur = b.objs.get(key)
            if cur is None:
                raise errors.not_found(res.group, res.plural, name)
            old_scale = self.scale_of(res, cur)
            new_scale = mutate(deep(old_scale))
            if not isinstance(new_scale, dict):
                raise errors.bad_request('invalid Scale')
            if put:
                k = new_scale.get('kind')
                if k and k != 'Scale':
                    raise errors.bad_request('the object provided is unrecognized (must be of type Scale): %s' % k)
            nm = new_scale.get('metadata') or {}
            if nm.get('name') and nm['name'] != name:
                raise errors.bad_request('the name of the object (%s) does not match the name on the URL (%s)' % (nm['name'], name))
            want = nm.get('resourceVersion')
            if want and want != cur['metadata']['resourceVersion']:
                raise errors.conflict('autoscaling', 'scale', name)
            replicas = (new_scale.get('spec') or {}).get('replicas')
            causes = []
            if res.builtin:
                if not isinstance(replicas, int) or isinstance(replicas, bool):
                    if replicas is not None:
                        causes.append(errors.c_invalid('spec.replicas', replicas, 'must be an integer'))
                    replicas = replicas or 0
                elif replicas < 0:
                    causes.append(errors.c_invalid('spec.replicas', replicas, 'must be greater than or equal to 0'))
                if causes:
                    raise errors.invalid('autoscaling', 'Scale', name, causes)
            # a custom resource's Scale becomes an update of the resource: its replicas are
            # judged there (below), as the custom resource's validation, not as a Scale's
            new = deep(cur)
            set_path(new, spec_p, replicas)
            if new != cur and 'generation' in new['metadata']:
                new['metadata']['generation'] += 1
            if not res.builtin:
                res.schema.apply_defaults(new)
                cs = schemamod.validate_custom_object(res.schema, new, res.namespaced)
                cs = cs + scale_causes(new, res.scale)
                if cs:
                    raise errors.invalid(res.group, res.kind, name, cs)
            new_scale_out = deep(old_scale)
            new_scale_out['spec']['replicas'] = replicas
            self._admit(ctx, 'UPDATE', res, 'scale', ns, name, new_scale_out, old_scale,
                        ctx.options('UpdateOptions'),
                        kind={'group': 'autoscaling', 'version': 'v1', 'kind': 'Scale'})
            with self.store.lock:
                if b.objs.get(key) is not cur:
                    if want:
                        raise errors.conflict('autoscaling', 'scale', name)
                    continue
                if ctx.dry_run or new == cur:
                    return self.scale_of(res, cur) if not ctx.dry_run else new_scale_out
                self.store.put(b, key, new, cur)
            return self.scale_of(res, new)
        raise errors.conflict('autoscaling', 'scale', name)

    # ------------------------------------------------------------------ delete
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

    # ------------------------------------------------------------------ namespaces
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

    # ------------------------------------------------------------------ CRDs
    def establish_crd(self, crd, update=False):
        """What apiextensions-apiserver's controllers do: accept names, mark Established and start
        serving the resource (its watch history starts now)."""
        b = self.store.bucket(('apiextensions.k8s.io', 'customresourcedefinitions'))
        key = ('', crd['metadata']['name'])
        with self.store.lock:
            cur = b.objs.get(key)
            if cur is None:
                return None
            new = deep(cur)
            spec = new['spec']
            names = dict(spec['names'])
            names.setdefault('singular', names['plural'])
            names.setdefault('listKind', names['kind'] + 'List')
            ts = now_ts()
            old_conds = {c['type']: c for c in (cur.get('status') or {}).get('conditions') or []}

            def cond(t, reason, msg):
                c = old_conds.get(t)
                if c and c.get('status') == 'True':
                    return c
                return {'type': t, 'status': 'True', 'lastTransitionTime': ts, 'reason': reason, 'message': msg}
            stored = [v['name'] for v in spec.get('versions', []) if v.get('storage')]
            prev_stored = (cur.get('status') or {}).get('storedVersions') or []
            new['status'] = {
                'conditions': [cond('NamesAccepted', 'NoConflicts', 'no conflicts found'),
                               cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
                'acceptedNames': names,
                'storedVersions': prev_stored + [v for v in stored if v not in prev_stored]}
            if new != cur:
                self.store.put(b, key, new, cur)
            bucket_key = (spec['group'], spec['names']['plural'])
            self.registry.add_crd(new, make_schema)
            if not update:
                self.store.reset_bucket(bucket_key)
            else:
                self.store.bucket(bucket_key)
        return new

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

    # ------------------------------------------------------------------ garbage collection
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
