"""HTTPS front end of the test API server: authentication, routing, content negotiation
(JSON / Table / aggregated discovery), watch streams, the request log and fault injection.

Owner: tc-core. One thread per connection (ThreadingHTTPServer); HTTP/1.1 keep-alive; watch
responses are chunked. Shared state lives in api.Cluster (see its locking rules); the request
log and the fault list have their own small lock.
"""
import base64
import http.server
import json
import re
import socket
import ssl
import threading
import time
import urllib.parse
import uuid

from . import errors
from . import api as apimod
from . import objects
from . import discovery
from . import openapi
from . import proto as protomod

from . import table as tablemod

ANON_PATHS = ('/healthz', '/livez', '/readyz', '/version')
PROTOBUF = 'application/vnd.kubernetes.protobuf'
VERB_OF = {'GET': 'get', 'POST': 'create', 'PUT': 'update', 'PATCH': 'patch', 'DELETE': 'delete'}


def go_escape(text):
    """encoding/json's default HTML escaping (kube-apiserver answers are encoded that way)."""
    if '<' in text or '>' in text or '&' in text or '\u2028' in text or '\u2029' in text:
        text = (text.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')
                .replace('\u2028', '\\u2028').replace('\u2029', '\\u2029'))
    return text


def dumps(obj, pretty):
    if pretty:
        return (go_escape(json.dumps(obj, indent=2, ensure_ascii=False)) + '\n').encode()
    return (go_escape(json.dumps(obj, separators=(',', ':'), ensure_ascii=False)) + '\n').encode()


class Faults:
    """Injected failures: [{match, method, count, code, retryAfter, delayMs, message}]."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def add(self, rule):
        rule = dict(rule)
        rule['_re'] = re.compile(rule.get('match') or rule.get('path') or '.*')
        rule.setdefault('count', 1)
        with self.lock:
            self.rules.append(rule)

    def clear(self):
        with self.lock:
            self.rules = []

    def list(self):
        with self.lock:
            return [{k: v for k, v in r.items() if k != '_re'} for r in self.rules]

    def take(self, method, path):
        if not self.rules:
            return None
        with self.lock:
            for r in self.rules:
                if r.get('method') and r['method'].upper() != method:
                    continue
                if not r['_re'].search(path):
                    continue
                if r['count'] == 0:
                    continue
                if r['count'] > 0:
                    r['count'] -= 1
                rule = dict(r)
                self.rules = [x for x in self.rules if x['count'] != 0]
                return rule
        return None


class RequestLog:
    def __init__(self, cap=100000):
        self.lock = threading.Lock()
        self.entries = []
        self.cap = cap
        self.seq = 0

    def add(self, e):
        with self.lock:
            self.seq += 1
            e['seq'] = self.seq
            self.entries.append(e)
            if len(self.entries) > self.cap:
                del self.entries[:len(self.entries) - self.cap]

    def get(self, since=0):
        with self.lock:
            return [e for e in self.entries if e['seq'] > since]

    def clear(self):
        with self.lock:
            self.entries = []


class Request:
    """Parsed API path."""
    __slots__ = ('kind', 'group', 'version', 'res', 'ns', 'name', 'sub', 'plural')

    def __init__(self):
        self.kind = None
        self.group = self.version = self.ns = self.name = self.sub = self.plural = ''
        self.res = None


class Headers(dict):
    """Case-insensitive request headers (a faster stand-in for email.message.Message)."""

    def get(self, k, default=None):
        return dict.get(self, k.lower(), default)

    def __getitem__(self, k):
        return dict.get(self, k.lower())

    def __contains__(self, k):
        return dict.__contains__(self, k.lower())


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'testcluster'
    sys_version = ''

    def log_message(self, fmt, *args):
        pass

    def send_response(self, code, message=None):
        # like Go's net/http: a Date header, no Server header
        self.send_response_only(code, message)
        self.send_header('Date', self.date_time_string())

    def parse_request(self):
        """BaseHTTPRequestHandler.parse_request without the email-package header parser."""
        self.command = None
        self.request_version = self.default_request_version
        self.close_connection = True
        requestline = str(self.raw_requestline, 'iso-8859-1').rstrip('\r\n')
        self.requestline = requestline
        words = requestline.split()
        if len(words) != 3 or words[2] not in ('HTTP/1.1', 'HTTP/1.0'):
            self.send_error(400, 'Bad request syntax (%r)' % requestline)
            return False
        self.command, self.path, self.request_version = words
        h = Headers()
        n = 0
        while True:
            line = self.rfile.readline(65537)
            if line in (b'\r\n', b'\n', b''):
                break
            n += 1
            if n > 200 or len(line) > 65536:
                self.send_error(431, 'Request header fields too large')
                return False
            k, _, v = line.decode('iso-8859-1').partition(':')
            k = k.strip().lower()
            v = v.strip()
            if k in h:
                h[k] = h[k] + ', ' + v
            else:
                h[k] = v
        self.headers = h
        conn = h.get('connection', '').lower()
        if conn == 'close':
            self.close_connection = True
        elif conn == 'keep-alive' or self.request_version == 'HTTP/1.1':
            self.close_connection = False
        if h.get('expect', '').lower() == '100-continue' and self.request_version == 'HTTP/1.1':
            self.wfile.write(b'HTTP/1.1 100 Continue\r\n\r\n')
        return True

    def do_GET(self):
        self.dispatch('GET')

    def do_POST(self):
        self.dispatch('POST')

    def do_PUT(self):
        self.dispatch('PUT')

    def do_PATCH(self):
        self.dispatch('PATCH')

    def do_DELETE(self):
        self.dispatch('DELETE')

    def do_HEAD(self):
        self.dispatch('HEAD')

    # ---------------------------------------------------------------- plumbing
    def read_body(self):
        body = self.read_raw_body()
        if self.content_type() == PROTOBUF:
            try:
                return json.dumps(protomod.to_json(body)).encode()
            except protomod.Unsupported:
                raise errors.unsupported_media_type(PROTOBUF, ['application/json', 'application/yaml'])
            except (ValueError, UnicodeDecodeError) as e:
                raise errors.bad_request('the object provided is unrecognized: protobuf: %s' % e)
        return body

    def content_type(self):
        return (self.headers.get('Content-Type') or 'application/json').split(';')[0].strip()

    def read_raw_body(self):
        n = int(self.headers.get('Content-Length') or 0)
        if n:
            return self.rfile.read(n)
        if (self.headers.get('Transfer-Encoding') or '').lower() == 'chunked':
            out = b''
            while True:
                line = self.rfile.readline()
                size = int(line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    self.rfile.readline()
                    break
                out += self.rfile.read(size)
                self.rfile.readline()
            return out
        return b''

    def send(self, code, body, ctype='application/json', headers=None):
        self.code = code
        self.send_response(code)
        self.send_header('Audit-Id', str(uuid.uuid4()))
        self.send_header('Cache-Control', (headers or {}).pop('Cache-Control', 'no-cache, private'))
        self.send_header('Content-Type', ctype)
        for w in getattr(self, 'warnings', None) or []:
            self.send_header('Warning', '299 - "%s"' % w.replace('"', '\\"'))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        # headers and body in one write (one TLS record): no Nagle/delayed-ACK stalls
        self._headers_buffer.append(b'\r\n')
        if self.command != 'HEAD':
            self._headers_buffer.append(body)
        self.wfile.write(b''.join(self._headers_buffer))
        self._headers_buffer = []

    def send_json(self, code, obj, headers=None):
        self.send(code, dumps(obj, self.pretty), headers=headers)

    def send_error_status(self, e):
        hdrs = dict(e.headers or {})
        self.send_json(e.code, e.status, hdrs)

    def not_found_page(self):
        self.send(404, b'404 page not found\n', 'text/plain; charset=utf-8',
                  {'X-Content-Type-Options': 'nosniff'})

    # ---------------------------------------------------------------- dispatch
    def dispatch(self, method):
        srv = self.server.tc
        self.code = 0
        self.warnings = []
        self.user = None
        u = urllib.parse.urlsplit(self.path)
        path = u.path
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        self.query = q
        ua = self.headers.get('User-Agent') or ''
        pq = q.get('pretty')
        self.pretty = (pq.lower() in ('true', '1')) if pq is not None else (ua.startswith('curl') or ua.startswith('Wget'))
        req = None
        self.req = None
        verb = VERB_OF.get(method, method.lower())
        try:
            if path.startswith('/_testcluster/'):
                return self.testcluster_endpoint(method, path, q)
            fault = srv.faults.take(method, path + ('?' + u.query if u.query else ''))
            if fault:
                if fault.get('delayMs'):
                    time.sleep(fault['delayMs'] / 1000.0)
                code = fault.get('code')
                if code:
                    self.read_body()
                    raise self.fault_error(fault)
            user = self.authenticate()
            self.user = user
            if user is None and path not in ANON_PATHS:
                raise errors.forbidden('', '', '', '')
            req, verb = self.route(method, path, q)
        except errors.ApiError as e:
            if e.code == 403 and self.user is None and req is None:
                e = self.anon_forbidden(path)
            self.send_error_status(e)
        except BrokenPipeError:
            self.close_connection = True
        except ConnectionResetError:
            self.close_connection = True
        except Exception as e:  # pragma: no cover
            import traceback
            traceback.print_exc()
            try:
                self.send_error_status(errors.internal(str(e)))
            except Exception:
                self.close_connection = True
        finally:
            if not path.startswith('/_testcluster/'):
                if req is None and self.req is not None:
                    req = self.req
                    verb = self.resource_verb(method, req, q)
                self.log_request_entry(method, path, q, req, verb)

    def anon_forbidden(self, path):
        return errors.status(403, 'Forbidden',
                             'forbidden: User "system:anonymous" cannot get path "%s"' % path,
                             {})

    def fault_error(self, f):
        code = int(f['code'])
        msg = f.get('message')
        if code == 429:
            return errors.too_many_requests(f.get('retryAfter', 1), msg)
        if code == 503:
            e = errors.service_unavailable(msg)
            if f.get('retryAfter'):
                e.headers['Retry-After'] = str(f['retryAfter'])
            return e
        if code == 500:
            return errors.internal(msg or 'injected fault')
        if code == 504:
            return errors.timeout(msg or 'injected timeout')
        return errors.status(code, f.get('reason', 'InternalError'), msg or 'injected fault')

    def authenticate(self):
        auth = self.headers.get('Authorization')
        if not auth:
            return None
        if not auth.startswith('Bearer '):
            raise errors.unauthorized()
        tok = auth[7:].strip()
        user = self.server.tc.tokens.get(tok)
        if user is None:
            raise errors.unauthorized()
        return user

    def log_request_entry(self, method, path, q, req, verb):
        srv = self.server.tc
        e = {'user': (self.user or {}).get('username', 'system:anonymous'),
             'groups': (self.user or {}).get('groups', ['system:unauthenticated']),
             'method': method, 'verb': verb, 'path': path, 'code': self.code,
             'userAgent': self.headers.get('User-Agent', '')}
        if req is not None and req.kind == 'resource':
            e['apiGroup'] = req.group
            e['apiVersion'] = req.version
            e['resource'] = req.plural
            e['subresource'] = req.sub
            e['namespace'] = req.ns
            e['name'] = req.name
        else:
            e['nonResourceURL'] = path
        srv.reqlog.add(e)

    # ---------------------------------------------------------------- /_testcluster
    def testcluster_endpoint(self, method, path, q):
        srv = self.server.tc
        self.pretty = self.pretty or False
        if path == '/_testcluster/requests':
            if method == 'DELETE':
                srv.reqlog.clear()
                return self.send_json(200, {'cleared': True})
            return self.send_json(200, {'items': srv.reqlog.get(int(q.get('since') or 0))})
        if path == '/_testcluster/faults':
            if method == 'GET':
                return self.send_json(200, {'items': srv.faults.list()})
            if method == 'DELETE':
                srv.faults.clear()
                return self.send_json(200, {'cleared': True})
            body = self.read_body()
            try:
                rules = json.loads(body or b'{}')
            except ValueError:
                return self.send_json(400, {'error': 'invalid JSON'})
            for rule in rules if isinstance(rules, list) else [rules]:
                action = rule.get('action')
                if action in ('dropWatches', 'drop-watches'):
                    srv.cluster.store.drop_watches()
                elif action == 'compact':
                    srv.cluster.store.compact()
                else:
                    srv.faults.add(rule)
            return self.send_json(200, {'items': srv.faults.list(), 'resourceVersion': str(srv.cluster.store.rv)})
        if path == '/_testcluster/state':
            return self.send_json(200, {'resourceVersion': str(srv.cluster.store.rv)})
        return self.not_found_page()

    # ---------------------------------------------------------------- routing
    def route(self, method, path, q):
        srv = self.server.tc
        cl = srv.cluster
        if path in ('/healthz', '/livez', '/readyz'):
            self.send(200, b'ok', 'text/plain; charset=utf-8', {'X-Content-Type-Options': 'nosniff'})
            return None, 'get'
        if path == '/version':
            self.send_json(200, cl.registry.version_info)
            return None, 'get'
        if path.startswith('/openapi/'):
            openapi.serve(self, cl, path, q)
            return None, 'get'
        parts = [p for p in path.split('/') if p]
        if not parts or parts[0] not in ('api', 'apis'):
            self.not_found_page()
            return None, 'get'
        accept = self.headers.get('Accept') or ''
        if parts == ['api'] or parts == ['apis']:
            discovery.serve_root(self, cl, parts[0], accept)
            return None, 'get'
        if parts[0] == 'api':
            group, version, rest = '', parts[1], parts[2:]
        else:
            if len(parts) == 2:
                if method != 'GET' or not discovery.serve_group(self, cl, parts[1]):
                    self.not_found_page()
                return None, 'get'
            group, version, rest = parts[1], parts[2], parts[3:]
        if cl.registry.versions_of(group) is None or version not in cl.registry.versions_of(group):
            self.not_found_page()
            return None, 'get'
        if not rest:
            if method == 'GET':
                discovery.serve_group_version(self, cl, group, version)
            else:
                self.not_found_page()
            return None, 'get'
        req = Request()
        self.req = req
        req.kind = 'resource'
        req.group, req.version = group, version
        reg = cl.registry
        if rest[0] == 'namespaces' and len(rest) >= 3 and not (len(rest) == 3 and rest[2] in ('status', 'finalize')):
            req.ns = rest[1]
            tail = rest[2:]
            res = reg.get(group, version, tail[0])
            if res is None or not res.namespaced:
                self.not_found_page()
                return None, VERB_OF.get(method, '')
        else:
            tail = rest
            res = reg.get(group, version, tail[0])
            if res is None:
                self.not_found_page()
                return None, VERB_OF.get(method, '')
        req.res = res
        req.plural = res.plural
        if len(tail) >= 2:
            req.name = tail[1]
        if len(tail) >= 3:
            req.sub = tail[2]
            if req.sub not in res.subresources or len(tail) > 3:
                self.not_found_page()
                return req, VERB_OF.get(method, '')
        if len(tail) > 3:
            self.not_found_page()
            return req, ''
        verb = self.resource_verb(method, req, q)
        if method in ('GET', 'HEAD') and not req.name and res.namespaced and not req.ns and verb in ('list', 'watch'):
            pass
        self.serve_resource(method, req, q, verb)
        return req, verb

    def resource_verb(self, method, req, q):
        if method in ('GET', 'HEAD'):
            if req.name:
                return 'get'
            return 'watch' if q.get('watch') in ('true', '1') else 'list'
        if method == 'DELETE' and not req.name:
            return 'deletecollection'
        return VERB_OF.get(method, method.lower())

    def serve_resource(self, method, req, q, verb):
        srv = self.server.tc
        cl = srv.cluster
        res = req.res
        ctx = objects.Ctx(self.user, q)
        ctx.warnings = self.warnings
        accept = self.headers.get('Accept') or ''
        want_table = 'as=Table' in accept
        if req.sub and not req.name:
            raise errors.bad_request('name must be provided')
        if verb not in res.verbs and not req.sub:
            if not (verb == 'update' and not req.name):
                raise errors.method_not_supported(res.group, res.plural, verb)
        if req.sub and req.sub not in ('status', 'scale', 'ephemeralcontainers'):
            return self.serve_other_subresource(method, req, ctx)
        if verb == 'get':
            if req.sub == 'scale':
                return self.send_json(200, cl.get_scale(ctx, res, req.ns, req.name))
            obj = cl.get(ctx, res, req.ns, req.name)
            if want_table:
                return self.send_json(200, self.to_table(res, [obj], str(cl.store.rv), q, single=True))
            return self.send_json(200, obj)
        if verb == 'list':
            lst = cl.list(ctx, res, req.ns, q)
            if want_table:
                t = self.to_table(res, lst['items'], lst['metadata']['resourceVersion'], q,
                                  cont=lst['metadata'].get('continue'),
                                  remaining=lst['metadata'].get('remainingItemCount'))
                return self.send_json(200, t)
            if 'as=PartialObjectMetadataList' in accept:
                lst = {'kind': 'PartialObjectMetadataList', 'apiVersion': 'meta.k8s.io/v1',
                       'metadata': lst['metadata'],
                       'items': [{'kind': 'PartialObjectMetadata', 'apiVersion': 'meta.k8s.io/v1',
                                  'metadata': o['metadata']} for o in lst['items']]}
            elif res.builtin:
                # a built-in list's items carry no kind/apiVersion on the wire (typed encoding);
                # custom resources' items (unstructured) keep theirs
                lst = dict(lst, items=[{k: v for k, v in o.items() if k not in ('kind', 'apiVersion')}
                                       for o in lst['items']])
            else:
                # an unstructured list: keys sorted, metadata.continue always present
                md = dict(lst['metadata'])
                md.setdefault('continue', '')
                lst = {'apiVersion': lst['apiVersion'], 'items': lst['items'], 'kind': lst['kind'],
                       'metadata': {k: md[k] for k in sorted(md)}}
            return self.send_json(200, lst)
        if verb == 'watch':
            return self.serve_watch(req, q, want_table)
        body = self.read_body()
        if verb == 'create':
            if req.name and not req.sub:
                raise errors.method_not_supported(res.group, res.plural, 'create')
            ct = self.content_type()
            if ct not in ('application/json', '*/*', '', PROTOBUF):  # protobuf: read_body converted it
                raise errors.unsupported_media_type(ct, ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'])
            obj = cl.create(ctx, res, req.ns, body)
            return self.send_json(200 if ctx.dry_run and False else 201, obj)
        if verb == 'update':
            if not req.name:
                raise errors.bad_request('name must be provided')
            key = (req.ns if res.namespaced else '', req.name)
            existed = key in cl.store.bucket(res.bucket).objs
            obj = cl.update(ctx, res, req.ns, req.name, body, req.sub)
            return self.send_json(200 if existed or req.sub else 201, obj)
        if verb == 'patch':
            ct = self.headers.get('Content-Type') or ''
            key = (req.ns if res.namespaced else '', req.name)
            existed = key in cl.store.bucket(res.bucket).objs
            obj = cl.patch(ctx, res, req.ns, req.name, body, ct, req.sub)
            return self.send_json(200 if existed or req.sub else 201, obj)
        if verb == 'delete':
            if req.sub:
                raise errors.method_not_supported(res.group, res.plural + '/' + req.sub, 'delete')
            out = cl.delete(ctx, res, req.ns, req.name, body)
            code = 200
            if out.get('kind') != 'Status' and out.get('metadata', {}).get('deletionTimestamp') and \
                    out['metadata'].get('finalizers') and not ctx.dry_run:
                code = 202 if res.builtin and False else 200
            return self.send_json(code, out)
        if verb == 'deletecollection':
            return self.send_json(200, cl.deletecollection(ctx, res, req.ns, body))
        raise errors.method_not_supported(res.group, res.plural, verb)

    def serve_other_subresource(self, method, req, ctx):
        """pods/log (empty log of a running pod), pods/eviction (deletes the pod),
        namespaces/finalize (writes spec.finalizers), serviceaccounts/token (TokenRequest); other connect-style subresources
        (exec, attach, portforward, proxy, ...) are not served."""
        cl = self.server.tc.cluster
        res = req.res
        if res.bucket == ('', 'pods') and req.sub == 'log' and method == 'GET':
            pod = cl.get(ctx, res, req.ns, req.name)
            st = pod.get('status') or {}
            cs = ((pod.get('spec') or {}).get('containers') or [{}])
            cname = self.query.get('container') or cs[0].get('name', '')
            if st.get('phase') != 'Running':
                raise errors.bad_request('container "%s" in pod "%s" is waiting to start: ContainerCreating' % (cname, req.name))
            return self.send(200, b'', 'text/plain')
        if res.bucket == ('', 'pods') and req.sub == 'eviction' and method == 'POST':
            self.read_body()
            cl.delete(ctx, res, req.ns, req.name)
            return self.send_json(201, {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Success', 'code': 201})
        if res.bucket == ('', 'serviceaccounts') and req.sub == 'token' and method == 'POST':
            body = json.loads(self.read_body() or b'{}')
            sa = cl.get(ctx, res, req.ns, req.name)  # 404 as the real server when it is missing
            return self.send_json(201, self.server.tc.token_request(sa, body))
        if res.bucket == ('', 'namespaces') and req.sub == 'finalize' and method == 'PUT':
            body = json.loads(self.read_body() or b'{}')
            fins = (body.get('spec') or {}).get('finalizers') or []

            def mut(cur):
                new = objects.deep(cur)
                new['spec'] = dict(new.get('spec') or {}, finalizers=fins)
                return new
            return self.send_json(200, cl._update(ctx, res, '', req.name, mut, 'finalize', None, False))
        self.read_body()
        raise errors.method_not_supported(res.group, res.plural + '/' + req.sub, VERB_OF.get(method, method.lower()))

    # ---------------------------------------------------------------- tables
    def to_table(self, res, objs, rv, q, cont=None, remaining=None, single=False):
        include = q.get('includeObject') or 'Metadata'
        if res.builtin:
            cols = tablemod.builtin_columns(res.group, res.plural)
        else:
            cols = tablemod.crd_columns(res.crd_version)
        return tablemod.to_table(objs, cols, rv, cont, include, remaining)

    # ---------------------------------------------------------------- watch
    def serve_watch(self, req, q, want_table):
        srv = self.server.tc
        cl = srv.cluster
        store = cl.store
        res = req.res
        lsel = objects.parse_label_selector(q.get('labelSelector'))
        fsel = objects.parse_field_selector(res, q.get('fieldSelector'))
        from . import selectors as selmod
        ns = req.ns if res.namespaced else ''
        bookmarks = q.get('allowWatchBookmarks') in ('true', '1')
        try:
            timeout = float(q.get('timeoutSeconds') or 0)
        except ValueError:
            raise errors.bad_request('invalid timeoutSeconds')
        if timeout <= 0:
            timeout = 1800.0
        rvq = q.get('resourceVersion') or ''
        b = store.bucket(res.bucket)
        group, plural = res.group, res.plural

        def passes(o):
            if o is None:
                return False
            m = o['metadata']
            if ns and m.get('namespace') != ns:
                return False
            if lsel is not None and not lsel.matches(m.get('labels') or {}):
                return False
            if fsel is not None and not fsel.matches(selmod.object_fields(group, plural, o)):
                return False
            return True

        initial = []
        err_event = None
        with store.lock:
            if rvq in ('', '0'):
                last = store.rv
                for k, o in sorted(b.objs.items()):
                    if passes(o):
                        initial.append(o)
            else:
                try:
                    r = int(rvq)
                except ValueError:
                    raise errors.bad_request('invalid resource version: %s' % rvq)
                if r > store.rv:
                    # the watch cache waits up to 3 s for a future resourceVersion
                    end = time.time() + 3.0
                    while r > store.rv and time.time() < end:
                        b.cond.wait(end - time.time())
                    if r > store.rv:
                        e = errors.timeout('Too large resource version: %d, current: %d' % (r, store.rv), 1)
                        e.status['details']['causes'] = [{'reason': 'ResourceVersionTooLarge',
                                                          'message': 'Too large resource version'}]
                        raise e
                oldest = b.oldest()
                if r < oldest:
                    err_event = errors.too_old_resource_version(r, oldest).status
                last = r
            drop_gen = store.drop_generation
            bgen = b.generation
        self.code = 200
        self.send_response(200)
        self.send_header('Audit-Id', str(uuid.uuid4()))
        self.send_header('Cache-Control', 'no-cache, private')
        self.send_header('Content-Type', 'application/json')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        w = self.wfile

        def write(data):
            if data:
                w.write(b'%x\r\n%s\r\n' % (len(data), data))
                w.flush()

        def line(type_, obj):
            if want_table:
                obj = self.to_table(res, [obj], obj['metadata'].get('resourceVersion', ''), q, single=True)
            return ('{"type":"%s","object":%s}\n' % (type_, go_escape(json.dumps(obj, separators=(',', ':'), ensure_ascii=False)))).encode()

        try:
            if err_event is not None:
                write(('{"type":"ERROR","object":%s}\n' % json.dumps(err_event, separators=(',', ':'))).encode())
                w.write(b'0\r\n\r\n')
                return
            if initial:
                write(b''.join(line('ADDED', cl.out(res, o)) for o in initial))
            start = time.time()
            deadline = start + timeout
            next_bm = start + min(60.0, max(timeout - 2.0, 0.5)) if bookmarks else None
            while True:
                now = time.time()
                if now >= deadline:
                    break
                evs = []
                with store.lock:
                    while True:
                        if store.drop_generation != drop_gen or b.generation != bgen or srv.stopping:
                            evs = None
                            break
                        if b.events and b.events[-1].rv > last:
                            if b.oldest() > last:
                                evs = 'expired'
                                break
                            for ev in reversed(b.events):
                                if ev.rv <= last:
                                    break
                                evs.append(ev)
                            evs.reverse()
                            break
                        wait_until = deadline if next_bm is None else min(deadline, next_bm)
                        t = wait_until - time.time()
                        if t <= 0:
                            break
                        b.cond.wait(min(t, 5.0))
                    cur_rv = store.rv
                if evs is None:
                    if b.generation != bgen and b.serving and store.drop_generation == drop_gen and not srv.stopping:
                        # history compacted under us: the real server closes with 410 on resume
                        pass
                    break
                if evs == 'expired':
                    st = errors.too_old_resource_version(last, b.oldest()).status
                    write(('{"type":"ERROR","object":%s}\n' % json.dumps(st, separators=(',', ':'))).encode())
                    break
                chunks = []
                for ev in evs:
                    last = ev.rv
                    if ev.type == 'DELETED':
                        if passes(ev.old):
                            chunks.append(line('DELETED', cl.out(res, ev.obj)))
                        continue
                    cp = passes(ev.obj)
                    op = passes(ev.old) if ev.old is not None else False
                    if cp and op:
                        if ev.type == 'MODIFIED' and not want_table and ev.obj.get('apiVersion') == res.gv:
                            chunks.append(ev.line())
                        else:
                            chunks.append(line('MODIFIED', cl.out(res, ev.obj)))
                    elif cp:
                        if ev.type == 'ADDED' and not want_table and ev.obj.get('apiVersion') == res.gv:
                            chunks.append(ev.line())
                        else:
                            chunks.append(line('ADDED', cl.out(res, ev.obj)))
                    elif op:
                        o = dict(ev.old)
                        o['metadata'] = dict(ev.old['metadata'])
                        o['metadata']['resourceVersion'] = str(ev.rv)
                        chunks.append(line('DELETED', cl.out(res, o)))
                if chunks:
                    write(b''.join(chunks))
                if next_bm is not None and time.time() >= next_bm:
                    bm = {'apiVersion': res.gv, 'kind': res.kind, 'metadata': {'resourceVersion': str(max(cur_rv, last))}}
                    if want_table:
                        bm = {'kind': 'Table', 'apiVersion': 'meta.k8s.io/v1', 'metadata': {'resourceVersion': str(max(cur_rv, last))}, 'columnDefinitions': None, 'rows': None}
                    write(('{"type":"BOOKMARK","object":%s}\n' % json.dumps(bm, separators=(',', ':'))).encode())
                    rem = deadline - time.time()
                    next_bm = time.time() + (60.0 if rem > 62.0 else max(rem - 2.0, 0.5))
                    if rem <= 2.5:
                        next_bm = deadline + 1
            w.write(b'0\r\n\r\n')
            w.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True


class TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, handler, ctx, tc):
        self.ssl_ctx = ctx
        self.tc = tc
        super().__init__(addr, handler)

    def finish_request(self, request, client_address):
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request.settimeout(30)
            conn = self.ssl_ctx.wrap_socket(request, server_side=True)
            conn.settimeout(None)
        except (ssl.SSLError, OSError):
            try:
                request.close()
            except OSError:
                pass
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


def b64url(doc):
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(',', ':')).encode()).rstrip(b'=').decode()


class TestCluster:
    TOKEN_DEFAULT_S = 3600     # TokenRequest's default expirationSeconds
    TOKEN_MIN_S = 600          # the apiserver refuses shorter ones
    AUDIENCE = 'https://kubernetes.default.svc.cluster.local'

    def token_request(self, sa, body):
        """TokenRequest for a ServiceAccount: a JWT-shaped bearer token (unsigned: only this
        server reads it) that authenticates as the account from now on; expiry not enforced."""
        spec = body.get('spec') or {}
        secs = spec.get('expirationSeconds') or self.TOKEN_DEFAULT_S
        if secs < self.TOKEN_MIN_S:
            raise errors.invalid('authentication.k8s.io', 'TokenRequest', sa['metadata']['name'], [
                errors.c_invalid('spec.expirationSeconds', secs, 'may not specify a duration less than 10 minutes')])
        m = sa['metadata']
        now = int(time.time())
        auds = spec.get('audiences') or [self.AUDIENCE]
        claims = {'aud': auds, 'exp': now + secs, 'iat': now, 'iss': self.AUDIENCE,
                  'kubernetes.io': {'namespace': m['namespace'], 'serviceaccount': {'name': m['name'], 'uid': m['uid']}},
                  'nbf': now, 'sub': 'system:serviceaccount:%s:%s' % (m['namespace'], m['name'])}
        token = '%s.%s.%s' % (b64url({'alg': 'RS256', 'kid': 'testcluster'}), b64url(claims),
                              base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).rstrip(b'=').decode())
        self.tokens[token] = {'username': claims['sub'], 'uid': m['uid'],
                              'groups': ['system:serviceaccounts', 'system:serviceaccounts:' + m['namespace'],
                                         'system:authenticated']}
        exp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now + secs))
        return {'kind': 'TokenRequest', 'apiVersion': 'authentication.k8s.io/v1',
                'metadata': {'name': m['name'], 'namespace': m['namespace'], 'creationTimestamp': None},
                'spec': {'audiences': auds, 'expirationSeconds': secs, 'boundObjectRef': spec.get('boundObjectRef')},
                'status': {'token': token, 'expirationTimestamp': exp}}

    def __init__(self, tokens, window=1000, ca_pem=''):
        self.tokens = tokens
        self.faults = Faults()
        self.reqlog = RequestLog()
        self.stopping = False
        self.cluster = apimod.Cluster(window, ca_pem=ca_pem)
        self.cluster.tokens = tokens
