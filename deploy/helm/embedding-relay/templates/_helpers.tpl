{{- define "embedding-relay.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "embedding-relay.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "embedding-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "embedding-relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "embedding-relay.labels" -}}
{{ include "embedding-relay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- /* The HPA scales relay-only pods on CPU; not pods that carry a model server (values.yaml: autoscaling). */ -}}
{{- define "embedding-relay.autoscaled" -}}
{{- if and .Values.autoscaling.enabled (not .Values.modelServer.enabled) }}true{{ end -}}
{{- end -}}

{{- /* RELAY_UPSTREAM_URL: upstream.url, or the model server in the same pod. */ -}}
{{- define "embedding-relay.upstreamUrl" -}}
{{- if .Values.upstream.url -}}
{{- .Values.upstream.url -}}
{{- else if .Values.modelServer.enabled -}}
{{- printf "http://127.0.0.1:%v/v1" .Values.modelServer.port -}}
{{- end -}}
{{- end -}}
