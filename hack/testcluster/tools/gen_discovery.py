#!/usr/bin/env python3
"""Derives tc/data/builtin.json (the built-in API surface of kube-apiserver 1.28) from the
recorded discovery answers in tests/fixtures/k8s-1.28/discovery. Run once; the output is committed.
Usage: gen_discovery.py SHARED_K8S_DIR OUT"""
import json, os, sys

src, out = sys.argv[1], sys.argv[2]
agg = json.load(open(os.path.join(src, 'discovery/apis-aggregated-v2beta1.json')))
plain = {}
for f in ('api-v1.json', 'apis-apps-v1.json'):
    d = json.load(open(os.path.join(src, 'discovery', f)))
    for r in d['resources']:
        plain[(d['groupVersion'], r['name'])] = r
crd_groups = {'demo.example.com', 'mlops.example.io'}
core = json.load(open(os.path.join(src, 'discovery/api-v1.json')))
groups = []
# core group from the plain /api/v1 list (aggregated /api is not recorded)
core_res = []
for r in core['resources']:
    if '/' in r['name']:
        continue
    subs = []
    for s in core['resources']:
        if s['name'].startswith(r['name'] + '/'):
            sub = {'subresource': s['name'].split('/', 1)[1],
                   'responseKind': {'group': s.get('group', ''), 'version': s.get('version', ''),
                                    'kind': s['kind']}, 'verbs': s['verbs']}
            subs.append(sub)
    e = {'resource': r['name'], 'responseKind': {'group': '', 'version': '', 'kind': r['kind']},
         'scope': 'Namespaced' if r['namespaced'] else 'Cluster',
         'singularResource': r['singularName'], 'verbs': r['verbs']}
    for k in ('shortNames', 'categories'):
        if r.get(k):
            e[k] = r[k]
    if subs:
        e['subresources'] = subs
    if r.get('storageVersionHash'):
        e['storageVersionHash'] = r['storageVersionHash']
    core_res.append(e)
groups.append({'name': '', 'versions': [{'version': 'v1', 'resources': core_res}]})
for g in agg['items']:
    name = g['metadata']['name']
    if name in crd_groups:
        continue
    vers = []
    for v in g['versions']:
        res = []
        for r in v['resources']:
            r = dict(r)
            p = plain.get((name + '/' + v['version'], r['resource']))
            if p and p.get('storageVersionHash'):
                r['storageVersionHash'] = p['storageVersionHash']
            res.append(r)
        vers.append({'version': v['version'], 'resources': res})
    groups.append({'name': name, 'versions': vers})
json.dump({'groups': groups,
           'version': json.load(open(os.path.join(src, 'discovery/version.json')))},
          open(out, 'w'), indent=1, sort_keys=True)
