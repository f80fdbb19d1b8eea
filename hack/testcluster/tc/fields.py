"""Known fields and JSON types of the built-in kinds this server serves (k8s.io/api 1.28), for
what the apiserver's typed decode does:
  - a value of the wrong JSON type is a 400:  'Deployment in version "v1" cannot be handled as a
    Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas
    of type int32'  (decode_errors / check_types);
  - unknown fields are dropped, and reported under fieldValidation=Strict/Warn as
    'unknown field "spec.template.spec.containers[0].imagee"'  (prune_unknown).
Deep, rarely written sub-structures (volume sources, affinity, security contexts, probes...) are
typed as plain objects (not descended into).
"""
from . import errors

S, I32, I64, B, NUM, ANY, OBJ, ARR, TIME, INTSTR, QTY = (
    'string', 'int32', 'int64', 'bool', 'float64', 'any', 'object', 'array', 'time', 'intstr', 'quantity')
MSS = ('map', S)
LS = ('list', S)


def L(t):
    return ('list', t)


def M(t):
    return ('map', t)


T = {}


def struct(_type_name, **fields):
    T[_type_name] = fields
    return _type_name


struct('OwnerReference', apiVersion=S, kind=S, name=S, uid=S, controller=B, blockOwnerDeletion=B)
struct('ObjectMeta', name=S, generateName=S, namespace=S, selfLink=S, uid=S, resourceVersion=S,
       generation=I64, creationTimestamp=TIME, deletionTimestamp=TIME, deletionGracePeriodSeconds=I64,
       labels=MSS, annotations=MSS, finalizers=LS, managedFields=ARR,
       ownerReferences=L('OwnerReference'))
struct('ContainerPort', name=S, hostPort=I32, containerPort=I32, protocol=S, hostIP=S)
struct('EnvVar', name=S, value=S, valueFrom=OBJ)
struct('VolumeMount', name=S, readOnly=B, mountPath=S, subPath=S, mountPropagation=S, subPathExpr=S)
struct('ResourceRequirements', limits=M(QTY), requests=M(QTY), claims=ARR)
_C = dict(name=S, image=S, command=LS, args=LS, workingDir=S, envFrom=ARR, resizePolicy=ARR,
          restartPolicy=S, volumeDevices=ARR, livenessProbe=OBJ, readinessProbe=OBJ, startupProbe=OBJ,
          lifecycle=OBJ, terminationMessagePath=S, terminationMessagePolicy=S, imagePullPolicy=S,
          securityContext=OBJ, stdin=B, stdinOnce=B, tty=B, ports=L('ContainerPort'),
          env=L('EnvVar'), volumeMounts=L('VolumeMount'), resources='ResourceRequirements')
struct('Container', **_C)
struct('EphemeralContainer', targetContainerName=S, **_C)
struct('Volume', name=S, **dict.fromkeys((
    'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs',
    'iscsi', 'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker',
    'downwardAPI', 'fc', 'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk',
    'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
    'ephemeral'), OBJ))
struct('LocalObjectReference', name=S)
struct('Toleration', key=S, operator=S, value=S, effect=S, tolerationSeconds=I64)
struct('PodSpec', restartPolicy=S, terminationGracePeriodSeconds=I64, activeDeadlineSeconds=I64,
       dnsPolicy=S, nodeSelector=MSS, serviceAccountName=S, serviceAccount=S,
       automountServiceAccountToken=B, nodeName=S, hostNetwork=B, hostPID=B, hostIPC=B,
       shareProcessNamespace=B, securityContext=OBJ, imagePullSecrets=L('LocalObjectReference'),
       hostname=S, subdomain=S, affinity=OBJ, schedulerName=S, tolerations=L('Toleration'),
       hostAliases=ARR, priorityClassName=S, priority=I32, dnsConfig=OBJ, readinessGates=ARR,
       runtimeClassName=S, enableServiceLinks=B, preemptionPolicy=S, overhead=M(QTY),
       topologySpreadConstraints=ARR, setHostnameAsFQDN=B, os=OBJ, hostUsers=B,
       schedulingGates=ARR, resourceClaims=ARR, volumes=L('Volume'),
       initContainers=L('Container'), containers=L('Container'),
       ephemeralContainers=L('EphemeralContainer'))
struct('PodStatus', phase=S, conditions=ARR, message=S, reason=S, nominatedNodeName=S, hostIP=S,
       hostIPs=ARR, podIP=S, podIPs=ARR, startTime=TIME, initContainerStatuses=ARR,
       containerStatuses=ARR, qosClass=S, ephemeralContainerStatuses=ARR, resize=S,
       resourceClaimStatuses=ARR)
struct('PodTemplateSpec', metadata='ObjectMeta', spec='PodSpec')
struct('LabelSelectorRequirement', key=S, operator=S, values=LS)
struct('LabelSelector', matchLabels=MSS, matchExpressions=L('LabelSelectorRequirement'))
struct('ServicePort', name=S, protocol=S, appProtocol=S, port=I32, targetPort=INTSTR, nodePort=I32)
struct('ServiceSpec', selector=MSS, clusterIP=S, clusterIPs=LS, type=S, externalIPs=LS,
       sessionAffinity=S, loadBalancerIP=S, loadBalancerSourceRanges=LS, externalName=S,
       externalTrafficPolicy=S, healthCheckNodePort=I32, publishNotReadyAddresses=B,
       sessionAffinityConfig=OBJ, ipFamilies=LS, ipFamilyPolicy=S,
       allocateLoadBalancerNodePorts=B, loadBalancerClass=S, internalTrafficPolicy=S,
       ports=L('ServicePort'))
struct('ServiceStatus', loadBalancer=OBJ, conditions=ARR)
struct('RollingUpdateDeployment', maxUnavailable=INTSTR, maxSurge=INTSTR)
struct('DeploymentStrategy', type=S, rollingUpdate='RollingUpdateDeployment')
struct('DeploymentSpec', replicas=I32, minReadySeconds=I32, revisionHistoryLimit=I32, paused=B,
       progressDeadlineSeconds=I32, selector='LabelSelector', template='PodTemplateSpec',
       strategy='DeploymentStrategy')
struct('DeploymentStatus', observedGeneration=I64, replicas=I32, updatedReplicas=I32,
       readyReplicas=I32, availableReplicas=I32, unavailableReplicas=I32, conditions=ARR,
       collisionCount=I32)
struct('JobSpec', parallelism=I32, completions=I32, activeDeadlineSeconds=I64, podFailurePolicy=OBJ,
       backoffLimit=I32, backoffLimitPerIndex=I32, maxFailedIndexes=I32, manualSelector=B,
       ttlSecondsAfterFinished=I32, completionMode=S, suspend=B, podReplacementPolicy=S,
       selector='LabelSelector', template='PodTemplateSpec')
struct('JobStatus', conditions=ARR, startTime=TIME, completionTime=TIME, active=I32, succeeded=I32,
       failed=I32, terminating=I32, completedIndexes=S, failedIndexes=S,
       uncountedTerminatedPods=OBJ, ready=I32)
struct('LeaseSpec', holderIdentity=S, leaseDurationSeconds=I32, acquireTime=TIME, renewTime=TIME,
       leaseTransitions=I32)
struct('ServiceReference', namespace=S, name=S, path=S, port=I32)
struct('WebhookClientConfig', url=S, service='ServiceReference', caBundle=S)
struct('RuleWithOperations', operations=LS, apiGroups=LS, apiVersions=LS, resources=LS, scope=S)
_W = dict(name=S, clientConfig='WebhookClientConfig', rules=L('RuleWithOperations'),
          failurePolicy=S, matchPolicy=S, namespaceSelector='LabelSelector',
          objectSelector='LabelSelector', sideEffects=S, timeoutSeconds=I32,
          admissionReviewVersions=LS, matchConditions=ARR)
struct('ValidatingWebhook', **_W)
struct('MutatingWebhook', reinvocationPolicy=S, **_W)
struct('CustomResourceDefinitionNames', plural=S, singular=S, shortNames=LS, kind=S, listKind=S,
       categories=LS)
struct('CustomResourceDefinitionSpec', group=S, names='CustomResourceDefinitionNames', scope=S,
       versions=L('CustomResourceDefinitionVersion'), conversion=OBJ, preserveUnknownFields=B)
struct('CustomResourceDefinitionVersion', name=S, served=B, storage=B, deprecated=B,
       deprecationWarning=S, schema='CustomResourceValidation',
       subresources='CustomResourceSubresources',
       additionalPrinterColumns=L('CustomResourceColumnDefinition'), selectableFields=ARR)
struct('CustomResourceValidation', openAPIV3Schema='JSONSchemaProps')
struct('CustomResourceSubresources', status=OBJ, scale='CustomResourceSubresourceScale')
struct('CustomResourceSubresourceScale', specReplicasPath=S, statusReplicasPath=S,
       labelSelectorPath=S)
struct('CustomResourceColumnDefinition', name=S, type=S, format=S, description=S, priority=I32,
       jsonPath=S)
struct('JSONSchemaProps', **{
    'id': S, '$schema': S, '$ref': S, 'description': S, 'type': S, 'format': S, 'title': S,
    'default': ANY, 'maximum': NUM, 'exclusiveMaximum': B, 'minimum': NUM, 'exclusiveMinimum': B,
    'maxLength': I64, 'minLength': I64, 'pattern': S, 'maxItems': I64, 'minItems': I64,
    'uniqueItems': B, 'multipleOf': NUM, 'enum': ARR, 'maxProperties': I64, 'minProperties': I64,
    'required': LS, 'items': ANY, 'allOf': L('JSONSchemaProps'), 'oneOf': L('JSONSchemaProps'),
    'anyOf': L('JSONSchemaProps'), 'not': 'JSONSchemaProps', 'properties': M('JSONSchemaProps'),
    'additionalProperties': ANY, 'patternProperties': M('JSONSchemaProps'), 'dependencies': OBJ,
    'additionalItems': ANY, 'definitions': M('JSONSchemaProps'), 'externalDocs': OBJ,
    'example': ANY, 'nullable': B, 'x-kubernetes-preserve-unknown-fields': B,
    'x-kubernetes-embedded-resource': B, 'x-kubernetes-int-or-string': B,
    'x-kubernetes-list-map-keys': LS, 'x-kubernetes-list-type': S, 'x-kubernetes-map-type': S,
    'x-kubernetes-validations': ARR})
struct('ScaleSpec', replicas=I32)
struct('ScaleStatus', replicas=I32, selector=S)
struct('NamespaceSpec', finalizers=LS)
struct('NamespaceStatus', phase=S, conditions=ARR)
struct('ObjectReference', kind=S, namespace=S, name=S, uid=S, apiVersion=S, resourceVersion=S,
       fieldPath=S)
struct('EventSource', component=S, host=S)

_TOP = dict(apiVersion=S, kind=S, metadata='ObjectMeta')
KINDS = {
    ('', 'Pod'): struct('Pod', spec='PodSpec', status='PodStatus', **_TOP),
    ('', 'Service'): struct('Service', spec='ServiceSpec', status='ServiceStatus', **_TOP),
    ('', 'ConfigMap'): struct('ConfigMap', data=MSS, binaryData=MSS, immutable=B, **_TOP),
    ('', 'Secret'): struct('Secret', data=MSS, stringData=MSS, type=S, immutable=B, **_TOP),
    ('', 'Namespace'): struct('Namespace', spec='NamespaceSpec', status='NamespaceStatus', **_TOP),
    ('', 'ServiceAccount'): struct('ServiceAccount', secrets=ARR, automountServiceAccountToken=B,
                                   imagePullSecrets=L('LocalObjectReference'), **_TOP),
    ('', 'Event'): struct('Event', involvedObject='ObjectReference', reason=S, message=S,
                          source='EventSource', firstTimestamp=TIME, lastTimestamp=TIME, count=I32,
                          type=S, eventTime=TIME, series=OBJ, action=S, related=OBJ,
                          reportingComponent=S, reportingInstance=S, **_TOP),
    ('events.k8s.io', 'Event'): struct('events.Event', eventTime=TIME, series=OBJ,
                                       reportingController=S, reportingInstance=S, action=S, reason=S,
                                       regarding='ObjectReference', related=OBJ, note=S, type=S,
                                       deprecatedSource='EventSource', deprecatedFirstTimestamp=TIME,
                                       deprecatedLastTimestamp=TIME, deprecatedCount=I32, **_TOP),
    ('apps', 'Deployment'): struct('Deployment', spec='DeploymentSpec', status='DeploymentStatus', **_TOP),
    ('batch', 'Job'): struct('Job', spec='JobSpec', status='JobStatus', **_TOP),
    ('coordination.k8s.io', 'Lease'): struct('Lease', spec='LeaseSpec', **_TOP),
    ('admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'):
        struct('ValidatingWebhookConfiguration', webhooks=L('ValidatingWebhook'), **_TOP),
    ('admissionregistration.k8s.io', 'MutatingWebhookConfiguration'):
        struct('MutatingWebhookConfiguration', webhooks=L('MutatingWebhook'), **_TOP),
    ('apiextensions.k8s.io', 'CustomResourceDefinition'):
        struct('CustomResourceDefinition', spec='CustomResourceDefinitionSpec', status=OBJ, **_TOP),
    ('autoscaling', 'Scale'): struct('Scale', spec='ScaleSpec', status='ScaleStatus', **_TOP),
}


def known(group, kind):
    return (group, kind) in KINDS


# ------------------------------------------------------------------ unknown fields

def prune_unknown(group, kind, obj):
    """Drop fields a typed decode of group/kind would not keep (in place); returns their paths
    in document order.  Null fields are dropped and null struct list elements become {} (not
    reported).  Unknown kinds are left alone (returns []).  Call after check_types."""
    t = KINDS.get((group, kind))
    removed = []
    if t is None or not isinstance(obj, dict):
        return removed
    _prune(obj, t, '', removed)
    return removed


def _prune(x, t, path, removed):
    if isinstance(t, tuple):
        if t[0] == 'list' and isinstance(x, list):
            for i, v in enumerate(x):
                if v is None and t[1] in T:
                    x[i] = v = {}  # a null struct element decodes as the zero value
                _prune(v, t[1], '%s[%d]' % (path, i), removed)
        elif t[0] == 'map' and isinstance(x, dict):
            for k, v in list(x.items()):
                if v is None and t[1] == S:
                    x[k] = v = ''  # null map value decodes as ""
                _prune(v, t[1], '%s[%s]' % (path, k), removed)
        return
    st = T.get(t)
    if st is None or not isinstance(x, dict):
        return
    for k in list(x):
        p = k if not path else path + '.' + k
        if k not in st:
            del x[k]
            removed.append(p)
        elif x[k] is None:
            del x[k]  # null decodes as the zero value (omitted)
        else:
            _prune(x[k], st[k], p, removed)


# ------------------------------------------------------------------ JSON types

def _go_type(t):
    if isinstance(t, tuple):
        if t[0] == 'list':
            return '[]' + _go_type(t[1])
        return 'map[string]' + _go_type(t[1])
    return {S: 'string', I32: 'int32', I64: 'int64', B: 'bool', NUM: 'float64',
            OBJ: 'map[string]interface {}', ARR: '[]interface {}', TIME: 'v1.Time',
            INTSTR: 'intstr.IntOrString', QTY: 'resource.Quantity'}.get(t) or ('v1.' + t.split('.')[-1])


def _json_kind(v):
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, (int, float)):
        return 'number'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, list):
        return 'array'
    return 'object'


class DecodeError(Exception):
    pass


def _num_text(v):
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e21:
            return repr(v)  # json text as sent is unknown; Go shows the literal
        return repr(v)
    return str(v)


def _check(x, t, path, struct_name, errs):
    if x is None or t == ANY:
        return
    gt = _go_type(t)

    def bad(value_desc):
        errs.append('json: cannot unmarshal %s into Go struct field %s.%s of type %s' % (
            value_desc, struct_name, path, gt))

    if isinstance(t, tuple):
        if t[0] == 'list':
            if not isinstance(x, list):
                return bad(_json_kind(x))
            for v in x:
                _check(v, t[1], path, struct_name, errs)
        else:
            if not isinstance(x, dict):
                return bad(_json_kind(x))
            for v in x.values():
                _check(v, t[1], path, struct_name, errs)
        return
    if t in (S, TIME):
        if not isinstance(x, str):
            bad(_json_kind(x))
    elif t in (I32, I64):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return bad(_json_kind(x))
        if isinstance(x, float) and not x.is_integer():
            return bad('number ' + _num_text(x))
        lim = 2 ** 31 if t == I32 else 2 ** 63
        if not -lim <= x < lim:
            bad('number ' + _num_text(x))
    elif t == NUM:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            bad(_json_kind(x))
    elif t == B:
        if not isinstance(x, bool):
            bad(_json_kind(x))
    elif t == OBJ:
        if not isinstance(x, dict):
            bad(_json_kind(x))
    elif t == ARR:
        if not isinstance(x, list):
            bad(_json_kind(x))
    elif t == INTSTR:
        if isinstance(x, bool) or not isinstance(x, (int, float, str)):
            bad(_json_kind(x))
    elif t == QTY:
        from .quantity import QuantityError, parse
        try:
            parse(x)  # Quantity.UnmarshalJSON parses any JSON text, so every failure is this one
        except QuantityError as e:
            errs.append(str(e))
    else:
        st = T[t]
        if not isinstance(x, dict):
            return bad(_json_kind(x))
        for k, v in x.items():
            if k in st:
                _check(v, st[k], k if not path else path + '.' + k, t.split('.')[-1], errs)


def decode_errors(group, kind, obj):
    """Go json type errors for obj decoded as group/kind (first one only, as Go stops there);
    [] when the types are right or the kind is not a known built-in."""
    t = KINDS.get((group, kind))
    if t is None:
        return []
    errs = []
    if not isinstance(obj, dict):
        return ['json: cannot unmarshal %s into Go value of type v1.%s' % (_json_kind(obj), kind)]
    _check(obj, t, '', t.split('.')[-1], errs)
    return errs[:1]


def check_types(group, kind, version, obj):
    """Raise the apiserver's 400 for a body whose JSON types do not fit the kind."""
    errs = decode_errors(group, kind, obj)
    if errs:
        raise errors.bad_request('%s in version %s cannot be handled as a %s: %s' % (
            kind, errors.go_quote(version), kind, errs[0]))
