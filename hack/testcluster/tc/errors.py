"""metav1.Status errors and field-error causes, worded like k8s.io/apimachinery 1.28.

ApiError carries the full Status dict (key order as kube-apiserver serializes it) and the HTTP
code.  The c_* builders return metav1.StatusCause dicts whose message is field.Error.ErrorBody()
(the text without the "field: " prefix); `field_error_text(cause)` gives the "field: body" form
used in aggregated messages.
"""
import json
import math


class ApiError(Exception):
    def __init__(self, status_dict, headers=None):
        super().__init__(status_dict.get('message', ''))
        self.status = status_dict
        self.code = status_dict.get('code', 500)
        self.headers = dict(headers or {})

    def body(self):
        return self.status

    @property
    def reason(self):
        return self.status.get('reason', '')

    @property
    def message(self):
        return self.status.get('message', '')


def _qualified(group, name):
    return name + '.' + group if group else name


def _details(name=None, group=None, kind=None, uid=None, causes=None, retry_after=None):
    d = {}
    if name:
        d['name'] = name
    if group:
        d['group'] = group
    if kind:
        d['kind'] = kind
    if uid:
        d['uid'] = uid
    if causes:
        d['causes'] = causes
    if retry_after:
        d['retryAfterSeconds'] = int(retry_after)
    return d


def status(code, reason, message, details=None, headers=None):
    s = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure'}
    if message:
        s['message'] = message
    if reason:
        s['reason'] = reason
    if details:
        s['details'] = details
    s['code'] = code
    return ApiError(s, headers)


def not_found(group, resource, name):
    return status(404, 'NotFound', '%s %s not found' % (_qualified(group, resource), go_quote(name)),
                  _details(name=name, group=group, kind=resource))


def already_exists(group, resource, name):
    return status(409, 'AlreadyExists',
                  '%s %s already exists' % (_qualified(group, resource), go_quote(name)),
                  _details(name=name, group=group, kind=resource))


CONFLICT_DETAIL = ('the object has been modified; please apply your changes to the latest '
                   'version and try again')


def conflict(group, resource, name, detail=None):
    return status(409, 'Conflict', 'Operation cannot be fulfilled on %s %s: %s' % (
        _qualified(group, resource), go_quote(name), detail or CONFLICT_DETAIL),
        _details(name=name, group=group, kind=resource))


def field_error_text(cause):
    return '%s: %s' % (cause.get('field', ''), cause.get('message', ''))


def aggregate(msgs):
    """utilerrors.NewAggregate(...).Error(): dedup, one -> bare, several -> [a, b]."""
    seen = []
    for m in msgs:
        if m not in seen:
            seen.append(m)
    if not seen:
        return ''
    if len(seen) == 1:
        return seen[0]
    return '[' + ', '.join(seen) + ']'


def invalid(group, kind, name, causes):
    qk = _qualified(group, kind)
    causes = list(causes or [])
    if causes:
        msg = '%s %s is invalid: %s' % (qk, go_quote(name),
                                         aggregate([field_error_text(c) for c in causes]))
    else:
        msg = '%s %s is invalid' % (qk, go_quote(name))
    d = {}
    if name:
        d['name'] = name
    if group:
        d['group'] = group
    if kind:
        d['kind'] = kind
    d['causes'] = causes
    return status(422, 'Invalid', msg, d)


def bad_request(message):
    return status(400, 'BadRequest', message)


def strict_decoding(paths, kind=None, version=None):
    """fieldValidation=Strict with unknown fields on create/update (400 BadRequest).  With kind
    and version, worded as the apiserver's transformDecodeError does:
    'Gadget in version "v1beta1" cannot be handled as a Gadget: strict decoding error: ...'."""
    msg = strict_decoding_text(paths)
    if kind:
        msg = '%s in version %s cannot be handled as a %s: %s' % (kind, go_quote(version or ''), kind, msg)
    return bad_request(msg)


def strict_decoding_text(paths):
    return 'strict decoding error: ' + ', '.join('unknown field %s' % go_quote(p) for p in paths)


def strict_decoding_patch(patched_json, paths):
    """fieldValidation=Strict with unknown fields in a JSON/merge PATCH result: the apiserver
    answers 422 NewInvalid(GroupKind{}, "", patch: Invalid value: "<patched object JSON>": ...).
    patched_json: the patched object as compact JSON text with sorted keys (Go's encoding)."""
    return invalid('', '', '', [c_invalid('patch', patched_json, strict_decoding_text(paths))])


def expired(message):
    return status(410, 'Expired', message)


def too_old_resource_version(requested, oldest):
    return expired('too old resource version: %s (%s)' % (requested, oldest))


def gone(message):
    return status(410, 'Gone', message)


def forbidden(group, resource, name, message):
    if not group and not resource:
        msg = 'forbidden: %s' % message
    elif not name:
        msg = '%s is forbidden: %s' % (_qualified(group, resource), message)
    else:
        msg = '%s %s is forbidden: %s' % (_qualified(group, resource), go_quote(name), message)
    return status(403, 'Forbidden', msg, _details(name=name, group=group, kind=resource))


def unauthorized(message='Unauthorized'):
    return status(401, 'Unauthorized', message or 'not authorized')


def internal(message):
    return status(500, 'InternalError', 'Internal error occurred: %s' % message,
                  {'causes': [{'message': message}]})


def method_not_supported(group, resource, verb):
    return status(405, 'MethodNotAllowed', '%s is not supported on resources of kind %s' % (
        verb, go_quote(_qualified(group, resource))), _details(group=group, kind=resource))


PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json',
               'application/apply-patch+yaml']


def unsupported_media_type(content_type, accepted=None):
    """415 as the apiserver's patch/create handlers word it."""
    if accepted is None:
        accepted = PATCH_TYPES
    return status(415, 'UnsupportedMediaType',
                  'the body of the request was in an unknown format - accepted media types '
                  'include: ' + ', '.join(accepted))


def too_many_requests(retry_after, message=None):
    return status(429, 'TooManyRequests', message or 'Too many requests, please try again later.',
                  _details(retry_after=retry_after), {'Retry-After': str(int(retry_after))})


def service_unavailable(message=None):
    return status(503, 'ServiceUnavailable', message or 'service unavailable')


def timeout(message, retry_after=None):
    headers = {'Retry-After': str(int(retry_after))} if retry_after else None
    return status(504, 'Timeout', 'Timeout: %s' % message, _details(retry_after=retry_after), headers)


# ---------------------------------------------------------------- value formatting (Go fmt)

def go_quote(s):
    """strconv.Quote / %q for the printable-ASCII-and-UTF-8 common case."""
    out = ['"']
    for ch in str(s):
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\t':
            out.append('\\t')
        elif ch == '\r':
            out.append('\\r')
        elif o < 0x20 or o == 0x7f:
            out.append('\\x%02x' % o)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def go_float(f):
    """strconv.FormatFloat(f, 'g', -1, 64), i.e. what %v prints for a float64."""
    if math.isinf(f):
        return '+Inf' if f > 0 else '-Inf'
    if math.isnan(f):
        return 'NaN'
    if f == 0:
        return '0' if math.copysign(1, f) > 0 else '-0'
    r = repr(float(f))
    # shortest digits and decimal exponent
    mant, _, exp = r.partition('e')
    sign = ''
    if mant.startswith('-'):
        sign, mant = '-', mant[1:]
    exp = int(exp) if exp else 0
    if '.' in mant:
        ip, fp = mant.split('.')
    else:
        ip, fp = mant, ''
    if fp == '0':
        fp = ''
    digits = (ip + fp).lstrip('0')
    # decimal point position relative to start of `digits`
    lead_zeros = len(ip + fp) - len((ip + fp).lstrip('0'))
    point = len(ip) - lead_zeros + exp
    digits = digits.rstrip('0') or '0'
    x = point - 1  # exponent in d.ddd form; shortest 'g' switches to %e at exponent 6
    if x < -4 or x >= 6:
        m = digits[0] + ('.' + digits[1:] if len(digits) > 1 else '')
        return '%s%se%s%02d' % (sign, m, '-' if x < 0 else '+', abs(x))
    if point <= 0:
        return sign + '0.' + '0' * (-point) + digits
    if point >= len(digits):
        return sign + digits + '0' * (point - len(digits))
    return sign + digits[:point] + '.' + digits[point:]


def format_value(v):
    """How field.Error.ErrorBody prints a bad value (after 'Invalid value: ').  In 1.28 a nil
    value is replaced by the string "null" and printed quoted."""
    if v is None:
        return '"null"'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, list):
        # []string / []interface{} via %#v
        if all(isinstance(x, str) for x in v):
            return '[]string{' + ', '.join(go_quote(x) for x in v) + '}'
        return '[]interface {}{' + ', '.join(_go_sharp(x) for x in v) + '}'
    if isinstance(v, dict):
        return _go_sharp(v)
    return str(v)


def _go_sharp(v):
    if v is None:
        return 'interface {}(nil)'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, int):
        return '%d' % v
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, list):
        return '[]interface {}{' + ', '.join(_go_sharp(x) for x in v) + '}'
    if isinstance(v, dict):
        return 'map[string]interface {}{' + ', '.join(
            '%s:%s' % (go_quote(k), _go_sharp(v[k])) for k in sorted(v)) + '}'
    return str(v)


_OMIT = object()


def _cause(reason, field, body):
    return {'reason': reason, 'message': body, 'field': field}


def _body(type_text, value=_OMIT, detail=''):
    s = type_text if value is _OMIT else '%s: %s' % (type_text, format_value(value))
    if detail:
        s += ': ' + detail
    return s


def c_required(field, detail=''):
    return _cause('FieldValueRequired', field, _body('Required value', detail=detail))


def c_invalid(field, value, detail=''):
    return _cause('FieldValueInvalid', field, _body('Invalid value', value, detail))


def c_type_invalid(field, value, detail):
    return _cause('FieldValueTypeInvalid', field, _body('Invalid value', value, detail))


def c_not_supported(field, value, valid):
    detail = ''
    if valid:
        detail = 'supported values: ' + ', '.join(go_quote(x) for x in valid)
    return _cause('FieldValueNotSupported', field, _body('Unsupported value', value, detail))


def c_too_long(field, max_len):
    """TooLongMaxLength (what CRD maxLength and most kube validations use)."""
    detail = ('may not be longer than %d' % max_len) if max_len >= 0 else 'value is too long'
    return _cause('FieldValueTooLong', field, _body('Too long', detail=detail))


def c_too_long_bytes(field, max_len):
    return _cause('FieldValueTooLong', field, _body('Too long', detail='must have at most %d bytes' % max_len))


def c_too_many(field, actual, max_items):
    detail = ('must have at most %d items' % max_items) if max_items >= 0 else 'has too many items'
    value = actual if actual is not None and actual >= 0 else _OMIT
    return _cause('FieldValueTooMany', field, _body('Too many', value, detail))


def c_duplicate(field, value):
    return _cause('FieldValueDuplicate', field, _body('Duplicate value', value))


def c_forbidden(field, detail):
    return _cause('FieldValueForbidden', field, _body('Forbidden', detail=detail))


def c_not_found(field, value):
    return _cause('FieldValueNotFound', field, _body('Not found', value))


def c_internal(field, detail):
    return _cause('InternalError', field, _body('Internal error', detail=detail))


def to_json(err):
    return json.dumps(err.status)
