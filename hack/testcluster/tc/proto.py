"""Kubernetes protobuf request bodies for the few kinds clients send that way.

Owner: realk8s. Pure functions, no state. Typed client-go clientsets (Helm 4's release storage,
for one) write Secrets and ConfigMaps, and send DeleteOptions, as `application/vnd.kubernetes.protobuf`: the 4-byte magic
"k8s\\0" and a runtime.Unknown {typeMeta, raw, contentEncoding, contentType} whose raw bytes are
the object's message (k8s.io/api generated.proto field numbers). `to_json(body)` returns the
object as the JSON dict the rest of the server works on; kinds without a table here raise
Unsupported (the server then answers 415 as before). Responses are always JSON.
"""
import base64
import time

MAGIC = b'k8s\x00'


class Unsupported(Exception):
    pass


def varint(buf, i):
    shift = result = 0
    while True:
        if i >= len(buf):
            raise ValueError('truncated varint')
        b = buf[i]
        i += 1
        result |= (b & 0x7f) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise ValueError('varint too long')


def fields(buf):
    """(field number, wire type, value) for each field; value is int or bytes."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 2:
            n, i = varint(buf, i)
            if i + n > len(buf):
                raise ValueError('truncated field %d' % num)
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError('wire type %d' % wt)
        yield num, wt, v


def signed64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def rfc3339(buf):
    secs = 0
    for num, _, v in fields(buf):
        if num == 1:
            secs = signed64(v)
    if secs == 0:
        return None  # the zero Time, null in JSON
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(secs))


def string(v):
    return v.decode('utf-8')


def map_entry(v, value_fn):
    k, val = '', None
    for num, _, x in fields(v):
        if num == 1:
            k = string(x)
        elif num == 2:
            val = x
    return k, value_fn(val if val is not None else b'')


def b64(v):
    return base64.b64encode(v).decode()


# message tables: field number -> (json name, kind); kinds: str, int, bool, time, msg:<Name>,
# map:str, map:bytes, list:str, list:msg:<Name>
MESSAGES = {
    'ObjectMeta': {1: ('name', 'str'), 2: ('generateName', 'str'), 3: ('namespace', 'str'),
                   5: ('uid', 'str'), 6: ('resourceVersion', 'str'), 7: ('generation', 'int'),
                   8: ('creationTimestamp', 'time'), 9: ('deletionTimestamp', 'time'),
                   10: ('deletionGracePeriodSeconds', 'int'), 11: ('labels', 'map:str'),
                   12: ('annotations', 'map:str'), 13: ('ownerReferences', 'list:msg:OwnerReference'),
                   14: ('finalizers', 'list:str')},
    'OwnerReference': {1: ('kind', 'str'), 3: ('name', 'str'), 4: ('uid', 'str'), 5: ('apiVersion', 'str'),
                       6: ('controller', 'bool'), 7: ('blockOwnerDeletion', 'bool')},
    'Secret': {1: ('metadata', 'msg:ObjectMeta'), 2: ('data', 'map:bytes'), 3: ('type', 'str'),
               4: ('stringData', 'map:str'), 5: ('immutable', 'bool')},
    'DeleteOptions': {1: ('gracePeriodSeconds', 'int'), 2: ('preconditions', 'msg:Preconditions'),
                      3: ('orphanDependents', 'bool'), 4: ('propagationPolicy', 'str'), 5: ('dryRun', 'list:str')},
    'Preconditions': {1: ('uid', 'str'), 2: ('resourceVersion', 'str')},
    'ConfigMap': {1: ('metadata', 'msg:ObjectMeta'), 2: ('data', 'map:str'), 3: ('binaryData', 'map:bytes'),
                  4: ('immutable', 'bool')},
}
KINDS = {('v1', 'Secret'), ('v1', 'ConfigMap'), ('v1', 'DeleteOptions'), ('meta.k8s.io/v1', 'DeleteOptions')}


def message(name, buf):
    table = MESSAGES[name]
    out = {}
    for num, _, v in fields(buf):
        if num not in table:
            continue  # managedFields, selfLink and the like: not kept by this server anyway
        key, kind = table[num]
        if kind == 'str':
            out[key] = string(v)
        elif kind == 'int':
            out[key] = signed64(v)
        elif kind == 'bool':
            out[key] = bool(v)
        elif kind == 'time':
            out[key] = rfc3339(v)
        elif kind.startswith('msg:'):
            out[key] = message(kind[4:], v)
        elif kind.startswith('map:'):
            k, val = map_entry(v, string if kind == 'map:str' else b64)
            out.setdefault(key, {})[k] = val
        elif kind == 'list:str':
            out.setdefault(key, []).append(string(v))
        else:
            out.setdefault(key, []).append(message(kind[9:], v))
    return out


def to_json(body):
    if not body.startswith(MAGIC):
        raise ValueError('no protobuf magic')
    type_meta, raw = {}, b''
    for num, _, v in fields(body[len(MAGIC):]):
        if num == 1:
            for n, _, x in fields(v):
                type_meta['apiVersion' if n == 1 else 'kind'] = string(x)
        elif num == 2:
            raw = v
        elif num == 3 and v:
            raise Unsupported('contentEncoding %s' % string(v))
    av, kind = type_meta.get('apiVersion', ''), type_meta.get('kind', '')
    if (av, kind) not in KINDS:
        raise Unsupported('%s %s' % (av, kind))
    obj = {'kind': kind, 'apiVersion': av}
    obj.update(message(kind, raw))
    if kind != 'DeleteOptions':
        obj.setdefault('metadata', {})
    return obj
