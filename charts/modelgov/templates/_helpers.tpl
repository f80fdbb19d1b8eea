{{/* Object-name prefix: "<release>-modelgov" unless the release name already contains it. */}}
{{- define "modelgov.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "modelgov.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "modelgov.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "modelgov.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: modelgov
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: include "modelgov.selector" (list . "operator") */}}
{{- define "modelgov.selector" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/name: {{ include "modelgov.name" $ }}
app.kubernetes.io/instance: {{ $.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "modelgov.operator.name" -}}{{ include "modelgov.fullname" . }}-operator{{- end -}}
{{- define "modelgov.webhook.name" -}}{{ include "modelgov.fullname" . }}-webhook{{- end -}}
{{- define "modelgov.webhook.tlsSecret" -}}{{ include "modelgov.fullname" . }}-webhook-tls{{- end -}}
{{- define "modelgov.webhook.certificate" -}}{{ include "modelgov.fullname" . }}-webhook{{- end -}}

{{- define "modelgov.operator.serviceAccount" -}}
{{- if .Values.operator.serviceAccount.create -}}
{{- default (include "modelgov.operator.name" .) .Values.operator.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.operator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "modelgov.webhook.serviceAccount" -}}
{{- if .Values.webhook.serviceAccount.create -}}
{{- default (include "modelgov.webhook.name" .) .Values.webhook.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.webhook.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image reference: include "modelgov.image" (list . .Values.operator.image) */}}
{{- define "modelgov.image" -}}
{{- $ := index . 0 -}}
{{- $img := index . 1 -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default $.Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{/* The hardened container securityContext every container gets. */}}
{{- define "modelgov.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "modelgov.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* DNS names of the webhook Service. */}}
{{- define "modelgov.webhook.dnsNames" -}}
{{- $svc := include "modelgov.webhook.name" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson -}}
{{- end -}}

{{/* The clientConfig of one webhook endpoint, for (dict "root" $ "path" "/validate"
"caBundle" $caBundle): the development URL when set (a webhook process outside the cluster),
else the Service; an empty caBundle is left out (cert-manager's CA injector fills it). */}}
{{- define "modelgov.webhook.clientConfig" -}}
{{- $root := .root -}}
{{- $dev := $root.Values.webhook.development -}}
{{- if $dev.url -}}
{{- if not $dev.caBundle -}}
{{- fail "webhook.development.url needs webhook.development.caBundle" -}}
{{- end -}}
url: {{ printf "%s%s" (trimSuffix "/" $dev.url) .path | quote }}
caBundle: {{ $dev.caBundle }}
{{- else -}}
service:
  name: {{ include "modelgov.webhook.name" $root }}
  namespace: {{ $root.Release.Namespace }}
  path: {{ .path }}
  port: 443
{{- if .caBundle }}
caBundle: {{ .caBundle }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Only governed namespaces, and never kube-system or modelgov's own namespace: a webhook
that is down cannot block the control plane or its own recovery. */}}
{{- define "modelgov.webhook.namespaceSelector" -}}
matchLabels:
  modelgov.io/governed: "true"
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
      {{- toYaml (concat (list "kube-system" .Release.Namespace) .Values.webhook.excludedNamespaces | uniq) | nindent 6 }}
{{- end -}}

{{/* Every way a container image enters a governed namespace: pods (created, updated as by
`kubectl set image`, and their ephemeral containers as by `kubectl debug`) and every built-in
kind with a pod template, created or updated. */}}
{{- define "modelgov.webhook.podRules" -}}
- apiGroups: [""]
  apiVersions: [v1]
  operations: [CREATE, UPDATE]
  resources: [pods, pods/ephemeralcontainers, replicationcontrollers, podtemplates]
  scope: Namespaced
- apiGroups: [apps]
  apiVersions: [v1]
  operations: [CREATE, UPDATE]
  resources: [deployments, replicasets, statefulsets, daemonsets]
  scope: Namespaced
- apiGroups: [batch]
  apiVersions: [v1]
  operations: [CREATE, UPDATE]
  resources: [jobs, cronjobs]
  scope: Namespaced
{{- end -}}
