"""Defaulting and validation of the built-in kinds this test server serves, after
k8s.io/kubernetes/pkg/apis/*/v1/defaults.go, the registries' PrepareForCreate and
pkg/apis/*/validation (1.28 wording for the rules implemented; see INTERFACE.md for the list).
"""
import base64
import copy
import ipaddress
import random
import re

from . import errors
from . import selectors
from .schema import validate_object_meta
from .validation import (is_dns1123_label, is_dns1123_subdomain, name_is_dns_subdomain,
                         name_is_dns_label, name_is_dns1035_label, is_qualified_name)

# ------------------------------------------------------------------ defaults


def _image_pull_policy(image):
    """Always for :latest or an untagged image (no digest), else IfNotPresent."""
    ref = image or ''
    if '@' in ref:
        return 'IfNotPresent'
    last = ref.rsplit('/', 1)[-1]
    tag = last.split(':', 1)[1] if ':' in last else ''
    if tag == '' or tag == 'latest':
        return 'Always'
    return 'IfNotPresent'


def _default_probe(p):
    if not isinstance(p, dict):
        return
    p.setdefault('timeoutSeconds', 1)
    p.setdefault('periodSeconds', 10)
    p.setdefault('successThreshold', 1)
    p.setdefault('failureThreshold', 3)
    if isinstance(p.get('httpGet'), dict):
        p['httpGet'].setdefault('path', '/')
        p['httpGet'].setdefault('scheme', 'HTTP')


def _default_container(c):
    if not isinstance(c, dict):
        return
    c.setdefault('resources', {})
    c.setdefault('terminationMessagePath', '/dev/termination-log')
    c.setdefault('terminationMessagePolicy', 'File')
    if not c.get('imagePullPolicy'):
        c['imagePullPolicy'] = _image_pull_policy(c.get('image'))
    for p in c.get('ports') or []:
        if isinstance(p, dict):
            p.setdefault('protocol', 'TCP')
    for e in c.get('env') or []:
        fr = ((e or {}).get('valueFrom') or {}).get('fieldRef')
        if isinstance(fr, dict):
            fr.setdefault('apiVersion', 'v1')
    for k in ('livenessProbe', 'readinessProbe', 'startupProbe'):
        _default_probe(c.get(k))


def _default_volume(v):
    if not isinstance(v, dict):
        return
    for k in ('configMap', 'secret', 'downwardAPI'):
        if isinstance(v.get(k), dict):
            v[k].setdefault('defaultMode', 420)
    if isinstance(v.get('projected'), dict):
        v['projected'].setdefault('defaultMode', 420)
    keys = [k for k in v if k != 'name']
    if not keys:
        v['emptyDir'] = {}
    if isinstance(v.get('hostPath'), dict):
        v['hostPath'].setdefault('type', '')


def default_pod_spec(spec):
    if not isinstance(spec, dict):
        return
    spec.setdefault('restartPolicy', 'Always')
    spec.setdefault('terminationGracePeriodSeconds', 30)
    spec.setdefault('dnsPolicy', 'ClusterFirst')
    spec.setdefault('securityContext', {})
    spec.setdefault('schedulerName', 'default-scheduler')
    for key in ('initContainers', 'containers', 'ephemeralContainers'):
        for c in spec.get(key) or []:
            _default_container(c)
    for v in spec.get('volumes') or []:
        _default_volume(v)
    if spec.get('hostNetwork'):
        for key in ('initContainers', 'containers'):
            for c in spec.get(key) or []:
                for p in c.get('ports') or []:
                    if 'hostPort' not in p and 'containerPort' in p:
                        p['hostPort'] = p['containerPort']


def _default_template(t):
    if isinstance(t, dict):
        t.setdefault('metadata', {})
        spec = t.setdefault('spec', {})
        default_pod_spec(spec)


def _spec(obj):
    s = obj.get('spec')
    if not isinstance(s, dict):
        s = obj['spec'] = {}
    return s


class IPAllocator(object):
    """ClusterIP allocator over 10.96.0.0/12 (10.96.0.1 is the kubernetes Service)."""

    def __init__(self, cidr='10.96.0.0/12', reserved=('10.96.0.1',)):
        self.net = ipaddress.ip_network(cidr)
        self.used = set(reserved)
        self._next = 10

    def allocate(self, want=None):
        if want:
            if want in self.used:
                raise ValueError('provided IP is already allocated')
            self.used.add(want)
            return want
        size = self.net.num_addresses
        for _ in range(size):
            ip = str(self.net.network_address + self._next)
            self._next = self._next + 1 if self._next + 1 < size - 1 else 10
            if ip not in self.used:
                self.used.add(ip)
                return ip
        raise ValueError('range is full')

    def release(self, ip):
        self.used.discard(ip)


class NodePortAllocator(object):
    def __init__(self, lo=30000, hi=32767):
        self.lo, self.hi, self.used = lo, hi, set()

    def allocate(self, want=None):
        if want:
            self.used.add(want)
            return want
        for p in range(self.lo, self.hi + 1):
            if p not in self.used:
                self.used.add(p)
                return p
        raise ValueError('range is full')

    def release(self, port):
        self.used.discard(port)


def default_service(obj, ip_allocator=None, port_allocator=None):
    spec = _spec(obj)
    t = spec.setdefault('type', 'ClusterIP')
    if t == 'ExternalName':
        return
    spec.setdefault('sessionAffinity', 'None')
    if spec['sessionAffinity'] == 'ClientIP':
        sac = spec.setdefault('sessionAffinityConfig', {})
        sac.setdefault('clientIP', {}).setdefault('timeoutSeconds', 10800)
    for p in spec.get('ports') or []:
        if isinstance(p, dict):
            p.setdefault('protocol', 'TCP')
            if 'targetPort' not in p or p['targetPort'] in (0, ''):
                p['targetPort'] = p.get('port')
            if t in ('NodePort', 'LoadBalancer') and not p.get('nodePort') and port_allocator is not None:
                p['nodePort'] = port_allocator.allocate()
    if t in ('NodePort', 'LoadBalancer'):
        spec.setdefault('externalTrafficPolicy', 'Cluster')
    if t == 'LoadBalancer':
        spec.setdefault('allocateLoadBalancerNodePorts', True)
    spec.setdefault('internalTrafficPolicy', 'Cluster')
    cip = spec.get('clusterIP')
    if cip != 'None':
        if not cip and spec.get('clusterIPs'):
            cip = spec['clusterIPs'][0]
        if not cip and ip_allocator is not None:
            cip = ip_allocator.allocate()
        elif cip and ip_allocator is not None and cip not in ip_allocator.used:
            ip_allocator.allocate(cip)
        if cip:
            spec['clusterIP'] = cip
            spec['clusterIPs'] = [cip]
    else:
        spec['clusterIPs'] = ['None']
    spec.setdefault('ipFamilies', ['IPv4'])
    spec.setdefault('ipFamilyPolicy', 'SingleStack')
    obj.setdefault('status', {}).setdefault('loadBalancer', {})


def default_deployment(obj):
    spec = _spec(obj)
    spec.setdefault('replicas', 1)
    st = spec.setdefault('strategy', {})
    st.setdefault('type', 'RollingUpdate')
    if st['type'] == 'RollingUpdate':
        ru = st.setdefault('rollingUpdate', {})
        ru.setdefault('maxUnavailable', '25%')
        ru.setdefault('maxSurge', '25%')
    spec.setdefault('revisionHistoryLimit', 10)
    spec.setdefault('progressDeadlineSeconds', 600)
    _default_template(spec.setdefault('template', {}))


def default_job(obj):
    spec = _spec(obj)
    if spec.get('completions') is None and spec.get('parallelism') is None:
        spec['completions'] = 1
        spec['parallelism'] = 1
    if spec.get('parallelism') is None:
        spec['parallelism'] = 1
    if spec.get('backoffLimit') is None:
        spec['backoffLimit'] = 2147483647 if spec.get('backoffLimitPerIndex') is not None else 6
    spec.setdefault('completionMode', 'NonIndexed')
    spec.setdefault('suspend', False)
    tmpl = spec.setdefault('template', {})
    _default_template(tmpl)
    md = obj.get('metadata') or {}
    if not spec.get('manualSelector'):
        uid, name = md.get('uid', ''), md.get('name', '')
        labels = tmpl.setdefault('metadata', {}).setdefault('labels', {})
        for k in ('job-name', 'batch.kubernetes.io/job-name'):
            labels[k] = name
        for k in ('controller-uid', 'batch.kubernetes.io/controller-uid'):
            labels[k] = uid
        sel = spec.get('selector')
        if not isinstance(sel, dict):
            sel = spec['selector'] = {}
        ml = sel.setdefault('matchLabels', {})
        ml.setdefault('batch.kubernetes.io/controller-uid', uid)


def default_webhook_configuration(obj):
    for w in obj.get('webhooks') or []:
        if not isinstance(w, dict):
            continue
        w.setdefault('failurePolicy', 'Fail')
        w.setdefault('matchPolicy', 'Equivalent')
        w.setdefault('namespaceSelector', {})
        w.setdefault('objectSelector', {})
        w.setdefault('timeoutSeconds', 10)
        for r in w.get('rules') or []:
            r.setdefault('scope', '*')
        svc = (w.get('clientConfig') or {}).get('service')
        if isinstance(svc, dict):
            svc.setdefault('port', 443)


def apply_defaults(group, version, kind, obj, ip_allocator=None, port_allocator=None):
    """Defaults of a built-in object, in place.  Call after metadata.uid/name are set (Job)."""
    if kind == 'Pod' and group == '':
        spec = _spec(obj)
        default_pod_spec(spec)
        spec.setdefault('enableServiceLinks', True)
        st = obj.get('status')
        if st is None:
            obj['status'] = {'phase': 'Pending', 'qosClass': _qos(spec)}
    elif kind == 'Service' and group == '':
        default_service(obj, ip_allocator, port_allocator)
    elif kind == 'Secret' and group == '':
        if not obj.get('type'):
            obj['type'] = 'Opaque'
        sd = obj.pop('stringData', None)
        if isinstance(sd, dict) and sd:
            # conversion v1 -> internal: stringData is write-only, merged over data
            data = obj.get('data')
            if not isinstance(data, dict):
                data = obj['data'] = {}
            for k, v in sd.items():
                data[k] = base64.b64encode(str(v).encode('utf-8')).decode('ascii')
    elif kind == 'Namespace' and group == '':
        md = obj.setdefault('metadata', {})
        if md.get('name'):
            md.setdefault('labels', {})['kubernetes.io/metadata.name'] = md['name']
        obj.setdefault('spec', {}).setdefault('finalizers', ['kubernetes'])
        obj.setdefault('status', {}).setdefault('phase', 'Active')
    elif kind == 'Deployment' and group == 'apps':
        default_deployment(obj)
    elif kind == 'Job' and group == 'batch':
        default_job(obj)
    elif kind == 'ValidatingWebhookConfiguration' and group == 'admissionregistration.k8s.io':
        default_webhook_configuration(obj)
    elif kind == 'Event' and group == '':
        obj.setdefault('involvedObject', {})
        obj.setdefault('source', {})
        obj.setdefault('firstTimestamp', None)
        obj.setdefault('lastTimestamp', None)
        obj.setdefault('eventTime', None)
        obj.setdefault('reportingComponent', '')
        obj.setdefault('reportingInstance', '')
    elif kind == 'CustomResourceDefinition' and group == 'apiextensions.k8s.io':
        from .schema import crd_defaults
        crd_defaults(obj)
    return obj


def _qos(spec):
    req = lim = False
    guaranteed = True
    for c in spec.get('containers') or []:
        r = (c.get('resources') or {})
        if r.get('requests'):
            req = True
        if r.get('limits'):
            lim = True
        if not (r.get('limits') or {}).get('cpu') or not (r.get('limits') or {}).get('memory'):
            guaranteed = False
    if not req and not lim:
        return 'BestEffort'
    return 'Guaranteed' if guaranteed else 'Burstable'


_SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789'


def random_suffix(n=5, rng=random):
    """utilrand.String: the alphabet kube uses for generateName and volume suffixes."""
    return ''.join(rng.choice(_SUFFIX_CHARS) for _ in range(n))


def apply_pod_admission(pod, suffix=None):
    """What the default admission chain adds to a new Pod (ServiceAccount token volume,
    DefaultTolerationSeconds, Priority), as seen by webhooks (admission/02-create-pods.json)."""
    spec = _spec(pod)
    if not spec.get('serviceAccountName'):
        spec['serviceAccountName'] = spec.get('serviceAccount') or 'default'
    spec['serviceAccount'] = spec['serviceAccountName']
    if spec.get('automountServiceAccountToken') is not False and not any(
            (v.get('name') or '').startswith('kube-api-access-') for v in spec.get('volumes') or []):
        name = 'kube-api-access-' + (suffix or random_suffix())
        spec.setdefault('volumes', []).append({'name': name, 'projected': {'sources': [
            {'serviceAccountToken': {'expirationSeconds': 3607, 'path': 'token'}},
            {'configMap': {'name': 'kube-root-ca.crt', 'items': [{'key': 'ca.crt', 'path': 'ca.crt'}]}},
            {'downwardAPI': {'items': [{'path': 'namespace', 'fieldRef': {
                'apiVersion': 'v1', 'fieldPath': 'metadata.namespace'}}]}}], 'defaultMode': 420}})
        for key in ('initContainers', 'containers'):
            for c in spec.get(key) or []:
                mounts = c.setdefault('volumeMounts', [])
                if not any(m.get('mountPath') == '/var/run/secrets/kubernetes.io/serviceaccount' for m in mounts):
                    mounts.append({'name': name, 'readOnly': True,
                                   'mountPath': '/var/run/secrets/kubernetes.io/serviceaccount'})
    tol = spec.setdefault('tolerations', [])
    for key in ('node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'):
        if not any(t.get('key') == key for t in tol):
            tol.append({'key': key, 'operator': 'Exists', 'effect': 'NoExecute', 'tolerationSeconds': 300})
    spec.setdefault('priority', 0)
    spec.setdefault('preemptionPolicy', 'PreemptLowerPriority')
    return pod


# ------------------------------------------------------------------ validation

_NAME_FN = {
    'Namespace': name_is_dns_label,
    'Service': name_is_dns1035_label,
}
_CLUSTER_SCOPED = {'Namespace', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
                   'CustomResourceDefinition', 'Node', 'ClusterRole', 'ClusterRoleBinding'}


def _meta_causes(kind, obj, namespaced=None):
    from .schema import kube_finalizer_causes
    if namespaced is None:
        namespaced = kind not in _CLUSTER_SCOPED
    return (validate_object_meta(obj, namespaced, _NAME_FN.get(kind, name_is_dns_subdomain)) +
            kube_finalizer_causes(obj))


def _container_causes(containers, path, required=True, volumes=None):
    causes = []
    if not containers:
        if required:
            causes.append(errors.c_required(path, ''))
        return causes
    seen = set()
    for i, c in enumerate(containers):
        p = '%s[%d]' % (path, i)
        name = c.get('name', '')
        if not name:
            causes.append(errors.c_required(p + '.name', ''))
        else:
            for m in is_dns1123_label(name):
                causes.append(errors.c_invalid(p + '.name', name, m))
            if name in seen:
                causes.append(errors.c_duplicate(p + '.name', name))
            seen.add(name)
        if not c.get('image'):
            causes.append(errors.c_required(p + '.image', ''))
        ipp = c.get('imagePullPolicy')
        if ipp and ipp not in ('Always', 'IfNotPresent', 'Never'):
            causes.append(errors.c_not_supported(p + '.imagePullPolicy', ipp, ['Always', 'IfNotPresent', 'Never']))
        ports = set()
        for j, port in enumerate(c.get('ports') or []):
            pp = '%s.ports[%d]' % (p, j)
            cp = port.get('containerPort')
            if not isinstance(cp, int) or isinstance(cp, bool) or not 1 <= cp <= 65535:
                causes.append(errors.c_invalid(pp + '.containerPort', cp, 'must be between 1 and 65535, inclusive'))
            proto = port.get('protocol', 'TCP')
            if proto not in ('TCP', 'UDP', 'SCTP'):
                causes.append(errors.c_not_supported(pp + '.protocol', proto, ['SCTP', 'TCP', 'UDP']))
            if (cp, proto) in ports:
                pass
            ports.add((cp, proto))
        pnames = set()
        for j, port in enumerate(c.get('ports') or []):
            n = port.get('name')
            if n:
                for m in is_valid_port_name(n):
                    causes.append(errors.c_invalid('%s.ports[%d].name' % (p, j), n, m))
                if n in pnames:
                    causes.append(errors.c_duplicate('%s.ports[%d].name' % (p, j), n))
                pnames.add(n)
        envs = c.get('env') or []
        for j, e in enumerate(envs):
            if not e.get('name'):
                causes.append(errors.c_required('%s.env[%d].name' % (p, j), ''))
            else:
                for m in is_env_var_name(e['name']):
                    causes.append(errors.c_invalid('%s.env[%d].name' % (p, j), e['name'], m))
        mounts = set()
        for j, vm in enumerate(c.get('volumeMounts') or []):
            mp = '%s.volumeMounts[%d]' % (p, j)
            if not vm.get('name'):
                causes.append(errors.c_required(mp + '.name', ''))
            elif volumes is not None and vm['name'] not in volumes:
                causes.append(errors.c_not_found(mp + '.name', vm['name']))
            if not vm.get('mountPath'):
                causes.append(errors.c_required(mp + '.mountPath', ''))
            elif vm['mountPath'] in mounts:
                causes.append(errors.c_invalid(mp + '.mountPath', vm['mountPath'], 'must be unique'))
            else:
                mounts.add(vm['mountPath'])
        causes.extend(_resources_causes(c.get('resources') or {}, p + '.resources'))
    return causes


def _resources_causes(res, path):
    from . import quantity
    causes = []
    limits, requests = res.get('limits') or {}, res.get('requests') or {}
    for kind, vals in (('limits', limits), ('requests', requests)):
        for name, v in vals.items():
            try:
                q = quantity.parse(v)
            except quantity.QuantityError:
                continue
            if q < 0:
                causes.append(errors.c_invalid('%s.%s[%s]' % (path, kind, name), quantity.text(v),
                                               'must be greater than or equal to 0'))
    for name, v in requests.items():
        if name in limits:
            try:
                if quantity.parse(v) > quantity.parse(limits[name]):
                    causes.append(errors.c_invalid('%s.requests[%s]' % (path, name), quantity.text(v),
                                                   'must be less than or equal to %s limit of %s' % (
                                                       name, quantity.text(limits[name]))))
            except quantity.QuantityError:
                pass
    return causes


ENV_VAR_FMT = '[-._a-zA-Z][-._a-zA-Z0-9]*'


def is_env_var_name(v):
    from .validation import regex_error
    errs = []
    if not re.match('^' + ENV_VAR_FMT + '$', v):
        errs.append(regex_error("a valid environment variable name must consist of alphabetic characters, "
                                "digits, '_', '-', or '.', and must not start with a digit", ENV_VAR_FMT,
                                'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'))
    if v in ('.', '..'):
        errs.append("must not be '%s'" % v)
    elif v.startswith('..'):
        errs.append("must not start with '..'")
    return errs


def is_valid_port_name(port):
    errs = []
    if len(port) > 15:
        errs.append('must be no more than 15 characters')
    if not re.match(r'^[-a-z0-9]+$', port):
        errs.append('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)')
    if not re.search(r'[a-z]', port):
        errs.append('must contain at least one letter (a-z)')
    if '--' in port:
        errs.append('must not contain consecutive hyphens')
    if port and (port[0] == '-' or port[-1] == '-'):
        errs.append('must not begin or end with a hyphen')
    return errs


def _pod_spec_causes(spec, path, restart_values=None):
    causes = []
    spec = spec or {}
    vols = set(v.get('name') for v in spec.get('volumes') or [] if isinstance(v, dict))
    causes.extend(_container_causes(spec.get('containers'), path + '.containers', volumes=vols))
    causes.extend(_container_causes(spec.get('initContainers'), path + '.initContainers', required=False,
                                    volumes=vols))
    rp = spec.get('restartPolicy', '')
    valid = ['Always', 'OnFailure', 'Never']
    if rp not in valid:
        causes.append(errors.c_not_supported(path + '.restartPolicy', rp, valid))
    elif restart_values is not None and rp not in restart_values:
        causes.append(errors.c_not_supported(path + '.restartPolicy', rp, restart_values))
    dp = spec.get('dnsPolicy', '')
    if dp not in ('ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'):
        causes.append(errors.c_not_supported(path + '.dnsPolicy', dp, ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']))
    vols = set()
    for i, v in enumerate(spec.get('volumes') or []):
        n = v.get('name', '')
        if not n:
            causes.append(errors.c_required('%s.volumes[%d].name' % (path, i), ''))
        elif n in vols:
            causes.append(errors.c_duplicate('%s.volumes[%d].name' % (path, i), n))
        vols.add(n)
    return causes


def _nonneg(value, path):
    if value is None:
        return []
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return [errors.c_invalid(path, value, 'must be greater than or equal to 0')]
    return []


def _selector_matches_template(spec, path):
    causes = []
    sel = spec.get('selector')
    if sel is None:
        causes.append(errors.c_required(path + '.selector', ''))
        return causes
    causes.extend(selectors.label_selector_causes(sel, path + '.selector'))
    if not (sel.get('matchLabels') or sel.get('matchExpressions')):
        causes.append(errors.c_invalid(path + '.selector', _go_label_selector(sel), 'empty selector is invalid for deployment'))
        return causes
    labels = (((spec.get('template') or {}).get('metadata') or {}).get('labels')) or {}
    try:
        ok = selectors.label_selector_from_object(sel).matches(labels)
    except errors.ApiError:
        ok = False
    if not ok:
        causes.append(errors.c_invalid(path + '.template.metadata.labels', _go_string_map(labels),
                                       '`selector` does not match template `labels`'))
    return causes


class _Raw(object):
    """A value printed verbatim in a cause (Go %#v renderings)."""

    def __init__(self, s):
        self.s = s

    def __str__(self):
        return self.s


def _go_string_map(m):
    return _Raw('map[string]string{' + ', '.join('%s:%s' % (errors.go_quote(k), errors.go_quote(m[k]))
                                                  for k in sorted(m)) + '}')


def _go_label_selector(sel):
    return _Raw('v1.LabelSelector{MatchLabels:%s, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}'
                % (str(_go_string_map(sel.get('matchLabels') or {})) if sel.get('matchLabels') else 'map[string]string(nil)'))


PERCENT_FMT = '[0-9]+%'


def _intstr_value(v):
    if isinstance(v, str):
        return int(v[:-1]) if re.match('^' + PERCENT_FMT + '$', v) else None
    return v


def _rolling_update_causes(ru, path):
    """ValidateRollingUpdateDeployment (IntOrString values print via their String())."""
    from .validation import regex_error
    causes = []
    for f in ('maxUnavailable', 'maxSurge'):
        v = ru.get(f)
        if isinstance(v, str):
            if not re.match('^' + PERCENT_FMT + '$', v):
                causes.append(errors.c_invalid('%s.%s' % (path, f), _Raw(v), regex_error(
                    "a valid percent string must be a numeric string followed by an ending '%'",
                    PERCENT_FMT, '1%', '93%')))
        elif isinstance(v, int) and v < 0:
            causes.append(errors.c_invalid('%s.%s' % (path, f), v, 'must be greater than or equal to 0'))
    mu, ms = _intstr_value(ru.get('maxUnavailable')), _intstr_value(ru.get('maxSurge'))
    if mu == 0 and ms == 0:
        causes.append(errors.c_invalid(path + '.maxUnavailable', _Raw(str(ru.get('maxUnavailable'))),
                                       'may not be 0 when `maxSurge` is 0'))
    v = ru.get('maxUnavailable')
    if isinstance(v, str) and _intstr_value(v) is not None and _intstr_value(v) > 100:
        causes.append(errors.c_invalid(path + '.maxUnavailable', _Raw(v), 'must not be greater than 100%'))
    return causes


def _immutable(path, value):
    return errors.c_invalid(path, value, 'field is immutable')


def _data_key_causes(data, path):
    causes = []
    for k in (data or {}):
        if not re.match(r'^[-._a-zA-Z0-9]+$', k):
            causes.append(errors.c_invalid('%s[%s]' % (path, k), k, "a valid config key must consist of alphanumeric "
                                           "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  "
                                           "or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"))
        elif k in ('.', '..') or k.startswith('..'):
            causes.append(errors.c_invalid('%s[%s]' % (path, k), k, "must not be '.'" if k == '.' else "must not start with '..'"))
    return causes


def validate(group, kind, obj, old=None):
    """Validation causes of a built-in object (create when old is None, else update)."""
    causes = _meta_causes(kind, obj)
    spec = obj.get('spec') or {}
    if kind == 'Deployment' and group == 'apps':
        causes.extend(_nonneg(spec.get('replicas'), 'spec.replicas'))
        causes.extend(_selector_matches_template(spec, 'spec'))
        tspec = ((spec.get('template') or {}).get('spec')) or {}
        causes.extend(_template_meta_causes(spec.get('template'), 'spec.template'))
        causes.extend(_pod_spec_causes(tspec, 'spec.template.spec', ['Always']))
        for f in ('minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds'):
            causes.extend(_nonneg(spec.get(f), 'spec.' + f))
        pds = spec.get('progressDeadlineSeconds')
        if isinstance(pds, int) and pds <= (spec.get('minReadySeconds') or 0):
            causes.append(errors.c_invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'))
        ru = (spec.get('strategy') or {}).get('rollingUpdate')
        if isinstance(ru, dict):
            causes.extend(_rolling_update_causes(ru, 'spec.strategy.rollingUpdate'))
        st = (spec.get('strategy') or {}).get('type', 'RollingUpdate')
        if st not in ('Recreate', 'RollingUpdate'):
            causes.append(errors.c_not_supported('spec.strategy.type', st, ['Recreate', 'RollingUpdate']))
        elif st == 'Recreate' and (spec.get('strategy') or {}).get('rollingUpdate'):
            causes.append(errors.c_forbidden('spec.strategy.rollingUpdate', 'may not be specified when strategy `type` is \'Recreate\''))
        if old is not None:
            osel = (old.get('spec') or {}).get('selector')
            if osel != spec.get('selector'):
                causes.append(_immutable('spec.selector', _go_label_selector(spec.get('selector') or {})))
    elif kind == 'Job' and group == 'batch':
        for f in ('parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished'):
            causes.extend(_nonneg(spec.get(f), 'spec.' + f))
        tspec = ((spec.get('template') or {}).get('spec')) or {}
        causes.extend(_template_meta_causes(spec.get('template'), 'spec.template'))
        rp = tspec.get('restartPolicy', '')
        if rp not in ('OnFailure', 'Never'):
            causes.append(errors.c_not_supported('spec.template.spec.restartPolicy', rp, ['OnFailure', 'Never']))
        causes.extend(c for c in _pod_spec_causes(tspec, 'spec.template.spec')
                      if c['field'] != 'spec.template.spec.restartPolicy')
        if spec.get('selector') is None:
            causes.append(errors.c_required('spec.selector', ''))
        else:
            labels = (((spec.get('template') or {}).get('metadata') or {}).get('labels')) or {}
            try:
                ok = selectors.label_selector_from_object(spec['selector']).matches(labels)
            except errors.ApiError:
                ok = False
            if not ok:
                causes.append(errors.c_invalid('spec.template.metadata.labels', _go_string_map(labels),
                                               '`selector` does not match template `labels`'))
        cm = spec.get('completionMode', 'NonIndexed')
        if cm not in ('NonIndexed', 'Indexed'):
            causes.append(errors.c_not_supported('spec.completionMode', cm, ['NonIndexed', 'Indexed']))
        if old is not None:
            ospec = old.get('spec') or {}
            if ospec.get('selector') != spec.get('selector'):
                causes.append(_immutable('spec.selector', _go_label_selector(spec.get('selector') or {})))
            otmpl, ntmpl = ospec.get('template'), spec.get('template')
            if not _template_equal_ignoring_suspend(otmpl, ntmpl, ospec, spec):
                causes.append(_immutable('spec.template', _Raw('core.PodTemplateSpec{...}')))
            if ospec.get('completions') != spec.get('completions') and cm != 'Indexed':
                causes.append(_immutable('spec.completions', spec.get('completions')))
            if ospec.get('completionMode') != spec.get('completionMode'):
                causes.append(_immutable('spec.completionMode', spec.get('completionMode')))
    elif kind == 'Pod' and group == '':
        causes.extend(_pod_spec_causes(spec, 'spec'))
        if old is not None:
            if _pod_mutable_strip(old.get('spec')) != _pod_mutable_strip(spec):
                causes.append(errors.c_forbidden('spec', 'pod updates may not change fields other than '
                                                 '`spec.containers[*].image`,`spec.initContainers[*].image`,'
                                                 '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions '
                                                 'to existing tolerations),`spec.terminationGracePeriodSeconds` '
                                                 '(allow it to be set to 1 if it was previously negative)'))
    elif kind == 'Service' and group == '':
        causes.extend(_service_causes(spec, old))
    elif kind == 'ConfigMap' and group == '':
        causes.extend(_data_key_causes(obj.get('data'), 'data'))
        causes.extend(_data_key_causes(obj.get('binaryData'), 'binaryData'))
        for k in set(obj.get('data') or {}) & set(obj.get('binaryData') or {}):
            causes.append(errors.c_invalid('data', k, 'duplicate of key present in binaryData'))
    elif kind == 'Secret' and group == '':
        causes.extend(_data_key_causes(obj.get('data'), 'data'))
        t = obj.get('type', 'Opaque')
        if t == 'kubernetes.io/tls':
            for k in ('tls.crt', 'tls.key'):
                if k not in (obj.get('data') or {}):
                    causes.append(errors.c_required('data[%s]' % k, ''))
        if old is not None and old.get('type') != obj.get('type'):
            causes.append(_immutable('type', obj.get('type')))
        if old is not None and old.get('immutable') and old.get('data') != obj.get('data'):
            causes.append(errors.c_forbidden('data', 'field is immutable when `immutable` is set'))
    elif kind == 'Lease' and group == 'coordination.k8s.io':
        d = spec.get('leaseDurationSeconds')
        if d is not None and d <= 0:
            causes.append(errors.c_invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'))
        t = spec.get('leaseTransitions')
        if t is not None and t < 0:
            causes.append(errors.c_invalid('spec.leaseTransitions', t, 'must be greater than or equal to 0'))
    elif kind == 'ValidatingWebhookConfiguration':
        causes.extend(_webhook_causes(obj))
    return causes


def _template_meta_causes(tmpl, path):
    """ValidatePodTemplateSpec: labels/annotations of the template (reported as spec.template.labels)."""
    md = (tmpl or {}).get('metadata') or {}
    causes = selectors.labels_causes(md.get('labels'), path + '.labels')
    for k in (md.get('annotations') or {}):
        for m in is_qualified_name(k.lower()):
            causes.append(errors.c_invalid(path + '.annotations', k, m))
    return causes


def _template_equal_ignoring_suspend(a, b, ospec, nspec):
    return a == b


def _pod_mutable_strip(spec):
    s = copy.deepcopy(spec or {})
    for key in ('containers', 'initContainers'):
        for c in s.get(key) or []:
            c.pop('image', None)
    s.pop('activeDeadlineSeconds', None)
    s.pop('tolerations', None)
    s.pop('terminationGracePeriodSeconds', None)
    return s


def _service_causes(spec, old):
    causes = []
    t = spec.get('type', 'ClusterIP')
    types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']
    if t not in types:
        causes.append(errors.c_not_supported('spec.type', t, types))
    ports = spec.get('ports') or []
    if t != 'ExternalName' and spec.get('clusterIP') != 'None' and not ports:
        causes.append(errors.c_required('spec.ports', ''))
    if t == 'ExternalName' and not spec.get('externalName'):
        causes.append(errors.c_required('spec.externalName', ''))
    names = set()
    seen = set()
    for i, p in enumerate(ports):
        pp = 'spec.ports[%d]' % i
        n = p.get('name', '')
        if len(ports) > 1 and not n:
            causes.append(errors.c_required(pp + '.name', ''))
        elif n:
            for m in is_dns1123_label(n):
                causes.append(errors.c_invalid(pp + '.name', n, m))
            if n in names:
                causes.append(errors.c_duplicate(pp + '.name', n))
            names.add(n)
        port = p.get('port')
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            causes.append(errors.c_invalid(pp + '.port', port, 'must be between 1 and 65535, inclusive'))
        proto = p.get('protocol', 'TCP')
        if proto not in ('TCP', 'UDP', 'SCTP'):
            causes.append(errors.c_not_supported(pp + '.protocol', proto, ['SCTP', 'TCP', 'UDP']))
        if (port, proto) in seen:
            causes.append(errors.c_duplicate(pp, _Raw('core.ServicePort{...}')))
        seen.add((port, proto))
        tp = p.get('targetPort')
        if isinstance(tp, int) and not isinstance(tp, bool) and not 1 <= tp <= 65535 and tp != 0:
            causes.append(errors.c_invalid(pp + '.targetPort', tp, 'must be between 1 and 65535, inclusive'))
    sa = spec.get('sessionAffinity', 'None')
    if sa not in ('ClientIP', 'None'):
        causes.append(errors.c_not_supported('spec.sessionAffinity', sa, ['ClientIP', 'None']))
    for k, v in (spec.get('selector') or {}).items():
        for m in is_qualified_name(k):
            causes.append(errors.c_invalid('spec.selector', k, m))
    if old is not None:
        ospec = old.get('spec') or {}
        if ospec.get('clusterIP') and spec.get('clusterIP') and ospec['clusterIP'] != spec['clusterIP'] \
                and t != 'ExternalName':
            causes.append(errors.c_invalid('spec.clusterIPs[0]', _Raw('[]string{%s}' % ', '.join(
                errors.go_quote(x) for x in spec.get('clusterIPs') or [spec['clusterIP']])), 'may not change once set'))
    return causes


def _webhook_causes(obj):
    causes = []
    names = set()
    for i, w in enumerate(obj.get('webhooks') or []):
        p = 'webhooks[%d]' % i
        n = w.get('name', '')
        if not n:
            causes.append(errors.c_required(p + '.name', ''))
        else:
            for m in is_dns1123_subdomain(n):
                causes.append(errors.c_invalid(p + '.name', n, m))
            if len(n.split('.')) < 3:
                causes.append(errors.c_invalid(p + '.name', n, 'should be a domain with at least three segments separated by dots'))
            if n in names:
                causes.append(errors.c_duplicate(p + '.name', n))
            names.add(n)
        se = w.get('sideEffects')
        if se is None:
            causes.append(errors.c_required(p + '.sideEffects', 'must specify one of None, NoneOnDryRun'))
        elif se not in ('None', 'NoneOnDryRun'):
            causes.append(errors.c_not_supported(p + '.sideEffects', se, ['None', 'NoneOnDryRun']))
        arv = w.get('admissionReviewVersions')
        if not arv:
            causes.append(errors.c_required(p + '.admissionReviewVersions',
                                            'must specify one of v1, v1beta1'))
        elif not any(v in ('v1', 'v1beta1') for v in arv):
            causes.append(errors.c_invalid(p + '.admissionReviewVersions', _Raw('[]string{%s}' % ', '.join(
                errors.go_quote(v) for v in arv)), 'must include at least one of v1, v1beta1'))
        fp = w.get('failurePolicy', 'Fail')
        if fp not in ('Fail', 'Ignore'):
            causes.append(errors.c_not_supported(p + '.failurePolicy', fp, ['Fail', 'Ignore']))
        ts = w.get('timeoutSeconds')
        if ts is not None and not 1 <= ts <= 30:
            causes.append(errors.c_invalid(p + '.timeoutSeconds', ts, 'the timeout value must be between 1 and 30 seconds'))
        cc = w.get('clientConfig') or {}
        has_url, has_svc = bool(cc.get('url')), bool(cc.get('service'))
        if has_url == has_svc:
            causes.append(errors.c_required(p + '.clientConfig', 'exactly one of url or service is required'))
        elif has_url and not cc['url'].startswith('https://'):
            causes.append(errors.c_invalid(p + '.clientConfig.url', cc['url'], "'https' is the only allowed URL scheme"))
        for sel in ('namespaceSelector', 'objectSelector'):
            if w.get(sel) is not None:
                causes.extend(selectors.label_selector_causes(w[sel], '%s.%s' % (p, sel)))
        for j, r in enumerate(w.get('rules') or []):
            rp = '%s.rules[%d]' % (p, j)
            for f in ('operations', 'apiGroups', 'apiVersions', 'resources'):
                if not r.get(f):
                    causes.append(errors.c_required('%s.%s' % (rp, f), ''))
            sc = r.get('scope', '*')
            if sc not in ('*', 'Cluster', 'Namespaced'):
                causes.append(errors.c_not_supported(rp + '.scope', sc, ['*', 'Cluster', 'Namespaced']))
    return causes
