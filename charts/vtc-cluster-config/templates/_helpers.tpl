{{/*
The chart's labels and cross-value checks, in one place. Every helper takes the root context.
*/}}

{{/* The chart label: <name>-<version>. */}}
{{- define "vtccfg.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels every object of the release carries (Kubernetes' recommended labels,
https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/), with the environment. The
version is the chart's: the objects are configuration, not a build of an application.
*/}}
{{- define "vtccfg.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.Version | quote }}
app.kubernetes.io/part-of: vision-to-code
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "vtccfg.chart" . }}
vision-to-code.io/environment: {{ .Values.environment }}
{{- end -}}

{{/* The labels of one part's objects (storage, secrets, ingress, dashboards): the release's, plus the part. */}}
{{- define "vtccfg.componentLabels" -}}
{{ include "vtccfg.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
What the schema cannot say (it checks one value at a time): relations between values. Each failure names the value
and what to change; helm template and install stop on it.
*/}}
{{- define "vtccfg.checks" -}}
{{- $colours := dict -}}
{{- range $i, $binding := .Values.targetGroupBindings -}}
{{- if hasKey $colours $binding.colour -}}
{{- fail (printf "targetGroupBindings[%d]: colour %s is also targetGroupBindings[%d]'s; bind each colour once" $i $binding.colour (get $colours $binding.colour)) -}}
{{- end -}}
{{- $_ := set $colours $binding.colour $i -}}
{{- end -}}
{{- $arns := dict -}}
{{- range $i, $binding := .Values.targetGroupBindings -}}
{{- if hasKey $arns $binding.targetGroupArn -}}
{{- fail (printf "targetGroupBindings[%d]: target group %s is also targetGroupBindings[%d]'s; give each colour its own target group" $i $binding.targetGroupArn (get $arns $binding.targetGroupArn)) -}}
{{- end -}}
{{- $_ := set $arns $binding.targetGroupArn $i -}}
{{- end -}}
{{- end -}}

{{/*
One dashboard, as JSON: dashboards/<name>.json (.Files.Get), with its constant variables (hidden; the panels' queries
use them) set from dashboards.slo. Called with (dict "root" $ "name" <dashboard>).
*/}}
{{- define "vtccfg.dashboard" -}}
{{- $file := printf "dashboards/%s.json" .name -}}
{{- $dashboard := .root.Files.Get $file | fromJson -}}
{{- if or (hasKey $dashboard "Error") (not (hasKey $dashboard "uid")) -}}
{{- fail (printf "%s: not a Grafana dashboard (%s)" $file (get $dashboard "Error" | default "no uid")) -}}
{{- end -}}
{{- $slo := .root.Values.dashboards.slo -}}
{{- $constants := dict "slo_p99_seconds" (toString $slo.p99LatencySeconds) "slo_error_rate_percent" (toString $slo.errorRatePercent) "slo_window" $slo.window -}}
{{- range $variable := $dashboard.templating.list -}}
{{- if eq $variable.type "constant" -}}
{{- if not (hasKey $constants $variable.name) -}}
{{- fail (printf "%s: constant variable %s has no value in the chart (it knows %s)" $file $variable.name (keys $constants | sortAlpha | join ", ")) -}}
{{- end -}}
{{- $value := get $constants $variable.name -}}
{{- $_ := set $variable "query" $value -}}
{{- $_ := set $variable "current" (dict "selected" false "text" $value "value" $value) -}}
{{- $_ := set $variable "options" (list (dict "selected" true "text" $value "value" $value)) -}}
{{- end -}}
{{- end -}}
{{- toPrettyJson $dashboard -}}
{{- end -}}
