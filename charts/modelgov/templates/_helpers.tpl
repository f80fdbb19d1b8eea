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
