"""A container's environment and command line as the kubelet computes them.

Owner: realk8s. Pure functions except for the `fetch(kind, namespace, name)` callback the agent
passes to read ConfigMaps and Secrets (as the node, which the Node authorizer allows for the
objects its Pods reference). Order: envFrom (in order, later wins), then env (in order, later
wins), each `value` expanded with $(VAR) against what is defined so far; then $(VAR) in
command and args. KUBERNETES_SERVICE_HOST/PORT point at the apiserver on loopback (Pods here
share the host network). Service links (FOO_SERVICE_HOST for other Services) are not injected.
Errors raise ConfigError with the kubelet's wording (reported as CreateContainerConfigError).
"""
import base64
import math
import os
import re

POD_IP = '127.0.0.1'
_QUANTITY = re.compile(r'^([+-]?[0-9.]+)([a-zA-Z]*)$')
_SUFFIX = {'': 1, 'm': 1e-3, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15, 'E': 1e18,
           'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60}
_FIELD_KEY = re.compile(r"^metadata\.(labels|annotations)\['(.*)'\]$")


class ConfigError(Exception):
    pass


def expand(s, env):
    """Kubernetes' $(VAR) expansion: defined names are replaced, unknown ones kept as written,
    $$ is a literal $."""
    out = []
    i = 0
    while i < len(s):
        if s[i] == '$' and i + 1 < len(s):
            if s[i + 1] == '$':
                out.append('$')
                i += 2
                continue
            if s[i + 1] == '(':
                end = s.find(')', i + 2)
                if end != -1:
                    name = s[i + 2:end]
                    out.append(env[name] if name in env else s[i:end + 1])
                    i = end + 1
                    continue
        out.append(s[i])
        i += 1
    return ''.join(out)


def quantity(v):
    m = _QUANTITY.match(str(v).strip())
    if not m or m.group(2) not in _SUFFIX:
        raise ConfigError('invalid quantity %r' % (v,))
    return float(m.group(1)) * _SUFFIX[m.group(2)]


def field_ref(pod, path):
    meta, spec, status = pod.get('metadata') or {}, pod.get('spec') or {}, pod.get('status') or {}
    m = _FIELD_KEY.match(path)
    if m:
        return (meta.get(m.group(1)) or {}).get(m.group(2), '')
    simple = {'metadata.name': meta.get('name'), 'metadata.namespace': meta.get('namespace'),
              'metadata.uid': meta.get('uid'), 'spec.nodeName': spec.get('nodeName'),
              'spec.serviceAccountName': spec.get('serviceAccountName'),
              'status.hostIP': POD_IP, 'status.hostIPs': POD_IP, 'status.podIP': POD_IP, 'status.podIPs': POD_IP}
    if path not in simple:
        raise ConfigError('unsupported fieldPath %s' % path)
    return simple[path] or ''


def node_allocatable(resource):
    if resource == 'cpu':
        return float(os.cpu_count() or 1)
    if resource == 'memory':
        return float(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES'))
    return 0.0


def resource_ref(container, ref):
    kind, _, resource = ref.get('resource', '').partition('.')
    res = container.get('resources') or {}
    value = (res.get(kind) or {}).get(resource)
    if value is None and kind == 'requests':
        value = (res.get('limits') or {}).get(resource)
    v = quantity(value) if value is not None else node_allocatable(resource)
    divisor = quantity(ref.get('divisor') or '1')
    return str(int(math.ceil(v / divisor)))


def key_ref(fetch, ns, kind, ref):
    obj = fetch(kind, ns, ref.get('name', ''))
    label = 'ConfigMap' if kind == 'configmaps' else 'Secret'
    if obj is None:
        if ref.get('optional'):
            return None
        raise ConfigError('%s "%s" not found' % (label.lower(), ref.get('name')))
    if kind == 'secrets':
        data = {k: base64.b64decode(v).decode(errors='replace') for k, v in (obj.get('data') or {}).items()}
    else:
        data = dict(obj.get('data') or {})
    key = ref.get('key', '')
    if key not in data:
        if ref.get('optional'):
            return None
        raise ConfigError("couldn't find key %s in %s %s/%s" % (key, label, ns, ref.get('name')))
    return data[key]


def env_from(fetch, ns, source, env):
    for kind, field in (('configmaps', 'configMapRef'), ('secrets', 'secretRef')):
        ref = source.get(field)
        if ref is None:
            continue
        obj = fetch(kind, ns, ref.get('name', ''))
        if obj is None:
            if ref.get('optional'):
                continue
            raise ConfigError('%s "%s" not found' % ('configmap' if kind == 'configmaps' else 'secret', ref.get('name')))
        for k, v in (obj.get('data') or {}).items():
            env[source.get('prefix', '') + k] = base64.b64decode(v).decode(errors='replace') if kind == 'secrets' else v


def resolve(pod, container, fetch, api_port):
    """(argv, env) for one run of CONTAINER in POD; argv is [] when it has no command."""
    ns = pod['metadata']['namespace']
    env = {'HOSTNAME': pod['metadata']['name'],
           'KUBERNETES_SERVICE_HOST': POD_IP, 'KUBERNETES_SERVICE_PORT': str(api_port),
           'KUBERNETES_SERVICE_PORT_HTTPS': str(api_port)}
    for source in container.get('envFrom') or []:
        env_from(fetch, ns, source, env)
    for e in container.get('env') or []:
        vf = e.get('valueFrom')
        if vf is None:
            env[e['name']] = expand(e.get('value', ''), env)
        elif 'fieldRef' in vf:
            env[e['name']] = field_ref(pod, vf['fieldRef'].get('fieldPath', ''))
        elif 'resourceFieldRef' in vf:
            env[e['name']] = resource_ref(container, vf['resourceFieldRef'])
        else:
            kind = 'configmaps' if 'configMapKeyRef' in vf else 'secrets'
            v = key_ref(fetch, ns, kind, vf.get('configMapKeyRef') or vf.get('secretKeyRef') or {})
            if v is not None:
                env[e['name']] = v
    command = container.get('command') or []
    argv = [expand(a, env) for a in command + (container.get('args') or [])] if command else []
    return argv, env
