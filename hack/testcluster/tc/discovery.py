"""Discovery documents: /api, /apis (plain and aggregated apidiscovery.k8s.io), /apis/G,
/api/v1 and /apis/G/V, shaped like kube-apiserver 1.28's recorded answers.

Owner: tc-core. Stateless: every answer is computed from the Registry on request.
"""
import hashlib
import json


def _resource_list(cl, group, version):
    res = sorted(cl.registry.resources_of(group, version), key=lambda r: r.plural)
    out = []
    for r in res:
        out.extend(r.discovery_entry())
    return out


def group_doc(cl, group):
    vs = cl.registry.versions_of(group)
    if not vs:
        return None
    versions = [{'groupVersion': group + '/' + v, 'version': v} for v in vs]
    return {'name': group, 'versions': versions, 'preferredVersion': versions[0]}


def aggregated_entry(r):
    e = r.aggregated_entry()
    if not r.builtin:
        e['responseKind'] = {'group': r.group, 'version': r.version, 'kind': r.kind}
        for s in e.get('subresources', []):
            if s['subresource'] == 'status':
                s['responseKind'] = {'group': r.group, 'version': r.version, 'kind': r.kind}
    return e


def aggregated(cl, core, version):
    items = []
    for g, vs in cl.registry.groups:
        if core != (g == ''):
            continue
        md = {'creationTimestamp': None}
        if g:
            md = {'name': g, 'creationTimestamp': None}
        versions = []
        for v in vs:
            res = sorted(cl.registry.resources_of(g, v), key=lambda r: r.plural)
            versions.append({'version': v, 'resources': [aggregated_entry(r) for r in res],
                             'freshness': 'Current'})
        items.append({'metadata': md, 'versions': versions})
    return {'kind': 'APIGroupDiscoveryList', 'apiVersion': 'apidiscovery.k8s.io/' + version,
            'metadata': {}, 'items': items}


def wants_aggregated(accept):
    """Picks the first aggregated-discovery media type the client accepts (1.28 serves v2beta1;
    v2 is answered too so newer clients asking only v2 work)."""
    for part in accept.split(','):
        p = part.replace(' ', '')
        if 'as=APIGroupDiscoveryList' in p and 'g=apidiscovery.k8s.io' in p:
            if 'v=v2beta1' in p:
                return 'v2beta1'
    for part in accept.split(','):
        p = part.replace(' ', '')
        if 'as=APIGroupDiscoveryList' in p and 'g=apidiscovery.k8s.io' in p and 'v=v2' in p:
            return 'v2'
    return None


def serve_root(h, cl, which, accept):
    agg = wants_aggregated(accept)
    if agg:
        doc = aggregated(cl, which == 'api', agg)
        body = (json.dumps(doc, separators=(',', ':')) + '\n').encode() if not h.pretty else \
            (json.dumps(doc, indent=2) + '\n').encode()
        etag = '"%s"' % hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()
        hdrs = {'Cache-Control': 'public', 'Etag': etag, 'Vary': 'Accept'}
        if h.headers.get('If-None-Match') == etag:
            h.code = 304
            h.send_response(304)
            for k, v in hdrs.items():
                h.send_header(k, v)
            h.send_header('Content-Length', '0')
            h.end_headers()
            return
        ctype = 'application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList' % agg
        return h.send(200, body, ctype, hdrs)
    if which == 'api':
        host = h.headers.get('Host') or '127.0.0.1'
        return h.send_json(200, {'kind': 'APIVersions', 'versions': ['v1'],
                                 'serverAddressByClientCIDRs': [{'clientCIDR': '0.0.0.0/0',
                                                                 'serverAddress': host}]})
    groups = [group_doc(cl, g) for g, _ in cl.registry.groups if g]
    return h.send_json(200, {'kind': 'APIGroupList', 'apiVersion': 'v1', 'groups': groups})


def serve_group(h, cl, group):
    d = group_doc(cl, group)
    if d is None:
        return False
    out = {'kind': 'APIGroup', 'apiVersion': 'v1'}
    out.update(d)
    h.send_json(200, out)
    return True


def serve_group_version(h, cl, group, version):
    if group == '':
        doc = {'kind': 'APIResourceList', 'groupVersion': 'v1',
               'resources': _resource_list(cl, '', 'v1')}
    else:
        doc = {'kind': 'APIResourceList', 'apiVersion': 'v1', 'groupVersion': group + '/' + version,
               'resources': _resource_list(cl, group, version)}
    h.send_json(200, doc)
