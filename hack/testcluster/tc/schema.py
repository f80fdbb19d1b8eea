"""CRD structural schemas as apiextensions-apiserver 1.28 applies them: pruning of unknown fields,
pruning of non-nullable nulls, defaulting, and OpenAPI v3 validation (k8s.io/kube-openapi
validate + kubeOpenAPIResultToFieldErrors wording).  Also CRD object validation/defaulting and the
scale subresource's replicas check.
"""
import copy
import datetime
import re

from . import errors
from .errors import go_float, go_quote
from .validation import (is_dns1123_subdomain, is_dns1035_label, is_dns1123_label,
                         name_is_dns_subdomain)
from . import selectors

OBJECT_META_FIELDS = {
    'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation',
    'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels',
    'annotations', 'ownerReferences', 'finalizers', 'managedFields'}


def _json_type(v):
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'boolean'
    if isinstance(v, int):
        return 'integer'
    if isinstance(v, float):
        return 'number'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, list):
        return 'array'
    if isinstance(v, dict):
        return 'object'
    return ''


def _join(path, name):
    return name if not path else path + '.' + name


class Schema(object):
    """A CRD version's openAPIV3Schema (a JSON dict)."""

    def __init__(self, openapi_v3_schema):
        self.root = openapi_v3_schema or {}

    # ---------------------------------------------------------------- pruning
    def prune(self, obj):
        """Remove unknown fields in place (root apiVersion/kind/metadata kept, metadata reduced to
        ObjectMeta fields).  Returns the removed paths, e.g. ["spec.bogus", "metadata.foo"]."""
        removed = []
        if not isinstance(obj, dict):
            return removed
        self._prune_node(obj, self.root, '', removed, root=True)
        return removed

    def _prune_node(self, x, s, path, removed, root=False):
        if s is None:
            return
        if isinstance(x, dict):
            if root or s.get('x-kubernetes-embedded-resource'):
                md = x.get('metadata')
                if isinstance(md, dict):
                    for k in list(md):
                        if k not in OBJECT_META_FIELDS:
                            del md[k]
                            removed.append(_join(path, 'metadata.' + k))
            props = s.get('properties') or {}
            addl = s.get('additionalProperties')
            preserve = s.get('x-kubernetes-preserve-unknown-fields') is True
            for k in list(x):
                if (root or s.get('x-kubernetes-embedded-resource')) and k in ('apiVersion', 'kind', 'metadata'):
                    continue
                if k in props:
                    self._prune_node(x[k], props[k], _join(path, k), removed)
                elif isinstance(addl, dict):
                    self._prune_node(x[k], addl, _join(path, k), removed)
                elif addl is True or preserve:
                    continue
                else:
                    del x[k]
                    removed.append(_join(path, k))
        elif isinstance(x, list):
            items = s.get('items')
            if isinstance(items, dict):
                for i, v in enumerate(x):
                    self._prune_node(v, items, '%s[%d]' % (path, i), removed)

    # ---------------------------------------------------------------- nulls and defaults
    def prune_nulls(self, obj):
        """PruneNonNullableNullsWithoutDefaults: drop null values of non-nullable fields that
        have no default."""
        self._nulls(obj, self.root)

    def _nulls(self, x, s):
        if s is None:
            return
        if isinstance(x, dict):
            props = s.get('properties') or {}
            addl = s.get('additionalProperties') if isinstance(s.get('additionalProperties'), dict) else None
            for k in list(x):
                ps = props.get(k, addl if k not in props else None)
                if ps is None:
                    continue
                if x[k] is None:
                    if not ps.get('nullable') and 'default' not in ps:
                        del x[k]
                else:
                    self._nulls(x[k], ps)
        elif isinstance(x, list):
            items = s.get('items') if isinstance(s.get('items'), dict) else None
            for v in x:
                self._nulls(v, items)

    def apply_defaults(self, obj):
        """structuraldefaulting.Default, in place (non-nullable nulls are pruned first)."""
        self.prune_nulls(obj)
        self._default(obj, self.root)

    def _default(self, x, s):
        if s is None:
            return
        if isinstance(x, dict):
            props = s.get('properties') or {}
            for k, ps in props.items():
                if 'default' not in ps:
                    continue
                if k not in x or (x[k] is None and not ps.get('nullable')):
                    x[k] = copy.deepcopy(ps['default'])
            addl = s.get('additionalProperties') if isinstance(s.get('additionalProperties'), dict) else None
            for k in list(x):
                if k in props:
                    self._default(x[k], props[k])
                elif addl is not None:
                    if x[k] is None and not addl.get('nullable') and 'default' in addl:
                        x[k] = copy.deepcopy(addl['default'])
                    self._default(x[k], addl)
        elif isinstance(x, list):
            items = s.get('items') if isinstance(s.get('items'), dict) else None
            if items is None:
                return
            for i in range(len(x)):
                if x[i] is None and not items.get('nullable') and 'default' in items:
                    x[i] = copy.deepcopy(items['default'])
                self._default(x[i], items)

    # ---------------------------------------------------------------- validation
    def validate(self, obj):
        """Causes for obj against the schema (message/field as kube-apiserver words them)."""
        out = []
        self._validate(obj, self.root, '', out, root=True)
        return out

    def _validate(self, x, s, path, out, root=False):
        if not isinstance(s, dict):
            return
        types = []
        if s.get('x-kubernetes-int-or-string'):
            types = ['integer', 'string']
        elif s.get('type'):
            types = [str(s['type'])]
        fmt = s.get('format', '')
        # type validator
        if x is None:
            if types and 'null' not in types and not s.get('nullable'):
                out.append(_type_err(path, ','.join(types), 'null'))
            return
        jt = _json_type(x)
        type_ok = True
        if types:
            is_float_int = jt == 'number' and float(x).is_integer() and 'integer' in types
            is_int_float = jt == 'integer' and 'number' in types
            if not (jt in types or is_float_int or is_int_float):
                out.append(_type_err(path, ','.join(types), jt))
                type_ok = False
        # string validator
        if isinstance(x, str):
            ml = s.get('maxLength')
            if ml is not None and len(x) > ml:
                out.append(errors.c_too_long(path, int(ml)))
            mn = s.get('minLength')
            if mn is not None and len(x) < mn:
                out.append(errors.c_invalid(path, x, '%s in body should be at least %d chars long' % (path, mn)))
            pat = s.get('pattern')
            if pat is not None:
                try:
                    ok = re.search(_ecma_to_py(pat), x) is not None
                except re.error:
                    ok = True
                if not ok:
                    out.append(errors.c_invalid(path, x, "%s in body should match '%s'" % (path, pat)))
            if fmt and type_ok:
                ferr = _check_format(fmt, x)
                if ferr:
                    out.append(errors.c_type_invalid(path, x, '%s in body must be of type %s: %s' % (
                        path, fmt, go_quote(x))))
        # number validator
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            self._numbers(x, s, path, out)
        # enum (common validator)
        enum = s.get('enum')
        if enum is not None:
            from .patch import json_equal
            if not any(json_equal(x, e) for e in enum):
                vals = [e if isinstance(e, str) else _json_compact(e) for e in enum]
                out.append(errors.c_not_supported(path, x, vals))
        # slice validator
        if isinstance(x, list):
            items = s.get('items')
            if isinstance(items, dict):
                for i, v in enumerate(x):
                    self._validate(v, items, '%s[%d]' % (path, i), out)
            mi = s.get('minItems')
            if mi is not None and len(x) < mi:
                out.append(errors.c_invalid(path, len(x), '%s in body should have at least %d items' % (path, mi)))
            ma = s.get('maxItems')
            if ma is not None and len(x) > ma:
                out.append(errors.c_too_many(path, len(x), int(ma)))
            if s.get('uniqueItems'):
                from .patch import json_equal
                if any(json_equal(x[i], x[j]) for i in range(len(x)) for j in range(i)):
                    out.append(errors.c_invalid(path, '', "%s in body shouldn't contain duplicates" % path))
        # object validator
        if isinstance(x, dict):
            mp = s.get('minProperties')
            if mp is not None and len(x) < mp:
                out.append(errors.c_invalid(path, len(x), '%s in body should have at least %d properties' % (path, mp)))
                return
            xp = s.get('maxProperties')
            if xp is not None and len(x) > xp:
                out.append(errors.c_too_many(path, len(x), int(xp)))
                return
            props = s.get('properties') or {}
            addl = s.get('additionalProperties')
            for k in sorted(x):
                if k in props:
                    continue
                if root and k in ('apiVersion', 'kind', 'metadata'):
                    continue
                if isinstance(addl, dict):
                    self._validate(x[k], addl, _join(path, k), out)
                elif addl is False:
                    out.append(errors.c_invalid(path, k, '%s.%s in body is a forbidden property' % (path, k)))
            for k in sorted(props):
                if k in x:
                    if root and k == 'metadata':
                        continue
                    self._validate(x[k], props[k], _join(path, k), out)
            for k in s.get('required') or []:
                if k not in x:
                    out.append(errors.c_required(_join(path, k)))
        # allOf/anyOf/oneOf/not (kube-openapi schemaPropsValidator; these composite errors are not
        # field errors, so kubeOpenAPIResultToFieldErrors reports them on the nil path "<nil>")
        if s.get('anyOf'):
            best, ok = None, False
            for sub in s['anyOf']:
                r = []
                self._validate(x, sub, path, r)
                if not r:
                    ok = True
                    break
                if best is None:
                    best = r
            if not ok:
                out.append(errors.c_invalid('<nil>', '', '%s must validate at least one schema (anyOf)' % go_quote(path)))
                out.extend(best or [])
        if s.get('oneOf'):
            valid, best = 0, None
            for sub in s['oneOf']:
                r = []
                self._validate(x, sub, path, r)
                if not r:
                    valid += 1
                elif valid == 0 and best is None:
                    best = r
            if valid != 1:
                extra = 'Found none valid' if valid == 0 else 'Found %d valid alternatives' % valid
                out.append(errors.c_invalid('<nil>', '', '%s must validate one and only one schema (oneOf). %s'
                                            % (go_quote(path), extra)))
                if valid == 0:
                    out.extend(best or [])
        if s.get('allOf'):
            validated = 0
            for sub in s['allOf']:
                r = []
                self._validate(x, sub, path, r)
                if not r:
                    validated += 1
                out.extend(r)
            if validated != len(s['allOf']):
                out.append(errors.c_invalid('<nil>', '', '%s must validate all the schemas (allOf)%s' % (
                    go_quote(path), '. None validated' if validated == 0 else '')))
        if isinstance(s.get('not'), dict):
            r = []
            self._validate(x, s['not'], path, r)
            if not r:
                out.append(errors.c_invalid('<nil>', '', '%s must not validate the schema (not)' % go_quote(path)))

    # ---------------------------------------------------------------- list types
    def validate_list_types(self, obj):
        """structurallisttype.ValidateListSetsAndMaps: x-kubernetes-list-type set/map uniqueness."""
        out = []
        self._lists(obj, self.root, '', out)
        return out

    def _lists(self, x, s, path, out):
        if not isinstance(s, dict):
            return
        if isinstance(x, dict):
            props = s.get('properties') or {}
            addl = s.get('additionalProperties') if isinstance(s.get('additionalProperties'), dict) else None
            for k, v in x.items():
                sub = props.get(k, addl if k not in props else None)
                if sub is not None:
                    self._lists(v, sub, _join(path, k), out)
        elif isinstance(x, list):
            lt = s.get('x-kubernetes-list-type')
            items = s.get('items') if isinstance(s.get('items'), dict) else None
            if lt == 'set':
                from .patch import json_equal
                for i in range(len(x)):
                    if any(json_equal(x[i], x[j]) for j in range(i)):
                        out.append(errors.c_duplicate('%s[%d]' % (path, i), x[i]))
            elif lt == 'map':
                keys = s.get('x-kubernetes-list-map-keys') or []
                bad = next((i for i, v in enumerate(x) if v is not None and not isinstance(v, dict)), None)
                if bad is not None:
                    out.append(errors.c_invalid('%s[%d]' % (path, bad), x[bad],
                                                'must be an object for an array of list-type map'))
                elif len(x) > 1:
                    seen = []
                    for i, v in enumerate(x):
                        kv = {}
                        for k in keys:
                            if isinstance(v, dict) and k in v:
                                kv[k] = v[k]
                            elif items and 'default' in ((items.get('properties') or {}).get(k) or {}):
                                kv[k] = items['properties'][k]['default']
                        from .patch import json_equal
                        if any(json_equal(kv, o) for o in seen):
                            out.append(errors.c_duplicate('%s[%d]' % (path, i), kv))
                        else:
                            seen.append(kv)
            if items is not None:
                for i, v in enumerate(x):
                    self._lists(v, items, '%s[%d]' % (path, i), out)

    # ---------------------------------------------------------------- CEL rules
    def has_rules(self):
        if not hasattr(self, '_has_rules'):
            self._has_rules = 'x-kubernetes-validations' in _json_compact(self.root)
        return self._has_rules

    def validate_rules(self, obj, old=None):
        """x-kubernetes-validations (CEL) rules; transition rules (oldSelf) only with an old value."""
        out = []
        self._rules(obj, old, old is not None, self.root, '', out)
        return out

    def _rules(self, x, old, has_old, s, path, out):
        if not isinstance(s, dict) or x is None:
            return
        rules = s.get('x-kubernetes-validations') or []
        if rules:
            types = ['integer', 'string'] if s.get('x-kubernetes-int-or-string') else ([s['type']] if s.get('type') else [])
            jt = _json_type(x)
            if not types or jt in types or (jt == 'integer' and 'number' in types):
                for r in rules:
                    self._rule(r, x, old, has_old, s, path, out)
        if isinstance(x, dict):
            props = s.get('properties') or {}
            addl = s.get('additionalProperties') if isinstance(s.get('additionalProperties'), dict) else None
            for k, v in x.items():
                sub = props.get(k, addl if k not in props else None)
                if sub is None:
                    continue
                o_has = has_old and isinstance(old, dict) and k in old
                self._rules(v, old.get(k) if o_has else None, o_has, sub, _join(path, k), out)
        elif isinstance(x, list):
            items = s.get('items') if isinstance(s.get('items'), dict) else None
            if items is None:
                return
            keys = s.get('x-kubernetes-list-map-keys') or []
            for i, v in enumerate(x):
                o, o_has = None, False
                if has_old and isinstance(old, list) and s.get('x-kubernetes-list-type') == 'map' and isinstance(v, dict):
                    for ov in old:
                        if isinstance(ov, dict) and all(ov.get(k) == v.get(k) for k in keys):
                            o, o_has = ov, True
                            break
                self._rules(v, o, o_has, items, '%s[%d]' % (path, i), out)

    def _rule(self, r, x, old, has_old, s, path, out):
        from . import cel
        src = (r.get('rule') or '').strip()
        if not src or (cel.uses_old_self(src) and not has_old):
            return
        fld = path if path else '<nil>'
        fp = r.get('fieldPath')
        if fp:
            fld = _join(path, fp.lstrip('.'))
        stype = 'integer,string' if s.get('x-kubernetes-int-or-string') else s.get('type', '')
        try:
            ok = cel.run(src, x, old, has_old)
        except cel.CelError as e:
            msg = str(e)
            if msg.startswith('no such overload'):
                out.append(errors.c_invalid(fld, stype, "'%s': call arguments did not match a supported operator, "
                                            "function or macro signature for rule: %s" % (msg, src)))
            else:
                out.append(errors.c_invalid(fld, stype, '%s evaluating rule: %s' % (msg, src)))
            return
        if ok:
            return
        detail = None
        if r.get('messageExpression'):
            try:
                m = cel.evaluate(cel.compile_rule(r['messageExpression']), dict(
                    {'self': x}, **({'oldSelf': old} if has_old else {})))
                if isinstance(m, str) and m.strip() and '\n' not in m:
                    detail = m.strip()
            except cel.CelError:
                detail = None
        if detail is None:
            detail = (r.get('message') or '').strip() or 'failed rule: %s' % src
        reason = r.get('reason')
        if reason == 'FieldValueForbidden':
            out.append(errors.c_forbidden(fld, detail))
        elif reason == 'FieldValueRequired':
            out.append(errors.c_required(fld, detail))
        elif reason == 'FieldValueDuplicate':
            out.append(errors.c_duplicate(fld, stype))
        else:
            out.append(errors.c_invalid(fld, stype, detail))

    def _numbers(self, x, s, path, out):
        is_int = isinstance(x, int)
        mo = s.get('multipleOf')
        if mo:
            q = x / mo
            if abs(q - round(q)) > 1e-9:
                out.append(errors.c_invalid(path, x, '%s in body should be a multiple of %s' % (path, _num(mo))))
        mx = s.get('maximum')
        if mx is not None:
            lim = int(mx) if is_int else mx
            exc = bool(s.get('exclusiveMaximum'))
            if (x >= lim) if exc else (x > lim):
                out.append(errors.c_invalid(path, x, '%s in body should be less than %s%s' % (
                    path, '' if exc else 'or equal to ', _num(lim))))
        mn = s.get('minimum')
        if mn is not None:
            lim = int(mn) if is_int else mn
            exc = bool(s.get('exclusiveMinimum'))
            if (x <= lim) if exc else (x < lim):
                out.append(errors.c_invalid(path, x, '%s in body should be greater than %s%s' % (
                    path, '' if exc else 'or equal to ', _num(lim))))
        fmt = s.get('format')
        if fmt == 'int32' and is_int and not (-2 ** 31 <= x < 2 ** 31):
            out.append(errors.c_type_invalid(path, x, '%s in body must be of type int32' % path))


def _num(v):
    if isinstance(v, float):
        return go_float(v)
    return str(v)


def _json_compact(v):
    import json
    return json.dumps(v, separators=(',', ':'), sort_keys=True)


def _type_err(path, want, got):
    return errors.c_type_invalid(path, got, '%s in body must be of type %s: %s' % (path, want, go_quote(got)))


def _ecma_to_py(p):
    return p.replace('\\d', '[0-9]').replace('(?<', '(?P<') if '(?<' in p and '(?<=' not in p and '(?<!' not in p else p


_DATE_TIME = re.compile(r'^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$')
_DATE = re.compile(r'^\d{4}-\d{2}-\d{2}$')
_UUID = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')


def _check_format(fmt, s):
    """Returns True when s is NOT valid for a known format (unknown formats pass)."""
    try:
        if fmt == 'date-time':
            if not _DATE_TIME.match(s):
                return True
            datetime.datetime.strptime(s[:19].replace('t', 'T').replace(' ', 'T'), '%Y-%m-%dT%H:%M:%S')
            return False
        if fmt == 'date':
            if not _DATE.match(s):
                return True
            datetime.date.fromisoformat(s)
            return False
    except ValueError:
        return True
    if fmt == 'uuid':
        return not _UUID.match(s)
    if fmt == 'byte':
        import base64
        import binascii
        try:
            base64.b64decode(s, validate=True)
            return False
        except (binascii.Error, ValueError):
            return True
    if fmt in ('ipv4',):
        parts = s.split('.')
        return not (len(parts) == 4 and all(p.isdigit() and 0 <= int(p) <= 255 for p in parts))
    if fmt == 'hostname':
        return bool(is_dns1123_subdomain(s.lower())) if s else True
    return False


# -------------------------------------------------------------------- custom objects

def validate_object_meta(obj, namespaced, name_fn=name_is_dns_subdomain, path='metadata'):
    """ValidateObjectMeta (the parts a client can get wrong)."""
    md = obj.get('metadata') or {}
    causes = []
    name = md.get('name', '')
    gen = md.get('generateName', '')
    if gen:
        for m in name_fn(gen, True):
            causes.append(errors.c_invalid(path + '.generateName', gen, m))
    if not name:
        causes.append(errors.c_required(path + '.name', 'name or generateName is required'))
    else:
        for m in name_fn(name, False):
            causes.append(errors.c_invalid(path + '.name', name, m))
    ns = md.get('namespace', '')
    if namespaced:
        if not ns:
            causes.append(errors.c_required(path + '.namespace', ''))
        else:
            for m in is_dns1123_label(ns):
                causes.append(errors.c_invalid(path + '.namespace', ns, m))
    elif ns:
        causes.append(errors.c_forbidden(path + '.namespace', 'not allowed on this type'))
    causes.extend(selectors.labels_causes(md.get('labels'), path + '.labels'))
    ann = md.get('annotations') or {}
    total = 0
    for k, v in ann.items():
        for m in _qualified_lower(k):
            causes.append(errors.c_invalid(path + '.annotations', k, m))
        total += len(k) + len(v if isinstance(v, str) else '')
    if total > 256 * 1024:
        causes.append(errors.c_too_long_bytes(path + '.annotations', 256 * 1024))
    # ValidateOwnerReferences / ValidateFinalizers report on the list path, without an index
    controllers = []
    for ref in md.get('ownerReferences') or []:
        if not isinstance(ref, dict):
            continue
        p = path + '.ownerReferences'
        av = ref.get('apiVersion', '') or ''
        version = av.split('/')[-1] if av else ''
        if not version:
            causes.append(errors.c_invalid(p + '.apiVersion', ref.get('apiVersion', ''), 'version must not be empty'))
        if not ref.get('kind'):
            causes.append(errors.c_invalid(p + '.kind', ref.get('kind', ''), 'kind must not be empty'))
        if not ref.get('name'):
            causes.append(errors.c_invalid(p + '.name', ref.get('name', ''), 'name must not be empty'))
        if not ref.get('uid'):
            causes.append(errors.c_invalid(p + '.uid', ref.get('uid', ''), 'uid must not be empty'))
        if ref.get('controller'):
            controllers.append('%s/%s' % (ref.get('kind', ''), ref.get('name', '')))
    if len(controllers) > 1:
        causes.append(errors.c_invalid(path + '.ownerReferences', _RawText('[]v1.OwnerReference{...}'),
                                       'Only one reference can have Controller set to true. Found "true" in '
                                       'references for %s' % ' and '.join(controllers)))
    fins = md.get('finalizers') or []
    from .validation import is_qualified_name
    for f in fins:
        for m in is_qualified_name(f if isinstance(f, str) else ''):
            causes.append(errors.c_invalid(path + '.finalizers', f, m))
    if 'orphan' in fins and 'foregroundDeletion' in fins:
        causes.append(errors.c_invalid(path + '.finalizers', fins,
                                       'finalizer orphan and foregroundDeletion cannot be both set'))
    return causes


class _RawText(object):
    def __init__(self, s):
        self.s = s

    def __str__(self):
        return self.s


STANDARD_FINALIZERS = ('kubernetes', 'orphan', 'foregroundDeletion')


def kube_finalizer_causes(obj, path='metadata'):
    """validateKubeFinalizerName: built-in objects only (custom resources get no such error)."""
    causes = []
    for i, f in enumerate((obj.get('metadata') or {}).get('finalizers') or []):
        if isinstance(f, str) and '/' not in f and f not in STANDARD_FINALIZERS:
            causes.append(errors.c_invalid('%s.finalizers[%d]' % (path, i), f,
                                           'name is neither a standard finalizer name nor is it fully qualified'))
    return causes


def _qualified_lower(k):
    from .validation import is_qualified_name
    return is_qualified_name(k.lower())


def validate_custom_object(schema, obj, namespaced, old=None):
    """customResourceStrategy.Validate/ValidateUpdate: metadata, OpenAPI schema, list types and
    x-kubernetes-validations (transition rules need old)."""
    causes = validate_object_meta(obj, namespaced)
    if schema is not None:
        causes.extend(schema.validate_list_types(obj))
        causes.extend(schema.validate(obj))
        if schema.has_rules():
            if any(c['reason'] in BLOCKING for c in causes):
                causes.append(errors.c_invalid('<nil>', None, 'some validation rules were not checked because the '
                                               'object was invalid; correct the existing errors to complete validation'))
            else:
                causes.extend(schema.validate_rules(obj, old))
    return causes


# OpenAPI failures that make the apiserver skip CEL rules (hasBlockingErr)
BLOCKING = ('FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany',
            'FieldValueTypeInvalid')


INT32_MAX = 2147483647
GO_TYPES = {bool: 'bool', float: 'float64', str: 'string', dict: 'map[string]interface {}',
            list: '[]interface {}'}


def _nested(obj, path):
    """(found, value) at a JSON path like .spec.replicas (unstructured.Nested* lookup)."""
    cur = obj
    for p in [x for x in path.strip('.').split('.') if x]:
        if not isinstance(cur, dict) or p not in cur:
            return False, None
        cur = cur[p]
    return True, cur


def _replicas_causes(obj, path):
    found, v = _nested(obj, path)
    if not found or v is None:
        return []
    if isinstance(v, bool) or not isinstance(v, int):
        # NestedInt64 fails: the error names the path with a leading dot and the Go type
        dotted = '.' + path.strip('.')
        text = errors.format_value(v).strip('"') if isinstance(v, str) else errors.format_value(v)
        return [errors.c_invalid(path, 0, '%s accessor error: %s is of the type %s, expected int64'
                                 % (dotted, text, GO_TYPES.get(type(v), 'interface {}')))]
    if v < 0:
        return [errors.c_invalid(path, v, 'should be a non-negative integer')]
    if v > INT32_MAX:
        return [errors.c_invalid(path, v, 'should be less than or equal to %d' % INT32_MAX)]
    return []


def scale_path_causes(obj, scale, status_only=False):
    """What apiextensions' customResourceValidator adds for a CRD with a scale subresource, after
    the schema: the value at specReplicasPath (not for status writes) and at statusReplicasPath
    must be integers in [0, MaxInt32], the one at labelSelectorPath a string. The field is the
    path as the CRD writes it (e.g. ".spec.replicas")."""
    if not scale:
        return []
    causes = [] if status_only else _replicas_causes(obj, scale.get('specReplicasPath', ''))
    causes += _replicas_causes(obj, scale.get('statusReplicasPath', ''))
    sel = scale.get('labelSelectorPath')
    if sel:
        found, v = _nested(obj, sel)
        if found and v is not None and not isinstance(v, str):
            causes.append(errors.c_invalid(sel, '', '%s accessor error: %s is of the type %s, expected string'
                                           % ('.' + sel.strip('.'), errors.format_value(v),
                                              GO_TYPES.get(type(v), 'interface {}'))))
    return causes


def scale_replicas_causes(value, path='spec.replicas'):
    """autoscaling/v1 Scale validation as the scale subresource applies it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [errors.c_invalid(path, value, 'must be an integer')]
    if value < 0:
        return [errors.c_invalid(path, value, 'must be greater than or equal to 0')]
    return []


# -------------------------------------------------------------------- CRD objects

PRINTER_TYPES = ['boolean', 'date', 'integer', 'number', 'string']


def crd_defaults(crd):
    """v1 defaulting of a CustomResourceDefinition (in place)."""
    spec = crd.setdefault('spec', {})
    names = spec.setdefault('names', {})
    if not names.get('singular') and names.get('kind'):
        names['singular'] = names['kind'].lower()
    if not names.get('listKind') and names.get('kind'):
        names['listKind'] = names['kind'] + 'List'
    spec.setdefault('conversion', {'strategy': 'None'})
    return crd


def validate_crd(crd, old=None):
    causes = []
    md = crd.get('metadata') or {}
    spec = crd.get('spec') or {}
    names = spec.get('names') or {}
    group = spec.get('group', '')
    name = md.get('name', '')
    if not name:
        causes.append(errors.c_required('metadata.name', 'name or generateName is required'))
    else:
        for m in is_dns1123_subdomain(name):
            causes.append(errors.c_invalid('metadata.name', name, m))
        want = '%s.%s' % (names.get('plural', ''), group)
        if name != want:
            causes.append(errors.c_invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'))
    if not group:
        causes.append(errors.c_required('spec.group', ''))
    else:
        for m in is_dns1123_subdomain(group):
            causes.append(errors.c_invalid('spec.group', group, m))
        if '.' not in group:
            causes.append(errors.c_invalid('spec.group', group, 'should be a domain with at least one dot'))
    scope = spec.get('scope', '')
    if scope not in ('Namespaced', 'Cluster'):
        if not scope:
            causes.append(errors.c_required('spec.scope', ''))
        else:
            causes.append(errors.c_not_supported('spec.scope', scope, ['Cluster', 'Namespaced']))
    for f in ('plural', 'singular'):
        v = names.get(f, '')
        if not v:
            causes.append(errors.c_required('spec.names.' + f, ''))
        else:
            for m in is_dns1035_label(v):
                causes.append(errors.c_invalid('spec.names.' + f, v, m))
    for f in ('kind', 'listKind'):
        v = names.get(f, '')
        if not v:
            causes.append(errors.c_required('spec.names.' + f, ''))
        else:
            for m in is_dns1035_label(v.lower()):
                causes.append(errors.c_invalid('spec.names.' + f, v, m))
    if names.get('kind') and names.get('kind') == names.get('listKind'):
        causes.append(errors.c_invalid('spec.names.listKind', names['listKind'], 'kind and listKind may not be the same'))
    for i, sn in enumerate(names.get('shortNames') or []):
        for m in is_dns1035_label(sn):
            causes.append(errors.c_invalid('spec.names.shortNames[%d]' % i, sn, m))
    versions = spec.get('versions') or []
    if not versions:
        causes.append(errors.c_invalid('spec.versions', versions, 'must have exactly one version marked as storage version'))
    storage = sum(1 for v in versions if v.get('storage'))
    if versions and storage != 1:
        causes.append(errors.c_invalid('spec.versions', versions, 'must have exactly one version marked as storage version'))
    seen = set()
    for i, v in enumerate(versions):
        if not isinstance(v, dict):
            continue
        p = 'spec.versions[%d]' % i
        vn = v.get('name', '')
        if vn in seen:
            causes.append(errors.c_invalid(p + '.name', vn, 'must be unique'))
        seen.add(vn)
        for m in is_dns1035_label(vn):
            causes.append(errors.c_invalid(p + '.name', vn, m))
        sch = ((v.get('schema') or {}).get('openAPIV3Schema'))
        if sch is None:
            causes.append(errors.c_required(p + '.schema.openAPIV3Schema', 'schemas are required'))
        else:
            causes.extend(structural_causes(sch, p + '.schema.openAPIV3Schema'))
        for j, c in enumerate(v.get('additionalPrinterColumns') or []):
            if not isinstance(c, dict):
                continue
            cp = '%s.additionalPrinterColumns[%d]' % (p, j)
            if not c.get('name'):
                causes.append(errors.c_required(cp + '.name', ''))
            t = c.get('type', '')
            if not t:
                causes.append(errors.c_required(cp + '.type', ''))
            elif t not in PRINTER_TYPES:
                causes.append(errors.c_not_supported(cp + '.type', t, PRINTER_TYPES))
            f = c.get('format', '')
            if f and f not in ('int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'password'):
                causes.append(errors.c_not_supported(cp + '.format', f, ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password']))
            if not c.get('jsonPath'):
                causes.append(errors.c_required(cp + '.jsonPath', ''))
        sc = (v.get('subresources') or {}).get('scale')
        if sc is not None:
            sp = p + '.subresources.scale'
            srp = sc.get('specReplicasPath', '')
            if not srp:
                causes.append(errors.c_required(sp + '.specReplicasPath', ''))
            elif not srp.startswith('.spec.'):
                causes.append(errors.c_invalid(sp + '.specReplicasPath', srp, 'should be a json path under .spec'))
            st = sc.get('statusReplicasPath', '')
            if not st:
                causes.append(errors.c_required(sp + '.statusReplicasPath', ''))
            elif not st.startswith('.status.'):
                causes.append(errors.c_invalid(sp + '.statusReplicasPath', st, 'should be a json path under .status'))
    if old is not None:
        os_ = old.get('spec') or {}
        if os_.get('group') != group:
            causes.append(errors.c_invalid('spec.group', group, 'field is immutable'))
        if (os_.get('names') or {}).get('plural') != names.get('plural'):
            causes.append(errors.c_invalid('spec.names.plural', names.get('plural', ''), 'field is immutable'))
    return causes


_VALID_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string']


def structural_causes(s, path, root=True):
    """The structural-schema rules kubectl users hit most (not the full rule set)."""
    causes = []
    if root:
        t = s.get('type')
        if t != 'object':
            if not t:
                causes.append(errors.c_required(path + '.type', 'must not be empty at the root'))
            else:
                causes.append(errors.c_invalid(path + '.type', t, 'must be object at the root'))
    causes.extend(_structural_walk(s, path))
    return causes


def _structural_walk(s, path):
    causes = []
    t = s.get('type')
    if t and t not in _VALID_TYPES:
        causes.append(errors.c_not_supported(path + '.type', t, _VALID_TYPES))
    for k, ps in (s.get('properties') or {}).items():
        p = '%s.properties[%s]' % (path, k)
        if not ps.get('type') and not ps.get('x-kubernetes-int-or-string') and \
                not ps.get('x-kubernetes-preserve-unknown-fields'):
            causes.append(errors.c_required(p + '.type', 'must not be empty for specified object fields'))
        causes.extend(_structural_walk(ps, p))
    it = s.get('items')
    if isinstance(it, dict):
        p = path + '.items'
        if not it.get('type') and not it.get('x-kubernetes-int-or-string') and \
                not it.get('x-kubernetes-preserve-unknown-fields'):
            causes.append(errors.c_required(p + '.type', 'must not be empty for specified array items'))
        causes.extend(_structural_walk(it, p))
    elif t == 'array' and it is None:
        causes.append(errors.c_required(path + '.items', 'must be specified'))
    ap = s.get('additionalProperties')
    if isinstance(ap, dict):
        if s.get('properties'):
            causes.append(errors.c_forbidden(path + '.additionalProperties',
                                             'additionalProperties and properties are mutual exclusive'))
        p = path + '.additionalProperties'
        if not ap.get('type') and not ap.get('x-kubernetes-int-or-string') and \
                not ap.get('x-kubernetes-preserve-unknown-fields'):
            causes.append(errors.c_required(p + '.type', 'must not be empty for specified additionalProperties'))
        causes.extend(_structural_walk(ap, p))
    for i, r in enumerate(s.get('x-kubernetes-validations') or []):
        rp = '%s.x-kubernetes-validations[%d]' % (path, i)
        if not isinstance(r, dict) or not (r.get('rule') or '').strip():
            causes.append(errors.c_required(rp + '.rule', ''))
            continue
        from . import cel
        try:
            cel.compile_rule(r['rule'])
        except cel.CelError as e:
            causes.append(errors.c_invalid(rp + '.rule', r['rule'], 'compilation failed: ERROR: <input>: %s' % e))
    if 'default' in s and t and s['default'] is not None:
        r = []
        Schema(s)._validate(s['default'], s, path + '.default', r)
        for c in r:
            # defaults are validated against their schema at CRD creation time
            causes.append(errors.c_invalid(path + '.default', s['default'], c['message']))
    return causes
