{{- define "sp.fullname" -}}
{{- printf "%s" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sp.labels" -}}
app.kubernetes.io/name: sandbox-provisioner
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "sp.selector" -}}
app.kubernetes.io/name: sandbox-provisioner
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sp.sandboxNamespace" -}}
{{- default .Release.Namespace .Values.sandbox.namespace -}}
{{- end -}}

{{- define "sp.apiKeySecret" -}}
{{- if .Values.apiKey.existingSecret -}}
{{- .Values.apiKey.existingSecret -}}
{{- else if .Values.apiKey.value -}}
{{- printf "%s-api-key" (include "sp.fullname" .) -}}
{{- else -}}
{{- fail "an API key is required: set apiKey.existingSecret to a Secret holding it (key apiKey.key), or apiKey.value (16 or more characters)" -}}
{{- end -}}
{{- end -}}
