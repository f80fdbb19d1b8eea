"""OpenAPI documents: /openapi/v2 (a minimal, definition-less document, JSON or protobuf) and
/openapi/v3 (index + one document per group/version). The v3 documents are instantiated from
the recorded CRD document of kube-apiserver 1.28 (tc/data/openapi-template.json): CRDs get
their real structural schema; built-in kinds get a shallow schema (apiVersion/kind/metadata,
spec/status as open objects). PATCH operations list json-patch, merge-patch and apply-patch,
never strategic-merge-patch, so kubectl apply computes built-in patches from its compiled-in
types (exactly the patches it would send to a real server) and CRD patches as JSON merge.

Owner: tc-core. Stateless; documents are cached per registry generation key.
"""
import copy
import hashlib
import json
import os
import threading

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'openapi-template.json')
_template = None
_cache = {}
_lock = threading.Lock()

T_GROUP, T_VER, T_PLURAL, T_KIND = 'mlops.example.io', 'v1alpha1', 'modeldeployments', 'ModelDeployment'
T_PREFIX = 'io.example.mlops.v1alpha1'


def template():
    global _template
    if _template is None:
        _template = json.load(open(DATA))
    return _template


def _fields_schema(t, seen=()):
    """OpenAPI v3 schema of a tc/fields.py type (field names and JSON types of k8s.io/api)."""
    from . import fields as f
    if isinstance(t, tuple):
        if t[0] == 'map':
            return {'type': 'object', 'additionalProperties': _fields_schema(t[1], seen)}
        return {'type': 'array', 'items': _fields_schema(t[1], seen)}
    simple = {f.S: {'type': 'string'}, f.I32: {'type': 'integer', 'format': 'int32'},
              f.I64: {'type': 'integer', 'format': 'int64'}, f.B: {'type': 'boolean'},
              f.NUM: {'type': 'number', 'format': 'double'}, f.ANY: {},
              f.OBJ: {'type': 'object'}, f.ARR: {'type': 'array', 'items': {'type': 'object'}},
              f.TIME: {'type': 'string', 'format': 'date-time'},
              f.INTSTR: {'type': 'string', 'format': 'int-or-string', 'x-kubernetes-int-or-string': True},
              f.QTY: {'type': 'string', 'format': 'quantity', 'x-kubernetes-int-or-string': True}}
    if t in simple:
        return dict(simple[t])
    if t in f.T and t not in seen:
        props = {k: _fields_schema(v, seen + (t,)) for k, v in sorted(f.T[t].items())}
        return {'type': 'object', 'properties': props}
    return {'type': 'object'}


def builtin_schema(res):
    from . import fields as f
    if f.known(res.group, res.kind):
        sch = _fields_schema(f.KINDS[(res.group, res.kind)])
        sch['description'] = '%s (field names and types from k8s.io/api 1.28; descriptions not served by the test cluster)' % res.kind
        return sch
    return {'description': '%s (shallow schema served by the test cluster)' % res.kind,
            'type': 'object',
            'properties': {'spec': {'type': 'object', 'x-kubernetes-preserve-unknown-fields': True},
                           'status': {'type': 'object', 'x-kubernetes-preserve-unknown-fields': True}}}


def schema_prefix(res):
    g = res.group
    if not res.builtin:
        return '.'.join(reversed(g.split('.'))) + '.' + res.version
    if g == '':
        return 'io.k8s.api.core.' + res.version
    if g == 'apiextensions.k8s.io':
        return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.' + res.version
    if g == 'apiregistration.k8s.io':
        return 'io.k8s.kube-aggregator.pkg.apis.apiregistration.' + res.version
    return 'io.k8s.api.' + g.replace('.k8s.io', '').split('.')[0] + '.' + res.version


def camel(s):
    out = ''
    for part in s.replace('-', '.').split('.'):
        if part:
            out += part[0].upper() + part[1:]
    return out


def gv_path(group, version):
    return 'api/' + version if group == '' else 'apis/%s/%s' % (group, version)


def build_gv(cl, group, version):
    t = template()
    resources = sorted(cl.registry.resources_of(group, version), key=lambda r: r.plural)
    paths = {}
    schemas = copy.deepcopy(t['shared'])
    for res in resources:
        prefix = schema_prefix(res)
        base = '/api/v1' if group == '' else '/apis/%s/%s' % (group, version)
        opid = camel(group or 'core') + camel(version)
        tag = (camel(group or 'core')[0].lower() + camel(group or 'core')[1:]) + '_' + version
        text = json.dumps(t['paths'])
        for a, b in ((T_PREFIX + '.' + T_KIND + 'List', prefix + '.' + res.list_kind),
                     (T_PREFIX + '.' + T_KIND, prefix + '.' + res.kind),
                     ('MlopsExampleIoV1alpha1', opid), ('mlopsExampleIo_v1alpha1', tag),
                     ('/apis/' + T_GROUP + '/' + T_VER, base),
                     (T_PLURAL, res.plural), (T_KIND, res.kind)):
            text = text.replace(a, b)
        text = text.replace('"group": "%s"' % T_GROUP, '"group": "%s"' % group)
        text = text.replace('"version": "%s"' % T_VER, '"version": "%s"' % version)
        items = json.loads(text)
        for p, item in items.items():
            if p.endswith('/scale') and 'scale' not in res.subresources:
                continue
            if p.endswith('/status') and 'status' not in res.subresources:
                continue
            if not res.namespaced:
                if '{namespace}' not in p:
                    continue
                p = p.replace('/namespaces/{namespace}', '')
                item['parameters'] = [x for x in item.get('parameters', []) if x.get('name') != 'namespace']
                for op in item.values():
                    if isinstance(op, dict) and 'operationId' in op:
                        op['operationId'] = op['operationId'].replace('Namespaced', '')
            elif '{namespace}' not in p and not res.verbs.count('list'):
                continue
            paths[p] = item
        if res.crd is not None:
            body = copy.deepcopy((res.crd_version.get('schema') or {}).get('openAPIV3Schema') or {'type': 'object'})
        else:
            body = builtin_schema(res)
        props = body.setdefault('properties', {})
        for k, v in t['object_props'].items():
            props[k] = copy.deepcopy(v)
        body['properties'] = dict(sorted(props.items()))
        body['x-kubernetes-group-version-kind'] = [{'group': group, 'kind': res.kind, 'version': version}]
        schemas[prefix + '.' + res.kind] = body
        lst = json.loads(json.dumps(t['list']).replace(T_PREFIX + '.' + T_KIND, prefix + '.' + res.kind)
                         .replace(T_KIND, res.kind).replace(T_PLURAL, res.plural))
        lst['x-kubernetes-group-version-kind'] = [{'group': group, 'kind': res.list_kind, 'version': version}]
        schemas[prefix + '.' + res.list_kind] = lst
    info = {'title': 'Kubernetes', 'version': 'v1.28.0'} if not any(not r.builtin for r in resources) else t['info']
    return {'openapi': t['openapi'], 'info': info, 'paths': paths,
            'components': {'schemas': dict(sorted(schemas.items()))}}


def gv_doc(cl, group, version):
    key = (group, version, tuple((r.plural, id(r)) for r in cl.registry.resources_of(group, version)))
    with _lock:
        hit = _cache.get((group, version))
        if hit and hit[0] == key:
            return hit[1], hit[2]
    doc = build_gv(cl, group, version)
    body = json.dumps(doc, separators=(',', ':')).encode()
    h = hashlib.sha512(body).hexdigest().upper()
    with _lock:
        _cache[(group, version)] = (key, body, h)
    return body, h


def index(cl):
    paths = {}
    for g, vs in cl.registry.groups:
        for v in vs:
            _, h = gv_doc(cl, g, v)
            p = gv_path(g, v)
            paths[p] = {'serverRelativeURL': '/openapi/v3/%s?hash=%s' % (p, h)}
    return {'paths': dict(sorted(paths.items()))}


def _pb_str(field, s):
    b = s.encode()
    return bytes([(field << 3) | 2, len(b)]) + b


def v2_protobuf():
    info = _pb_str(1, 'Kubernetes') + _pb_str(2, 'v1.28.0')
    return _pb_str(1, '2.0') + bytes([(2 << 3) | 2, len(info)]) + info


def serve(h, cl, path, q):
    accept = h.headers.get('Accept') or ''
    if path == '/openapi/v2':
        if 'protobuf' in accept:
            return h.send(200, v2_protobuf(), 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf')
        return h.send_json(200, {'swagger': '2.0', 'info': {'title': 'Kubernetes', 'version': 'v1.28.0'},
                                 'paths': {}, 'definitions': {}})
    if path == '/openapi/v3' or path == '/openapi/v3/':
        return h.send_json(200, index(cl))
    rest = path[len('/openapi/v3/'):]
    parts = rest.split('/')
    if parts[0] == 'api' and len(parts) == 2:
        g, v = '', parts[1]
    elif parts[0] == 'apis' and len(parts) == 3:
        g, v = parts[1], parts[2]
    else:
        return h.not_found_page()
    vs = cl.registry.versions_of(g)
    if not vs or v not in vs:
        return h.not_found_page()
    body, hsh = gv_doc(cl, g, v)
    hdrs = {'Etag': '"%s"' % hsh, 'Vary': 'Accept'}
    if q.get('hash') == hsh:
        hdrs['Cache-Control'] = 'public, immutable'
        hdrs['Expires'] = 'Fri, 01 Jan 2100 00:00:00 GMT'
    else:
        hdrs['Cache-Control'] = 'no-cache, private'
    if h.pretty:
        body = json.dumps(json.loads(body), indent=2).encode()
    return h.send(200, body, 'application/json', hdrs)
