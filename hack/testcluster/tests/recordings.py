#!/usr/bin/env python3
"""Compares the test cluster's answers with the answers recorded from kube-apiserver 1.28:
discovery (plain and aggregated, CRD groups of the recording excluded), the Table answers and
the OpenAPI v3 document of the recorded CRD (values that differ per run — uid, times,
resourceVersions, managedFields — masked). Also the AdmissionReview a webhook receives for a
CRD create, field by field against admission/12 (alice).
Usage: recordings.py CLUSTER_DIR SHARED_K8S_DIR; prints "N passed, N failed" last."""
import base64
import http.client
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

D, R = sys.argv[1], sys.argv[2]
port = int(open(os.path.join(D, 'port')).read())
tok = json.load(open(os.path.join(D, 'tokens.json')))
ctx = ssl.create_default_context(cafile=os.path.join(D, 'ca.crt'))
passed = failed = 0


def req(method, path, body=None, accept='application/json', user='admin', ctype='application/json'):
    c = http.client.HTTPSConnection('127.0.0.1', port, context=ctx)
    h = {'Authorization': 'Bearer ' + tok[user], 'Accept': accept, 'User-Agent': 'recordings.py'}
    if body is not None:
        h['Content-Type'] = ctype
        body = json.dumps(body) if not isinstance(body, (str, bytes)) else body
    c.request(method, path, body, h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data[:1] in (b'{', b'[') else data


def rec(name):
    return json.load(open(os.path.join(R, name)))


def check(name, ok, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print('ok', name)
    else:
        failed += 1
        print('FAIL', name, detail[:2000])


CRD_GROUPS = ('demo.example.com', 'mlops.example.io')
AGG = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'
st, mine = req('GET', '/apis', accept=AGG)
want = rec('discovery/apis-aggregated-v2beta1.json')
want['items'] = [i for i in want['items'] if i['metadata']['name'] not in CRD_GROUPS]
check('aggregated discovery /apis', mine == want)
st, mine = req('GET', '/apis')
want = rec('discovery/apis.json')
want['groups'] = [g for g in want['groups'] if g['name'] not in CRD_GROUPS]
check('/apis', mine == want)
for path, f in (('/api/v1', 'api-v1.json'), ('/apis/apps/v1', 'apis-apps-v1.json'), ('/version', 'version.json')):
    st, mine = req('GET', path)
    check(path, mine == rec('discovery/' + f))
st, mine = req('GET', '/api')
want = rec('discovery/api.json')
check('/api', mine['kind'] == want['kind'] and mine['versions'] == want['versions'])

# the recorded CRD, its group discovery, OpenAPI v3 document and Table answers
crd = {'apiVersion': 'apiextensions.k8s.io/v1', 'kind': 'CustomResourceDefinition',
       'metadata': {'name': 'modeldeployments.mlops.example.io'},
       'spec': {'group': 'mlops.example.io', 'scope': 'Namespaced',
                'names': {'plural': 'modeldeployments', 'singular': 'modeldeployment', 'kind': 'ModelDeployment', 'shortNames': ['md']},
                'versions': [{'name': 'v1alpha1', 'served': True, 'storage': True,
                              'subresources': {'status': {}, 'scale': {'specReplicasPath': '.spec.replicas', 'statusReplicasPath': '.status.replicas'}},
                              'additionalPrinterColumns': [{'name': 'Version', 'type': 'string', 'jsonPath': '.spec.modelVersion'},
                                                           {'name': 'Phase', 'type': 'string', 'jsonPath': '.status.phase'}],
                              'schema': {'openAPIV3Schema': {'type': 'object', 'properties': {
                                  'spec': {'type': 'object', 'required': ['modelVersion'], 'properties': {
                                      'modelVersion': {'type': 'string'}, 'replicas': {'type': 'integer', 'minimum': 0, 'default': 1}}},
                                  'status': {'type': 'object', 'x-kubernetes-preserve-unknown-fields': True}}}}}]}}
req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)
req('POST', '/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'fx-gov'}})
st, mine = req('GET', '/apis/mlops.example.io/v1alpha1')
check('CRD group version discovery', mine == rec('discovery/apis-mlops.example.io-v1alpha1.json'))
st, idx = req('GET', '/openapi/v3')
st, mine = req('GET', idx['paths']['apis/mlops.example.io/v1alpha1']['serverRelativeURL'])
check('CRD OpenAPI v3 document', mine == rec('discovery/openapi-v3-mlops.example.io-v1alpha1.json'))
check('OpenAPI v3 index lists the built-in group versions',
      all(p in idx['paths'] for p in ('api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/coordination.k8s.io/v1')))


def mask_table(t):
    t['metadata']['resourceVersion'] = 'RV'
    for row in t['rows']:
        md = row['object']['metadata']
        md.pop('managedFields', None)
        for k in ('uid', 'resourceVersion', 'creationTimestamp'):
            md[k] = 'X'
    return t


TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
st, mine = req('GET', '/apis/mlops.example.io/v1alpha1/namespaces/fx-gov/modeldeployments?limit=500', accept=TABLE)
check('empty Table', mask_table(mine) == mask_table(rec('discovery/table-modeldeployments-empty.json')))
last = ('{"apiVersion":"mlops.example.io/v1alpha1","kind":"ModelDeployment","metadata":{"annotations":{},'
        '"name":"credit-scorer","namespace":"fx-gov"},"spec":{"modelVersion":"credit-scorer-1-0-0","replicas":2}}\n')
req('POST', '/apis/mlops.example.io/v1alpha1/namespaces/fx-gov/modeldeployments?fieldManager=kubectl-client-side-apply&fieldValidation=Strict',
    {'apiVersion': 'mlops.example.io/v1alpha1', 'kind': 'ModelDeployment',
     'metadata': {'annotations': {'kubectl.kubernetes.io/last-applied-configuration': last}, 'name': 'credit-scorer', 'namespace': 'fx-gov'},
     'spec': {'modelVersion': 'credit-scorer-1-0-0', 'replicas': 2}})
st, mine = req('GET', '/apis/mlops.example.io/v1alpha1/namespaces/fx-gov/modeldeployments?limit=500', accept=TABLE)
check('Table with one object', mask_table(mine) == mask_table(rec('discovery/table-modeldeployments.json')),
      json.dumps(mine))

# the AdmissionReview of admission/12 (alice creates a ModelDeployment)
tmp = tempfile.mkdtemp()
subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                '-keyout', tmp + '/k', '-out', tmp + '/c', '-days', '1', '-subj', '/CN=localhost',
                '-addext', 'subjectAltName=IP:127.0.0.1'], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
seen = []


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
        seen.append({'path': self.path, 'headers': dict(self.headers), 'body': body})
        out = json.dumps({'apiVersion': 'admission.k8s.io/v1', 'kind': 'AdmissionReview',
                          'response': {'uid': body['request']['uid'], 'allowed': True}}).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Hook)
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(tmp + '/c', tmp + '/k')
srv.socket = sctx.wrap_socket(srv.socket, server_side=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
req('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    'apiVersion': 'admissionregistration.k8s.io/v1', 'kind': 'ValidatingWebhookConfiguration',
    'metadata': {'name': 'recordings'},
    'webhooks': [{'name': 'rec.example.io', 'admissionReviewVersions': ['v1'], 'sideEffects': 'None', 'timeoutSeconds': 5,
                  'clientConfig': {'url': 'https://127.0.0.1:%d/validate' % srv.server_address[1],
                                   'caBundle': base64.b64encode(open(tmp + '/c', 'rb').read()).decode()},
                  'rules': [{'apiGroups': ['mlops.example.io'], 'apiVersions': ['v1alpha1'],
                             'operations': ['CREATE'], 'resources': ['modeldeployments']}]}]})
req('DELETE', '/apis/mlops.example.io/v1alpha1/namespaces/fx-gov/modeldeployments/credit-scorer')
want = rec('admission/12-create-modeldeployments.json')
wobj = want['body']['request']['object']
body = {k: wobj[k] for k in ('apiVersion', 'kind', 'spec')}
body['metadata'] = {'name': wobj['metadata']['name'], 'namespace': wobj['metadata']['namespace']}
if 'annotations' in wobj['metadata']:
    body['metadata']['annotations'] = wobj['metadata']['annotations']
req('POST', '/apis/mlops.example.io/v1alpha1/namespaces/fx-gov/modeldeployments?fieldManager=kubectl-create&fieldValidation=Strict',
    body, user='alice')
srv.shutdown()
if not seen:
    check('admission review (admission/12)', False, 'webhook not called')
else:
    got = seen[0]

    def mask(r):
        r = json.loads(json.dumps(r))
        q = r['body']['request']
        q['uid'] = 'UID'
        for o in (q.get('object'), q.get('oldObject')):
            if o:
                o['metadata'].pop('managedFields', None)
                for k in ('uid', 'creationTimestamp', 'resourceVersion'):
                    if k in o['metadata']:
                        o['metadata'][k] = 'X'
        r['headers'].pop('Host', None)
        r['headers'].pop('Content-Length', None)
        return r
    a, b = mask(got), mask(want)
    check('admission review path and headers', (a['path'], a['headers']) == (b['path'], b['headers']),
          json.dumps([a['path'], a['headers'], b['path'], b['headers']]))
    check('admission review body', a['body'] == b['body'], json.dumps([a['body'], b['body']]))
    check('admission review key order', list(a['body']['request']) == list(b['body']['request']))
req('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/recordings')
req('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/modeldeployments.mlops.example.io')
req('DELETE', '/api/v1/namespaces/fx-gov')
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
