"""PATCH semantics of kube-apiserver 1.28: RFC 7386 merge patch, RFC 6902 JSON patch (as
gopkg.in/evanphx/json-patch.v4 applies it) and strategic merge patch for built-in kinds
(k8s.io/apimachinery/pkg/util/strategicpatch with the patchStrategy/patchMergeKey tags of k8s.io/api).

All functions return a new document and never mutate their inputs.  Errors are errors.ApiError
shaped like the apiserver's answers (see INTERFACE.md for the known approximations).
"""
import copy
import json

from . import errors

JSON_PATCH = 'application/json-patch+json'
MERGE_PATCH = 'application/merge-patch+json'
STRATEGIC_PATCH = 'application/strategic-merge-patch+json'
APPLY_PATCH = 'application/apply-patch+yaml'
BUILTIN_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH]
CRD_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH]


class PatchFailure(Exception):
    """Internal: why evanphx/json-patch failed (the apiserver hides it behind a generic 422)."""


def rejected_422(detail=''):
    """What the apiserver answers when a JSON patch cannot be applied (incl. a failed `test`):
    NewGenericServerResponse(422, ...) -- the library's message is not shown."""
    e = errors.status(422, 'Invalid', 'the server rejected our request due to an error in our request')
    e.status['details'] = {}  # NewGenericServerResponse sets an empty, non-nil Details
    e.status['code'] = e.status.pop('code')
    e.detail = detail
    return e


def json_equal(a, b):
    """JSON value equality (bool is not a number; 1 == 1.0)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) == type(b) and a == b


# ------------------------------------------------------------------ RFC 7386

def merge_patch(original, patch):
    """jsonpatch.MergePatch: a non-object patch replaces the document."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    return _merge(original if isinstance(original, dict) else {}, patch)


def _merge(orig, patch):
    out = copy.deepcopy(orig)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            out[k] = _merge(out.get(k) if isinstance(out.get(k), dict) else {}, v)
        else:
            out[k] = copy.deepcopy(v)
    return out


# ------------------------------------------------------------------ RFC 6902

def _pointer(path):
    if path == '':
        return []
    if not path.startswith('/'):
        raise PatchFailure('JSON pointer must be empty or start with a "/": %s' % path)
    return [p.replace('~1', '/').replace('~0', '~') for p in path[1:].split('/')]


def _container(doc, parts, op, path):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict):
            if p not in cur:
                raise PatchFailure('%s operation does not apply: doc is missing path: "%s"' % (op, path))
            cur = cur[p]
        elif isinstance(cur, list):
            i = _index(p, len(cur), False)
            cur = cur[i]
        else:
            raise PatchFailure('%s operation does not apply: doc is missing path: "%s"' % (op, path))
    if not isinstance(cur, (dict, list)):
        raise PatchFailure('%s operation does not apply: doc is missing path: "%s"' % (op, path))
    return cur


def _index(tok, n, for_add):
    try:
        if tok.startswith('+') or (tok != '0' and tok.startswith('0')) or tok == '':
            raise ValueError
        i = int(tok)
    except ValueError:
        raise PatchFailure('Unable to access invalid index: %s: invalid index referenced' % tok)
    limit = n if for_add else n - 1
    if i < 0:
        if i < -n:
            raise PatchFailure('Unable to access invalid index: %d: invalid index referenced' % i)
        i += n
    if i > limit:
        raise PatchFailure('Unable to access invalid index: %d: invalid index referenced' % i)
    return i


def _get(doc, parts, op, path):
    if not parts:
        return doc
    con = _container(doc, parts, op, path)
    key = parts[-1]
    if isinstance(con, dict):
        if key not in con:
            raise PatchFailure('%s operation does not apply: doc is missing path: "%s"' % (op, path))
        return con[key]
    return con[_index(key, len(con), False)]


def _add(doc, parts, value, path):
    if not parts:
        return value
    con = _container(doc, parts, 'add', path)
    key = parts[-1]
    if isinstance(con, dict):
        con[key] = value
    elif key == '-':
        con.append(value)
    else:
        con.insert(_index(key, len(con), True), value)
    return doc


def _remove(doc, parts, path, op='remove'):
    if not parts:
        raise PatchFailure('%s operation does not apply: doc is missing path: "%s"' % (op, path))
    con = _container(doc, parts, op, path)
    key = parts[-1]
    if isinstance(con, dict):
        if key not in con:
            raise PatchFailure('Unable to remove nonexistent key: %s: missing value' % key)
        return con.pop(key)
    return con.pop(_index(key, len(con), False))


def json_patch(original, ops):
    """Apply an RFC 6902 patch document (already JSON-decoded)."""
    if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
        if isinstance(ops, list):
            bad = next(o for o in ops if not isinstance(o, dict))
            raise errors.bad_request('json: cannot unmarshal %s into Go value of type jsonpatch.Operation'
                                     % _go_json_kind(bad))
        raise errors.bad_request('json: cannot unmarshal %s into Go value of type jsonpatch.Patch'
                                 % _go_json_kind(ops))
    if len(ops) > 10000:
        raise errors.status(413, 'RequestEntityTooLarge', 'Request entity too large: The allowed maximum '
                            'operations in a JSON patch is 10000, got %d' % len(ops))
    doc = copy.deepcopy(original)
    try:
        for o in ops:
            doc = _apply_op(doc, o)
    except PatchFailure as e:
        raise rejected_422(str(e))
    return doc


def _go_json_kind(v):
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, (int, float)):
        return 'number'
    return {dict: 'object', str: 'string', list: 'array'}.get(type(v), 'null')


def _apply_op(doc, o):
    op = o.get('op', 'unknown')
    if 'path' not in o:
        raise PatchFailure('operation missing path field: missing value')
    path = o['path']
    parts = _pointer(path)
    if op == 'add':
        return _add(doc, parts, copy.deepcopy(o.get('value')), path)
    if op == 'remove':
        _remove(doc, parts, path)
        return doc
    if op == 'replace':
        if not parts:
            return copy.deepcopy(o.get('value'))
        con = _container(doc, parts, 'replace', path)
        key = parts[-1]
        if isinstance(con, dict):
            if key not in con:
                raise PatchFailure('Unable to replace nonexistent key: %s: missing value' % key)
            con[key] = copy.deepcopy(o.get('value'))
        else:
            con[_index(key, len(con), False)] = copy.deepcopy(o.get('value'))
        return doc
    if op in ('move', 'copy'):
        if 'from' not in o:
            raise PatchFailure('%s operation missing from field' % op)
        frm = _pointer(o['from'])
        try:
            if op == 'move':
                val = _remove(doc, frm, o['from'], 'move')
            else:
                val = copy.deepcopy(_get(doc, frm, 'copy', o['from']))
        except PatchFailure:
            raise PatchFailure('%s operation does not apply: doc is missing from path: %s' % (op, o['from']))
        return _add(doc, parts, val, path)
    if op == 'test':
        try:
            cur = _get(doc, parts, 'test', path)
        except PatchFailure:
            if o.get('value') is None:  # missing path passes when no (or a null) value is tested
                return doc
            raise PatchFailure('testing value %s failed: test failed' % path)
        if not json_equal(cur, o.get('value')):
            raise PatchFailure('testing value %s failed: test failed' % path)
        return doc
    raise PatchFailure('Unexpected kind: %s: unknown object type' % op)


# ------------------------------------------------------------------ strategic merge patch

def L(strategy, key=None, elem=None):
    return ('list', strategy, key, elem)


def M(elem):  # map[string]T
    return ('map', elem)


_META = {'finalizers': L('merge'), 'ownerReferences': L('merge', 'uid'),
         'managedFields': L(None)}
_CONTAINER = {'ports': L('merge', 'containerPort'), 'env': L('merge', 'name'),
              'volumeMounts': L('merge', 'mountPath'), 'volumeDevices': L('merge', 'devicePath')}
_PODSPEC = {'volumes': L('merge,retainKeys', 'name'), 'initContainers': L('merge', 'name', 'Container'),
            'containers': L('merge', 'name', 'Container'),
            'ephemeralContainers': L('merge', 'name', 'Container'),
            'imagePullSecrets': L('merge', 'name'), 'hostAliases': L('merge', 'ip'),
            'topologySpreadConstraints': L('merge', 'topologyKey'),
            'schedulingGates': L('merge', 'name'), 'resourceClaims': L('merge,retainKeys', 'name')}
_CONDS = {'conditions': L('merge', 'type')}
TYPES = {
    'ObjectMeta': _META,
    'Container': _CONTAINER,
    'PodSpec': _PODSPEC,
    'PodStatus': dict(_CONDS, podIPs=L('merge', 'ip'), hostIPs=L('merge', 'ip')),
    'PodTemplateSpec': {'metadata': 'ObjectMeta', 'spec': 'PodSpec'},
    'Pod': {'metadata': 'ObjectMeta', 'spec': 'PodSpec', 'status': 'PodStatus'},
    'PodTemplate': {'metadata': 'ObjectMeta', 'template': 'PodTemplateSpec'},
    'DeploymentSpec': {'template': 'PodTemplateSpec', 'strategy': ('retainKeys',)},
    'Deployment': {'metadata': 'ObjectMeta', 'spec': 'DeploymentSpec', 'status': 'Conds'},
    'ReplicaSet': {'metadata': 'ObjectMeta', 'spec': 'RSSpec', 'status': 'Conds'},
    'RSSpec': {'template': 'PodTemplateSpec'},
    'StatefulSet': {'metadata': 'ObjectMeta', 'spec': 'RSSpec', 'status': 'Conds'},
    'DaemonSet': {'metadata': 'ObjectMeta', 'spec': 'RSSpec', 'status': 'Conds'},
    'Job': {'metadata': 'ObjectMeta', 'spec': 'RSSpec', 'status': 'Conds'},
    'CronJob': {'metadata': 'ObjectMeta', 'spec': 'CronJobSpec'},
    'CronJobSpec': {'jobTemplate': 'JobTemplate'},
    'JobTemplate': {'metadata': 'ObjectMeta', 'spec': 'RSSpec'},
    'Conds': _CONDS,
    'Service': {'metadata': 'ObjectMeta', 'spec': 'ServiceSpec', 'status': 'Conds'},
    'ServiceSpec': {'ports': L('merge', 'port')},
    'Namespace': {'metadata': 'ObjectMeta', 'status': 'Conds'},
    'ServiceAccount': {'metadata': 'ObjectMeta', 'secrets': L('merge', 'name')},
    'ValidatingWebhookConfiguration': {'metadata': 'ObjectMeta', 'webhooks': L('merge', 'name')},
    'MutatingWebhookConfiguration': {'metadata': 'ObjectMeta', 'webhooks': L('merge', 'name')},
    'Node': {'metadata': 'ObjectMeta', 'status': 'NodeStatus'},
    'NodeStatus': dict(_CONDS, addresses=L('merge', 'type')),
    'Scale': {'metadata': 'ObjectMeta'},
    'Generic': {'metadata': 'ObjectMeta'},
}
_KIND_TYPES = {'Pod', 'PodTemplate', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job',
               'CronJob', 'Service', 'Namespace', 'ServiceAccount', 'ValidatingWebhookConfiguration',
               'MutatingWebhookConfiguration', 'Node', 'Scale'}
_GENERIC_KINDS = {'ConfigMap', 'Secret', 'Event', 'Lease', 'Endpoints', 'CustomResourceDefinition',
                  'PersistentVolumeClaim', 'LimitRange', 'ResourceQuota', 'Role', 'RoleBinding',
                  'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'APIService', 'Binding',
                  'Eviction'}


def supports_strategic(group, kind):
    """Built-in (compiled-in) kinds support strategic merge patch; custom resources do not."""
    return kind in _KIND_TYPES or kind in _GENERIC_KINDS


def _type_of(kind):
    return kind if kind in _KIND_TYPES else 'Generic'


def _field_schema(tname, field):
    if tname is None:
        return None
    t = TYPES.get(tname)
    if t is None:
        return None
    return t.get(field)


DIRECTIVE = '$patch'
RETAIN_KEYS = '$retainKeys'
DELETE_PRIM = '$deleteFromPrimitiveList/'
SET_ORDER = '$setElementOrder/'


def strategic_merge_patch(original, patch, group='', version='v1', kind=''):
    if not isinstance(patch, dict):
        raise errors.bad_request('invalid JSON document')
    try:
        return _smp_map(original if isinstance(original, dict) else {}, patch, _type_of(kind))
    except _SMPError as e:
        raise e.api


class _SMPError(Exception):
    def __init__(self, api):
        self.api = api


def _bad(msg):
    return _SMPError(errors.bad_request(msg))


def _smp_map(orig, patch, tname):
    d = patch.get(DIRECTIVE)
    if d is not None:
        if d == 'replace':
            return _strip(dict((k, v) for k, v in patch.items() if k != DIRECTIVE))
        if d == 'delete':
            return {}  # handleDirectiveInMergeMap: an empty map, the key stays
        # handleDirectiveInMergeMap accepts only replace and delete in a map
        raise _SMPError(_generic_500('unknown patch type: %s in map: %s' % (d, _go_map(patch))))
    out = copy.deepcopy(orig)
    retain = patch.get(RETAIN_KEYS)
    if retain is not None:
        if not isinstance(retain, list):
            raise _bad('invalid patch: $retainKeys must be a list')
        for k in list(out):
            if k not in retain:
                del out[k]
    # $deleteFromPrimitiveList first
    for k, v in patch.items():
        if k.startswith(DELETE_PRIM):
            f = k[len(DELETE_PRIM):]
            if not isinstance(v, list):
                raise _bad('invalid patch: $deleteFromPrimitiveList must be a list')
            if isinstance(out.get(f), list):
                out[f] = [x for x in out[f] if not any(json_equal(x, y) for y in v)]
    for k, v in patch.items():
        if k in (DIRECTIVE, RETAIN_KEYS) or k.startswith(DELETE_PRIM) or k.startswith(SET_ORDER):
            continue
        fs = _field_schema(tname, k)
        if v is None:
            out.pop(k, None)
            continue
        if isinstance(v, dict):
            sub = fs if isinstance(fs, str) else None
            if isinstance(fs, tuple) and fs[0] == 'retainKeys':
                sub = None
            base = out.get(k) if isinstance(out.get(k), dict) else {}
            r = _smp_map(base, v, sub)
            if r is None:
                out.pop(k, None)
            else:
                out[k] = r
            continue
        if isinstance(v, list) and isinstance(fs, tuple) and fs[0] == 'list' and fs[1] and 'merge' in fs[1]:
            order = patch.get(SET_ORDER + k)
            base = out.get(k) if isinstance(out.get(k), list) else []
            merged = _smp_list(base, v, fs[2], fs[3], None)
            out[k] = _reorder(merged, order, fs[2], base) if order is not None else merged
            continue
        out[k] = _strip(v)
    # $setElementOrder for a list that the patch did not touch
    for k, v in patch.items():
        if k.startswith(SET_ORDER):
            f = k[len(SET_ORDER):]
            if f not in patch and isinstance(out.get(f), list):
                fs = _field_schema(tname, f)
                mk = fs[2] if isinstance(fs, tuple) and fs[0] == 'list' else None
                out[f] = _reorder(out[f], v, mk, out[f])
    return out


def _strip(v):
    """Remove strategic directives from a value that is taken as is."""
    if isinstance(v, dict):
        return dict((k, _strip(x)) for k, x in v.items()
                    if k not in (DIRECTIVE, RETAIN_KEYS) and not k.startswith(SET_ORDER)
                    and not k.startswith(DELETE_PRIM))
    if isinstance(v, list):
        return [_strip(x) for x in v if not (isinstance(x, dict) and DIRECTIVE in x)]
    return copy.deepcopy(v)


def _smp_list(orig, patch, key, elem, order):
    """mergeSlice: merge, then enforce the order (patch items in patch order, server-only items
    in live order, interleaved by mergeSortedSlice)."""
    if not orig and not patch:
        return list(orig)
    if not any(isinstance(x, dict) for x in patch) and not any(isinstance(x, dict) for x in orig):
        # primitives: union, deduplicated
        out = []
        for x in list(orig) + list(patch):
            if not any(json_equal(x, y) for y in out):
                out.append(x)
        return _reorder(out, list(patch), None, list(orig))
    if key is None:
        # list of maps without a merge key: replace
        return _strip(patch)
    # special elements: $patch delete / replace
    orig = copy.deepcopy(orig)
    plain, replace = [], False
    for x in patch:
        if isinstance(x, dict) and DIRECTIVE in x:
            d = x[DIRECTIVE]
            if d == 'delete':
                if key not in x:
                    raise _SMPError(_generic_500('map: %s does not contain declared merge key: %s' % (
                        _go_map(x), key)))
                orig = [y for y in orig if not (isinstance(y, dict) and json_equal(y.get(key), x[key]))]
            elif d == 'replace':
                replace = True
            elif d == 'merge':
                raise _SMPError(_generic_500('merging lists cannot yet be specified in the patch'))
            else:
                raise _SMPError(_generic_500('unknown patch type: %s in map: %s' % (d, _go_map(x))))
        else:
            plain.append(x)
    if replace:
        return [_strip(y) for y in plain]
    out = list(orig)
    for x in plain:
        if not isinstance(x, dict):
            continue
        if key not in x:
            raise _SMPError(_generic_500('map: %s does not contain declared merge key: %s' % (
                _go_map(x), key)))
        kv = x[key]
        idx = next((i for i, y in enumerate(out) if isinstance(y, dict) and json_equal(y.get(key), kv)), None)
        if idx is None:
            r = _smp_map({}, x, elem)
            if r is not None:
                out.append(r)
        else:
            r = _smp_map(out[idx], x, elem)
            if r is None:
                out.pop(idx)
            else:
                out[idx] = r
    return _reorder(out, plain, key, orig)


def _generic_500(message):
    """A plain Go error reaching the handler: ErrorToAPIStatus makes it 500 with no reason."""
    return errors.status(500, '', message)


def _go_map(x):
    return 'map[' + ' '.join('%s:%s' % (k, x[k]) for k in sorted(x)) + ']'


def _reorder(items, order, key, original=None):
    """mergePatchIntoOriginal's ordering: items named by $setElementOrder ("patch items") are
    sorted by it, the others ("server-only") by their order in the live list, then the two are
    merged with mergeSortedSlice (a server-only item goes first only when both are in the live
    list and it comes earlier there)."""
    if not isinstance(order, list):
        raise _bad('invalid patch: $setElementOrder must be a list')
    original = original if isinstance(original, list) else []

    def ident(x):
        return x.get(key) if (key is not None and isinstance(x, dict)) else x

    def index(lst, x):
        v = ident(x)
        for i, w in enumerate(lst):
            if json_equal(ident(w), v):
                return i
        return -1

    patch_items = [x for x in items if index(order, x) >= 0]
    server_only = [x for x in items if index(order, x) < 0]
    patch_items = _stable_sort_by(patch_items, lambda x: index(order, x))
    server_only = _stable_sort_by(server_only, lambda x: index(original, x))
    out, i, j = [], 0, 0
    while i < len(server_only) or j < len(patch_items):
        if i >= len(server_only):
            out.append(patch_items[j])
            j += 1
        elif j >= len(patch_items):
            out.append(server_only[i])
            i += 1
        else:
            li, ri = index(original, server_only[i]), index(original, patch_items[j])
            if li >= 0 and ri >= 0 and li < ri:
                out.append(server_only[i])
                i += 1
            else:
                out.append(patch_items[j])
                j += 1
    return out


def _stable_sort_by(lst, idx):
    """sort.SliceStable with 'less = both found ? ii < ij : true' (items not found float first)."""
    import functools

    def cmp(a, b):
        ia, ib = idx(a), idx(b)
        if ia >= 0 and ib >= 0:
            return -1 if ia < ib else (1 if ia > ib else 0)
        return 0
    return sorted(lst, key=functools.cmp_to_key(cmp))


# ------------------------------------------------------------------ dispatcher

def decode_json(body):
    try:
        if isinstance(body, (bytes, bytearray)):
            body = body.decode('utf-8')
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise errors.bad_request('error decoding patch: %s' % e)


def apply_patch(content_type, original, patch_doc, group, version, kind, is_crd):
    """Apply a PATCH body (already decoded JSON) by its Content-Type (parameters ignored)."""
    ct = (content_type or '').split(';')[0].strip()
    allowed = CRD_PATCH_TYPES if is_crd else BUILTIN_PATCH_TYPES
    if ct not in allowed:
        raise errors.unsupported_media_type(ct, allowed)
    if ct == JSON_PATCH:
        return json_patch(original, patch_doc)
    if ct == MERGE_PATCH:
        if not isinstance(patch_doc, (dict, list)):  # null or a scalar: ErrBadJSONPatch
            raise errors.bad_request('Invalid JSON Patch')
        return merge_patch(original, patch_doc)
    if ct == STRATEGIC_PATCH:
        return strategic_merge_patch(original, patch_doc, group, version, kind)
    # server-side apply: approximated as a merge of the applied configuration (no field ownership)
    if not isinstance(patch_doc, dict):
        raise errors.bad_request('error decoding YAML: apply patch must be an object')
    if is_crd:
        return merge_patch(original, patch_doc)
    return strategic_merge_patch(original, patch_doc, group, version, kind)
