"""Label and field selectors as k8s.io/apimachinery/pkg/labels and pkg/fields parse them (1.28).

parse_label_selector / parse_field_selector raise errors.ApiError 400 with the parser's own
error text.  A Selector built from a metav1.LabelSelector object follows
LabelSelectorAsSelector: None matches nothing, {} matches everything.
"""
from . import errors
from .validation import is_qualified_name, is_valid_label_value

IN, NOTIN, EQ, DEQ, NEQ, EXISTS, NOTEXISTS, GT, LT = (
    'in', 'notin', '=', '==', '!=', 'exists', '!', 'gt', 'lt')
BINARY_OPS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt']
ALL_OPS = BINARY_OPS + ['exists', '!']


class SelectorError(ValueError):
    pass


class _FieldErr(object):
    """Minimal field.Error: field path string + body."""

    def __init__(self, field, body):
        self.field, self.body = field, body

    def __str__(self):
        return '%s: %s' % (self.field, self.body)


def _invalid(field, value, detail):
    c = errors.c_invalid(field, value, detail)
    return _FieldErr(field, c['message'])


class Requirement(object):
    __slots__ = ('key', 'op', 'values')

    def __init__(self, key, op, values):
        self.key, self.op, self.values = key, op, list(values)

    def matches(self, labels):
        labels = labels or {}
        if self.op in (IN, EQ, DEQ):
            return self.key in labels and labels[self.key] in self.values
        if self.op in (NOTIN, NEQ):
            return self.key not in labels or labels[self.key] not in self.values
        if self.op == EXISTS:
            return self.key in labels
        if self.op == NOTEXISTS:
            return self.key not in labels
        if self.op in (GT, LT):
            if self.key not in labels:
                return False
            try:
                lv = int(labels[self.key])
                rv = int(self.values[0])
            except (ValueError, IndexError):
                return False
            return lv > rv if self.op == GT else lv < rv
        return False

    def __str__(self):
        s = ('!' if self.op == NOTEXISTS else '') + self.key
        if self.op in (EXISTS, NOTEXISTS):
            return s
        sym = {EQ: '=', DEQ: '==', NEQ: '!=', IN: ' in ', NOTIN: ' notin ', GT: '>', LT: '<'}
        s += sym[self.op]
        vals = self.values[0] if len(self.values) == 1 else ','.join(sorted(self.values))
        if self.op in (IN, NOTIN):
            return s + '(' + vals + ')'
        return s + vals


def new_requirement(key, op, vals, path=None):
    """labels.NewRequirement; raises SelectorError with the aggregated field errors."""
    errs = []
    kp = path if path else '<nil>'
    vp = (path + '.values') if path else 'values'
    kerr = is_qualified_name(key)
    if kerr:
        errs.append(_invalid(path + '.key' if path else 'key', key, '; '.join(kerr)))
    if op in (IN, NOTIN):
        if not vals:
            errs.append(_invalid(vp, vals, "for 'in', 'notin' operators, values set can't be empty"))
    elif op in (EQ, DEQ, NEQ):
        if len(vals) != 1:
            errs.append(_invalid(vp, vals, 'exact-match compatibility requires one single value'))
    elif op in (EXISTS, NOTEXISTS):
        if vals:
            errs.append(_invalid(vp, vals, 'values set must be empty for exists and does not exist'))
    elif op in (GT, LT):
        if len(vals) != 1:
            errs.append(_invalid(vp, vals, "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, v in enumerate(vals):
            try:
                int(v)
            except ValueError:
                errs.append(_invalid('%s[%d]' % (vp, i), v,
                                     "for 'Gt', 'Lt' operators, the value must be an integer"))
    else:
        c = errors.c_not_supported((path + '.operator') if path else 'operator', op, ALL_OPS)
        errs.append(_FieldErr(c['field'], c['message']))
    for i, v in enumerate(vals):
        verr = is_valid_label_value(v)
        if verr:
            errs.append(_invalid('%s[%d][%s]' % (vp, i, key), v, '; '.join(verr)))
    del kp
    if errs:
        raise SelectorError(errors.aggregate([str(e) for e in errs]))
    return Requirement(key, op, vals)


class Selector(object):
    """A parsed label selector.  nothing=True is labels.Nothing()."""

    def __init__(self, requirements=(), nothing=False):
        self.requirements = sorted(requirements, key=lambda r: r.key)
        self.nothing = nothing

    def matches(self, labels):
        if self.nothing:
            return False
        return all(r.matches(labels) for r in self.requirements)

    def empty(self):
        return not self.nothing and not self.requirements

    def __str__(self):
        return ','.join(str(r) for r in self.requirements)


EVERYTHING = Selector()
NOTHING = Selector(nothing=True)

# ------------------------------------------------------------------ lexer / parser

_T_ERR, _T_EOS, _T_CPAR, _T_COMMA, _T_NOT, _T_DEQ, _T_EQ, _T_GT, _T_ID, _T_IN, _T_LT, _T_NEQ, \
    _T_NOTIN, _T_OPAR = range(14)
_STR2TOK = {')': _T_CPAR, ',': _T_COMMA, '!': _T_NOT, '==': _T_DEQ, '=': _T_EQ, '>': _T_GT,
            'in': _T_IN, '<': _T_LT, '!=': _T_NEQ, 'notin': _T_NOTIN, '(': _T_OPAR}
_SPECIAL = set('=!(),><')
_WS = set(' \t\r\n')


def _lex(s):
    items = []
    pos, n = 0, len(s)
    while True:
        while pos < n and s[pos] in _WS:
            pos += 1
        if pos >= n:
            items.append((_T_EOS, ''))
            return items
        ch = s[pos]
        if ch in _SPECIAL:
            buf, last = '', None
            while pos < n and s[pos] in _SPECIAL:
                buf += s[pos]
                if buf in _STR2TOK:
                    last = (_STR2TOK[buf], buf)
                    pos += 1
                elif last is not None:
                    break
                else:
                    pos += 1
            if last is None:
                items.append((_T_ERR, "error expected: keyword found '%s'" % buf))
            else:
                items.append(last)
        else:
            start = pos
            while pos < n and s[pos] not in _SPECIAL and s[pos] not in _WS:
                pos += 1
            lit = s[start:pos]
            items.append((_STR2TOK.get(lit, _T_ID), lit))


class _Parser(object):
    def __init__(self, s):
        self.items = _lex(s)
        self.pos = 0

    def look(self, values):
        tok, lit = self.items[self.pos]
        if values and tok in (_T_IN, _T_NOTIN):
            tok = _T_ID
        return tok, lit

    def consume(self, values):
        r = self.look(values)
        self.pos += 1
        return r

    def parse(self):
        reqs = []
        while True:
            tok, lit = self.look(True)
            if tok in (_T_ID, _T_NOT):
                try:
                    r = self.requirement()
                except SelectorError as e:
                    raise SelectorError('unable to parse requirement: %s' % e)
                reqs.append(r)
                t, l = self.consume(True)
                if t == _T_EOS:
                    return reqs
                if t == _T_COMMA:
                    t2, l2 = self.look(True)
                    if t2 not in (_T_ID, _T_NOT):
                        raise SelectorError("found '%s', expected: identifier after ','" % l2)
                else:
                    raise SelectorError("found '%s', expected: ',' or 'end of string'" % l)
            elif tok == _T_EOS:
                return reqs
            else:
                raise SelectorError("found '%s', expected: !, identifier, or 'end of string'" % lit)

    def requirement(self):
        op = None
        tok, lit = self.consume(True)
        if tok == _T_NOT:
            op = NOTEXISTS
            tok, lit = self.consume(True)
        if tok != _T_ID:
            raise SelectorError("found '%s', expected: identifier" % lit)
        kerr = is_qualified_name(lit)
        if kerr:
            raise SelectorError(str(_invalid('<nil>', lit, '; '.join(kerr))))
        key = lit
        t, _ = self.look(True)
        if t in (_T_EOS, _T_COMMA) and op != NOTEXISTS:
            op = EXISTS
        if op in (EXISTS, NOTEXISTS):
            return new_requirement(key, op, [])
        tok, lit = self.consume(False)
        ops = {_T_IN: IN, _T_EQ: EQ, _T_DEQ: DEQ, _T_GT: GT, _T_LT: LT, _T_NOTIN: NOTIN,
               _T_NEQ: NEQ}
        if tok not in ops:
            raise SelectorError("found '%s', expected: %s" % (
                lit, ', '.join(['in', 'notin', '=', '==', '!=', 'gt', 'lt'])))
        op = ops[tok]
        if op in (IN, NOTIN):
            vals = self.values()
        else:
            vals = self.exact_value()
        return new_requirement(key, op, sorted(set(vals)))

    def values(self):
        tok, lit = self.consume(True)
        if tok != _T_OPAR:
            raise SelectorError("found '%s' expected: '('" % lit)
        tok, lit = self.look(True)
        if tok in (_T_ID, _T_COMMA):
            s = self.identifiers()
            if self.consume(True)[0] != _T_CPAR:
                raise SelectorError("found '%s', expected: ')'" % lit)
            return s
        if tok == _T_CPAR:
            self.consume(True)
            return ['']
        raise SelectorError("found '%s', expected: ',', ')' or identifier" % lit)

    def identifiers(self):
        s = set()
        while True:
            tok, lit = self.consume(True)
            if tok == _T_ID:
                s.add(lit)
                t2, l2 = self.look(True)
                if t2 == _T_COMMA:
                    continue
                if t2 == _T_CPAR:
                    return s
                raise SelectorError("found '%s', expected: ',' or ')'" % l2)
            elif tok == _T_COMMA:
                if not s:
                    s.add('')
                t2, _ = self.look(True)
                if t2 == _T_CPAR:
                    s.add('')
                    return s
                if t2 == _T_COMMA:
                    s.add('')
            else:
                raise SelectorError("found '%s', expected: ',', or identifier" % lit)

    def exact_value(self):
        tok, _ = self.look(True)
        if tok in (_T_EOS, _T_COMMA):
            return ['']
        tok, lit = self.consume(True)
        if tok == _T_ID:
            return [lit]
        raise SelectorError("found '%s', expected: identifier" % lit)


def parse_label_selector(s):
    """labels.Parse; an empty string selects everything.  Raises ApiError 400."""
    try:
        return Selector(_Parser(s or '').parse())
    except SelectorError as e:
        raise errors.bad_request(str(e))


# ------------------------------------------------------------------ metav1.LabelSelector

_OBJ_OPS = {'In': IN, 'NotIn': NOTIN, 'Exists': EXISTS, 'DoesNotExist': NOTEXISTS}


def label_selector_from_object(ls):
    """metav1.LabelSelectorAsSelector.  Raises ApiError 400 on an invalid selector."""
    if ls is None:
        return NOTHING
    ml = ls.get('matchLabels') or {}
    me = ls.get('matchExpressions') or []
    if not ml and not me:
        return EVERYTHING
    reqs = []
    try:
        for k, v in ml.items():
            reqs.append(new_requirement(k, EQ, [v]))
        for e in me:
            op = e.get('operator')
            if op not in _OBJ_OPS:
                raise SelectorError('%s is not a valid label selector operator' %
                                    errors.go_quote(op or ''))
            reqs.append(new_requirement(e.get('key', ''), _OBJ_OPS[op], list(e.get('values') or [])))
    except SelectorError as e:
        raise errors.bad_request(str(e))
    return Selector(reqs)


def label_selector_causes(ls, field):
    """metav1validation.ValidateLabelSelector: causes for an invalid selector object."""
    causes = []
    if ls is None:
        return causes
    ml = ls.get('matchLabels') or {}
    for k, v in ml.items():
        causes.extend(label_name_causes(k, field + '.matchLabels'))
        for m in is_valid_label_value(v if isinstance(v, str) else str(v)):
            causes.append(errors.c_invalid(field + '.matchLabels', v, m))
    for i, e in enumerate(ls.get('matchExpressions') or []):
        p = '%s.matchExpressions[%d]' % (field, i)
        op, vals = e.get('operator'), e.get('values') or []
        if op in ('In', 'NotIn'):
            if not vals:
                causes.append(errors.c_required(
                    p + '.values', "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ('Exists', 'DoesNotExist'):
            if vals:
                causes.append(errors.c_forbidden(
                    p + '.values', "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            causes.append(errors.c_invalid(p + '.operator', op, 'not a valid selector operator'))
        causes.extend(label_name_causes(e.get('key', ''), p + '.key'))
    return causes


def label_name_causes(name, field):
    return [errors.c_invalid(field, name, m) for m in is_qualified_name(name)]


def labels_causes(labels, field):
    """ValidateLabels (metadata.labels)."""
    causes = []
    for k, v in (labels or {}).items():
        causes.extend(label_name_causes(k, field))
        for m in is_valid_label_value(v if isinstance(v, str) else str(v)):
            causes.append(errors.c_invalid(field, v, m))
    return causes


# ------------------------------------------------------------------ field selectors

class FieldSelector(object):
    def __init__(self, reqs):
        self.reqs = reqs  # (field, op, value) with op '=' or '!='

    def matches(self, fields):
        for f, op, v in self.reqs:
            got = fields.get(f, '')
            if (op == '=') != (got == v):
                return False
        return True

    def empty(self):
        return not self.reqs

    def requirements(self):
        return list(self.reqs)

    def requires_exact(self, field):
        for f, op, v in self.reqs:
            if f == field and op == '=':
                return v
        return None

    def __str__(self):
        return ','.join('%s%s%s' % (f, op, _escape(v)) for f, op, v in self.reqs)


def _escape(v):
    return v.replace('\\', '\\\\').replace(',', '\\,').replace('=', '\\=')


def _split_terms(s):
    terms, cur, i = [], '', 0
    while i < len(s):
        ch = s[i]
        if ch == '\\' and i + 1 < len(s):
            cur += ch + s[i + 1]
            i += 2
            continue
        if ch == ',':
            terms.append(cur)
            cur = ''
        else:
            cur += ch
        i += 1
    terms.append(cur)
    return terms


def _split_term(term):
    i = 0
    while i < len(term):
        if term[i] == '\\':
            i += 2
            continue
        for op in ('!=', '==', '='):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
        i += 1
    return None


def _unescape(v):
    out, i = '', 0
    while i < len(v):
        ch = v[i]
        if ch == '\\':
            if i + 1 >= len(v):
                raise SelectorError('unterminated escape sequence')
            nxt = v[i + 1]
            if nxt not in '\\,=':
                raise SelectorError('invalid escape sequence: %s' % (ch + nxt))
            out += nxt
            i += 2
            continue
        if ch in ',=':
            raise SelectorError('invalid field selector: %s' % v)  # unescaped reserved char
        out += ch
        i += 1
    return out


def parse_field_selector(s, supported=None, conversion=True):
    """fields.ParseSelector + the apiserver's field label conversion (400 on errors). CONVERSION:
    the kind registers a field label conversion func (its message names the label); the others
    use runtime.DefaultMetaV1FieldSelectorConversion, whose message lists the two it knows."""
    reqs = []
    for part in sorted(_split_terms(s or '')):
        if part == '':
            continue
        st = _split_term(part)
        if st is None:
            raise errors.bad_request("invalid selector: '%s'; can't understand '%s'" % (s, part))
        lhs, op, rhs = st
        try:
            val = _unescape(rhs)
        except SelectorError as e:
            raise errors.bad_request(str(e))
        if supported is not None and lhs not in supported:
            if conversion:
                raise errors.bad_request('field label not supported: %s' % lhs)
            raise errors.bad_request('"%s" is not a known field selector: only "metadata.name", "metadata.namespace"'
                                     % lhs)
        reqs.append((lhs, '!=' if op == '!=' else '=', val))
    return FieldSelector(reqs)


_EXTRA_FIELDS = {
    ('', 'pods'): ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName',
                   'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP',
                   'status.podIPs', 'status.nominatedNodeName'],
    ('', 'events'): ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name',
                     'involvedObject.uid', 'involvedObject.apiVersion',
                     'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason',
                     'reportingComponent', 'source', 'type'],
    ('events.k8s.io', 'events'): ['regarding.kind', 'regarding.namespace', 'regarding.name',
                                  'regarding.uid', 'regarding.apiVersion',
                                  'regarding.resourceVersion', 'regarding.fieldPath', 'reason',
                                  'reportingController', 'type', 'deprecatedSource'],
    ('', 'secrets'): ['type'],
    ('', 'namespaces'): ['status.phase'],
    ('batch', 'jobs'): ['status.successful'],
    ('', 'nodes'): ['spec.unschedulable'],
    ('', 'replicationcontrollers'): ['status.replicas'],
    ('apps', 'replicasets'): ['status.replicas'],
    ('certificates.k8s.io', 'certificatesigningrequests'): ['spec.signerName'],
}


def has_conversion(group, resource, builtin=True):
    """Whether the kind registers its own field label conversion func (custom resources do)."""
    return not builtin or (group, resource) in _EXTRA_FIELDS


def supported_fields(group, resource):
    if (group, resource) == ('', 'namespaces'):  # its conversion func knows only these two
        return set(['metadata.name', 'status.phase'])
    return set(['metadata.name', 'metadata.namespace'] + _EXTRA_FIELDS.get((group, resource), []))


def _get(obj, path):
    cur = obj
    for p in path.split('.'):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _str(v):
    if v is None:
        return ''
    if isinstance(v, bool):
        return 'true' if v else 'false'
    return str(v)


def object_fields(group, resource, obj):
    """The field set the registry exposes for an object (GetAttrs)."""
    md = obj.get('metadata') or {}
    f = {'metadata.name': md.get('name', '') or ''}
    f['metadata.namespace'] = md.get('namespace', '') or ''
    key = (group, resource)
    if key == ('', 'pods'):
        spec, st = obj.get('spec') or {}, obj.get('status') or {}
        f.update({
            'spec.nodeName': _str(spec.get('nodeName')),
            'spec.restartPolicy': _str(spec.get('restartPolicy')),
            'spec.schedulerName': _str(spec.get('schedulerName')),
            'spec.serviceAccountName': _str(spec.get('serviceAccountName')),
            'spec.hostNetwork': 'true' if spec.get('hostNetwork') else 'false',
            'status.phase': _str(st.get('phase')),
            'status.podIP': _str(st.get('podIP')),
            'status.podIPs': ','.join(_str(p.get('ip')) for p in (st.get('podIPs') or [])),
            'status.nominatedNodeName': _str(st.get('nominatedNodeName')),
        })
    elif key == ('batch', 'jobs'):
        f['status.successful'] = _str((obj.get('status') or {}).get('succeeded', 0))
    elif key in _EXTRA_FIELDS:
        for p in _EXTRA_FIELDS[key]:
            f[p] = _str(_get(obj, p))
    return f
