"""The test API server's cluster: the objects it serves and how they are read.

Owner: tc-core. `Cluster` owns the Registry, the Store and the admission chain; its verbs come
from mixins, one module each: writes.py (create/update/patch and subresources), scale.py (the
scale subresource), deletion.py (delete, finalizers, namespaces, CRDs, garbage collection).
Here: construction and bootstrap objects, get/list, and CRD establishment. Request handlers call
Cluster's methods with an objects.Ctx (user, query options, collected warnings); every method
returns a JSON-ready dict or raises errors.ApiError. Locking: see store.py; webhooks are called
without holding the lock, then the commit re-checks the resourceVersion (optimistic retry).
"""
import base64
import json
import threading

from . import builtins as builtinsmod
from . import errors
from . import registry as registry_mod
from . import selectors
from .deletion import Deletion
from .objects import deep, make_schema, new_uid, now_ts, parse_field_selector, parse_label_selector
from .scale import Scale
from .store import Store
from .writes import Writes


class Cluster(Writes, Scale, Deletion):
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
                    'data': {'ca.crt': self.ca_pem}}, None)

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
