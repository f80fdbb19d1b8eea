"""A small CEL interpreter for CRD x-kubernetes-validations rules (the subset CRD authors use:
literals, field selection, has(), size(), ==/!=/</<=/>/>=, in, &&, ||, !, ?:, arithmetic, string
functions startsWith/endsWith/contains/matches/lowerAscii/upperAscii, list/map literals, the
macros all/exists/exists_one/map/filter, self/oldSelf).  Errors raise CelError with cel-go's
wording ("no such key: x", "no such overload").
"""
import re


class CelError(Exception):
    pass


class CelSyntaxError(CelError):
    pass


_TOKEN = re.compile(r'''
    (?P<ws>\s+)
  | (?P<num>\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?|0x[0-9a-fA-F]+u?|\d+u?)
  | (?P<str>[rR]?(?:"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'))
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.,()\[\]{}])
''', re.X)


def _tokens(src):
    pos, out = 0, []
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise CelSyntaxError('Syntax error: token recognition error at: %r' % src[pos])
        pos = m.end()
        kind = m.lastgroup
        if kind != 'ws':
            out.append((kind, m.group()))
    out.append(('eof', ''))
    return out


def _unquote(s):
    raw = s[0] in 'rR'
    if raw:
        s = s[1:]
    if s[:3] in ('"""', "'''"):
        body = s[3:-3]
    else:
        body = s[1:-1]
    if raw:
        return body
    out, i = [], 0
    esc = {'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '"': '"', "'": "'", 'a': '\a', 'b': '\b',
           'f': '\f', 'v': '\v', '`': '`', '?': '?'}
    while i < len(body):
        c = body[i]
        if c == '\\' and i + 1 < len(body):
            n = body[i + 1]
            if n in esc:
                out.append(esc[n])
                i += 2
                continue
            if n in 'uU':
                w = 4 if n == 'u' else 8
                out.append(chr(int(body[i + 2:i + 2 + w], 16)))
                i += 2 + w
                continue
            if n == 'x':
                out.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
                continue
        out.append(c)
        i += 1
    return ''.join(out)


# AST nodes are tuples: ('lit', v) ('id', name) ('sel', e, name) ('idx', e, i) ('call', fn, target, args)
# ('un', op, e) ('bin', op, a, b) ('cond', c, a, b) ('list', [..]) ('map', [(k, v)..]) ('has', sel)
# ('macro', name, target, var, expr)

class _Parser(object):
    def __init__(self, src):
        self.toks = _tokens(src)
        self.i = 0

    def peek(self):
        return self.toks[self.i]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, v):
        t = self.next()
        if t[1] != v or t[0] == 'str':
            raise CelSyntaxError("Syntax error: mismatched input '%s' expecting '%s'" % (t[1], v))

    def parse(self):
        e = self.expr()
        if self.peek()[0] != 'eof':
            raise CelSyntaxError("Syntax error: extraneous input '%s'" % self.peek()[1])
        return e

    def expr(self):
        c = self.or_()
        if self.peek() == ('op', '?'):
            self.next()
            a = self.expr()
            self.expect(':')
            b = self.expr()
            return ('cond', c, a, b)
        return c

    def or_(self):
        e = self.and_()
        while self.peek() == ('op', '||'):
            self.next()
            e = ('bin', '||', e, self.and_())
        return e

    def and_(self):
        e = self.rel()
        while self.peek() == ('op', '&&'):
            self.next()
            e = ('bin', '&&', e, self.rel())
        return e

    def rel(self):
        e = self.add()
        while self.peek()[0] in ('op', 'id') and self.peek()[1] in ('==', '!=', '<', '<=', '>', '>=', 'in'):
            op = self.next()[1]
            e = ('bin', op, e, self.add())
        return e

    def add(self):
        e = self.mul()
        while self.peek()[0] == 'op' and self.peek()[1] in ('+', '-'):
            op = self.next()[1]
            e = ('bin', op, e, self.mul())
        return e

    def mul(self):
        e = self.unary()
        while self.peek()[0] == 'op' and self.peek()[1] in ('*', '/', '%'):
            op = self.next()[1]
            e = ('bin', op, e, self.unary())
        return e

    def unary(self):
        t = self.peek()
        if t == ('op', '!'):
            self.next()
            return ('un', '!', self.unary())
        if t == ('op', '-'):
            self.next()
            return ('un', '-', self.unary())
        return self.member()

    def args(self):
        out = []
        if self.peek() == ('op', ')'):
            self.next()
            return out
        while True:
            out.append(self.expr())
            t = self.next()
            if t == ('op', ')'):
                return out
            if t != ('op', ','):
                raise CelSyntaxError("Syntax error: mismatched input '%s' expecting {')', ','}" % t[1])

    def member(self):
        e = self.primary()
        while True:
            t = self.peek()
            if t == ('op', '.'):
                self.next()
                name = self.next()
                if name[0] != 'id':
                    raise CelSyntaxError("Syntax error: mismatched input '%s' expecting IDENTIFIER" % name[1])
                if self.peek() == ('op', '('):
                    self.next()
                    if name[1] in ('all', 'exists', 'exists_one', 'map', 'filter'):
                        var = self.next()
                        if var[0] != 'id':
                            raise CelSyntaxError('Syntax error: argument must be a simple name')
                        self.expect(',')
                        body = self.expr()
                        self.expect(')')
                        e = ('macro', name[1], e, var[1], body)
                    else:
                        e = ('call', name[1], e, self.args())
                else:
                    e = ('sel', e, name[1])
            elif t == ('op', '['):
                self.next()
                i = self.expr()
                self.expect(']')
                e = ('idx', e, i)
            else:
                return e

    def primary(self):
        t = self.next()
        k, v = t
        if k == 'num':
            if v.endswith('u'):
                return ('lit', int(v[:-1], 0))
            if v.startswith('0x'):
                return ('lit', int(v, 16))
            if any(c in v for c in '.eE'):
                return ('lit', float(v))
            return ('lit', int(v))
        if k == 'str':
            return ('lit', _unquote(v))
        if k == 'id':
            if v == 'true':
                return ('lit', True)
            if v == 'false':
                return ('lit', False)
            if v == 'null':
                return ('lit', None)
            if self.peek() == ('op', '('):
                self.next()
                if v == 'has':
                    arg = self.expr()
                    self.expect(')')
                    if arg[0] != 'sel':
                        raise CelSyntaxError('invalid argument to has() macro')
                    return ('has', arg)
                return ('call', v, None, self.args())
            return ('id', v)
        if t == ('op', '('):
            e = self.expr()
            self.expect(')')
            return e
        if t == ('op', '['):
            items = []
            if self.peek() == ('op', ']'):
                self.next()
                return ('list', items)
            while True:
                items.append(self.expr())
                n = self.next()
                if n == ('op', ']'):
                    return ('list', items)
                if n != ('op', ','):
                    raise CelSyntaxError("Syntax error: mismatched input '%s'" % n[1])
        if t == ('op', '{'):
            items = []
            if self.peek() == ('op', '}'):
                self.next()
                return ('map', items)
            while True:
                key = self.expr()
                self.expect(':')
                items.append((key, self.expr()))
                n = self.next()
                if n == ('op', '}'):
                    return ('map', items)
                if n != ('op', ','):
                    raise CelSyntaxError("Syntax error: mismatched input '%s'" % n[1])
        raise CelSyntaxError("Syntax error: mismatched input '%s'" % v)


_CACHE = {}


def compile_rule(src):
    ast = _CACHE.get(src)
    if ast is None:
        ast = _Parser(src).parse()
        if len(_CACHE) < 4096:
            _CACHE[src] = ast
    return ast


def _type_name(v):
    if v is None:
        return 'null_type'
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, int):
        return 'int'
    if isinstance(v, float):
        return 'double'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, list):
        return 'list'
    if isinstance(v, dict):
        return 'map'
    return 'dyn'


def _overload(fn, *vals):
    return CelError("no such overload: %s(%s)" % (fn, ', '.join(_type_name(v) for v in vals)) if vals else
                    'no such overload')


def _eq(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_eq(a[k], b[k]) for k in a)
    return type(a) == type(b) and a == b


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def evaluate(ast, env):
    k = ast[0]
    if k == 'lit':
        return ast[1]
    if k == 'id':
        if ast[1] in env:
            return env[ast[1]]
        raise CelError('undeclared reference to \'%s\'' % ast[1])
    if k == 'sel':
        obj = evaluate(ast[1], env)
        if isinstance(obj, dict):
            if ast[2] in obj:
                return obj[ast[2]]
            raise CelError('no such key: %s' % ast[2])
        raise CelError('no such overload')
    if k == 'has':
        sel = ast[1]
        obj = evaluate(sel[1], env)
        if isinstance(obj, dict):
            return sel[2] in obj
        raise CelError('no such overload')
    if k == 'idx':
        obj, i = evaluate(ast[1], env), evaluate(ast[2], env)
        if isinstance(obj, list):
            if not _num(i) or int(i) != i:
                raise _overload('_[_]', obj, i)
            if not 0 <= int(i) < len(obj):
                raise CelError('index out of bounds: %d' % int(i))
            return obj[int(i)]
        if isinstance(obj, dict):
            if i in obj:
                return obj[i]
            raise CelError('no such key: %s' % i)
        raise _overload('_[_]', obj, i)
    if k == 'un':
        v = evaluate(ast[2], env)
        if ast[1] == '!':
            if not isinstance(v, bool):
                raise _overload('!_', v)
            return not v
        if not _num(v):
            raise _overload('-_', v)
        return -v
    if k == 'bin':
        op = ast[1]
        if op in ('&&', '||'):
            # commutative error absorption as in CEL
            try:
                a = evaluate(ast[2], env)
                ea = None
            except CelError as e:
                a, ea = None, e
            if ea is None and isinstance(a, bool) and a == (op == '||'):
                return a
            b = evaluate(ast[3], env)
            if not isinstance(b, bool):
                raise _overload('_%s_' % op, a, b)
            if b == (op == '||'):
                return b
            if ea is not None:
                raise ea
            if not isinstance(a, bool):
                raise _overload('_%s_' % op, a, b)
            return a
        a, b = evaluate(ast[2], env), evaluate(ast[3], env)
        if op == '==':
            return _eq(a, b)
        if op == '!=':
            return not _eq(a, b)
        if op == 'in':
            if isinstance(b, list):
                return any(_eq(a, x) for x in b)
            if isinstance(b, dict):
                return a in b
            raise _overload('@in', a, b)
        if op in ('<', '<=', '>', '>='):
            if not ((_num(a) and _num(b)) or (isinstance(a, str) and isinstance(b, str)) or
                    (isinstance(a, bool) and isinstance(b, bool))):
                raise _overload('_%s_' % op, a, b)
            return {'<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b}[op]
        if op == '+':
            if (_num(a) and _num(b) and type(a) == type(b)) or (isinstance(a, str) and isinstance(b, str)) \
                    or (isinstance(a, list) and isinstance(b, list)):
                return a + b
            raise _overload('_+_', a, b)
        if op in ('-', '*', '/', '%'):
            if not (_num(a) and _num(b) and type(a) == type(b)):
                raise _overload('_%s_' % op, a, b)
            if op == '-':
                return a - b
            if op == '*':
                return a * b
            if b == 0 and isinstance(a, int):
                raise CelError('division by zero' if op == '/' else 'modulus by zero')
            if op == '/':
                return a / b if isinstance(a, float) else int(a / b)
            return a - b * int(a / b) if isinstance(a, int) else a % b
    if k == 'cond':
        c = evaluate(ast[1], env)
        if not isinstance(c, bool):
            raise _overload('_?_:_', c)
        return evaluate(ast[2] if c else ast[3], env)
    if k == 'list':
        return [evaluate(x, env) for x in ast[1]]
    if k == 'map':
        return {evaluate(a, env): evaluate(b, env) for a, b in ast[1]}
    if k == 'macro':
        name, target, var, body = ast[1], evaluate(ast[2], env), ast[3], ast[4]
        items = list(target) if isinstance(target, list) else (list(target) if isinstance(target, dict) else None)
        if items is None:
            raise _overload(name, target)
        results = []
        for it in items:
            e2 = dict(env)
            e2[var] = it
            results.append((it, evaluate(body, e2)))
        if name == 'all':
            return all(r is True for _, r in results)
        if name == 'exists':
            return any(r is True for _, r in results)
        if name == 'exists_one':
            return sum(1 for _, r in results if r is True) == 1
        if name == 'map':
            return [r for _, r in results]
        return [it for it, r in results if r is True]
    if k == 'call':
        fn, target, args = ast[1], ast[2], [evaluate(a, env) for a in ast[3]]
        t = evaluate(target, env) if target is not None else None
        return _call(fn, t, args, target is not None)
    raise CelError('unsupported expression')


def _call(fn, t, args, member):
    if not member:
        if fn == 'size' and len(args) == 1:
            t, member, args = args[0], True, []
        elif fn in ('int', 'double', 'string', 'bool') and len(args) == 1:
            v = args[0]
            try:
                if fn == 'int':
                    return int(v) if not isinstance(v, str) else int(v, 10)
                if fn == 'double':
                    return float(v)
                if fn == 'string':
                    return ('true' if v else 'false') if isinstance(v, bool) else str(v)
                if fn == 'bool':
                    return {'true': True, 'false': False}[v] if isinstance(v, str) else bool(v)
            except (ValueError, KeyError, TypeError):
                raise CelError('type conversion error')
        elif fn == 'type':
            return _type_name(args[0])
        else:
            raise CelError("undeclared reference to '%s'" % fn)
    if fn == 'size' and not args:
        if isinstance(t, (str, list, dict)):
            return len(t)
        raise _overload('size', t)
    if isinstance(t, str):
        if fn == 'startsWith' and len(args) == 1 and isinstance(args[0], str):
            return t.startswith(args[0])
        if fn == 'endsWith' and len(args) == 1 and isinstance(args[0], str):
            return t.endswith(args[0])
        if fn == 'contains' and len(args) == 1 and isinstance(args[0], str):
            return args[0] in t
        if fn == 'matches' and len(args) == 1 and isinstance(args[0], str):
            return re.search(args[0], t) is not None
        if fn == 'lowerAscii' and not args:
            return ''.join(c.lower() if c.isascii() else c for c in t)
        if fn == 'upperAscii' and not args:
            return ''.join(c.upper() if c.isascii() else c for c in t)
        if fn == 'trim' and not args:
            return t.strip()
        if fn == 'split' and len(args) == 1:
            return t.split(args[0])
        if fn == 'indexOf' and len(args) == 1:
            return t.find(args[0])
    if isinstance(t, list) and fn == 'join':
        return (args[0] if args else '').join(t)
    raise _overload(fn, t, *args)


def run(rule, self_value, old_value=None, has_old=False):
    """Evaluate a rule; returns True/False or raises CelError."""
    env = {'self': self_value}
    if has_old:
        env['oldSelf'] = old_value
    v = evaluate(compile_rule(rule), env)
    if not isinstance(v, bool):
        raise CelError('no such overload')
    return v


def uses_old_self(rule):
    return re.search(r'\boldSelf\b', rule) is not None
