{{/*
The chart's names, labels and cross-value checks, in one place. The per-service helpers take
  (dict "root" $ "name" <service name> "svc" <the service's values>)
and the release-wide ones the root context.
*/}}

{{/* <release>-<service>, e.g. vtc-blue-business: the name of every per-service object (DNS-1123, at most 63). */}}
{{- define "vtc.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The chart label: <name>-<version>. */}}
{{- define "vtc.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels every object of the release carries (Kubernetes' recommended labels,
https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/), with the colour and environment.
Called with the root context.
*/}}
{{- define "vtc.releaseLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/part-of: vision-to-code
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "vtc.chart" . }}
vision-to-code.io/colour: {{ .Values.colour }}
vision-to-code.io/environment: {{ .Values.environment }}
{{- end -}}

{{/* The labels of one service's objects: the release's, plus app.kubernetes.io/component = the service. */}}
{{- define "vtc.labels" -}}
{{ include "vtc.releaseLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* What selects a release's pods (immutable in a Deployment's selector: no version in it). Root context. */}}
{{- define "vtc.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* What selects one service's pods. */}}
{{- define "vtc.selectorLabels" -}}
{{ include "vtc.releaseSelectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* The service's image: <repository>/<service>:<tag>, and @<digest> when image.digests gives one. */}}
{{- define "vtc.image" -}}
{{- $image := .root.Values.image -}}
{{- printf "%s/%s:%s" $image.repository .name $image.tag -}}
{{- with (get ($image.digests | default dict) .name) }}@{{ . }}{{ end -}}
{{- end -}}

{{/*
This colour's Gateway, vtc-<colour> (vtc_constructs.workloads.gateway_name; the cluster configuration release makes
it): derived from the colour, never given, so a release cannot attach its routes to the other colour's NGINX.
*/}}
{{- define "vtc.gateway" -}}
{{- printf "vtc-%s" .Values.colour -}}
{{- end -}}

{{/*
What the schema cannot say (it checks one value at a time): relations between values. Each failure names the value
and what to change; helm lint, template and install stop on it.
*/}}
{{- define "vtc.checks" -}}
{{- $paths := dict -}}
{{- range $name, $svc := .Values.services -}}
{{- if gt (int $svc.minReplicas) (int $svc.maxReplicas) -}}
{{- fail (printf "services.%s: minReplicas (%d) is above maxReplicas (%d); raise maxReplicas or lower minReplicas" $name (int $svc.minReplicas) (int $svc.maxReplicas)) -}}
{{- end -}}
{{- if ge (int $svc.maxUnavailable) (int $svc.minReplicas) -}}
{{- fail (printf "services.%s: maxUnavailable (%d) must be below minReplicas (%d), or a drain could take every pod; lower maxUnavailable" $name (int $svc.maxUnavailable) (int $svc.minReplicas)) -}}
{{- end -}}
{{- if hasKey $paths $svc.path -}}
{{- fail (printf "services.%s: path %s is also services.%s's; give each service a path of its own" $name $svc.path (get $paths $svc.path)) -}}
{{- end -}}
{{- $_ := set $paths $svc.path $name -}}
{{- end -}}
{{- if not (hasKey .Values.services .Values.gateway.health.service) -}}
{{- fail (printf "gateway.health.service: %s is not one of the services (%s); name the service whose readiness the health route asks" .Values.gateway.health.service (keys .Values.services | sortAlpha | join ", ")) -}}
{{- end -}}
{{- if eq (int .Values.ports.http) (int .Values.ports.metrics) -}}
{{- fail (printf "ports: http and metrics are both %d; give metrics a port of its own" (int .Values.ports.http)) -}}
{{- end -}}
{{- end -}}
