"""Helpers shared by the test API server's verbs: the request context (Ctx), object metadata
and paths, selector parsing, and the key order kube-apiserver serializes objects in (normalize).

Owner: tc-core. Pure functions and one small class; no cluster state.
"""
import copy
import time
import uuid

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
