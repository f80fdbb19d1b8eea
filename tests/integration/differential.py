#!/usr/bin/env python3
"""Differential test: the same raw API requests against the test API server and a real
kube-apiserver v1.28, compared byte for byte after masking what legitimately differs (uids,
resourceVersions, timestamps, generated name suffixes, the API server's port).

  differential.py TESTCLUSTER_KUBECONFIG REAL_KUBECONFIG [CASE...]

Each case is a short sequence of requests (as admin, JSON bodies); a case passes when every
response has the same status code and the same masked body on both servers. Prints "ok   - case"
or "FAIL - case" with both bodies, then "N passed, N failed". Reads the client code of the node
agent (hack/nodeagent/na/kube.py) for its HTTP calls.
"""
import http.client
import json
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'hack', 'nodeagent'))
from na import kube  # noqa: E402

MASKS = [
    (re.compile(rb'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'), b'UID'),
    (re.compile(rb'"resourceVersion":"[0-9]+"'), b'"resourceVersion":"RV"'),
    (re.compile(rb'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z'), b'TIME'),
    (re.compile(rb'"generation":[0-9]+'), b'"generation":0'),  # stays valid JSON
    (re.compile(rb'10\.96\.[0-9]+\.[0-9]+'), b'CLUSTER-IP'),  # allocated at random by the real one
    (re.compile(rb'"continue":"[A-Za-z0-9_=-]+"'), b'"continue":"TOKEN"'),  # opaque
]
# Cases compared after sorting object keys: inside a built-in's spec the test server keeps the
# client's key order where Go uses struct order (a documented difference).
KEY_ORDER_FREE = {'deployment create (defaults)', 'service create (defaults, ClusterIP masked)'}

CRD = {
    'apiVersion': 'apiextensions.k8s.io/v1', 'kind': 'CustomResourceDefinition',
    'metadata': {'name': 'widgets.diff.example.io'},
    'spec': {'group': 'diff.example.io', 'scope': 'Namespaced',
             'names': {'plural': 'widgets', 'singular': 'widget', 'kind': 'Widget', 'listKind': 'WidgetList'},
             'versions': [{'name': 'v1', 'served': True, 'storage': True,
                           'subresources': {'status': {},
                                            'scale': {'specReplicasPath': '.spec.replicas',
                                                      'statusReplicasPath': '.status.replicas'}},
                           'schema': {'openAPIV3Schema': {'type': 'object', 'properties': {
                               'spec': {'type': 'object', 'properties': {'replicas': {'type': 'integer'},
                                                                         'size': {'type': 'string'}}},
                               'status': {'type': 'object', 'properties': {'replicas': {'type': 'integer'}}}}}}}]}}
W = '/apis/diff.example.io/v1/namespaces/diff/widgets'


def widget(name, replicas):
    return {'apiVersion': 'diff.example.io/v1', 'kind': 'Widget', 'metadata': {'name': name},
            'spec': {'replicas': replicas}}


MERGE = 'application/merge-patch+json'
# name -> [(method, path, body, content type)]
CASES = {
    'create with a negative specReplicasPath value': [('POST', W, widget('neg', -1), None)],
    'create with a specReplicasPath value over int32': [('POST', W, widget('big', 2147483648), None)],
    'create with a valid replicas value': [('POST', W, widget('ok', 2), None)],
    'merge patch to a negative specReplicasPath value': [
        ('POST', W, widget('p', 1), None), ('PATCH', W + '/p', {'spec': {'replicas': -3}}, MERGE)],
    'status write with a negative statusReplicasPath value': [
        ('POST', W, widget('s', 1), None),
        ('PATCH', W + '/s/status', {'status': {'replicas': -1}}, MERGE)],
    'scale subresource: read': [('POST', W, widget('sc', 3), None), ('GET', W + '/sc/scale', None, None)],
    'scale subresource: negative replicas': [
        ('POST', W, widget('sn', 1), None), ('PATCH', W + '/sn/scale', {'spec': {'replicas': -1}}, MERGE)],
    'scale subresource: set replicas': [
        ('POST', W, widget('ss', 1), None), ('PATCH', W + '/ss/scale', {'spec': {'replicas': 4}}, MERGE),
        ('GET', W + '/ss', None, None)],
    'get a missing object (404 body)': [('GET', W + '/nope', None, None)],
    'create twice (409 body)': [('POST', W, widget('dup', 1), None), ('POST', W, widget('dup', 1), None)],
    'configmap create, get and list': [
        ('POST', '/api/v1/namespaces/diff/configmaps', {'apiVersion': 'v1', 'kind': 'ConfigMap',
                                                         'metadata': {'name': 'c1', 'labels': {'a': 'b'}},
                                                         'data': {'k': 'v<&>'}}, None),
        ('GET', '/api/v1/namespaces/diff/configmaps/c1', None, None),
        ('GET', '/api/v1/namespaces/diff/configmaps?labelSelector=a%3Db', None, None)],
    'configmap with an invalid key (422 body)': [
        ('POST', '/api/v1/namespaces/diff/configmaps', {'apiVersion': 'v1', 'kind': 'ConfigMap',
                                                         'metadata': {'name': 'c2'}, 'data': {'bad key': 'v'}}, None)],
    'delete a configmap (200 Status body)': [
        ('POST', '/api/v1/namespaces/diff/configmaps', {'apiVersion': 'v1', 'kind': 'ConfigMap',
                                                         'metadata': {'name': 'c3'}}, None),
        ('DELETE', '/api/v1/namespaces/diff/configmaps/c3', None, None)],
    'custom resource list (items keep kind and apiVersion)': [
        ('POST', W, widget('l1', 1), None), ('GET', W + '?labelSelector=x%21%3Dy', None, None)],
    'deployment create (defaults)': [
        ('POST', '/apis/apps/v1/namespaces/diff/deployments', {
            'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'd1'},
            'spec': {'selector': {'matchLabels': {'app': 'd1'}}, 'template': {
                'metadata': {'labels': {'app': 'd1'}},
                'spec': {'containers': [{'name': 'c', 'image': 'nginx:1.25', 'ports': [{'containerPort': 80}]}]}}}},
         None)],
    'deployment with a negative replicas value (422)': [
        ('POST', '/apis/apps/v1/namespaces/diff/deployments', {
            'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'd2'},
            'spec': {'replicas': -1, 'selector': {'matchLabels': {'app': 'd2'}}, 'template': {
                'metadata': {'labels': {'app': 'd2'}}, 'spec': {'containers': [{'name': 'c', 'image': 'x'}]}}}},
         None)],
    'service create (defaults, ClusterIP masked)': [
        ('POST', '/api/v1/namespaces/diff/services', {
            'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 's1'},
            'spec': {'selector': {'app': 'x'}, 'ports': [{'port': 80, 'targetPort': 'http'}]}}, None)],
    'bad label selector (400)': [('GET', '/api/v1/namespaces/diff/configmaps?labelSelector=a%3D%3D%3Db', None, None)],
    'unsupported field selector (400)': [('GET', '/api/v1/namespaces/diff/configmaps?fieldSelector=data.k%3Dv', None, None)],
    'unsupported field selector of a kind with its own (400)': [
        ('GET', '/api/v1/namespaces/diff/pods?fieldSelector=spec.x%3Dv', None, None)],
    'unsupported field selector of a custom resource (400)': [('GET', W + '?fieldSelector=spec.replicas%3D1', None, None)],
    'custom resource list pages': [('POST', W, widget('pg1', 1), None), ('POST', W, widget('pg2', 1), None),
                                   ('GET', W + '?limit=1', None, None)],
    'JSON patch with a failed test (422)': [
        ('POST', '/api/v1/namespaces/diff/configmaps', {'apiVersion': 'v1', 'kind': 'ConfigMap',
                                                         'metadata': {'name': 'c4'}, 'data': {'k': 'v'}}, None),
        ('PATCH', '/api/v1/namespaces/diff/configmaps/c4', [{'op': 'test', 'path': '/data/k', 'value': 'x'}],
         'application/json-patch+json')],
    'update with a stale resourceVersion (409)': [
        ('POST', '/api/v1/namespaces/diff/configmaps', {'apiVersion': 'v1', 'kind': 'ConfigMap',
                                                         'metadata': {'name': 'c5'}}, None),
        ('PUT', '/api/v1/namespaces/diff/configmaps/c5', {'apiVersion': 'v1', 'kind': 'ConfigMap',
                                                           'metadata': {'name': 'c5', 'resourceVersion': '1'}}, None)],
    'dry-run create': [
        ('POST', '/api/v1/namespaces/diff/configmaps?dryRun=All', {'apiVersion': 'v1', 'kind': 'ConfigMap',
                                                                    'metadata': {'name': 'c6'}}, None),
        ('GET', '/api/v1/namespaces/diff/configmaps/c6', None, None)],
    'strict field validation (400)': [
        ('POST', '/api/v1/namespaces/diff/configmaps?fieldValidation=Strict', {
            'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'c7'}, 'bogus': 1}, None)],
}


def raw_call(c, method, path, body, ctype):
    conn = http.client.HTTPSConnection(c.host, c.port, context=c.ssl, timeout=30)
    data = None if body is None else json.dumps(body).encode()
    if body is None and method == 'POST':
        data = b'{"kind": '  # malformed on purpose
    conn.request(method, path, body=data, headers=c.headers(ctype or ('application/json' if data else None)))
    r = conn.getresponse()
    out = r.status, r.read()
    conn.close()
    return out


def strip_managed_fields(b):
    """The body without "managedFields":[...] (the test server records none: a known difference)."""
    key = b'"managedFields":['
    while True:
        i = b.find(key)
        if i < 0:
            return b
        j, depth, in_str = i + len(key), 1, False
        while depth:
            ch = b[j:j + 1]
            if in_str:
                if ch == b'\\':
                    j += 1
                elif ch == b'"':
                    in_str = False
            elif ch == b'"':
                in_str = True
            elif ch == b'[':
                depth += 1
            elif ch == b']':
                depth -= 1
            j += 1
        start = i - 1 if b[i - 1:i] == b',' else i
        end = j + 1 if start == i and b[j:j + 1] == b',' else j
        b = b[:start] + b[end:]


def mask(b):
    b = strip_managed_fields(b)
    for rx, rep in MASKS:
        b = rx.sub(rep, b)
    return b


def sort_keys(b):
    try:
        return json.dumps(json.loads(b), sort_keys=True).encode()
    except ValueError:
        return b


def setup(c):
    for method, path, body in (('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD),
                               ('POST', '/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace',
                                                               'metadata': {'name': 'diff'}})):
        try:
            c.request(method, path, body)
        except kube.ApiError as e:
            if e.status != 409:
                raise
    for _ in range(100):  # the CRD is served once Established
        st, _ = raw_call(c, 'GET', W, None, None)
        if st == 200:
            return
        import time
        time.sleep(0.1)
    raise SystemExit('widgets never served')


def main():
    test, real = kube.Client(sys.argv[1]), kube.Client(sys.argv[2])
    setup(test)
    setup(real)
    names = sys.argv[3:] or list(CASES)
    passed = failed = 0
    for name in names:
        diffs = []
        for i, (method, path, body, ctype) in enumerate(CASES[name]):
            a = raw_call(test, method, path, body, ctype)
            b = raw_call(real, method, path, body, ctype)
            ma, mb = mask(a[1]), mask(b[1])
            if name in KEY_ORDER_FREE:
                ma, mb = sort_keys(ma), sort_keys(mb)
            if a[0] != b[0] or ma != mb:
                diffs.append('    request %d %s %s\n      test server: %d %s\n      real server: %d %s' % (
                    i + 1, method, path, a[0], ma.decode(errors='replace').strip(),
                    b[0], mb.decode(errors='replace').strip()))
        if diffs:
            failed += 1
            print('FAIL - %s\n%s' % (name, '\n'.join(diffs)))
        else:
            passed += 1
            print('ok   - %s' % name)
    test.close()
    real.close()
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
