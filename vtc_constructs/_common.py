"""Building blocks shared by the constructs: account facts, IAM policy documents, KMS keys for log groups, and the
replacement-safety check every stack gets at synth (:func:`replacement_safety_problems`).

Policy documents are always ``aws_iam_policy_document`` data sources, never JSON strings: checkov reads those, and
Terraform normalises them, so a re-ordered statement is not a diff.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

import jsii
from cdktf import TerraformResourceLifecycle, TerraformStack, Token
from constructs import Construct, IValidation

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey

from .errors import is_reference, token_kind

if TYPE_CHECKING:
    from .errors import Problem

LOG_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")


@dataclass(frozen=True)
class Statement:
    """One IAM policy statement. ``principals`` maps a principal type (``AWS``, ``Service``, ``Federated``) to
    identifiers; ``conditions`` are ``(test, variable, values)`` triples. ``not_actions`` / ``not_resources``
    (``NotAction`` / ``NotResource``) take the place of ``actions`` / ``resources`` (give ``actions=()``)."""

    actions: Sequence[str]
    resources: Sequence[str] | None = None
    principals: Mapping[str, Sequence[str]] = field(default_factory=dict)
    conditions: Sequence[tuple[str, str, Sequence[str]]] = ()
    sid: str | None = None
    effect: str | None = None  # default: Allow
    not_actions: Sequence[str] | None = None
    not_resources: Sequence[str] | None = None

    def render(self) -> DataAwsIamPolicyDocumentStatement:
        return DataAwsIamPolicyDocumentStatement(
            sid=self.sid, effect=self.effect, actions=list(self.actions) if self.actions else None,
            resources=list(self.resources) if self.resources is not None else None,
            not_actions=list(self.not_actions) if self.not_actions is not None else None,
            not_resources=list(self.not_resources) if self.not_resources is not None else None,
            principals=[DataAwsIamPolicyDocumentStatementPrincipals(type=kind, identifiers=list(ids))
                        for kind, ids in self.principals.items()] or None,
            condition=[DataAwsIamPolicyDocumentStatementCondition(test=test, variable=variable, values=list(values))
                       for test, variable, values in self.conditions] or None,
        )


def policy_document(scope: Construct, id: str, *statements: Statement) -> DataAwsIamPolicyDocument:
    return DataAwsIamPolicyDocument(scope, id, statement=[s.render() for s in statements])


def stack_of(scope: Construct) -> TerraformStack:
    """``TerraformStack.of(scope)``, asked of jsii once per construct and then kept on it (a construct never moves to
    another stack): a construct asks for its stack three or four times (its account, its names, the replacement
    check), and each ask is a round trip to jsii's Node process."""
    stack = scope.__dict__.get("_vtc_stack")
    if stack is None:
        stack = TerraformStack.of(scope)
        setattr(scope, "_vtc_stack", stack)
    return stack


class Account:
    """The account, partition and region the provider deploys to, as Terraform references: one per stack.

    ``Account.of(scope)`` returns the stack's instance, made on first use: three data sources at the stack's root
    (``account-caller``, ``account-partition``, ``account-region``) that every construct in the stack shares, as the
    AWS CDK's ``Stack.of(this).account`` does. Each attribute is read from jsii once and kept: a read is a round trip
    to the Node process, and these are used in nearly every ARN a construct writes.
    """

    _ATTRIBUTE = "_vtc_account"

    def __init__(self, stack: TerraformStack):
        self.caller = DataAwsCallerIdentity(stack, "account-caller")
        self._partition = DataAwsPartition(stack, "account-partition")
        self._region = DataAwsRegion(stack, "account-region")

    @classmethod
    def of(cls, scope: Construct) -> "Account":
        stack = stack_of(scope)
        account = stack.__dict__.get(cls._ATTRIBUTE)
        if account is None:
            account = cls(stack)
            setattr(stack, cls._ATTRIBUTE, account)
        return account

    @functools.cached_property
    def id(self) -> str:
        return self.caller.account_id

    @functools.cached_property
    def partition(self) -> str:
        return self._partition.partition

    @functools.cached_property
    def region(self) -> str:
        return self._region.name

    @functools.cached_property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.id}:root"

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.id}:{resource}"

    def managed_policy(self, name: str) -> str:
        return f"arn:{self.partition}:iam::aws:policy/{name}"


def account_admin_statement(account: Account) -> Statement:
    """The account keeps full control of a key it owns, so IAM policies can grant use and nobody is locked out.
    Ref: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"""
    return Statement(sid="AccountAdministration", actions=["kms:*"], resources=["*"],
                     principals={"AWS": [account.root_arn]})


def logs_statement(account: Account, log_group_names: Sequence[str]) -> Statement:
    """CloudWatch Logs may use the key for the named log groups only."""
    return Statement(
        sid="CloudWatchLogsThisLogGroup", actions=list(LOG_KEY_ACTIONS), resources=["*"],
        principals={"Service": [f"logs.{account.region}.amazonaws.com"]},
        conditions=[("ArnEquals", "kms:EncryptionContext:aws:logs:arn",
                     [account.arn("logs", f"log-group:{name}") for name in log_group_names])])


def kms_key(scope: Construct, id: str, *, description: str, alias: str, policy: DataAwsIamPolicyDocument,
            tags: Mapping[str, str], lifecycle: TerraformResourceLifecycle | None = None) -> KmsKey:
    """A customer-managed key with rotation on and a 30-day deletion window, and its alias. ``lifecycle``: e.g.
    ``prevent_destroy`` for a key that encrypts what outlives the stack (snapshots, retained backups)."""
    key = KmsKey(scope, id, description=description, enable_key_rotation=True, deletion_window_in_days=30,
                 policy=policy.json, tags=dict(tags), lifecycle=lifecycle)
    KmsAlias(scope, f"{id}-alias", name=f"alias/{alias}", target_key_id=key.key_id)
    return key


#: Whether ``value`` is a string that holds a token (a reference resolved by Terraform), as ``Token.is_unresolved``
#: answers: :func:`vtc_constructs.errors.is_reference` (by shape, without a jsii round trip: each would cost about
#: 0.3 ms, and the Helm values of a workloads stack hold some 800 strings), under the name the constructs use.
is_string_token = is_reference


def is_number_token(value: object) -> bool:
    """Whether ``value`` is a number that stands for a token (a Terraform reference or variable), not a plain number.

    Only a double carrying cdktf's marker bits can be one, so every other number is answered here; those few go on to
    ``Token.is_unresolved`` (a jsii round trip: validation asks this of every numeric prop). NaN and infinities are no
    token and never go to jsii (they cannot cross to Node)."""
    return token_kind(value) == "number" and Token.is_unresolved(value)


def require_props(construct: str, props: object, expected: type, example: str) -> None:
    """Raise a ``TypeError`` that says what ``props`` should be when it is anything but an ``expected`` instance (a
    dict, None, another construct's props), before anything is built: not an ``AttributeError`` from deep inside."""
    if isinstance(props, expected):
        return
    got = type(props).__name__
    if isinstance(props, dict):
        how = f"build it from the dict: {expected.__name__}(**your_dict)"
    elif props is None:
        how = f"build one: {example}"
    elif type(props).__name__.endswith("Props"):
        how = f"{got} is the input of another construct; build a {expected.__name__}: {example}"
    else:
        how = f"build one: {example}"
    raise TypeError(f"{construct}(scope, id, props): props must be a {expected.__module__.rsplit('.', 1)[0]}."
                    f"{expected.__name__} (got {got}); {how}")


class NameRegistry:
    """The AWS names the constructs of one stack claim (per kind: log group, load balancer, ...), with the path of
    the construct that claimed each: two constructs that would create the same named resource are refused when the
    second is built, naming both, instead of failing half-way through an apply. One per stack, like :class:`Account`.
    """

    _ATTRIBUTE = "_vtc_names"

    def __init__(self):
        self.claims: dict[tuple[str, str], str] = {}

    @classmethod
    def of(cls, scope: Construct) -> "NameRegistry":
        stack = stack_of(scope)
        registry = stack.__dict__.get(cls._ATTRIBUTE)
        if registry is None:
            registry = cls()
            setattr(stack, cls._ATTRIBUTE, registry)
        return registry


def stack_region(construct: Construct) -> str | None:
    """The region of the default AWS provider of ``construct``'s stack (a direct child of the stack, where providers
    go, without an ``alias``: the one the constructs' resources use) when it is a plain string; None when there is
    none, or its region is known only at plan time. An aliased provider (``us-east-1`` for ACM or WAF, say) is
    skipped wherever it is declared."""
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    for child in stack_of(construct).node.children:
        if isinstance(child, AwsProvider) and not child.alias:
            region = child.region
            return region if isinstance(region, str) and not is_string_token(region) else None
    return None


def claim_names(construct: Construct, id: str, *names: tuple[str, str]) -> None:
    """Claim ``(kind, name)`` pairs for ``construct``; raise :class:`ConfigError` naming both constructs for every
    name another construct of the stack has claimed already (all of them, then nothing is claimed)."""
    from .errors import ConfigError, Problem

    registry = NameRegistry.of(construct)
    path = construct.node.path
    problems = []
    for kind, name in names:
        other = registry.claims.get((kind, name))
        if other is not None and other != path:
            problems.append(Problem(f"{id}.name", name, f"a name that gives no other construct's {kind}",
                                    f"rename {path} or {other}: both would create the {kind} {name!r}",
                                    f"{kind} already claimed by {other}"))
    if problems:
        raise ConfigError(problems)
    for kind, name in names:
        registry.claims[(kind, name)] = path


# --- replacement safety: nothing with a fixed name is planned create-before-destroy ----------------------------------

#: The arguments that give a resource an identity AWS keeps unique (in the account and region, or in its parent):
#: two at once with the same value cannot exist. Every type's ``name`` counts, except the types below whose ``name``
#: is not unique; some types are identified by other arguments.
IDENTITY_ARGUMENTS = ("name", "identifier", "function_name", "bucket", "alarm_name", "dashboard_name",
                      "node_group_name", "cluster_identifier", "addon_name", "principal_arn")
IDENTITY_ARGUMENTS_BY_TYPE = {"aws_lb_listener": ("port",)}
NAME_NOT_UNIQUE = frozenset({"aws_iam_policy_attachment"})

_REFERENCE = re.compile(r"(?<![\w.])((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_-]*)")


def _fixed_identity(kind: str, config: Mapping) -> tuple[str, object] | None:
    """The argument and value that fix ``config``'s identity, when one is a literal (not a prefix, not derived from
    something Terraform computes: ``${...}``)."""
    arguments = IDENTITY_ARGUMENTS_BY_TYPE.get(kind, ()) + (() if kind in NAME_NOT_UNIQUE else IDENTITY_ARGUMENTS)
    for argument in arguments:
        value = config.get(argument)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and "${" not in str(value) and value != "":
            return argument, value
    return None


def _references(config: object, known: set[str], key: str = "") -> set[str]:
    """Every address in ``known`` that ``config`` refers to: in ``${...}`` expressions and in ``depends_on``."""
    found: set[str] = set()
    if isinstance(config, Mapping):
        for k, v in config.items():
            if k == "//" or (k == "lifecycle" and isinstance(v, Mapping)):
                if k == "lifecycle":  # only replace_triggered_by refers to other resources
                    found |= _references(v.get("replace_triggered_by", []), known, "depends_on")
                continue
            found |= _references(v, known, k)
    elif isinstance(config, (list, tuple)):
        for item in config:
            found |= _references(item, known, key)
    elif isinstance(config, str) and ("${" in config or key == "depends_on"):
        for match in _REFERENCE.findall(config):
            parts = match.split(".")
            address = ".".join(parts[:3] if parts[0] == "data" else parts[:2])
            if address in known:
                found.add(address)
    return found


def replacement_safety_problems(stack: Mapping) -> list[Problem]:
    """Every resource of a synthesized stack (its Terraform JSON) with a fixed identity (a literal ``name``,
    ``identifier``, ...) that Terraform would replace create-before-destroy: because it sets
    ``create_before_destroy`` itself, or because something that depends on it, directly or through other resources,
    data sources or locals, does (Terraform passes the setting on to everything a resource depends on). Such a
    replacement fails ("already exists"): the new one is created while the old one still holds the name.

    Ref: https://developer.hashicorp.com/terraform/language/meta-arguments/lifecycle#create_before_destroy
    """
    from .errors import Problem

    nodes: dict[str, Mapping] = {}
    for section, prefix in (("resource", ""), ("data", "data.")):
        for kind, items in (stack.get(section) or {}).items():
            for name, config in items.items():
                nodes[f"{prefix}{kind}.{name}"] = config
    known = set(nodes)
    dependents: dict[str, set[str]] = {address: set() for address in nodes}
    for address, config in nodes.items():
        for dependency in _references(config, known) - {address}:
            dependents[dependency].add(address)

    def own_cbd(address: str) -> bool:
        lifecycle = nodes[address].get("lifecycle") if not address.startswith("data.") else None
        return isinstance(lifecycle, Mapping) and lifecycle.get("create_before_destroy") is True

    problems = []
    for address, config in sorted(nodes.items()):
        if address.startswith("data."):
            continue
        kind = address.split(".")[0]
        identity = _fixed_identity(kind, config)
        if identity is None:
            continue
        chain = [address] if own_cbd(address) else _path_to_cbd(address, dependents, own_cbd)
        if chain is None:
            continue
        argument, value = identity
        path = config.get("//", {}).get("metadata", {}).get("path", address) if isinstance(config, Mapping) else address
        if len(chain) == 1:
            why, fix = (f"{address} sets create_before_destroy itself",
                        f"remove create_before_destroy, or give it a generated name ({argument}_prefix, where the "
                        f"type has one) or a {argument} derived from every argument that forces its replacement")
        else:
            cause = chain[-1]
            via = " <- ".join(chain)
            why = f"{cause} sets create_before_destroy and depends on it ({via})"
            fix = (f"remove create_before_destroy from {cause} (or its dependency on {address}), or give "
                   f"{address} a generated name ({argument}_prefix, where the type has one)")
        problems.append(Problem(path, value, f"{kind} replaced destroy-first (no create_before_destroy on it or on "
                                f"anything that depends on it), or a {argument} that changes with every replacement",
                                fix,
                                f"fixed {argument} planned create-before-destroy: {why}"))
    return problems


def _path_to_cbd(start: str, dependents: Mapping[str, set[str]], own_cbd) -> list[str] | None:
    """The shortest chain ``start <- dependent <- ... <- X`` to a resource X with create_before_destroy, if any."""
    parents: dict[str, str] = {start: ""}
    queue = [start]
    while queue:
        current = queue.pop(0)
        for dependent in sorted(dependents.get(current, ())):
            if dependent in parents:
                continue
            parents[dependent] = current
            if not dependent.startswith("data.") and own_cbd(dependent):
                chain = [dependent]
                while parents[chain[-1]]:
                    chain.append(parents[chain[-1]])
                return list(reversed(chain))
            queue.append(dependent)
    return None


def guard_replacement_safety(construct: Construct) -> None:
    """Have the stack of ``construct`` refuse to synthesize (cdktf runs every validation at synth) while
    :func:`replacement_safety_problems` finds anything in it; added once per stack, by every construct of this
    library, so that a stack that composes them is checked whatever else it holds.

    A validation of the stack, so it runs before cdktf writes anything (a refused synth leaves no file behind) and
    under ``Testing.synth(stack, run_validations=True)`` too. It resolves the stack once more for it (about 0.1-0.2 s
    of jsii's Node process per AWS stack, ``benchmarks/synth.py --profile``): the price of both.
    """
    stack = stack_of(construct)
    if stack.__dict__.get("_vtc_replacement_safety"):
        return
    setattr(stack, "_vtc_replacement_safety", True)
    stack.node.add_validation(_ReplacementSafety(stack))


@jsii.implements(IValidation)
class _ReplacementSafety:
    def __init__(self, stack: TerraformStack):
        self._stack = stack

    def validate(self) -> list[str]:
        tf = json.loads(json.dumps(self._stack.to_terraform()))
        return [str(p) for p in replacement_safety_problems(tf)]
