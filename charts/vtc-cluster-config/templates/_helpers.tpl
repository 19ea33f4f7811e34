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
{{- $names := list -}}
{{- range .Values.namespaces -}}
{{- $names = append $names .name -}}
{{- end -}}
{{- range $i, $ns := .Values.mesh.namespaces -}}
{{- if not (has $ns $names) -}}
{{- fail (printf "mesh.namespaces[%d]: %s is not one of namespaces (%s); enrol only namespaces this release makes" $i $ns (join ", " $names)) -}}
{{- end -}}
{{- end -}}
{{- range $what, $cert := dict "tls.rootCa" .Values.tls.rootCa "tls.listenerCertificate" .Values.tls.listenerCertificate "tls.controlPlaneCertificate" .Values.tls.controlPlaneCertificate -}}
{{- if ge (int (trimSuffix "h" $cert.renewBefore)) (int (trimSuffix "h" $cert.duration)) -}}
{{- fail (printf "%s: renewBefore %s is not shorter than duration %s; renew before the certificate expires" $what $cert.renewBefore $cert.duration) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
One dashboard, as JSON: dashboards/<name>.json (.Files.Get), with its constant variables (hidden; the panels' queries
use them) set from dashboards.slo, and its cache_node variable (hidden, every value selected) from
dashboards.cacheClusterIds. Without cache IDs, the cache_node variable and every panel of the CloudWatch data source
(uid vtc-cloudwatch: vtc_constructs.cluster_config.CLOUDWATCH_UID; the Cache row and its panels) are removed: no
panel is left asking a data source or a cache that does not exist. Called with (dict "root" $ "name" <dashboard>).
*/}}
{{- define "vtccfg.dashboard" -}}
{{- $file := printf "dashboards/%s.json" .name -}}
{{- $dashboard := .root.Files.Get $file | fromJson -}}
{{- if or (hasKey $dashboard "Error") (not (hasKey $dashboard "uid")) -}}
{{- fail (printf "%s: not a Grafana dashboard (%s)" $file (get $dashboard "Error" | default "no uid")) -}}
{{- end -}}
{{- $slo := .root.Values.dashboards.slo -}}
{{- $cacheIds := .root.Values.dashboards.cacheClusterIds | default list -}}
{{- $constants := dict "slo_p99_seconds" (toString $slo.p99LatencySeconds) "slo_error_rate_percent" (toString $slo.errorRatePercent) "slo_window" $slo.window -}}
{{- $variables := list -}}
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
{{- if eq $variable.name "cache_node" -}}
{{- if $cacheIds -}}
{{- $options := list -}}
{{- range $id := $cacheIds -}}
{{- $options = append $options (dict "selected" true "text" $id "value" $id) -}}
{{- end -}}
{{- $_ := set $variable "query" (join "," $cacheIds) -}}
{{- $_ := set $variable "current" (dict "selected" true "text" $cacheIds "value" $cacheIds) -}}
{{- $_ := set $variable "options" $options -}}
{{- $variables = append $variables $variable -}}
{{- end -}}
{{- else -}}
{{- $variables = append $variables $variable -}}
{{- end -}}
{{- end -}}
{{- $_ := set $dashboard.templating "list" $variables -}}
{{- if not $cacheIds -}}
{{- $panels := list -}}
{{- range $panel := $dashboard.panels -}}
{{- if ne (dig "datasource" "uid" "" $panel) "vtc-cloudwatch" -}}
{{- $panels = append $panels $panel -}}
{{- end -}}
{{- end -}}
{{- $_ := set $dashboard "panels" $panels -}}
{{- end -}}
{{- toPrettyJson $dashboard -}}
{{- end -}}
