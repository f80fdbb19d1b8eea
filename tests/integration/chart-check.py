"""Checks on the rendered modelgov chart, for tests/integration/chart.sh (run with /usr/bin/python3).

  chart-check.py hardening RENDERED            every container hardened, resources and probes set
  chart-check.py fields RENDERED               pod templates use only real Kubernetes field names
  chart-check.py webhookconfig RENDERED NS TIMEOUT   the webhook configurations' scope
  chart-check.py webhookha RENDERED            2 webhook replicas, PDB minAvailable 1, anti-affinity
  chart-check.py leader RENDERED yes|no        operator args carry --leader-elect or not
  chart-check.py certmanager RENDERED NS       Issuer + Certificate + inject-ca-from, no Secret/caBundle
  chart-check.py netpol RENDERED N             exactly N NetworkPolicies
  chart-check.py data RENDERED KIND NAME KEY   prints one Secret (decoded) / ConfigMap data value
  chart-check.py cabundle RENDERED SECRET      the caBundle is the generated Secret's ca.crt
  chart-check.py monitoring RENDERED CHART N   N in 0..3 of: ServiceMonitors (operator, webhook),
                                               PrometheusRule, dashboard ConfigMap are rendered,
                                               and those rendered carry the chart's files and
                                               point at the chart's Services, ports and TLS
  chart-check.py rulespec RENDERED OUT         writes the PrometheusRule's spec to OUT
  chart-check.py split RENDERED MAIN LAST      writes all objects but the webhook configurations
                                               to MAIN, the webhook configurations to LAST
  chart-check.py rbac RENDERED REQUESTS USER SA_NAMESPACE SA_NAME
        every request USER made (REQUESTS: the test server's /_testcluster/requests JSON) must be
        granted by the rendered Roles/ClusterRoles bound to the ServiceAccount; prints the
        (verb, group, resource) tuples used, and the grants never used as a note.
Each check exits 0 when it holds, else 1 with the reasons on stdout.
"""
import base64
import json
import sys

import yaml


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def by_kind(docs, kind):
    return [d for d in docs if d.get('kind') == kind]


def fail(problems):
    for p in problems:
        print('   ', p)
    sys.exit(1 if problems else 0)


def pod_specs(docs):
    for d in docs:
        if d.get('kind') in ('Deployment', 'StatefulSet', 'DaemonSet', 'Job'):
            yield d['metadata']['name'], d['spec']['template']['spec']


def hardening(docs):
    problems = []
    want = {'runAsNonRoot': True, 'runAsUser': 65532, 'readOnlyRootFilesystem': True,
            'allowPrivilegeEscalation': False}
    n = 0
    for name, spec in pod_specs(docs):
        for c in (spec.get('initContainers') or []) + (spec.get('containers') or []):
            n += 1
            where = '%s/%s' % (name, c.get('name'))
            sc = c.get('securityContext') or {}
            for k, v in want.items():
                if sc.get(k) != v:
                    problems.append('%s: securityContext.%s is %r, want %r' % (where, k, sc.get(k), v))
            if (sc.get('capabilities') or {}).get('drop') != ['ALL']:
                problems.append('%s: capabilities.drop is not [ALL]' % where)
            if (sc.get('seccompProfile') or {}).get('type') != 'RuntimeDefault':
                problems.append('%s: seccompProfile is not RuntimeDefault' % where)
            res = c.get('resources') or {}
            if not (res.get('requests') and res.get('limits')):
                problems.append('%s: resources requests/limits missing' % where)
            for p in ('livenessProbe', 'readinessProbe'):
                if not c.get(p):
                    problems.append('%s: no %s' % (where, p))
    if n < 2:
        problems.append('only %d containers rendered' % n)
    return problems


# Field names of the Kubernetes 1.28 types the chart's pod templates use (the test API server
# does not validate these, and a real one drops unknown fields unless asked to be strict).
T = {
    'PodSpec': {'serviceAccountName': None, 'securityContext': 'PodSecurityContext', 'imagePullSecrets': 'list:LocalObjectReference',
                'priorityClassName': None, 'terminationGracePeriodSeconds': None, 'containers': 'list:Container',
                'volumes': 'list:Volume', 'nodeSelector': None, 'tolerations': None, 'affinity': 'Affinity'},
    'PodSecurityContext': {'runAsNonRoot': None, 'runAsUser': None, 'runAsGroup': None, 'fsGroup': None,
                           'seccompProfile': 'SeccompProfile'},
    'LocalObjectReference': {'name': None},
    'Container': {'name': None, 'image': None, 'imagePullPolicy': None, 'args': None, 'ports': 'list:ContainerPort',
                  'livenessProbe': 'Probe', 'readinessProbe': 'Probe', 'resources': 'ResourceRequirements',
                  'securityContext': 'SecurityContext', 'volumeMounts': 'list:VolumeMount', 'env': 'list:EnvVar'},
    'EnvVar': {'name': None, 'value': None, 'valueFrom': 'EnvVarSource'},
    'EnvVarSource': {'fieldRef': 'ObjectFieldSelector', 'secretKeyRef': None, 'configMapKeyRef': None,
                     'resourceFieldRef': None},
    'ObjectFieldSelector': {'fieldPath': None, 'apiVersion': None},
    'ContainerPort': {'name': None, 'containerPort': None, 'protocol': None},
    'Probe': {'httpGet': 'HTTPGetAction', 'initialDelaySeconds': None, 'periodSeconds': None, 'timeoutSeconds': None,
              'failureThreshold': None, 'successThreshold': None},
    'HTTPGetAction': {'path': None, 'port': None, 'scheme': None},
    'ResourceRequirements': {'requests': None, 'limits': None},
    'SecurityContext': {'runAsNonRoot': None, 'runAsUser': None, 'runAsGroup': None, 'readOnlyRootFilesystem': None,
                        'allowPrivilegeEscalation': None, 'privileged': None, 'capabilities': 'Capabilities',
                        'seccompProfile': 'SeccompProfile'},
    'Capabilities': {'drop': None, 'add': None},
    'SeccompProfile': {'type': None, 'localhostProfile': None},
    'VolumeMount': {'name': None, 'mountPath': None, 'readOnly': None, 'subPath': None},
    'Volume': {'name': None, 'emptyDir': 'EmptyDirVolumeSource', 'secret': 'SecretVolumeSource',
               'configMap': 'ConfigMapVolumeSource'},
    'EmptyDirVolumeSource': {'medium': None, 'sizeLimit': None},
    'SecretVolumeSource': {'secretName': None, 'defaultMode': None, 'items': None, 'optional': None},
    'ConfigMapVolumeSource': {'name': None, 'defaultMode': None, 'items': None, 'optional': None},
    'Affinity': {'podAntiAffinity': 'PodAntiAffinity', 'podAffinity': None, 'nodeAffinity': None},
    'PodAntiAffinity': {'preferredDuringSchedulingIgnoredDuringExecution': 'list:WeightedPodAffinityTerm',
                        'requiredDuringSchedulingIgnoredDuringExecution': 'list:PodAffinityTerm'},
    'WeightedPodAffinityTerm': {'weight': None, 'podAffinityTerm': 'PodAffinityTerm'},
    'PodAffinityTerm': {'topologyKey': None, 'labelSelector': 'LabelSelector', 'namespaces': None,
                        'namespaceSelector': None},
    'LabelSelector': {'matchLabels': None, 'matchExpressions': None},
}


def walk(obj, typ, where, problems):
    if typ is None:
        return
    if typ.startswith('list:'):
        for i, item in enumerate(obj or []):
            walk(item, typ[5:], '%s[%d]' % (where, i), problems)
        return
    if not isinstance(obj, dict):
        problems.append('%s: want an object (%s)' % (where, typ))
        return
    for k, v in obj.items():
        if k not in T[typ]:
            problems.append('%s.%s: not a field of %s' % (where, k, typ))
        else:
            walk(v, T[typ][k], where + '.' + k, problems)


def fields(docs):
    problems = []
    for name, spec in pod_specs(docs):
        walk(spec, 'PodSpec', name + '.spec.template.spec', problems)
    return problems


WEBHOOK_KINDS = ('ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration')


def pod_rules():
    """(operation, group, resource) for every way a container image enters a namespace."""
    want = set()
    for res in ('pods', 'pods/ephemeralcontainers', 'replicationcontrollers', 'podtemplates'):
        want |= {('CREATE', '', res), ('UPDATE', '', res)}
    for res in ('deployments', 'replicasets', 'statefulsets', 'daemonsets'):
        want |= {('CREATE', 'apps', res), ('UPDATE', 'apps', res)}
    for res in ('jobs', 'cronjobs'):
        want |= {('CREATE', 'batch', res), ('UPDATE', 'batch', res)}
    return want


def validating_rules():
    """The pod rules, every way a replica count enters, and the modelgov kinds and statuses."""
    want = pod_rules()
    want.add(('UPDATE', '', 'replicationcontrollers/scale'))
    for res in ('deployments', 'replicasets', 'statefulsets'):
        want.add(('UPDATE', 'apps', res + '/scale'))
    for res in ('datasetversions', 'trainingruns', 'modelversions', 'modelreviews', 'modeldeployments'):
        want |= {(op, 'mlops.modelgov.io', res) for op in ('CREATE', 'UPDATE', 'DELETE')}
    want.add(('UPDATE', 'mlops.modelgov.io', 'modeldeployments/scale'))
    for res in ('datasetversions', 'modelversions', 'modelreviews', 'modeldeployments'):
        want.add(('UPDATE', 'mlops.modelgov.io', res + '/status'))
    return want


def webhook_problems(wh, ns, timeout, path, want):
    n = wh['name']
    problems = []
    if wh.get('failurePolicy') != 'Fail':
        problems.append('%s: failurePolicy %r' % (n, wh.get('failurePolicy')))
    if wh.get('matchPolicy') != 'Equivalent':
        problems.append('%s: matchPolicy %r (other API versions of a kind would pass unseen)' % (n, wh.get('matchPolicy')))
    if wh.get('sideEffects') != 'None':
        problems.append('%s: sideEffects %r' % (n, wh.get('sideEffects')))
    if wh.get('admissionReviewVersions') != ['v1']:
        problems.append('%s: admissionReviewVersions %r' % (n, wh.get('admissionReviewVersions')))
    if str(wh.get('timeoutSeconds')) != timeout:
        problems.append('%s: timeoutSeconds %r, want %s' % (n, wh.get('timeoutSeconds'), timeout))
    sel = wh.get('namespaceSelector') or {}
    if sel.get('matchLabels') != {'modelgov.io/governed': 'true'}:
        problems.append('%s: namespaceSelector.matchLabels %r' % (n, sel.get('matchLabels')))
    excl = [e for e in sel.get('matchExpressions') or []
            if e.get('key') == 'kubernetes.io/metadata.name' and e.get('operator') == 'NotIn']
    vals = excl[0].get('values', []) if excl else []
    for must in ('kube-system', ns):
        if must not in vals:
            problems.append('%s: namespace %s is not excluded' % (n, must))
    svc = (wh.get('clientConfig') or {}).get('service') or {}
    if svc.get('path') != path or svc.get('namespace') != ns:
        problems.append('%s: clientConfig.service %r' % (n, svc))
    got = set()
    for r in wh.get('rules') or []:
        for g in r['apiGroups']:
            for res in r['resources']:
                for op in r['operations']:
                    got.add((op, g, res))
    for w in sorted(want - got):
        problems.append('%s: rule missing %s %s %s' % ((n,) + w))
    for w in sorted(got - want):
        problems.append('%s: unexpected rule %s %s %s' % ((n,) + w))
    return problems


def webhookconfig(docs, ns, timeout):
    """The validating webhook sees every way an image or a replica count enters a governed
    namespace (README, Security model); the mutating one, which pins model tags to digests, every
    way an image enters, and is called again when a later webhook changes the object."""
    problems = []
    for kind in WEBHOOK_KINDS:
        if len(by_kind(docs, kind)) != 1:
            return ['want 1 %s, got %d' % (kind, len(by_kind(docs, kind)))]
    for wh in by_kind(docs, 'ValidatingWebhookConfiguration')[0]['webhooks']:
        problems += webhook_problems(wh, ns, timeout, '/validate', validating_rules())
    for wh in by_kind(docs, 'MutatingWebhookConfiguration')[0]['webhooks']:
        problems += webhook_problems(wh, ns, timeout, '/mutate', pod_rules())
        if wh.get('reinvocationPolicy') != 'IfNeeded':
            problems.append('%s: reinvocationPolicy %r' % (wh['name'], wh.get('reinvocationPolicy')))
    return problems


def netpolfrom(docs, cidrs):
    """The webhook's NetworkPolicy: its one ingress rule admits exactly the ipBlocks CIDRS (comma
    separated), or every source when CIDRS is empty."""
    pols = [p for p in by_kind(docs, 'NetworkPolicy') if p['metadata']['name'].endswith('-webhook')]
    if len(pols) != 1:
        return ['want 1 webhook NetworkPolicy, got %d' % len(pols)]
    rules = pols[0]['spec'].get('ingress') or []
    if len(rules) != 1:
        return ['webhook NetworkPolicy: %d ingress rules' % len(rules)]
    got = sorted((p.get('ipBlock') or {}).get('cidr', '?') for p in rules[0].get('from') or [])
    want = sorted(c for c in cidrs.split(',') if c)
    return [] if got == want else ['webhook ingress from %r, want %r' % (got, want)]


def webhookha(docs):
    problems = []
    deps = [d for d in by_kind(docs, 'Deployment') if d['metadata']['name'].endswith('-webhook')]
    if len(deps) != 1:
        return ['want 1 webhook Deployment, got %d' % len(deps)]
    d = deps[0]
    if d['spec'].get('replicas') != 2:
        problems.append('webhook replicas %r' % d['spec'].get('replicas'))
    aff = (d['spec']['template']['spec'].get('affinity') or {}).get('podAntiAffinity') or {}
    terms = aff.get('preferredDuringSchedulingIgnoredDuringExecution') or []
    if not terms or terms[0]['podAffinityTerm'].get('topologyKey') != 'kubernetes.io/hostname':
        problems.append('no preferred anti-affinity by hostname')
    elif terms[0]['podAffinityTerm']['labelSelector']['matchLabels'] != d['spec']['selector']['matchLabels']:
        problems.append('anti-affinity selector differs from the Deployment selector')
    pdbs = by_kind(docs, 'PodDisruptionBudget')
    if len(pdbs) != 1 or pdbs[0]['spec'].get('minAvailable') != 1:
        problems.append('want one PodDisruptionBudget with minAvailable 1')
    elif pdbs[0]['spec']['selector']['matchLabels'] != d['spec']['selector']['matchLabels']:
        problems.append('PDB selector differs from the webhook Deployment selector')
    return problems


def leader(docs, want):
    deps = [d for d in by_kind(docs, 'Deployment') if d['metadata']['name'].endswith('-operator')]
    args = deps[0]['spec']['template']['spec']['containers'][0]['args']
    has = '--leader-elect' in args
    if has != (want == 'yes'):
        return ['operator args %r: --leader-elect %s' % (args, 'missing' if not has else 'present')]
    return []


def webhook_configs(docs):
    return [d for d in docs if d['kind'] in WEBHOOK_KINDS]


def certmanager(docs, ns):
    problems = []
    certs = by_kind(docs, 'Certificate')
    if len(certs) != 1 or len(by_kind(docs, 'Issuer')) != 1:
        return ['want one Certificate and one Issuer']
    for cfg in webhook_configs(docs):
        inject = (cfg['metadata'].get('annotations') or {}).get('cert-manager.io/inject-ca-from')
        if inject != '%s/%s' % (ns, certs[0]['metadata']['name']):
            problems.append('%s: inject-ca-from %r' % (cfg['kind'], inject))
        if any('caBundle' in wh.get('clientConfig', {}) for wh in cfg['webhooks']):
            problems.append('%s: caBundle rendered although cert-manager injects it' % cfg['kind'])
    if by_kind(docs, 'Secret'):
        problems.append('a Secret is rendered although cert-manager writes it')
    secret = certs[0]['spec']['secretName']
    mounted = [v['secret']['secretName'] for _, s in pod_specs(docs) for v in s.get('volumes', []) if 'secret' in v]
    if secret not in mounted:
        problems.append('Certificate secret %s not mounted by the webhook' % secret)
    return problems


def data(docs, kind, name, key):
    for d in by_kind(docs, kind):
        if d['metadata']['name'] == name:
            v = d['data'][key]
            sys.stdout.write(base64.b64decode(v).decode() if kind == 'Secret' else v)
            return []
    return ['%s %s not rendered' % (kind, name)]


def cabundle(docs, secret):
    s = [d for d in by_kind(docs, 'Secret') if d['metadata']['name'] == secret]
    if not s:
        return ['Secret %s not rendered' % secret]
    bad = [wh['name'] for cfg in webhook_configs(docs) for wh in cfg['webhooks']
           if wh['clientConfig'].get('caBundle') != s[0]['data']['ca.crt']]
    return ['%s: caBundle is not the Secret\'s ca.crt' % n for n in bad]


def split(docs, main, last):
    with open(main, 'w') as f:
        yaml.safe_dump_all([d for d in docs if d['kind'] not in WEBHOOK_KINDS], f)
    with open(last, 'w') as f:
        yaml.safe_dump_all(webhook_configs(docs), f)
    return []


SELF_REVIEWS = {('authentication.k8s.io', 'selfsubjectreviews'),
                ('authorization.k8s.io', 'selfsubjectaccessreviews'),
                ('authorization.k8s.io', 'selfsubjectrulesreviews')}


def bound_rules(docs, sa_ns, sa_name):
    """(rule, namespace or None) for every rule bound to the ServiceAccount."""
    roles = {('ClusterRole', d['metadata']['name'], None): d for d in by_kind(docs, 'ClusterRole')}
    roles.update({('Role', d['metadata']['name'], d['metadata'].get('namespace')): d for d in by_kind(docs, 'Role')})
    out = []
    for b in by_kind(docs, 'ClusterRoleBinding') + by_kind(docs, 'RoleBinding'):
        if not any(s.get('kind') == 'ServiceAccount' and s.get('name') == sa_name and s.get('namespace') == sa_ns
                   for s in b.get('subjects') or []):
            continue
        bns = b['metadata'].get('namespace') if b['kind'] == 'RoleBinding' else None
        ref = b['roleRef']
        role = roles.get((ref['kind'], ref['name'], bns if ref['kind'] == 'Role' else None))
        if role is None:
            continue
        for r in role.get('rules') or []:
            out.append((r, bns))
    return out


def rbac(docs, reqfile, user, sa_ns, sa_name):
    with open(reqfile) as f:
        items = json.load(f)['items']
    rules = bound_rules(docs, sa_ns, sa_name)
    if not rules:
        return ['no rules bound to ServiceAccount %s/%s' % (sa_ns, sa_name)]
    problems = []
    used = {}
    granted_used = set()
    for e in items:
        if e.get('user') != user:
            continue
        if 'nonResourceURL' in e:
            # discovery and version are granted to every authenticated user by the default
            # system:discovery / system:public-info-viewer roles
            path = e['nonResourceURL'].split('?')[0]
            if not (path in ('/api', '/apis', '/version', '/healthz', '/readyz', '/livez') or
                    path.startswith('/api/') or path.startswith('/apis/') or path.startswith('/openapi/')):
                problems.append('non-resource URL %s used' % path)
            continue
        if e['verb'] == 'create' and (e.get('apiGroup'), e['resource']) in SELF_REVIEWS:
            continue  # granted to every authenticated user by the default system:basic-user role
        res = e['resource'] + ('/' + e['subresource'] if e.get('subresource') else '')
        key = (e['verb'], e.get('apiGroup') or '', res)
        ns = e.get('namespace')
        used[key] = used.get(key, 0) + 1
        ok = False
        for i, (r, rns) in enumerate(rules):
            if rns is not None and rns != ns:
                continue
            if key[1] in r.get('apiGroups', []) and res in r.get('resources', []) and key[0] in r.get('verbs', []):
                ok = True
                granted_used.add((i, key[0], res))
                break
        if not ok:
            problems.append('NOT GRANTED: %s %s %s (namespace %s, %s)' % (key[0], key[1] or 'core', res, ns, e.get('path')))
    for k in sorted(used):
        print('     used: %-6s %-20s %-28s x%d' % (k[0], k[1] or 'core', k[2], used[k]))
    unused = []
    for i, (r, rns) in enumerate(rules):
        for res in r.get('resources', []):
            for v in r.get('verbs', []):
                if (i, v, res) not in granted_used:
                    unused.append('%s %s/%s' % (v, (r.get('apiGroups') or [''])[0] or 'core', res))
    if unused:  # least privilege: what the chart grants, the binary uses
        problems.append('GRANTED BUT NEVER USED: ' + ', '.join(unused))
    if not used:
        problems.append('no requests by %s in the log' % user)
    return sorted(set(problems))


def monitoring(docs, chart, n):
    """The monitoring objects: how many kinds are rendered, and that they are right."""
    problems = []
    sms, prs = by_kind(docs, 'ServiceMonitor'), by_kind(docs, 'PrometheusRule')
    dash = [d for d in by_kind(docs, 'ConfigMap') if 'grafana_dashboard' in d['metadata'].get('labels', {})]
    kinds = (len(sms) == 2) + (len(prs) == 1) + (len(dash) == 1)
    if kinds != int(n) or len(sms) not in (0, 2) or len(prs) > 1 or len(dash) > 1:
        problems.append('%d ServiceMonitors, %d PrometheusRules, %d dashboards; want %s kinds of 3'
                        % (len(sms), len(prs), len(dash), n))
    services = {d['metadata']['name']: d for d in by_kind(docs, 'Service')}
    secrets = {d['metadata']['name'] for d in by_kind(docs, 'Secret')}
    for sm in sms:
        sel = sm['spec']['selector']['matchLabels']
        svc = [s for s in services.values() if all(s['metadata']['labels'].get(k) == v for k, v in sel.items())]
        ports = {p['name'] for s in svc for p in s['spec']['ports']}
        for ep in sm['spec']['endpoints']:
            if len(svc) != 1 or ep['port'] not in ports:
                problems.append('%s: endpoint port %s not on exactly one selected Service (%s)'
                                % (sm['metadata']['name'], ep['port'], [s['metadata']['name'] for s in svc]))
            tls = ep.get('tlsConfig')
            if ep.get('scheme') == 'https':
                want = '%s.%s.svc' % (svc[0]['metadata']['name'], svc[0]['metadata']['namespace']) if svc else None
                if not tls or tls.get('serverName') != want or tls['ca']['secret']['name'] not in secrets:
                    problems.append('%s: TLS must verify %s with the chart CA Secret: %s' % (sm['metadata']['name'], want, tls))
    with open(chart + '/files/prometheus-rules.yaml') as f:
        rules = yaml.safe_load(f)
    for pr in prs:
        if pr['spec'] != rules:
            problems.append('PrometheusRule spec differs from files/prometheus-rules.yaml')
    with open(chart + '/files/grafana-dashboard.json') as f:
        board = json.load(f)
    for d in dash:
        if d['metadata']['labels']['grafana_dashboard'] != '1' or json.loads(d['data']['modelgov.json']) != board:
            problems.append('dashboard ConfigMap: label or JSON differs from files/grafana-dashboard.json')
    return problems


def rulespec(docs, out):
    prs = by_kind(docs, 'PrometheusRule')
    if len(prs) != 1:
        return ['%d PrometheusRules' % len(prs)]
    with open(out, 'w') as f:
        yaml.safe_dump(prs[0]['spec'], f)
    return []


def main():
    cmd, path, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    docs = load(path)
    fns = {'hardening': hardening, 'webhookconfig': webhookconfig, 'webhookha': webhookha, 'leader': leader,
           'certmanager': certmanager, 'fields': fields, 'data': data, 'cabundle': cabundle, 'split': split, 'rbac': rbac,
           'monitoring': monitoring, 'rulespec': rulespec,
           'netpolfrom': netpolfrom,
           'netpol': lambda d, n: [] if len(by_kind(d, 'NetworkPolicy')) == int(n)
           else ['%d NetworkPolicies' % len(by_kind(d, 'NetworkPolicy'))]}
    fail(fns[cmd](docs, *args))


if __name__ == '__main__':
    main()
