{{/*
The chart's labels, in one place (Kubernetes' recommended labels,
https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/), with the environment.
*/}}
{{- define "vtcsearch.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.Version | quote }}
app.kubernetes.io/component: search-setup
app.kubernetes.io/part-of: vision-to-code
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
vision-to-code.io/environment: {{ .Values.environment }}
{{- end -}}

{{/* What the Job's pods are selected by (the NetworkPolicy). */}}
{{- define "vtcsearch.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: search-setup
{{- end -}}

{{/*
What the schema cannot say: relations between values. Each failure names the value and what to change.
*/}}
{{- define "vtcsearch.checks" -}}
{{- if not (or .Values.ismPolicies .Values.securityRoles .Values.roleMappings .Values.indexTemplates) -}}
{{- fail "ismPolicies, securityRoles, roleMappings and indexTemplates are all empty: give the domain's setup (vtc_constructs.releases does)" -}}
{{- end -}}
{{- $roles := dict "readall" true -}}
{{- range .Values.securityRoles -}}
{{- $_ := set $roles .name true -}}
{{- end -}}
{{- range $i, $mapping := .Values.roleMappings -}}
{{- if not (hasKey $roles $mapping.role) -}}
{{- fail (printf "roleMappings[%d]: role %s is neither in securityRoles nor readall; add the role first" $i $mapping.role) -}}
{{- end -}}
{{- end -}}
{{- end -}}
