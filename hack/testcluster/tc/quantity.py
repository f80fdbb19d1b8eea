"""k8s.io/apimachinery/pkg/api/resource.Quantity parsing (value comparison; canonical String()
approximated by the text as given)."""
import re
from decimal import Decimal, InvalidOperation

FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
_RX = re.compile(r'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$')
_BIN = {'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60}
_DEC = {'n': Decimal('1e-9'), 'u': Decimal('1e-6'), 'm': Decimal('1e-3'), '': Decimal(1),
        'k': Decimal('1e3'), 'M': Decimal('1e6'), 'G': Decimal('1e9'), 'T': Decimal('1e12'),
        'P': Decimal('1e15'), 'E': Decimal('1e18')}


class QuantityError(ValueError):
    pass


def parse(v):
    """Decimal value of a quantity (string or JSON number); raises QuantityError."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise QuantityError(FORMAT_ERROR)
    if isinstance(v, (int, float)):
        return Decimal(str(v))
    s = str(v).strip()
    m = _RX.match(s)
    if not m or s in ('', '.', '+', '-'):
        raise QuantityError(FORMAT_ERROR)
    num, suf = m.group(1), m.group(2)
    try:
        n = Decimal(num)
    except InvalidOperation:
        raise QuantityError(FORMAT_ERROR)
    if suf in _BIN:
        return n * _BIN[suf]
    if suf in _DEC:
        return n * _DEC[suf]
    em = re.match(r'^[eE]([-+]?[0-9]+)$', suf)
    if em:
        return n * (Decimal(10) ** int(em.group(1)))
    raise QuantityError('unable to parse quantity\'s suffix')


def valid(v):
    try:
        parse(v)
        return True
    except QuantityError:
        return False


def text(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
