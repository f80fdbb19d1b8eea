"""The API surface served by the test cluster: built-in resources (derived from the recorded
discovery of kube-apiserver 1.28, tc/data/builtin.json) plus the versions of Established CRDs.

Owner: tc-core. A Resource describes one group/version/resource; storage is shared by every
version of a group/resource (bucket key = (group, plural)). The Registry is mutated only under
the server's global lock; readers take a snapshot reference (lists are replaced, not mutated).
"""
import base64
import hashlib
import json
import os

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'builtin.json')

# resources whose objects carry metadata.generation (kube-apiserver strategies that set it)
GENERATION = {
    ('apps', 'deployments'), ('apps', 'replicasets'), ('apps', 'statefulsets'),
    ('apps', 'daemonsets'), ('batch', 'jobs'), ('batch', 'cronjobs'),
    ('apiextensions.k8s.io', 'customresourcedefinitions'),
    ('admissionregistration.k8s.io', 'validatingwebhookconfigurations'),
    ('admissionregistration.k8s.io', 'mutatingwebhookconfigurations'),
    ('networking.k8s.io', 'ingresses'), ('networking.k8s.io', 'networkpolicies'),
    ('policy', 'poddisruptionbudgets'), ('autoscaling', 'horizontalpodautoscalers'),
    ('', 'replicationcontrollers'),
    ('flowcontrol.apiserver.k8s.io', 'flowschemas'),
    ('flowcontrol.apiserver.k8s.io', 'prioritylevelconfigurations'),
}
# PUT may create (AllowCreateOnUpdate)
CREATE_ON_UPDATE = {('', 'events'), ('events.k8s.io', 'events'), ('coordination.k8s.io', 'leases'),
                    ('', 'endpoints'), ('discovery.k8s.io', 'endpointslices')}
# DELETE answers with a Status instead of the object (ReturnDeletedObject false)
RETURNS_STATUS_ON_DELETE = {('', 'configmaps'), ('', 'secrets'), ('', 'serviceaccounts'),
                            ('', 'events'), ('events.k8s.io', 'events'), ('coordination.k8s.io', 'leases'),
                            ('apps', 'deployments'), ('batch', 'jobs'), ('', 'endpoints'),
                            ('admissionregistration.k8s.io', 'validatingwebhookconfigurations'),
                            ('admissionregistration.k8s.io', 'mutatingwebhookconfigurations'),
                            ('rbac.authorization.k8s.io', 'roles'),
                            ('rbac.authorization.k8s.io', 'rolebindings'),
                            ('rbac.authorization.k8s.io', 'clusterroles'),
                            ('rbac.authorization.k8s.io', 'clusterrolebindings')}


class Resource:
    __slots__ = ('group', 'version', 'plural', 'singular', 'kind', 'list_kind', 'namespaced',
                 'short_names', 'categories', 'verbs', 'subresources', 'crd', 'crd_version',
                 'schema', 'scale', 'storage_hash', 'generation', 'builtin')

    def __init__(self, group, version, plural, singular, kind, namespaced, verbs,
                 short_names=(), categories=(), subresources=None, storage_hash=None):
        self.group, self.version, self.plural, self.singular = group, version, plural, singular
        self.kind, self.list_kind = kind, kind + 'List'
        self.namespaced = namespaced
        self.verbs = list(verbs)
        self.short_names = list(short_names or [])
        self.categories = list(categories or [])
        self.subresources = subresources or {}   # name -> {'kind','group','version','verbs'}
        self.crd = None
        self.crd_version = None
        self.schema = None
        self.scale = None                      # {'specReplicasPath',...} for CRDs
        self.storage_hash = storage_hash
        self.generation = (group, plural) in GENERATION
        self.builtin = True

    @property
    def gv(self):
        return self.group + '/' + self.version if self.group else self.version

    @property
    def bucket(self):
        return (self.group, self.plural)

    @property
    def has_status(self):
        return 'status' in self.subresources

    @property
    def qualified(self):
        return self.plural + '.' + self.group if self.group else self.plural

    def discovery_entry(self):
        e = {'name': self.plural, 'singularName': self.singular, 'namespaced': self.namespaced,
             'kind': self.kind, 'verbs': self.verbs}
        if self.short_names:
            e['shortNames'] = self.short_names
        if self.categories:
            e['categories'] = self.categories
        if self.storage_hash:
            e['storageVersionHash'] = self.storage_hash
        out = [e]
        for name, s in self.subresources.items():
            se = {'name': self.plural + '/' + name, 'singularName': '', 'namespaced': self.namespaced}
            if s.get('group'):
                se['group'] = s['group']
                se['version'] = s['version']
            se['kind'] = s['kind']
            se['verbs'] = s['verbs']
            out.append(se)
        return out

    def aggregated_entry(self):
        e = {'resource': self.plural, 'responseKind': {'group': '', 'version': '', 'kind': self.kind},
             'scope': 'Namespaced' if self.namespaced else 'Cluster',
             'singularResource': self.singular, 'verbs': self.verbs}
        if self.short_names:
            e['shortNames'] = self.short_names
        if self.categories:
            e['categories'] = self.categories
        if self.subresources:
            e['subresources'] = [{'subresource': n, 'responseKind': {
                'group': s.get('group', ''), 'version': s.get('version', ''), 'kind': s['kind']},
                'verbs': s['verbs']} for n, s in self.subresources.items()]
        return e


def storage_version_hash(group, version, kind):
    """apiserver's storageVersionHash: first 8 bytes of sha256("group/version/kind"), base64."""
    h = hashlib.sha256(('%s/%s/%s' % (group, version, kind)).encode()).digest()
    return base64.b64encode(h[:8]).decode()


class Registry:
    def __init__(self):
        data = json.load(open(DATA))
        self.version_info = data['version']
        self.by_gvr = {}            # (group, version, plural) -> Resource
        self.groups = []            # [(group, [versions])] in discovery order
        self.crd_groups = {}        # group -> {version: {plural: Resource}}
        for g in data['groups']:
            versions = []
            for v in g['versions']:
                versions.append(v['version'])
                for r in v['resources']:
                    subs = {}
                    for s in r.get('subresources', []):
                        rk = s['responseKind']
                        subs[s['subresource']] = {'kind': rk['kind'], 'group': rk.get('group', ''),
                                                  'version': rk.get('version', ''), 'verbs': s['verbs']}
                    res = Resource(g['name'], v['version'], r['resource'], r['singularResource'],
                                   r['responseKind']['kind'], r['scope'] == 'Namespaced', r['verbs'],
                                   r.get('shortNames'), r.get('categories'), subs,
                                   r.get('storageVersionHash'))
                    self.by_gvr[(g['name'], v['version'], r['resource'])] = res
            self.groups.append((g['name'], versions))
        self.builtin_group_count = len(self.groups)

    # ---- lookups
    def get(self, group, version, plural):
        return self.by_gvr.get((group, version, plural))

    def versions_of(self, group):
        for g, vs in self.groups:
            if g == group:
                return vs
        return None

    def resources_of(self, group, version):
        return [r for (g, v, _), r in self.by_gvr.items() if g == group and v == version]

    def find_kind(self, group, kind):
        for (g, v, p), r in self.by_gvr.items():
            if g == group and r.kind == kind:
                return r
        return None

    def preferred(self, group, plural):
        vs = self.versions_of(group) or []
        for v in vs:
            r = self.by_gvr.get((group, v, plural))
            if r:
                return r
        return None

    # ---- CRDs
    def add_crd(self, crd, schema_factory):
        """Serve the served versions of an Established CRD. Returns the list of Resources."""
        spec = crd['spec']
        group = spec['group']
        names = spec['names']
        self.remove_crd(crd)
        served = [v for v in spec.get('versions', []) if v.get('served')]
        served.sort(key=lambda v: version_priority(v['name']))
        out = []
        for v in served:
            subs = {}
            sr = v.get('subresources') or {}
            if 'status' in sr:
                subs['status'] = {'kind': names['kind'], 'group': '', 'version': '', 'verbs': ['get', 'patch', 'update']}
            if 'scale' in sr:
                subs['scale'] = {'kind': 'Scale', 'group': 'autoscaling', 'version': 'v1', 'verbs': ['get', 'patch', 'update']}
            res = Resource(group, v['name'], names['plural'], names.get('singular') or names['plural'],
                           names['kind'], spec.get('scope', 'Namespaced') == 'Namespaced',
                           ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
                           names.get('shortNames'), names.get('categories'), subs,
                           storage_version_hash(group, v['name'], names['kind']))
            res.list_kind = names.get('listKind') or names['kind'] + 'List'
            res.crd = crd
            res.crd_version = v
            res.generation = True
            res.builtin = False
            sch = (v.get('schema') or {}).get('openAPIV3Schema') or {}
            res.schema = schema_factory(sch)
            res.scale = sr.get('scale')
            self.by_gvr[(group, v['name'], names['plural'])] = res
            out.append(res)
        if out:
            vs = [r.version for r in out]
            for i, (g, old) in enumerate(self.groups):
                if g == group:
                    merged = [x for x in old if x not in vs] + vs
                    merged.sort(key=version_priority)
                    self.groups[i] = (g, merged)
                    break
            else:
                self.groups.append((group, vs))
        return out

    def remove_crd(self, crd):
        group = crd['spec']['group']
        plural = crd['spec']['names']['plural']
        for key in [k for k, r in self.by_gvr.items() if k[0] == group and k[2] == plural and not r.builtin]:
            del self.by_gvr[key]
        remaining = sorted({k[1] for k in self.by_gvr if k[0] == group}, key=version_priority)
        for i, (g, _) in enumerate(self.groups):
            if g == group:
                if remaining:
                    self.groups[i] = (g, remaining)
                else:
                    del self.groups[i]
                break


def version_priority(v):
    """Kubernetes version ordering: GA > beta > alpha, higher numbers first, then others."""
    import re
    m = re.match(r'^v(\d+)(?:(alpha|beta)(\d+))?$', v)
    if not m:
        return (3, v)
    major = int(m.group(1))
    if not m.group(2):
        return (0, -major, 0)
    return (1 if m.group(2) == 'beta' else 2, -major, -int(m.group(3)))
