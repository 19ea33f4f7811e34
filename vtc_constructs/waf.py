"""The WAF in front of the edge's ALB: a regional web ACL of AWS managed rule groups, the upload paths' large
bodies, a per-IP rate limit, and its log.

Usage (:class:`~vtc_constructs.edge.Edge` does this for its ALB; ``WafProps`` is set as ``EdgeProps.waf``)::

    from vtc_constructs import EdgeProps, WafProps

    EdgeProps(..., waf=WafProps(upload_path_prefixes=("/api/uploads/",),
                                count_only_groups=("AWSManagedRulesAnonymousIpList",)))

Fixed, not optional: AWS's common, known-bad-inputs, anonymous-IP, IP-reputation and SQL-injection rule groups (the
backend is PostgreSQL) and a per-IP rate limit; the log goes to an encrypted log group with the ``Authorization`` and
``Cookie`` headers redacted, and keeps only the requests a rule blocked, counted or challenged (the ALB's access log
has every request).

The WAF and this product (screenshots and designs uploaded to be turned into code), see :class:`WafProps`: request
bodies above 8 KB are blocked except under the upload paths (``/api/uploads/`` unless configured); cloud-hosted
clients (CI, server-to-server API users) are counted, not blocked (``HostingProviderIPList``); every rule of a managed
group can be overridden, and a group can run in count mode first. (Until issue 12 every body above 8 KB and every
cloud-hosted client was blocked.)

:func:`add_web_acl` makes the resources in the scope it is given, not in a construct of its own: the edge calls it with
itself, so the web ACL, its association and its logging keep the construct IDs and paths they had when this code
was part of ``edge.py`` (``<edge>/web-acl``, ``<edge>/waf-log-group``, ...; construct IDs are Terraform addresses).
Every name here is also importable from ``vtc_constructs.edge``, where it was until issue 27 (kept for existing
imports; new code imports it from ``vtc_constructs`` or this module).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping, Sequence

from constructs import Construct

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationLoggingFilter,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilter,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilterCondition,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilterConditionActionCondition,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)

from ._common import Account, account_admin_statement, kms_key, logs_statement, policy_document
from .errors import (Problem, classified, coerce_fields, enum_problem, has_unresolved, is_reference, is_string_tuple,
                     not_a_list, unresolved_problem)

#: The AWS managed rule groups of the web ACL, in evaluation order, with the names of their rules (what
#: ``WafProps.rule_actions`` may override). Ref: https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
MANAGED_RULES: dict[str, tuple[str, ...]] = {
    "AWSManagedRulesCommonRuleSet": (
        "NoUserAgent_HEADER", "UserAgent_BadBots_HEADER", "SizeRestrictions_QUERYSTRING",
        "SizeRestrictions_Cookie_HEADER", "SizeRestrictions_BODY", "SizeRestrictions_URIPATH", "EC2MetaDataSSRF_BODY",
        "EC2MetaDataSSRF_COOKIE", "EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_QUERYARGUMENTS",
        "GenericLFI_QUERYARGUMENTS", "GenericLFI_URIPATH", "GenericLFI_BODY", "RestrictedExtensions_URIPATH",
        "RestrictedExtensions_QUERYARGUMENTS", "GenericRFI_QUERYARGUMENTS", "GenericRFI_BODY", "GenericRFI_URIPATH",
        "CrossSiteScripting_COOKIE", "CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_BODY",
        "CrossSiteScripting_URIPATH"),
    "AWSManagedRulesKnownBadInputsRuleSet": (
        "JavaDeserializationRCE_HEADER", "JavaDeserializationRCE_BODY", "JavaDeserializationRCE_URIPATH",
        "JavaDeserializationRCE_QUERYSTRING", "Host_localhost_HEADER", "PROPFIND_METHOD", "ExploitablePaths_URIPATH",
        "Log4JRCE_HEADER", "Log4JRCE_QUERYSTRING", "Log4JRCE_BODY", "Log4JRCE_URIPATH"),
    "AWSManagedRulesAnonymousIpList": ("AnonymousIPList", "HostingProviderIPList"),
    "AWSManagedRulesAmazonIpReputationList": ("AWSManagedIPReputationList", "AWSManagedReconnaissanceList",
                                              "AWSManagedIPDDoSList"),
    # The backend is PostgreSQL: SQL injection in query, body, cookies and path.
    "AWSManagedRulesSQLiRuleSet": ("SQLi_QUERYARGUMENTS", "SQLiExtendedPatterns_QUERYARGUMENTS", "SQLi_BODY",
                                   "SQLiExtendedPatterns_BODY", "SQLi_COOKIE", "SQLi_URIPATH"),
}
MANAGED_RULE_GROUPS = tuple(MANAGED_RULES)
#: The common rule set's body-size rule (bodies above 8 KB) and the label it adds to what it matches, also in count
#: mode. Ref: https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
BODY_SIZE_RULE = ("AWSManagedRulesCommonRuleSet", "SizeRestrictions_BODY")
BODY_SIZE_LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"
#: WAF's limit on a byte-match search string (a path prefix), and a cap on prefixes to keep the rule cheap in WCUs.
MAX_PATH_PREFIX_BYTES = 200
MAX_UPLOAD_PATH_PREFIXES = 5
#: What the WAF log keeps (everything else is in the ALB's access log): requests a rule acted on or counted.
WAF_LOGGED_ACTIONS = ("BLOCK", "COUNT", "CAPTCHA", "CHALLENGE", "EXCLUDED_AS_COUNT")
#: Request headers never written to the WAF log: credentials and sessions.
WAF_REDACTED_HEADERS = ("authorization", "cookie")


class WafRuleAction(str, Enum):
    """What a managed rule does with a request it matches, instead of its own action."""

    COUNT = "count"
    BLOCK = "block"
    ALLOW = "allow"
    CAPTCHA = "captcha"
    CHALLENGE = "challenge"


#: Overrides applied unless ``WafProps.rule_actions`` names the rule: cloud-hosted clients (CI, server-to-server API
#: users of the product) are counted and logged, not blocked.
DEFAULT_RULE_ACTIONS: dict[str, dict[str, WafRuleAction]] = {
    "AWSManagedRulesAnonymousIpList": {"HostingProviderIPList": WafRuleAction.COUNT}}

#: Terraform references (cdktf tokens) WafProps refuses (errors.classified): the groups are looked up at synth, and
#: the web ACL has one statement per upload path prefix (a prefix itself may be a reference: it is only passed on, as
#: the statement's search string; an action in ``rule_actions`` may not, it picks the override at synth).
_SYNTH_TIME_FIELDS = {
    "count_only_groups": ("a literal list of managed rule group names", "list the groups themselves: each is looked "
                          "up in MANAGED_RULE_GROUPS at synth to set its rule's override"),
}
_LISTS = {
    "upload_path_prefixes": ("a literal list of path prefixes (each may be a reference)", "list the prefixes "
                             "themselves: the web ACL gets one statement per prefix at synth"),
}


@dataclass(frozen=True, kw_only=True)
class WafProps:
    """The web ACL's managed rules, as this product needs them.

    :param upload_path_prefixes: default: ``("/api/uploads/",)``. Request paths (after path normalisation, so
        ``/api/uploads/../admin`` is ``/admin``) that accept bodies above 8 KB, the limit of the common rule set's
        ``SizeRestrictions_BODY``: screenshots and design files are uploaded there. Everywhere else large bodies stay
        blocked. Each starts with ``/``, at most 200 bytes, at most 5 prefixes; ``()`` blocks large bodies everywhere.
        (WAF inspects only the first 8 KB of a body on an ALB: the other body rules see that part of an upload.)
    :param count_only_groups: default: none, every group enforces. Managed groups (of :data:`MANAGED_RULE_GROUPS`)
        that only count and log what they would block: to watch a group's effect on real traffic before enforcing it.
        The upload-path body-size rule follows the common rule set.
    :param rule_actions: default: :data:`DEFAULT_RULE_ACTIONS` (``HostingProviderIPList`` counts). Per group, per
        rule (:data:`MANAGED_RULES`), the action that replaces the rule's own: ``"count"``, ``"block"``,
        ``"allow"``, ``"captcha"`` or ``"challenge"``. Merged over the defaults rule by rule: ``{"AWSManagedRules
        AnonymousIpList": {"HostingProviderIPList": "block"}}`` blocks cloud-hosted clients again. Naming
        ``SizeRestrictions_BODY`` replaces the upload-path scoping: the action then applies to every path.
    """

    upload_path_prefixes: Sequence[str] = ("/api/uploads/",)
    count_only_groups: Sequence[str] = ()
    rule_actions: Mapping[str, Mapping[str, WafRuleAction]] = field(default_factory=dict)

    def __post_init__(self):
        coerce_fields(self, tuples=("upload_path_prefixes", "count_only_groups"))
        if isinstance(self.rule_actions, Mapping) and all(isinstance(v, Mapping) for v in self.rule_actions.values()):
            object.__setattr__(self, "rule_actions", {
                group: {rule: _action(value) for rule, value in rules.items()}
                for group, rules in self.rule_actions.items()})

    def validate(self) -> list[Problem]:
        """Every problem. A Terraform reference is refused in ``count_only_groups``, in the list of
        ``upload_path_prefixes`` and as an action (``_SYNTH_TIME_FIELDS``, ``_LISTS``), accepted as one prefix."""
        return classified(self, self._problems(), _SYNTH_TIME_FIELDS, lists=_LISTS)

    def _problems(self) -> list[Problem]:
        problems: list[Problem] = []
        prefixes = self.upload_path_prefixes
        if not is_string_tuple(prefixes):
            problems.append(not_a_list("upload_path_prefixes", prefixes, "path prefixes", "('/api/uploads/',)"))
        else:
            if len(prefixes) > MAX_UPLOAD_PATH_PREFIXES:
                problems.append(Problem("upload_path_prefixes", list(prefixes),
                                        f"at most {MAX_UPLOAD_PATH_PREFIXES} prefixes",
                                        "give the uploads a common prefix", "too many prefixes"))
            for i, prefix in enumerate(prefixes):
                if is_reference(prefix):  # passed on as the statement's search string: WAF checks it at apply
                    continue
                if not re.match(r"^/[^\s?#]*$", prefix) or len(prefix.encode()) > MAX_PATH_PREFIX_BYTES:
                    problems.append(Problem(f"upload_path_prefixes[{i}]", prefix, "a URL path starting with /, "
                                            f"without spaces, ? or #, at most {MAX_PATH_PREFIX_BYTES} bytes",
                                            "write the path the uploads are sent to, e.g. '/api/uploads/'",
                                            "not a path prefix"))
            for prefix in sorted({p for p in prefixes if prefixes.count(p) > 1}):
                problems.append(Problem("upload_path_prefixes", list(prefixes), "each prefix once",
                                        f"remove the repeated {prefix!r}", "repeated prefix"))
        groups = self.count_only_groups
        if not is_string_tuple(groups):
            problems.append(not_a_list("count_only_groups", groups, "managed rule group names",
                                       "('AWSManagedRulesSQLiRuleSet',)"))
        else:
            for i, group in enumerate(groups):
                if group not in MANAGED_RULES:
                    problems.append(Problem(f"count_only_groups[{i}]", group, ", ".join(MANAGED_RULE_GROUPS),
                                            "name one of the web ACL's managed rule groups", "unknown rule group"))
            for group in sorted({g for g in groups if groups.count(g) > 1}):
                problems.append(Problem("count_only_groups", list(groups), "each group once",
                                        f"remove the repeated {group!r}", "repeated group"))
        problems += self._rule_action_problems()
        return problems

    def _rule_action_problems(self) -> list[Problem]:
        actions = self.rule_actions
        if not isinstance(actions, Mapping):
            return [Problem("rule_actions", actions, "a table of rule groups to tables of rule names to actions",
                            "e.g. {'AWSManagedRulesAnonymousIpList': {'HostingProviderIPList': 'count'}}",
                            "not a table")]
        problems = []
        for group, rules in actions.items():
            if group not in MANAGED_RULES:
                problems.append(Problem(f"rule_actions.{group}", rules, ", ".join(MANAGED_RULE_GROUPS),
                                        "name one of the web ACL's managed rule groups", "unknown rule group"))
                continue
            if not isinstance(rules, Mapping):
                problems.append(Problem(f"rule_actions.{group}", rules, "a table of rule names to actions",
                                        "e.g. {'NoUserAgent_HEADER': 'count'}", "not a table"))
                continue
            for rule, action in rules.items():
                if rule in MANAGED_RULES[group] and has_unresolved(action):
                    problems.append(unresolved_problem(f"rule_actions.{group}.{rule}", action, "count, block, allow, "
                                                       "captcha or challenge, written out", "write the action itself: "
                                                       "the rule's override is chosen from it at synth"))
                elif rule not in MANAGED_RULES[group]:
                    shown = action.value if isinstance(action, WafRuleAction) else action
                    problems.append(Problem(f"rule_actions.{group}.{rule}", shown,
                                            f"a rule of {group}: " + ", ".join(MANAGED_RULES[group]),
                                            "correct the rule's name (or, if AWS added it, add it to "
                                            "vtc_constructs.waf.MANAGED_RULES)", "unknown rule"))
                elif not isinstance(action, WafRuleAction):
                    problems.append(enum_problem(f"rule_actions.{group}.{rule}", action, WafRuleAction,
                                                 "pick the action the rule takes instead of its own"))
        return problems

    def actions_of(self, group: str) -> dict[str, WafRuleAction]:
        """The override of every rule of ``group``: the defaults, the props' over them, and the body-size rule
        counted (and re-applied outside the upload paths) unless the props name it."""
        actions = {**DEFAULT_RULE_ACTIONS.get(group, {}), **self.rule_actions.get(group, {})}
        if group == BODY_SIZE_RULE[0] and self.scopes_body_size:
            actions[BODY_SIZE_RULE[1]] = WafRuleAction.COUNT
        return actions

    @property
    def scopes_body_size(self) -> bool:
        """Whether the body-size rule is counted in its group and enforced outside the upload paths by a rule of
        the construct's own."""
        return bool(self.upload_path_prefixes) and BODY_SIZE_RULE[1] not in self.rule_actions.get(BODY_SIZE_RULE[0], {})


def _action(value):
    """A string naming an action as the member (``"count"``); anything else as given, for validate()."""
    if isinstance(value, str) and not isinstance(value, WafRuleAction):
        return next((m for m in WafRuleAction if m.value == value), value)
    return value


# --- resources -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WebAcl:
    """What :func:`add_web_acl` made: the web ACL (``web_acl.arn``) and the log group its log goes to."""

    web_acl: Wafv2WebAcl
    log_group: CloudwatchLogGroup


def add_web_acl(scope: Construct, *, name: str, waf: WafProps, rate_limit_per_5_minutes: int,
                log_retention_days: int, resource_arn: str, account: Account, tags: Mapping[str, str]) -> WebAcl:
    """The web ACL named ``name`` (validated props: the caller's own validation includes ``waf.validate()``), attached
    to ``resource_arn`` (the ALB), and its log group ``aws-waf-logs-<name>`` with its KMS key, all made in ``scope``.
    """
    metric = re.sub(r"[^A-Za-z0-9]", "", name.title())

    def visibility(metric_name: str) -> Wafv2WebAclRuleVisibilityConfig:
        return Wafv2WebAclRuleVisibilityConfig(cloudwatch_metrics_enabled=True, metric_name=f"{metric}{metric_name}",
                                               sampled_requests_enabled=True)

    rules = []
    for i, group in enumerate(MANAGED_RULE_GROUPS, start=1):
        statement = {"name": group, "vendor_name": "AWS"}
        overrides = waf.actions_of(group)
        if overrides:
            statement["rule_action_override"] = [{"name": rule, "action_to_use": {action.value: {}}}
                                                 for rule, action in sorted(overrides.items())]
        counting = group in waf.count_only_groups
        rules.append(Wafv2WebAclRule(
            name=group, priority=i * 10,
            override_action=Wafv2WebAclRuleOverrideAction(count={}) if counting else
            Wafv2WebAclRuleOverrideAction(none={}),
            statement={"managed_rule_group_statement": statement},
            visibility_config=visibility(group.removeprefix("AWSManagedRules"))))
    if waf.scopes_body_size:
        # The body-size rule counts (and labels) in its group; this blocks what it labelled, except under the
        # upload paths. NOT(a OR b) as NOT a AND NOT b: the provider nests statements three deep at most.
        outside_uploads = [{"not_statement": {"statement": [{"byte_match_statement": {
            "search_string": prefix, "positional_constraint": "STARTS_WITH", "field_to_match": {"uri_path": {}},
            "text_transformation": [{"priority": 0, "type": "NORMALIZE_PATH"}]}}]}}
            for prefix in waf.upload_path_prefixes]
        counting = BODY_SIZE_RULE[0] in waf.count_only_groups
        rules.append(Wafv2WebAclRule(
            name="LargeBodiesOutsideUploadPaths", priority=15,
            action=Wafv2WebAclRuleAction(count={}) if counting else Wafv2WebAclRuleAction(block={}),
            statement={"and_statement": {"statement": [
                {"label_match_statement": {"scope": "LABEL", "key": BODY_SIZE_LABEL}}, *outside_uploads]}},
            visibility_config=visibility("LargeBodiesOutsideUploadPaths")))
    rules.append(Wafv2WebAclRule(
        name="RateLimitPerIp", priority=100, action=Wafv2WebAclRuleAction(block={}),
        statement={"rate_based_statement": {"limit": rate_limit_per_5_minutes,
                                            "aggregate_key_type": "IP", "evaluation_window_sec": 300}},
        visibility_config=visibility("RateLimit")))
    web_acl = Wafv2WebAcl(scope, "web-acl", name=name, scope="REGIONAL",
                          description=f"{name}: AWS managed rules and a per-IP rate limit",
                          default_action=Wafv2WebAclDefaultAction(allow={}), rule=rules,
                          visibility_config=Wafv2WebAclVisibilityConfig(
                              cloudwatch_metrics_enabled=True, metric_name=f"{metric}WebAcl",
                              sampled_requests_enabled=True),
                          tags=tags)
    Wafv2WebAclAssociation(scope, "web-acl-association", resource_arn=resource_arn, web_acl_arn=web_acl.arn)
    # WAF logs only to log groups whose name starts with aws-waf-logs-.
    log_group_name = f"aws-waf-logs-{name}"
    key_policy = policy_document(scope, "waf-log-key-policy", account_admin_statement(account),
                                 logs_statement(account, [log_group_name]))
    key = kms_key(scope, "waf-log-key", description=f"{name} WAF logs", alias=f"{name}-waf-logs",
                  policy=key_policy, tags=tags)
    log_group = CloudwatchLogGroup(scope, "waf-log-group", name=log_group_name,
                                   retention_in_days=log_retention_days, kms_key_id=key.arn, tags=tags)
    Wafv2WebAclLoggingConfiguration(
        scope, "waf-logging", resource_arn=web_acl.arn, log_destination_configs=[log_group.arn],
        redacted_fields=[Wafv2WebAclLoggingConfigurationRedactedFields(
            single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header))
            for header in WAF_REDACTED_HEADERS],
        logging_filter=Wafv2WebAclLoggingConfigurationLoggingFilter(
            default_behavior="DROP", filter=[Wafv2WebAclLoggingConfigurationLoggingFilterFilter(
                behavior="KEEP", requirement="MEETS_ANY", condition=[
                    Wafv2WebAclLoggingConfigurationLoggingFilterFilterCondition(
                        action_condition=Wafv2WebAclLoggingConfigurationLoggingFilterFilterConditionActionCondition(
                            action=action)) for action in WAF_LOGGED_ACTIONS])]))
    return WebAcl(web_acl=web_acl, log_group=log_group)
