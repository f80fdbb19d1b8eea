"""Known fields of the built-in kinds this server serves (k8s.io/api 1.28), for what a typed
decode does: unknown fields are dropped, and reported under fieldValidation=Strict/Warn as
`unknown field "spec.template.spec.containers[0].imagee"`.  Deep, rarely written sub-structures
(volume sources, affinity, security contexts, probes...) are treated as opaque (not checked).
"""

OPAQUE = None  # any value, not descended into


def _t(*names, **typed):
    d = dict.fromkeys(names, OPAQUE)
    d.update(typed)
    return d


def L(t):
    return ('list', t)


def M(t):
    return ('map', t)


T = {}
T['ObjectMeta'] = _t('name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion',
                     'generation', 'creationTimestamp', 'deletionTimestamp',
                     'deletionGracePeriodSeconds', 'labels', 'annotations', 'finalizers',
                     'managedFields', ownerReferences=L('OwnerReference'))
T['OwnerReference'] = _t('apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion')
T['ContainerPort'] = _t('name', 'hostPort', 'containerPort', 'protocol', 'hostIP')
T['EnvVar'] = _t('name', 'value', 'valueFrom')
T['VolumeMount'] = _t('name', 'readOnly', 'mountPath', 'subPath', 'mountPropagation', 'subPathExpr')
T['ResourceRequirements'] = _t('limits', 'requests', 'claims')
_CONTAINER = ('name', 'image', 'command', 'args', 'workingDir', 'envFrom', 'resizePolicy',
              'restartPolicy', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe',
              'lifecycle', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy',
              'securityContext', 'stdin', 'stdinOnce', 'tty')
T['Container'] = _t(*_CONTAINER, ports=L('ContainerPort'), env=L('EnvVar'),
                    volumeMounts=L('VolumeMount'), resources='ResourceRequirements')
T['EphemeralContainer'] = dict(T['Container'], targetContainerName=OPAQUE)
T['Volume'] = _t('name', 'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore',
                 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs', 'persistentVolumeClaim', 'rbd',
                 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile',
                 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk',
                 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral')
T['PodSpec'] = _t('restartPolicy', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds',
                  'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount',
                  'automountServiceAccountToken', 'nodeName', 'hostNetwork', 'hostPID', 'hostIPC',
                  'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname',
                  'subdomain', 'affinity', 'schedulerName', 'tolerations', 'hostAliases',
                  'priorityClassName', 'priority', 'dnsConfig', 'readinessGates',
                  'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'overhead',
                  'topologySpreadConstraints', 'setHostnameAsFQDN', 'os', 'hostUsers',
                  'schedulingGates', 'resourceClaims',
                  volumes=L('Volume'), initContainers=L('Container'), containers=L('Container'),
                  ephemeralContainers=L('EphemeralContainer'))
T['PodStatus'] = _t('phase', 'conditions', 'message', 'reason', 'nominatedNodeName', 'hostIP',
                    'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses',
                    'containerStatuses', 'qosClass', 'ephemeralContainerStatuses', 'resize',
                    'resourceClaimStatuses')
T['PodTemplateSpec'] = _t(metadata='ObjectMeta', spec='PodSpec')
T['LabelSelector'] = _t('matchLabels', 'matchExpressions')
T['ServicePort'] = _t('name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort')
T['ServiceSpec'] = _t('selector', 'clusterIP', 'clusterIPs', 'type', 'externalIPs',
                      'sessionAffinity', 'loadBalancerIP', 'loadBalancerSourceRanges',
                      'externalName', 'externalTrafficPolicy', 'healthCheckNodePort',
                      'publishNotReadyAddresses', 'sessionAffinityConfig', 'ipFamilies',
                      'ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'loadBalancerClass',
                      'internalTrafficPolicy', ports=L('ServicePort'))
T['ServiceStatus'] = _t('loadBalancer', 'conditions')
T['DeploymentStrategy'] = _t('type', 'rollingUpdate')
T['DeploymentSpec'] = _t('replicas', 'minReadySeconds', 'revisionHistoryLimit', 'paused',
                         'progressDeadlineSeconds', selector='LabelSelector',
                         template='PodTemplateSpec', strategy='DeploymentStrategy')
T['DeploymentStatus'] = _t('observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas',
                           'availableReplicas', 'unavailableReplicas', 'conditions',
                           'collisionCount')
T['JobSpec'] = _t('parallelism', 'completions', 'activeDeadlineSeconds', 'podFailurePolicy',
                  'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'manualSelector',
                  'ttlSecondsAfterFinished', 'completionMode', 'suspend', 'podReplacementPolicy',
                  selector='LabelSelector', template='PodTemplateSpec')
T['JobStatus'] = _t('conditions', 'startTime', 'completionTime', 'active', 'succeeded', 'failed',
                    'terminating', 'completedIndexes', 'failedIndexes', 'uncountedTerminatedPods',
                    'ready')
T['LeaseSpec'] = _t('holderIdentity', 'leaseDurationSeconds', 'acquireTime', 'renewTime',
                    'leaseTransitions')
T['ValidatingWebhook'] = _t('name', 'clientConfig', 'rules', 'failurePolicy', 'matchPolicy',
                            'namespaceSelector', 'objectSelector', 'sideEffects', 'timeoutSeconds',
                            'admissionReviewVersions', 'matchConditions')
T['CRDSpec'] = _t('group', 'names', 'scope', 'versions', 'conversion', 'preserveUnknownFields')
T['ScaleSpec'] = _t('replicas')
T['ScaleStatus'] = _t('replicas', 'selector')

_TOP = ('apiVersion', 'kind')
KINDS = {
    ('', 'Pod'): _t(*_TOP, metadata='ObjectMeta', spec='PodSpec', status='PodStatus'),
    ('', 'Service'): _t(*_TOP, metadata='ObjectMeta', spec='ServiceSpec', status='ServiceStatus'),
    ('', 'ConfigMap'): _t(*_TOP, 'data', 'binaryData', 'immutable', metadata='ObjectMeta'),
    ('', 'Secret'): _t(*_TOP, 'data', 'stringData', 'type', 'immutable', metadata='ObjectMeta'),
    ('', 'Namespace'): _t(*_TOP, 'spec', 'status', metadata='ObjectMeta'),
    ('', 'ServiceAccount'): _t(*_TOP, 'secrets', 'imagePullSecrets', 'automountServiceAccountToken',
                               metadata='ObjectMeta'),
    ('', 'Event'): _t(*_TOP, 'involvedObject', 'reason', 'message', 'source', 'firstTimestamp',
                      'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related',
                      'reportingComponent', 'reportingInstance', metadata='ObjectMeta'),
    ('events.k8s.io', 'Event'): _t(*_TOP, 'eventTime', 'series', 'reportingController',
                                   'reportingInstance', 'action', 'reason', 'regarding', 'related',
                                   'note', 'type', 'deprecatedSource', 'deprecatedFirstTimestamp',
                                   'deprecatedLastTimestamp', 'deprecatedCount',
                                   metadata='ObjectMeta'),
    ('apps', 'Deployment'): _t(*_TOP, metadata='ObjectMeta', spec='DeploymentSpec',
                               status='DeploymentStatus'),
    ('batch', 'Job'): _t(*_TOP, metadata='ObjectMeta', spec='JobSpec', status='JobStatus'),
    ('coordination.k8s.io', 'Lease'): _t(*_TOP, metadata='ObjectMeta', spec='LeaseSpec'),
    ('admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'):
        _t(*_TOP, metadata='ObjectMeta', webhooks=L('ValidatingWebhook')),
    ('admissionregistration.k8s.io', 'MutatingWebhookConfiguration'):
        _t(*_TOP, metadata='ObjectMeta', webhooks=L('ValidatingWebhook')),
    ('apiextensions.k8s.io', 'CustomResourceDefinition'):
        _t(*_TOP, 'status', metadata='ObjectMeta', spec='CRDSpec'),
    ('autoscaling', 'Scale'): _t(*_TOP, metadata='ObjectMeta', spec='ScaleSpec', status='ScaleStatus'),
}
T['MutatingWebhook'] = dict(T['ValidatingWebhook'], reinvocationPolicy=OPAQUE)
KINDS[('admissionregistration.k8s.io', 'MutatingWebhookConfiguration')]['webhooks'] = L('MutatingWebhook')


def known(group, kind):
    return (group, kind) in KINDS


def prune_unknown(group, kind, obj):
    """Drop fields a typed decode of group/kind would not keep (in place); returns their paths
    in document order.  Unknown kinds are left alone (returns [])."""
    t = KINDS.get((group, kind))
    removed = []
    if t is None or not isinstance(obj, dict):
        return removed
    _walk(obj, t, '', removed)
    return removed


def _resolve(t):
    return T[t] if isinstance(t, str) else t


def _walk(x, t, path, removed):
    if t is OPAQUE:
        return
    if isinstance(t, tuple):
        if t[0] == 'list' and isinstance(x, list):
            for i, v in enumerate(x):
                _walk(v, t[1], '%s[%d]' % (path, i), removed)
        elif t[0] == 'map' and isinstance(x, dict):
            for k, v in x.items():
                _walk(v, t[1], '%s[%s]' % (path, k), removed)
        return
    t = _resolve(t)
    if not isinstance(x, dict):
        return
    for k in list(x):
        p = k if not path else path + '.' + k
        if k not in t:
            del x[k]
            removed.append(p)
        else:
            _walk(x[k], t[k], p, removed)
