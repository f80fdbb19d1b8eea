"""k8s.io/apimachinery/pkg/util/validation string checks (names, label keys/values), 1.28 wording.
Each returns a list of error strings, empty when the value is valid."""
import re

DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
DNS1123_LABEL_ERR = ("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                     "characters or '-', and must start and end with an alphanumeric character")
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + '(\\.' + DNS1123_LABEL_FMT + ')*'
DNS1123_SUBDOMAIN_ERR = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                         "characters, '-' or '.', and must start and end with an alphanumeric "
                         "character")
DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?'
DNS1035_LABEL_ERR = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                     "start with an alphabetic character, and end with an alphanumeric character")
QNAME_CHAR = '[A-Za-z0-9]'
QNAME_EXT = '[-A-Za-z0-9_.]'
QUALIFIED_NAME_FMT = '(' + QNAME_CHAR + QNAME_EXT + '*)?' + QNAME_CHAR
QUALIFIED_NAME_ERR = ("must consist of alphanumeric characters, '-', '_' or '.', and must start "
                      "and end with an alphanumeric character")
LABEL_VALUE_FMT = '(' + QUALIFIED_NAME_FMT + ')?'
LABEL_VALUE_ERR = ("a valid label must be an empty string or consist of alphanumeric characters, "
                   "'-', '_' or '.', and must start and end with an alphanumeric character")

_re = {k: re.compile('^' + v + '$') for k, v in {
    'l': DNS1123_LABEL_FMT, 's': DNS1123_SUBDOMAIN_FMT, 'q': QUALIFIED_NAME_FMT,
    'v': LABEL_VALUE_FMT, '1035': DNS1035_LABEL_FMT}.items()}


def regex_error(msg, fmt, *examples):
    if not examples:
        return msg + " (regex used for validation is '" + fmt + "')"
    msg += ' (e.g. '
    for i, e in enumerate(examples):
        if i > 0:
            msg += ' or '
        msg += "'" + e + "', "
    return msg + "regex used for validation is '" + fmt + "')"


def max_len_error(n):
    return 'must be no more than %d characters' % n


EMPTY_ERROR = 'must be non-empty'


def _full(rx, s):
    return isinstance(s, str) and rx.match(s) is not None and '\n' not in s


def is_dns1123_label(s):
    errs = []
    if len(s) > 63:
        errs.append(max_len_error(63))
    if not _full(_re['l'], s):
        errs.append(regex_error(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, 'my-name', '123-abc'))
    return errs


def is_dns1123_subdomain(s):
    errs = []
    if len(s) > 253:
        errs.append(max_len_error(253))
    if not _full(_re['s'], s):
        errs.append(regex_error(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, 'example.com'))
    return errs


def is_dns1035_label(s):
    errs = []
    if len(s) > 63:
        errs.append(max_len_error(63))
    if not _full(_re['1035'], s):
        errs.append(regex_error(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, 'my-name', 'abc-123'))
    return errs


def is_qualified_name(value):
    errs = []
    parts = value.split('/')
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append('prefix part ' + EMPTY_ERROR)
        else:
            errs.extend('prefix part ' + m for m in is_dns1123_subdomain(prefix))
    else:
        return ['a qualified name ' + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, 'MyName',
                                                  'my.name', '123-abc') +
                " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append('name part ' + EMPTY_ERROR)
    elif len(name) > 63:
        errs.append('name part ' + max_len_error(63))
    if not _full(_re['q'], name):
        errs.append('name part ' + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, 'MyName',
                                               'my.name', '123-abc'))
    return errs


def is_valid_label_value(v):
    errs = []
    if len(v) > 63:
        errs.append(max_len_error(63))
    if not _full(_re['v'], v):
        errs.append(regex_error(LABEL_VALUE_ERR, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'))
    return errs


def name_is_dns_subdomain(name, prefix=False):
    if prefix:
        name = mask_trailing_dash(name)
    return is_dns1123_subdomain(name)


def name_is_dns_label(name, prefix=False):
    if prefix:
        name = mask_trailing_dash(name)
    return is_dns1123_label(name)


def name_is_dns1035_label(name, prefix=False):
    if prefix:
        name = mask_trailing_dash(name)
    return is_dns1035_label(name)


def mask_trailing_dash(name):
    if len(name) > 1 and name.endswith('-'):
        return name[:-2] + 'a'
    return name


def is_valid_path_segment_name(name):
    if name in ('.', '..'):
        return ['may not be %s' % _q(name)]
    errs = []
    for bad in ('/', '%'):
        if bad in name:
            errs.append('may not contain %s' % _q(bad))
    return errs


def _q(s):
    return "'" + s + "'"
