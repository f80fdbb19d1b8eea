"""Admission webhooks, called like kube-apiserver 1.28 calls them: matching by rules
(operations, groups, versions, resources incl. subresources, scope), namespaceSelector,
objectSelector; AdmissionReview v1 over HTTPS verified with caBundle; `?timeout=Ns`;
failurePolicy; denial and warning handling. Mutating webhooks first, one after the other in
configuration-name order, each JSONPatch applied before the next is called, and with
reinvocationPolicy IfNeeded called once more when a later webhook changed the object; then the
validating webhooks, in parallel.

Owner: tc-core. Called without the store lock held; reads configurations and namespaces from
the store (immutable stored objects). Webhook calls run in the request's own thread.
"""
import base64
import gzip
import http.client
import json
import ssl
import threading
import urllib.parse
import uuid

from . import errors

from . import selectors


def _match_list(vals, v):
    return bool(vals) and ('*' in vals or v in vals)


def _rule_matches(rule, op, res, sub):
    if not _match_list(rule.get('operations') or [], op):
        return False
    if not _match_list(rule.get('apiGroups') or [], res.group):
        return False
    if not _match_list(rule.get('apiVersions') or [], res.version):
        return False
    want = res.plural + ('/' + sub if sub else '')
    ok = False
    for r in rule.get('resources') or []:
        if r == '*/*':
            ok = True
        elif r == '*':
            ok = not sub
        elif '/' in r:
            a, b = r.split('/', 1)
            if (a == '*' or a == res.plural) and (b == '*' or b == sub):
                ok = True
        elif r == want:
            ok = True
        if ok:
            break
    if not ok:
        return False
    scope = rule.get('scope') or '*'
    if scope == 'Namespaced' and not res.namespaced:
        return False
    if scope == 'Cluster' and res.namespaced:
        return False
    return True


class Admission:
    def __init__(self, cluster, service_map=None):
        self.cluster = cluster
        self.service_map = service_map or {}
        self._ctx_cache = {}

    def configs(self, plural='validatingwebhookconfigurations'):
        b = self.cluster.store.buckets.get(('admissionregistration.k8s.io', plural))
        if b is None or not b.objs:
            return []
        return sorted(b.objs.values(), key=lambda o: o['metadata']['name'])

    def _matching(self, cfgs, op, res, sub, ns, name, obj, old):
        if res.group in ('admissionregistration.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io'):
            return []
        matched = []
        for cfg in cfgs:
            for wh in cfg.get('webhooks') or []:
                if not any(_rule_matches(r, op, res, sub) for r in wh.get('rules') or []):
                    continue
                if not self._ns_match(wh, res, ns, obj, old):
                    continue
                osel = wh.get('objectSelector')
                if osel:
                    lo = ((obj or {}).get('metadata') or {}).get('labels') or {}
                    lold = ((old or {}).get('metadata') or {}).get('labels') or {}
                    if sub == 'scale' or (obj is not None and obj.get('kind') == 'Scale'):
                        parent = self.cluster.store.bucket(res.bucket).objs.get((ns if res.namespaced else '', name))
                        lo = lold = ((parent or {}).get('metadata') or {}).get('labels') or {}
                    m1 = self._selector_matches(osel, lo) if obj is not None else False
                    m2 = self._selector_matches(osel, lold) if old is not None else False
                    if not (m1 or m2):
                        continue
                matched.append(wh)
        return matched

    def mutate(self, ctx, op, res, sub, ns, name, obj, old, options, kind=None):
        """Runs the matching mutating webhooks in order; returns the (possibly) patched object."""
        if obj is None:
            return obj
        matched = self._matching(self.configs('mutatingwebhookconfigurations'), op, res, sub, ns, name, obj, old)
        if not matched:
            return obj
        after = []  # the object as each webhook left it
        for wh in matched:
            obj = self._call(ctx, wh, op, res, sub, ns, name, obj, old, options, kind) or obj
            after.append(obj)
        # reinvocation: IfNeeded webhooks once more when a later webhook changed the object
        for i, wh in enumerate(matched):
            if wh.get('reinvocationPolicy') == 'IfNeeded' and after[i] != obj:
                obj = self._call(ctx, wh, op, res, sub, ns, name, obj, old, options, kind) or obj
        return obj

    def _selector_matches(self, sel, labels):
        if sel is None:
            return True
        try:
            s = selectors.label_selector_from_object(sel)
        except errors.ApiError:
            return False
        return s.matches(labels or {})

    def validate(self, ctx, op, res, sub, ns, name, obj, old, options, kind=None):
        cfgs = self.configs()
        if not cfgs:
            return
        matched = self._matching(cfgs, op, res, sub, ns, name, obj, old)
        if not matched:
            return
        # like kube-apiserver, every matching webhook is called (in parallel); the first error
        # (in configuration order here, so answers are deterministic) is returned
        errs = [None] * len(matched)
        warns = [[] for _ in matched]

        def one(i, wh):
            sub_ctx = _WarnCtx(ctx, warns[i])
            try:
                self._call(sub_ctx, wh, op, res, sub, ns, name, obj, old, options, kind)
            except errors.ApiError as e:
                errs[i] = e
        if len(matched) == 1:
            one(0, matched[0])
        else:
            ts = [threading.Thread(target=one, args=(i, wh)) for i, wh in enumerate(matched)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        for w in warns:
            ctx.warnings.extend(w)
        for e in errs:
            if e is not None:
                raise e

    def _ns_match(self, wh, res, ns, obj, old):
        sel = wh.get('namespaceSelector')
        if not sel or (not sel.get('matchLabels') and not sel.get('matchExpressions')):
            return True
        if res.namespaced:
            nso = self.cluster.namespace_obj(ns)
            labels = ((nso or {}).get('metadata') or {}).get('labels') or {}
            return self._selector_matches(sel, labels)
        if res.bucket == ('', 'namespaces'):
            labels = ((obj or old or {}).get('metadata') or {}).get('labels') or {}
            return self._selector_matches(sel, labels)
        return True

    def _ssl_ctx(self, ca_b64):
        c = self._ctx_cache.get(ca_b64)
        if c is None:
            c = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
            if ca_b64:
                try:
                    pem = base64.b64decode(ca_b64).decode()
                    c = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=pem)
                except (ValueError, ssl.SSLError):
                    c = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
            self._ctx_cache[ca_b64] = c
        return c

    def _target(self, cc, timeout):
        url = cc.get('url')
        if url:
            u = urllib.parse.urlsplit(url)
            host, port = u.hostname, u.port or 443
            sni = host
            path = u.path or '/'
            query = u.query
        else:
            svc = cc.get('service') or {}
            key = '%s/%s' % (svc.get('namespace'), svc.get('name'))
            port = svc.get('port', 443)
            sni = '%s.%s.svc' % (svc.get('name'), svc.get('namespace'))
            path = svc.get('path') or '/'
            query = ''
            url = 'https://%s:%s%s' % (sni, port, path)
            mapped = self.service_map.get(key)
            if mapped:
                host, _, p = mapped.rpartition(':')
                port = int(p)
            else:
                host = None
        path = path + '?' + ((query + '&') if query else '') + 'timeout=%ds' % timeout
        return host, port, sni, path, url

    def _call(self, ctx, wh, op, res, sub, ns, name, obj, old, options, kind):
        name_wh = wh.get('name', '')
        timeout = wh.get('timeoutSeconds') or 10
        policy = wh.get('failurePolicy') or 'Fail'
        cc = wh.get('clientConfig') or {}
        gvk = kind or {'group': res.group, 'version': res.version, 'kind': res.kind}
        request = {'uid': str(uuid.uuid4()), 'kind': gvk,
                   'resource': {'group': res.group, 'version': res.version, 'resource': res.plural}}
        if sub:
            request['subResource'] = sub
        request['requestKind'] = gvk
        request['requestResource'] = request['resource']
        if sub:
            request['requestSubResource'] = sub
        if name:
            request['name'] = name
        if ns and res.namespaced:
            request['namespace'] = ns
        request['operation'] = op
        u = ctx.user or {}
        ui = {'username': u.get('username', '')}
        if u.get('uid'):
            ui['uid'] = u['uid']
        ui['groups'] = u.get('groups', [])
        request['userInfo'] = ui
        request['object'] = obj
        request['oldObject'] = old
        request['dryRun'] = bool(ctx.dry_run)
        request['options'] = options
        review = {'kind': 'AdmissionReview', 'apiVersion': 'admission.k8s.io/v1', 'request': request}
        from .server import go_escape
        body = go_escape(json.dumps(review, separators=(',', ':'), ensure_ascii=False)).encode()
        host, port, sni, path, url = self._target(cc, timeout)
        try:
            if host is None:
                raise OSError('dial tcp: lookup %s: no such host' % sni)
            conn = http.client.HTTPSConnection(host, port, timeout=timeout,
                                               context=self._ssl_ctx(cc.get('caBundle', '')))
            if sni != host:
                # verify the certificate against the service DNS name, as the real server does
                import socket
                raw = socket.create_connection((host, port), timeout=timeout)
                conn.sock = self._ssl_ctx(cc.get('caBundle', '')).wrap_socket(raw, server_hostname=sni)
            conn.request('POST', path, body, {
                'User-Agent': 'kube-apiserver-admission', 'Accept': 'application/json, */*',
                'Content-Type': 'application/json', 'Accept-Encoding': 'gzip'})
            resp = conn.getresponse()
            data = resp.read()
            if resp.getheader('Content-Encoding') == 'gzip':
                data = gzip.decompress(data)
            conn.close()
            if resp.status != 200:
                raise ValueError('received invalid webhook response: expected status code 200, got %d' % resp.status)
            out = json.loads(data)
            r = out.get('response')
            if not isinstance(r, dict):
                raise ValueError('received invalid webhook response: response is nil')
            if r.get('uid') != request['uid']:
                raise ValueError('expected response.uid="%s", got "%s"' % (request['uid'], r.get('uid', '')))
        except Exception as e:
            if policy == 'Ignore':
                return
            if isinstance(e, (OSError, ssl.SSLError, http.client.HTTPException)) and not isinstance(e, ValueError):
                msg = 'failed calling webhook "%s": failed to call webhook: Post "%s?timeout=%ds": %s' % (
                    name_wh, url.split('?')[0], timeout, _go_err(e, host, port))
            else:
                msg = 'failed calling webhook "%s": %s' % (name_wh, e)
            err = errors.internal(msg)
            raise err
        for w in r.get('warnings') or []:
            ctx.warnings.append(w)
        if r.get('allowed'):
            if r.get('patch') is None:
                return None
            if r.get('patchType') != 'JSONPatch':
                raise errors.internal('failed calling webhook "%s": unsupported patch type %r' % (name_wh, r.get('patchType')))
            from . import patch as patchmod
            try:
                ops = json.loads(base64.b64decode(r['patch']))
                return patchmod.json_patch(obj, ops)
            except (ValueError, errors.ApiError) as e:
                raise errors.internal('failed calling webhook "%s": JSONPatch not applied: %s' % (name_wh, e))
        st = dict(r.get('status') or {})
        code = st.get('code') or 0
        if code < 400:
            code = 400
        denied = 'admission webhook "%s" denied the request' % name_wh
        if st.get('message'):
            msg = '%s: %s' % (denied, st['message'])
        elif st.get('reason'):
            msg = '%s: %s' % (denied, st['reason'])
        else:
            msg = denied + ' without explanation'
        s = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure', 'message': msg}
        if st.get('reason'):
            s['reason'] = st['reason']
        if st.get('details'):
            s['details'] = st['details']
        s['code'] = code
        raise errors.ApiError(s)


class _WarnCtx:
    def __init__(self, ctx, warnings):
        self.user = ctx.user
        self.dry_run = ctx.dry_run
        self.warnings = warnings


def _go_err(e, host, port):
    if isinstance(e, ConnectionRefusedError):
        return 'dial tcp %s:%s: connect: connection refused' % (host, port)
    if isinstance(e, TimeoutError) or 'timed out' in str(e):
        return 'context deadline exceeded'
    if isinstance(e, ssl.SSLCertVerificationError):
        return 'tls: failed to verify certificate: x509: certificate signed by unknown authority'
    return str(e)
