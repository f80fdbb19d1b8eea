#!/usr/bin/env python3
"""Raw HTTP checks of the test API server, one per rule of the issue.
Usage: check.py CLUSTER_DIR KUBELET_CLUSTER_DIR   (both started with `testcluster up`;
the second with --kubelet --jobs=manual). Prints "ok NAME" / "FAIL NAME: why" and, last,
"N passed, N failed"."""
import base64
import http.client
import http.server
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

D1, D2 = sys.argv[1], sys.argv[2]
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Fail(Exception):
    pass


def eq(a, b, what=''):
    if a != b:
        raise Fail('%s: expected %r, got %r' % (what, b, a))


def true(c, what):
    if not c:
        raise Fail(what)


class Client:
    def __init__(self, d, user='admin'):
        self.d = d
        self.port = int(open(os.path.join(d, 'port')).read())
        self.tokens = json.load(open(os.path.join(d, 'tokens.json')))
        self.token = self.tokens[user] if user else None
        self.ctx = ssl.create_default_context(cafile=os.path.join(d, 'ca.crt'))

    def conn(self, timeout=10):
        return http.client.HTTPSConnection('127.0.0.1', self.port, context=self.ctx, timeout=timeout)

    def raw(self, method, path, body=None, headers=None, token=True):
        h = {'Accept': 'application/json', 'User-Agent': 'check.py'}
        if token is True and self.token:
            h['Authorization'] = 'Bearer ' + self.token
        elif isinstance(token, str):
            h['Authorization'] = 'Bearer ' + token
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h['Content-Type'] = 'application/json'
        h.update(headers or {})
        c = self.conn()
        c.request(method, path, body, h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r, data

    def j(self, method, path, body=None, headers=None, token=True):
        st, r, data = self.raw(method, path, body, headers, token)
        try:
            return st, json.loads(data)
        except ValueError:
            return st, data.decode(errors='replace')

    def watch(self, path, until=None, max_events=100, timeout=8):
        """Reads watch events until `until(events)` is true, max_events or the stream ends."""
        c = self.conn(timeout)
        c.request('GET', path, headers={'Authorization': 'Bearer ' + self.token, 'Accept': 'application/json'})
        r = c.getresponse()
        events = []
        buf = b''
        try:
            while len(events) < max_events:
                chunk = r.read1(65536) if hasattr(r, 'read1') else r.read(1)
                if not chunk:
                    break
                buf += chunk
                while b'\n' in buf:
                    line, buf = buf.split(b'\n', 1)
                    if line.strip():
                        events.append(json.loads(line))
                if until and until(events):
                    break
        except (socket.timeout, TimeoutError):
            pass
        c.close()
        return r, events


A = Client(D1)
K = Client(D2)


def ns_create(c, name, labels=None):
    md = {'name': name}
    if labels:
        md['labels'] = labels
    st, o = c.j('POST', '/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': md})
    true(st in (201, 409), 'namespace create %s: %s %s' % (name, st, o))


def cm(name, data=None, labels=None, **md):
    m = {'name': name}
    if labels:
        m['labels'] = labels
    m.update(md)
    return {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': m, 'data': data or {'a': '1'}}


CRD = {
    'apiVersion': 'apiextensions.k8s.io/v1', 'kind': 'CustomResourceDefinition',
    'metadata': {'name': 'widgets.check.example.io'},
    'spec': {'group': 'check.example.io', 'scope': 'Namespaced',
             'names': {'plural': 'widgets', 'singular': 'widget', 'kind': 'Widget', 'shortNames': ['wg']},
             'versions': [{'name': 'v1', 'served': True, 'storage': True,
                           'subresources': {'status': {}, 'scale': {'specReplicasPath': '.spec.replicas',
                                                                    'statusReplicasPath': '.status.replicas'}},
                           'additionalPrinterColumns': [{'name': 'Size', 'type': 'integer', 'jsonPath': '.spec.size'}],
                           'schema': {'openAPIV3Schema': {'type': 'object', 'properties': {
                               'spec': {'type': 'object', 'required': ['size'], 'properties': {
                                   'size': {'type': 'integer', 'minimum': 0},
                                   'replicas': {'type': 'integer', 'default': 1},
                                   'color': {'type': 'string', 'default': 'blue'}}},
                               'status': {'type': 'object', 'x-kubernetes-preserve-unknown-fields': True}}}}}]}}
W = '/apis/check.example.io/v1/namespaces/chk/widgets'


def widget(name, size=1, **spec):
    s = {'size': size}
    s.update(spec)
    return {'apiVersion': 'check.example.io/v1', 'kind': 'Widget', 'metadata': {'name': name}, 'spec': s}


# ---------------------------------------------------------------- basics
@test
def health_and_version():
    for p in ('/healthz', '/readyz', '/livez'):
        st, r, data = A.raw('GET', p, token=False)
        eq((st, data), (200, b'ok'), p)
    st, v = A.j('GET', '/version')
    eq((st, v['major'], v['minor'], v['gitVersion']), (200, '1', '28', 'v1.28.0'), 'version')


@test
def authn_401_and_anonymous_403():
    st, o = A.j('GET', '/api/v1/namespaces', token='nope')
    eq((st, o['kind'], o['reason'], o['message'], o['code']), (401, 'Status', 'Unauthorized', 'Unauthorized', 401), '401')
    st, o = A.j('GET', '/api/v1/namespaces', token=False)
    eq((st, o['reason']), (403, 'Forbidden'), 'anonymous')


@test
def request_log_records_user_verb_resource():
    A.raw('DELETE', '/_testcluster/requests', token=False)
    alice = Client(D1, 'alice')
    alice.j('GET', '/api/v1/namespaces/default/configmaps?limit=1')
    alice.j('GET', '/apis/apps/v1/namespaces/default/deployments/nothere')
    st, o = A.j('GET', '/_testcluster/requests', token=False)
    got = [(e['user'], e['verb'], e['resource'], e['namespace'], e['name'], e['code'])
           for e in o['items'] if e.get('resource')]
    eq(got[:2], [('alice', 'list', 'configmaps', 'default', '', 200),
                 ('alice', 'get', 'deployments', 'default', 'nothere', 404)], 'log')
    e = [x for x in o['items'] if x.get('resource')][0]
    eq(e['groups'], ['modelgov:reviewers', 'system:authenticated'], 'groups')


@test
def crud_and_status_shapes():
    ns_create(A, 'chk')
    st, o = A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('c1'))
    eq(st, 201, 'create')
    m = o['metadata']
    true(re.match(r'^[0-9a-f-]{36}$', m['uid']), 'uid')
    true(m['resourceVersion'].isdigit(), 'rv')
    true(re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', m['creationTimestamp']), 'creationTimestamp')
    true('generation' not in m, 'configmaps have no generation')
    st, o = A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('c1'))
    eq((st, o), (409, {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure',
                       'message': 'configmaps "c1" already exists', 'reason': 'AlreadyExists',
                       'details': {'name': 'c1', 'kind': 'configmaps'}, 'code': 409}), 'already exists')
    st, o = A.j('GET', '/apis/apps/v1/namespaces/chk/deployments/zz')
    eq((st, o['message'], o['reason'], o['details']), (404, 'deployments.apps "zz" not found', 'NotFound',
                                                       {'name': 'zz', 'group': 'apps', 'kind': 'deployments'}), '404')
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps/c1')
    o['data']['b'] = '2'
    st2, o2 = A.j('PUT', '/api/v1/namespaces/chk/configmaps/c1', o)
    eq(st2, 200, 'update')
    true(int(o2['metadata']['resourceVersion']) > int(o['metadata']['resourceVersion']), 'rv grows')
    st3, o3 = A.j('PUT', '/api/v1/namespaces/chk/configmaps/c1', o)
    eq((st3, o3['reason'], o3['message']), (409, 'Conflict', 'Operation cannot be fulfilled on configmaps "c1": the object has been modified; please apply your changes to the latest version and try again'), 'stale rv')
    st, o = A.j('DELETE', '/api/v1/namespaces/chk/configmaps/c1')
    eq((st, o['kind'], o['status'], o['details']['name']), (200, 'Status', 'Success', 'c1'), 'delete')
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps/c1')
    eq(st, 404, 'gone')


@test
def namespace_must_exist_and_generate_name():
    st, o = A.j('POST', '/api/v1/namespaces/nope-ns/configmaps', cm('x'))
    eq((st, o['reason'], o['message']), (404, 'NotFound', 'namespaces "nope-ns" not found'), 'ns missing')
    st, o = A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('', generateName='gen-'))
    eq(st, 201, 'generateName')
    true(re.match(r'^gen-[a-z0-9]{5}$', o['metadata']['name']), 'generated name ' + o['metadata']['name'])


@test
def put_creates_leases_and_apply_patch_creates():
    lease = {'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease', 'metadata': {'name': 'lk'},
             'spec': {'holderIdentity': 'a', 'leaseDurationSeconds': 15}}
    st, o = A.j('PUT', '/apis/coordination.k8s.io/v1/namespaces/chk/leases/lk', lease)
    eq(st, 201, 'PUT creates a lease')
    st, o = A.j('PUT', '/api/v1/namespaces/chk/configmaps/nothere', cm('nothere'))
    eq(st, 404, 'PUT does not create a configmap')
    st, o = A.j('PATCH', '/api/v1/namespaces/chk/configmaps/ssa?fieldManager=t', json.dumps(cm('ssa')),
                headers={'Content-Type': 'application/apply-patch+yaml'})
    eq(st, 201, 'server-side apply creates')
    st, o = A.j('PATCH', '/api/v1/namespaces/chk/configmaps/ssa', json.dumps(cm('ssa')),
                headers={'Content-Type': 'application/apply-patch+yaml'})
    eq((st, o['reason']), (422, 'Invalid'), 'apply needs fieldManager')


@test
def noop_update_keeps_resource_version():
    A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('noop'))
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps/noop')
    st, o2 = A.j('PUT', '/api/v1/namespaces/chk/configmaps/noop', o)
    eq(o2['metadata']['resourceVersion'], o['metadata']['resourceVersion'], 'no-op update')


@test
def list_limit_continue_and_selectors():
    for i in range(5):
        A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('l%d' % i, labels={'set': 'l', 'i': str(i)}))
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps?labelSelector=set%3Dl&limit=2')
    eq([x['metadata']['name'] for x in o['items']], ['l0', 'l1'], 'page 1')
    eq(o['metadata']['remainingItemCount'], 3, 'remaining')
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps?labelSelector=set%3Dl&limit=2&continue=' +
                urllib.parse.quote(o['metadata']['continue']))
    eq([x['metadata']['name'] for x in o['items']], ['l2', 'l3'], 'page 2')
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps?labelSelector=set%3Dl&limit=2&resourceVersion=0')
    eq((len(o['items']), 'continue' in o['metadata']), (5, False), 'resourceVersion=0 ignores limit (watch cache)')
    sel = urllib.parse.quote('set=l,i notin (0,1),i!=4')
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps?labelSelector=' + sel)
    eq([x['metadata']['name'] for x in o['items']], ['l2', 'l3'], 'set-based selector')
    st, o = A.j('GET', '/api/v1/configmaps?fieldSelector=' + urllib.parse.quote('metadata.namespace=chk,metadata.name=l4'))
    eq([x['metadata']['name'] for x in o['items']], ['l4'], 'cluster-wide field selector')
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps?labelSelector=' + urllib.parse.quote('a in (b'))
    eq((st, o['reason']), (400, 'BadRequest'), 'bad selector')


@test
def pretty_for_curl_and_query():
    st, r, data = A.raw('GET', '/api/v1/namespaces/chk/configmaps/l0', headers={'User-Agent': 'curl/8.0'})
    true(data.startswith(b'{\n  "kind"') or data.startswith(b'{\n  "apiVersion"'), 'curl gets pretty JSON')
    st, r, data = A.raw('GET', '/api/v1/namespaces/chk/configmaps/l0')
    true(b'\n  ' not in data, 'compact by default')
    st, r, data = A.raw('GET', '/api/v1/namespaces/chk/configmaps/l0?pretty=true')
    true(b'\n  ' in data, 'pretty=true')


# ---------------------------------------------------------------- watch
@test
def watch_synthetic_added_then_changes():
    got = {}

    def run():
        r, ev = A.watch('/api/v1/namespaces/chk/configmaps?watch=true&labelSelector=w%3D1&timeoutSeconds=5',
                        until=lambda e: len(e) >= 3)
        got['ev'] = ev
    A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('w0', labels={'w': '1'}))
    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.5)
    A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('w1', labels={'w': '1'}))
    A.j('DELETE', '/api/v1/namespaces/chk/configmaps/w0')
    t.join()
    eq([(e['type'], e['object']['metadata']['name']) for e in got['ev']],
       [('ADDED', 'w0'), ('ADDED', 'w1'), ('DELETED', 'w0')], 'events')


@test
def watch_from_resource_version_and_bookmark():
    st, lst = A.j('GET', '/api/v1/namespaces/chk/configmaps')
    rv = lst['metadata']['resourceVersion']
    A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('wb'))
    r, ev = A.watch('/api/v1/namespaces/chk/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=' + rv,
                    until=lambda e: any(x['type'] == 'BOOKMARK' for x in e))
    eq(r.getheader('Transfer-Encoding'), 'chunked', 'chunked')
    eq([e['type'] for e in ev][:1], ['ADDED'], 'replayed from rv')
    bm = [e for e in ev if e['type'] == 'BOOKMARK']
    true(bm, 'bookmark sent')
    eq(sorted(bm[0]['object'].keys()), ['apiVersion', 'kind', 'metadata'], 'bookmark shape')
    eq((bm[0]['object']['kind'], list(bm[0]['object']['metadata'])), ('ConfigMap', ['resourceVersion']), 'bookmark object')


@test
def watch_too_old_gets_410_error_event():
    r, ev = A.watch('/api/v1/namespaces/chk/configmaps?watch=true&resourceVersion=1', timeout=5)
    eq(len(ev), 1, 'one event')
    o = ev[0]['object']
    eq(ev[0]['type'], 'ERROR', 'type')
    eq((o['kind'], o['apiVersion'], o['metadata'], o['status'], o['reason'], o['code']),
       ('Status', 'v1', {}, 'Failure', 'Expired', 410), 'status')
    true(re.match(r'^too old resource version: 1 \(\d+\)$', o['message']), o['message'])


@test
def watch_too_large_resource_version_is_504():
    st, lst = A.j('GET', '/api/v1/namespaces/chk/configmaps')
    rv = int(lst['metadata']['resourceVersion']) + 1000
    t0 = time.time()
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps?watch=true&resourceVersion=%d' % rv)
    eq((st, o['reason'], o['details']['causes'][0]['reason']), (504, 'Timeout', 'ResourceVersionTooLarge'), '504')
    true(o['message'].startswith('Timeout: Too large resource version: %d, current: ' % rv), o['message'])
    true(time.time() - t0 >= 2.9, 'waited 3 s')


@test
def service_put_keeps_cluster_ip_and_other_subresources():
    svc = {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 's1'},
           'spec': {'ports': [{'port': 80}], 'selector': {'app': 'x'}}}
    st, o = A.j('POST', '/api/v1/namespaces/chk/services', svc)
    eq(st, 201, 'service ' + str(o))
    ip = o['spec']['clusterIP']
    true(re.match(r'^10\.9[6-9]\.|^10\.1[01][0-9]\.', ip), 'cluster IP ' + ip)
    svc['metadata']['resourceVersion'] = o['metadata']['resourceVersion']
    svc['spec']['selector'] = {'app': 'y'}
    st, o = A.j('PUT', '/api/v1/namespaces/chk/services/s1', svc)
    eq((st, o['spec']['clusterIP'], o['spec']['selector']), (200, ip, {'app': 'y'}), 'PUT keeps clusterIP')
    st, o = A.j('GET', '/api/v1/namespaces/chk/pods/nope/log')
    eq(st, 404, 'log of a missing pod')
    st, o = A.j('POST', '/api/v1/namespaces/chk/pods/nope/exec')
    eq(st, 405, 'exec not served')


@test
def watch_history_starts_when_resource_served():
    st, o = A.j('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD)
    eq(st, 201, 'crd create ' + str(o))
    for _ in range(50):
        st, o = A.j('GET', W)
        if st == 200:
            break
        time.sleep(0.1)
    eq(st, 200, 'served')
    st, crd = A.j('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.check.example.io')
    conds = {c['type']: c['status'] for c in crd['status']['conditions']}
    eq((conds.get('NamesAccepted'), conds.get('Established')), ('True', 'True'), 'conditions')
    r, ev = A.watch(W + '?watch=true&resourceVersion=2', timeout=5)
    eq(ev[0]['type'], 'ERROR', 'watch before the resource existed')
    true(ev[0]['object']['message'].startswith('too old resource version: 2 ('), ev[0]['object']['message'])


@test
def fault_compact_and_drop_watches():
    st, lst = A.j('GET', '/api/v1/namespaces/chk/configmaps')
    rv = lst['metadata']['resourceVersion']
    A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('cp1'))
    A.j('POST', '/_testcluster/faults', {'action': 'compact'}, token=False)
    r, ev = A.watch('/api/v1/namespaces/chk/configmaps?watch=true&resourceVersion=' + rv, timeout=5)
    eq([e['type'] for e in ev], ['ERROR'], 'compacted')
    res = {}

    def run():
        t0 = time.time()
        r, ev = A.watch('/api/v1/namespaces/chk/configmaps?watch=true&timeoutSeconds=30&resourceVersion=', timeout=10)
        res['t'] = time.time() - t0
    th = threading.Thread(target=run)
    th.start()
    time.sleep(0.5)
    A.j('POST', '/_testcluster/faults', {'action': 'dropWatches'}, token=False)
    th.join()
    true(res['t'] < 5, 'watch dropped')


@test
def fault_injection_codes_and_delay():
    A.j('POST', '/_testcluster/faults', {'match': '/configmaps/l0$', 'method': 'GET', 'count': 2, 'code': 429, 'retryAfter': 3}, token=False)
    st, r, data = A.raw('GET', '/api/v1/namespaces/chk/configmaps/l0')
    eq((st, r.getheader('Retry-After'), json.loads(data)['reason']), (429, '3', 'TooManyRequests'), '429')
    st, r, data = A.raw('GET', '/api/v1/namespaces/chk/configmaps/l0')
    eq(st, 429, 'second')
    st, r, data = A.raw('GET', '/api/v1/namespaces/chk/configmaps/l0')
    eq(st, 200, 'third passes')
    A.j('POST', '/_testcluster/faults', {'match': '/configmaps/l1$', 'count': 1, 'code': 503}, token=False)
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps/l1')
    eq((st, o['reason']), (503, 'ServiceUnavailable'), '503')
    A.j('POST', '/_testcluster/faults', {'match': '/configmaps/l1$', 'count': 1, 'code': 500}, token=False)
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps/l1')
    eq((st, o['reason']), (500, 'InternalError'), '500')
    A.j('POST', '/_testcluster/faults', {'match': '/configmaps/l2$', 'count': 1, 'delayMs': 600}, token=False)
    t0 = time.time()
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps/l2')
    true(st == 200 and time.time() - t0 >= 0.55, 'delay')


# ---------------------------------------------------------------- objects
@test
def finalizers_and_deletion_timestamp():
    A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('fin', finalizers=['example.io/hold']))
    st, o = A.j('DELETE', '/api/v1/namespaces/chk/configmaps/fin')
    eq(st, 200, 'delete')
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps/fin')
    true(o['metadata'].get('deletionTimestamp'), 'deletionTimestamp set')
    st, o = A.j('PATCH', '/api/v1/namespaces/chk/configmaps/fin', '{"metadata":{"finalizers":null}}',
                headers={'Content-Type': 'application/merge-patch+json'})
    eq(st, 200, 'remove finalizer')
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps/fin')
    eq(st, 404, 'deleted after last finalizer')


@test
def owner_references_background_gc():
    st, owner = A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('own'))
    ref = [{'apiVersion': 'v1', 'kind': 'ConfigMap', 'name': 'own', 'uid': owner['metadata']['uid']}]
    A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('dep1', ownerReferences=ref))
    A.j('DELETE', '/api/v1/namespaces/chk/configmaps/own')
    for _ in range(50):
        st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps/dep1')
        if st == 404:
            break
        time.sleep(0.1)
    eq(st, 404, 'dependent collected')


@test
def status_subresource_and_generation():
    st, o = A.j('POST', W, widget('w1', size=2))
    eq((st, o['metadata']['generation'], o['spec']['replicas'], o['spec']['color']), (201, 1, 1, 'blue'), 'create+defaults')
    st, o = A.j('PATCH', W + '/w1/status', '{"status":{"ready":true},"spec":{"size":9}}',
                headers={'Content-Type': 'application/merge-patch+json'})
    eq((st, o['status'], o['spec']['size'], o['metadata']['generation']), (200, {'ready': True}, 2, 1), 'status write')
    st, o = A.j('PATCH', W + '/w1', '{"status":{"ready":false},"metadata":{"labels":{"x":"y"}}}',
                headers={'Content-Type': 'application/merge-patch+json'})
    eq((o['status'], o['metadata']['generation']), ({'ready': True}, 1), 'main ignores status, labels keep generation')
    st, o = A.j('PATCH', W + '/w1', '[{"op":"replace","path":"/spec/size","value":3}]',
                headers={'Content-Type': 'application/json-patch+json'})
    eq((o['spec']['size'], o['metadata']['generation']), (3, 2), 'spec change bumps generation')
    st, o = A.j('PATCH', W + '/w1', '[{"op":"test","path":"/spec/size","value":4}]',
                headers={'Content-Type': 'application/json-patch+json'})
    eq((st, o.get('reason')), (422, 'Invalid'), 'failed test op is 422')


@test
def crd_validation_strict_and_dry_run():
    st, o = A.j('POST', W + '?fieldValidation=Strict', widget('w2', bogus=1))
    eq((st, o['reason']), (400, 'BadRequest'), 'strict')
    true('strict decoding error: unknown field "spec.bogus"' in o['message'], o['message'])
    st, o = A.j('POST', W, widget('w2', bogus=1))
    eq((st, 'bogus' in o['spec']), (201, False), 'pruned by default')
    st, o = A.j('POST', W, {'apiVersion': 'check.example.io/v1', 'kind': 'Widget', 'metadata': {'name': 'w3'}, 'spec': {'size': -1}})
    eq((st, o['reason']), (422, 'Invalid'), '422')
    eq(o['details']['causes'][0]['field'], 'spec.size', 'cause field')
    st, o = A.j('POST', W + '?dryRun=All', widget('w4'))
    eq(st, 201, 'dry run create')
    st, o = A.j('GET', W + '/w4')
    eq(st, 404, 'dry run not stored')


@test
def scale_subresource_crd_and_deployment():
    st, s = A.j('GET', W + '/w1/scale')
    eq((s['kind'], s['apiVersion'], s['spec'], s['status']), ('Scale', 'autoscaling/v1', {'replicas': 1}, {'replicas': 0}), 'crd scale')
    st, s = A.j('PATCH', W + '/w1/scale', '{"spec":{"replicas":4}}', headers={'Content-Type': 'application/merge-patch+json'})
    eq((st, s['spec']['replicas']), (200, 4), 'scale patch')
    st, o = A.j('GET', W + '/w1')
    eq(o['spec']['replicas'], 4, 'written through')
    dep = {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'd1'},
           'spec': {'replicas': 2, 'selector': {'matchLabels': {'app': 'd1'}},
                    'template': {'metadata': {'labels': {'app': 'd1'}}, 'spec': {'containers': [{'name': 'c', 'image': 'x:1'}]}}}}
    st, o = A.j('POST', '/apis/apps/v1/namespaces/chk/deployments', dep)
    eq(st, 201, 'deployment')
    eq(o['spec']['template']['metadata'], {'creationTimestamp': None, 'labels': {'app': 'd1'}}, 'template metadata as Go serializes it')
    dep['metadata'].update(resourceVersion=o['metadata']['resourceVersion'], labels={'x': 'y'})
    st, o = A.j('PUT', '/apis/apps/v1/namespaces/chk/deployments/d1', dep)
    eq((st, o['metadata']['generation']), (200, 1), 'metadata-only PUT keeps generation')
    del dep['metadata']['resourceVersion']
    st, s = A.j('GET', '/apis/apps/v1/namespaces/chk/deployments/d1/scale')
    eq((s['spec'], s['status'].get('selector')), ({'replicas': 2}, 'app=d1'), 'deployment scale')
    st, s = A.j('PUT', '/apis/apps/v1/namespaces/chk/deployments/d1/scale', {'apiVersion': 'autoscaling/v1', 'kind': 'Scale', 'metadata': {'name': 'd1'}, 'spec': {'replicas': -1}})
    eq((st, s.get('reason')), (422, 'Invalid'), 'negative replicas')


@test
def table_output():
    st, t = A.j('GET', W, headers={'Accept': 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'})
    eq((t['kind'], t['apiVersion']), ('Table', 'meta.k8s.io/v1'), 'table')
    eq([c['name'] for c in t['columnDefinitions']][:2], ['Name', 'Size'], 'printer columns')
    eq(t['rows'][0]['object']['kind'], 'PartialObjectMetadata', 'row object')


@test
def discovery_plain_and_aggregated():
    st, o = A.j('GET', '/apis')
    names = [g['name'] for g in o['groups']]
    true('apps' in names and 'check.example.io' in names, 'groups')
    st, r, data = A.raw('GET', '/apis', headers={'Accept': 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'})
    eq(r.getheader('Content-Type'), 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList', 'ctype')
    eq((r.getheader('Vary'), r.getheader('Cache-Control')), ('Accept', 'public'), 'headers')
    etag = r.getheader('Etag')
    st, r, data = A.raw('GET', '/apis', headers={'Accept': 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList', 'If-None-Match': etag})
    eq(st, 304, 'etag')
    st, o = A.j('GET', '/apis/check.example.io/v1')
    eq([r['name'] for r in o['resources']], ['widgets', 'widgets/status', 'widgets/scale'], 'resources')
    st, r, data = A.raw('GET', '/apis/check.example.io/v1/namespaces/chk/nothings')
    eq((st, data), (404, b'404 page not found\n'), 'unknown resource')


@test
def openapi_v3_index_and_docs():
    st, o = A.j('GET', '/openapi/v3')
    url = o['paths']['apis/check.example.io/v1']['serverRelativeURL']
    st, doc = A.j('GET', url)
    sch = doc['components']['schemas']['io.example.check.v1.Widget']
    eq(sch['x-kubernetes-group-version-kind'], [{'group': 'check.example.io', 'kind': 'Widget', 'version': 'v1'}], 'gvk')
    patch = doc['paths']['/apis/check.example.io/v1/namespaces/{namespace}/widgets/{name}']['patch']
    true(any(p['name'] == 'fieldValidation' for p in patch['parameters']), 'fieldValidation param')


# ---------------------------------------------------------------- admission
class Hook(http.server.BaseHTTPRequestHandler):
    seen = []

    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
        req = review['request']
        Hook.seen.append((self.path, req))
        path = self.path.split('?')[0]
        resp = {'uid': req['uid'], 'allowed': True}
        if path == '/deny':
            resp = {'uid': req['uid'], 'allowed': False, 'status': {'code': 403, 'reason': 'Forbidden', 'message': 'no way'}}
        elif path == '/deny-bare':
            resp = {'uid': req['uid'], 'allowed': False}
        elif path == '/warn':
            resp['warnings'] = ['careful "now"']
        elif path == '/slow':
            time.sleep(3)
        body = json.dumps({'apiVersion': 'admission.k8s.io/v1', 'kind': 'AdmissionReview', 'response': resp}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def start_hook(tmp):
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                    '-keyout', tmp + '/k', '-out', tmp + '/c', '-days', '1', '-subj', '/CN=localhost',
                    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:hook.chk.svc'],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Hook)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp + '/c', tmp + '/k')
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.daemon_threads = True
    srv.handle_error = lambda *a: None
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, base64.b64encode(open(tmp + '/c', 'rb').read()).decode()


def vwc(name, webhooks):
    return {'apiVersion': 'admissionregistration.k8s.io/v1', 'kind': 'ValidatingWebhookConfiguration',
            'metadata': {'name': name}, 'webhooks': webhooks}


def wh(name, url, ca, rules, **kw):
    d = {'name': name, 'admissionReviewVersions': ['v1'], 'sideEffects': 'None',
         'clientConfig': {'url': url, 'caBundle': ca}, 'rules': rules}
    d.update(kw)
    return d


@test
def admission_webhooks():
    tmp = tempfile.mkdtemp()
    srv, ca = start_hook(tmp)
    port = srv.server_address[1]
    base = 'https://127.0.0.1:%d' % port
    ns_create(A, 'adm', {'hooked': 'yes'})
    rules_cm = [{'apiGroups': [''], 'apiVersions': ['v1'], 'operations': ['CREATE'], 'resources': ['configmaps']}]
    cfg = vwc('chk-hooks', [
        wh('deny.chk.io', base + '/deny', ca, rules_cm, failurePolicy='Fail', timeoutSeconds=4,
           namespaceSelector={'matchLabels': {'hooked': 'yes'}}, objectSelector={'matchLabels': {'deny': 'yes'}}),
        wh('warn.chk.io', base + '/warn', ca, rules_cm, namespaceSelector={'matchLabels': {'hooked': 'yes'}}),
        wh('bare.chk.io', base + '/deny-bare', ca, rules_cm, objectSelector={'matchLabels': {'bare': 'yes'}}),
        wh('scale.chk.io', base + '/allow', ca, [{'apiGroups': ['apps'], 'apiVersions': ['v1'], 'operations': ['UPDATE'], 'resources': ['deployments/scale']}]),
    ])
    st, o = A.j('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg)
    eq(st, 201, 'vwc create %s' % o)
    Hook.seen.clear()
    st, r, data = A.raw('POST', '/api/v1/namespaces/adm/configmaps', json.dumps(cm('ok1')), {'Content-Type': 'application/json'})
    eq(st, 201, 'allowed')
    eq(r.getheader('Warning'), '299 - "careful \\"now\\""', 'warning header')
    eq([p for p, _ in Hook.seen], ['/warn?timeout=10s'], 'only the warn hook matched; default timeout')
    req = Hook.seen[0][1]
    eq((req['operation'], req['kind'], req['resource'], req['namespace'], req['name'], req['dryRun'],
        req['userInfo']['username'], req['options']['kind'], req['oldObject']),
       ('CREATE', {'group': '', 'version': 'v1', 'kind': 'ConfigMap'}, {'group': '', 'version': 'v1', 'resource': 'configmaps'},
        'adm', 'ok1', False, 'admin', 'CreateOptions', None), 'review fields')
    st, o = A.j('POST', '/api/v1/namespaces/adm/configmaps', cm('no1', labels={'deny': 'yes'}))
    eq((st, o['reason'], o['message']), (403, 'Forbidden', 'admission webhook "deny.chk.io" denied the request: no way'), 'denied')
    true('/deny?timeout=4s' in [p for p, _ in Hook.seen], 'timeout on path')
    st, o = A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('no2', labels={'bare': 'yes'}))
    eq((st, o['message']), (400, 'admission webhook "bare.chk.io" denied the request without explanation'), 'bare denial')
    st, o = A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('skip', labels={'deny': 'yes'}))
    eq(st, 201, 'namespaceSelector excludes chk')
    Hook.seen.clear()
    st, o = A.j('PATCH', '/apis/apps/v1/namespaces/chk/deployments/d1/scale', '{"spec":{"replicas":3}}',
                headers={'Content-Type': 'application/merge-patch+json'})
    eq(st, 200, 'scale allowed')
    req = Hook.seen[-1][1]
    eq((req['kind']['kind'], req['resource']['resource'], req['subResource'], req['object']['spec'], req['oldObject']['spec']),
       ('Scale', 'deployments', 'scale', {'replicas': 3}, {'replicas': 2}), 'scale review')
    A.j('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/chk-hooks')
    # failure policies, timeouts and service references
    cfg = vwc('chk-fail', [
        wh('down.chk.io', 'https://127.0.0.1:1/x', ca, rules_cm, failurePolicy='Fail', objectSelector={'matchLabels': {'f': 'down'}}),
        wh('ign.chk.io', 'https://127.0.0.1:1/x', ca, rules_cm, failurePolicy='Ignore', objectSelector={'matchLabels': {'f': 'ign'}}),
        wh('slow.chk.io', base + '/slow', ca, rules_cm, failurePolicy='Fail', timeoutSeconds=1, objectSelector={'matchLabels': {'f': 'slow'}}),
        wh('badca.chk.io', base + '/allow', base64.b64encode(open(os.path.join(D1, 'ca.crt'), 'rb').read()).decode(), rules_cm, failurePolicy='Fail', objectSelector={'matchLabels': {'f': 'badca'}}),
    ])
    A.j('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg)
    st, o = A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('f1', labels={'f': 'down'}))
    eq((st, o['reason']), (500, 'InternalError'), 'Fail policy')
    true(o['message'].startswith('Internal error occurred: failed calling webhook "down.chk.io": '), o['message'])
    st, o = A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('f2', labels={'f': 'ign'}))
    eq(st, 201, 'Ignore policy')
    st, o = A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('f3', labels={'f': 'slow'}))
    eq(st, 500, 'timeout')
    st, o = A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('f4', labels={'f': 'badca'}))
    eq(st, 500, 'caBundle verification')
    A.j('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/chk-fail')
    srv.shutdown()


@test
def webhook_service_reference_and_kubelet_pods_admission():
    """A webhook referenced by service (mapped with --service-map, certificate checked against
    hook.chk.svc) sees the kubelet's pods, created by the replicaset-controller account."""
    tmp = tempfile.mkdtemp()
    srv, ca = start_hook(tmp)
    d3 = os.path.join(tmp, 'c3')
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run([os.path.join(here, '..', 'testcluster'), 'up', '--dir', d3, '--kubelet',
                    '--service-map', 'chk/hook=127.0.0.1:%d' % srv.server_address[1]],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        C3 = Client(d3)
        ns_create(C3, 'chk')
        cfg = vwc('svc-hooks', [{
            'name': 'pods.chk.io', 'admissionReviewVersions': ['v1'], 'sideEffects': 'None',
            'failurePolicy': 'Fail', 'timeoutSeconds': 5,
            'clientConfig': {'service': {'namespace': 'chk', 'name': 'hook', 'path': '/allow', 'port': 443}, 'caBundle': ca},
            'rules': [{'apiGroups': [''], 'apiVersions': ['v1'], 'operations': ['CREATE'], 'resources': ['pods']}]}])
        st, o = C3.j('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg)
        eq(st, 201, 'vwc')
        Hook.seen.clear()
        dep = {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'web'},
               'spec': {'replicas': 1, 'selector': {'matchLabels': {'app': 'web'}},
                        'template': {'metadata': {'labels': {'app': 'web'}}, 'spec': {'containers': [{'name': 'c', 'image': 'x:1'}]}}}}
        C3.j('POST', '/apis/apps/v1/namespaces/chk/deployments', dep)
        for _ in range(50):
            if Hook.seen:
                break
            time.sleep(0.1)
        true(Hook.seen, 'the webhook saw the pod')
        path, req = Hook.seen[0]
        eq(path, '/allow?timeout=5s', 'path')
        eq((req['kind']['kind'], req['operation'], req['userInfo']['username']),
           ('Pod', 'CREATE', 'system:serviceaccount:kube-system:replicaset-controller'), 'pod review')
        eq(req['userInfo']['groups'], ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'], 'groups')
        true(req['object']['metadata']['generateName'].startswith('web-'), 'generateName')
        eq(req['object']['metadata']['ownerReferences'][0]['kind'], 'Deployment', 'owner')
        # unmapped service: Fail policy -> 500
        cfg['metadata']['name'] = 'svc-hooks-2'
        cfg['webhooks'][0]['name'] = 'nomap.chk.io'
        cfg['webhooks'][0]['clientConfig']['service']['name'] = 'other'
        cfg['webhooks'][0]['rules'][0]['resources'] = ['configmaps']
        C3.j('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg)
        st, o = C3.j('POST', '/api/v1/namespaces/chk/configmaps', cm('x'))
        eq((st, o['reason']), (500, 'InternalError'), 'unmapped service')
    finally:
        subprocess.run([os.path.join(here, '..', 'testcluster'), 'down', '--dir', d3], stdout=subprocess.DEVNULL)
        srv.shutdown()


@test
def deletecollection_and_builtin_table():
    for i in range(3):
        A.j('POST', '/api/v1/namespaces/chk/configmaps', cm('dc%d' % i, labels={'dc': 'y'}))
    st, o = A.j('DELETE', '/api/v1/namespaces/chk/configmaps?labelSelector=dc%3Dy')
    eq(st, 200, 'deletecollection')
    st, o = A.j('GET', '/api/v1/namespaces/chk/configmaps?labelSelector=dc%3Dy')
    eq(o['items'], [], 'all gone')
    st, t = A.j('GET', '/api/v1/namespaces/chk/configmaps/l0', headers={'Accept': 'application/json;as=Table;v=v1;g=meta.k8s.io'})
    eq(([c['name'] for c in t['columnDefinitions']], t['rows'][0]['cells'][:2]), (['Name', 'Data', 'Age'], ['l0', 1]), 'configmap table')


# ---------------------------------------------------------------- namespaces
@test
def namespace_deletion_terminating_then_gone():
    ns_create(A, 'gone')
    A.j('POST', '/api/v1/namespaces/gone/configmaps', cm('x'))
    st, o = A.j('DELETE', '/api/v1/namespaces/gone')
    eq((st, o['status']['phase']), (200, 'Terminating'), 'terminating')
    st, o = A.j('POST', '/api/v1/namespaces/gone/configmaps', cm('y'))
    eq((st, o['reason']), (403, 'Forbidden'), 'no new content')
    for _ in range(100):
        st, o = A.j('GET', '/api/v1/namespaces/gone')
        if st == 404:
            break
        time.sleep(0.1)
    eq(st, 404, 'gone')


# ---------------------------------------------------------------- kubelet
@test
def kubelet_deployment_pods_ready_and_scale_down():
    ns_create(K, 'kl')
    dep = {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'web'},
           'spec': {'replicas': 2, 'selector': {'matchLabels': {'app': 'web'}},
                    'template': {'metadata': {'labels': {'app': 'web'}}, 'spec': {'containers': [{'name': 'c', 'image': 'x:1'}]}}}}
    K.j('POST', '/apis/apps/v1/namespaces/kl/deployments', dep)
    for _ in range(60):
        st, d = K.j('GET', '/apis/apps/v1/namespaces/kl/deployments/web')
        if d.get('status', {}).get('readyReplicas') == 2:
            break
        time.sleep(0.1)
    s = d['status']
    eq((s.get('replicas'), s.get('readyReplicas'), s.get('availableReplicas'), s.get('updatedReplicas'), s.get('observedGeneration')),
       (2, 2, 2, 2, 1), 'status')
    conds = {c['type']: c['status'] for c in s['conditions']}
    eq(conds.get('Available'), 'True', 'Available')
    st, pods = K.j('GET', '/api/v1/namespaces/kl/pods?labelSelector=app%3Dweb')
    eq([(p['status']['phase'], p['status']['podIP']) for p in pods['items']], [('Running', '127.0.0.1')] * 2, 'pods')
    K.j('PATCH', '/apis/apps/v1/namespaces/kl/deployments/web/scale', '{"spec":{"replicas":1}}',
        headers={'Content-Type': 'application/merge-patch+json'})
    for _ in range(60):
        st, pods = K.j('GET', '/api/v1/namespaces/kl/pods?labelSelector=app%3Dweb')
        if len(pods['items']) == 1:
            break
        time.sleep(0.1)
    eq(len(pods['items']), 1, 'scaled down')


@test
def kubelet_jobs_manual_stay_running():
    job = {'apiVersion': 'batch/v1', 'kind': 'Job', 'metadata': {'name': 'j'},
           'spec': {'template': {'spec': {'restartPolicy': 'Never', 'containers': [{'name': 'c', 'image': 'x:1'}]}}}}
    st, o = K.j('POST', '/apis/batch/v1/namespaces/kl/jobs', job)
    eq(st, 201, 'job ' + str(o))
    for _ in range(30):
        st, j = K.j('GET', '/apis/batch/v1/namespaces/kl/jobs/j')
        if j.get('status', {}).get('active'):
            break
        time.sleep(0.1)
    eq(j['status'].get('active'), 1, 'running')
    time.sleep(1.5)
    st, j = K.j('GET', '/apis/batch/v1/namespaces/kl/jobs/j')
    eq(j['status'].get('succeeded'), None, 'manual jobs stay running')


def main():
    passed = failed = 0
    for t in TESTS:
        try:
            t()
            passed += 1
            print('ok', t.__name__)
        except Fail as e:
            failed += 1
            print('FAIL %s: %s' % (t.__name__, e))
        except Exception as e:
            failed += 1
            print('FAIL %s: %s' % (t.__name__, ''.join(traceback.format_exception(e)).strip()))
        sys.stdout.flush()
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
