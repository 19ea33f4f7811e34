"""What the workloads are given from outside the chart, and the checks of those values: the Valkey cache's and the
OpenSearch domain's endpoints and identities (:class:`CacheEndpoint`, :class:`SearchEndpoint`), the Secrets committed
sealed (:class:`SealedSecretProps`), and the checks of AWS values the props share (IAM role ARNs, CIDR ranges, host
names, regions). Re-exported by ``vtc_constructs.workloads``, where they were until issue 27.

Usage::

    from vtc_constructs.workload_inputs import CacheEndpoint, SealedSecretProps

    SealedSecretProps(namespace="monitoring", encrypted_data={"routing-key": "<kubeseal --raw output>"})
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from .search_index import ISM_MAX_DAYS, ism_problems
from .errors import (Problem, classified, coerce_fields, is_reference, is_string_tuple, is_whole, not_a_list,
                     unresolved_problem)


_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # a DNS-1123 label (namespaces, release names)


def is_dns_label(value: object) -> bool:
    """Whether ``value`` is a DNS-1123 label, as Kubernetes names namespaces and releases: 1-63 of a-z, 0-9 and '-',
    starting and ending with a letter or digit."""
    return isinstance(value, str) and len(value) <= 63 and bool(_LABEL.match(value))


def is_dns_subdomain(value: object) -> bool:
    """Whether ``value`` is a DNS-1123 subdomain, as Kubernetes names most objects (service accounts among them): at
    most 253 characters, DNS-1123 labels joined by '.'.
    Ref: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names"""
    return isinstance(value, str) and len(value) <= 253 and all(is_dns_label(part) for part in value.split("."))


_HOST = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")
_ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
#: The key of the sealed Secret that holds Alertmanager's PagerDuty Events API v2 integration key
#: (``WorkloadsProps.alertmanager_pagerduty_secret``).
ALERTMANAGER_PAGERDUTY_KEY = "routing-key"
#: The controller's RSA key size (sealed-secrets 0.36: 4096 bits), so the RSA-encrypted session key of every sealed
#: value is 512 bytes.
_SEALED_RSA_BYTES = 512
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
#: Terraform references (cdktf tokens) these props refuse, field by field (errors.classified); the rest of their
#: string fields (the cache's host names, user and group, a Secret's type) are only passed on and may be references.
_SEALED_SYNTH_TIME = {"namespace": ("a literal namespace name", "write the namespace itself: it is checked at synth "
                                    "against the namespace Alertmanager mounts the Secret in, and names the "
                                    "SealedSecret")}
_CACHE_SYNTH_TIME = {"port": ("a literal port, 1024-65535", "write the port itself (CacheProps.port): it is written "
                              "into the services' NetworkPolicy and their values document at synth")}
_DAYS = "write the number itself: the index policies and the setup Job's values are written with it at synth"
_SEARCH_SYNTH_TIME = {
    "index_hot_days": ("a literal whole number of days", _DAYS),
    "log_retention_days": ("a literal whole number of days, at least index_hot_days", _DAYS),
    "trace_retention_days": ("a literal whole number of days", _DAYS),
    "replicas": ("0, 1 or 2, written out", "write the number itself: the index templates are written with it at "
                 "synth"),
}
_SEARCH_LISTS = {"reader_role_arns": ("a literal list of IAM role ARNs (each may be a reference)", "list the roles "
                                      "themselves: readall's mapping gets one entry per role at synth")}
_CACHE_LISTS = {"cidrs": ("a literal list of IPv4 CIDRs (each may be a reference)", "list the ranges themselves: the "
                          "services' NetworkPolicy gets one rule per range at synth")}


@dataclass(frozen=True, kw_only=True)
class SealedSecretProps:
    """A Secret that does not live in AWS (a third party's token, e.g. PagerDuty's integration key), committed sealed:
    encrypted with the cluster's Sealed Secrets public key (``kubeseal``), which only the cluster's controller can
    decrypt, so the ciphertext may sit in the environment file, the synth and Terraform's state. The cluster
    configuration release makes the SealedSecret; the controller makes the Secret ``<name>`` in ``namespace`` from it.
    Sealed with the default strict scope: the ciphertext is bound to this name and namespace (seal it for exactly
    those: docs/runbooks/sealed-secrets.md).

    :param namespace: the namespace of the Secret. Required.
    :param encrypted_data: each key of the Secret and its sealed value, as ``kubeseal`` prints it (base64). A value
        that is not a sealed value (e.g. the plain token pasted by mistake) is refused. Required.
    :param type: default: ``Opaque``, the Secret's type.
    """

    namespace: str
    encrypted_data: Mapping[str, str]
    type: str = "Opaque"

    def validate(self) -> list[Problem]:
        """Every problem; a Terraform reference is refused in ``namespace`` and as a sealed value (checked at synth to
        be sealed: a plain secret behind a reference would sit in Terraform's state), passed on as ``type``."""
        return classified(self, self._problems(), _SEALED_SYNTH_TIME, {"type": "string"})

    def _problems(self) -> list[Problem]:
        problems = []
        if not is_dns_label(self.namespace):
            problems.append(Problem("namespace", self.namespace, "a namespace name (a DNS label)",
                                    "the namespace the Secret is sealed for"))
        if not isinstance(self.encrypted_data, Mapping) or not self.encrypted_data:
            return problems + [Problem("encrypted_data", self.encrypted_data, "a table of the Secret's keys to sealed "
                                       "values", "seal each value with kubeseal --raw (docs/runbooks/sealed-secrets.md)",
                                       "no sealed value")]
        for key, value in self.encrypted_data.items():
            if not isinstance(key, str) or not _SECRET_KEY.match(key):
                problems.append(Problem(f"encrypted_data.{key}", key, "a Secret key: 1-253 of a-z, A-Z, 0-9, '-', "
                                        "'_', '.'", "rename the key"))
            elif is_reference(value):
                problems.append(unresolved_problem(f"encrypted_data.{key}", value, "a sealed value written out "
                                                   "(kubeseal's base64 output)", "paste the sealed value itself: it is "
                                                   "checked at synth to be sealed, never a plain secret, which would "
                                                   "sit in Terraform's state"))
            elif not is_sealed(value):
                problems.append(Problem(f"encrypted_data.{key}", "(hidden: it may be a secret)", "a value sealed "
                                        "with the cluster's Sealed Secrets key (kubeseal's base64 output)",
                                        "never put the plain value here: seal it with kubeseal --raw for this "
                                        "name and namespace", "not a sealed value"))
        if not isinstance(self.type, str) or not self.type or len(self.type) > 253:
            problems.append(Problem("type", self.type, "a Secret type, e.g. Opaque", "leave it out for Opaque"))
        return problems


def is_sealed(value: object) -> bool:
    """Whether ``value`` has the shape of a sealed value (sealed-secrets' hybrid encryption, pkg/crypto/crypto.go
    ``HybridEncrypt``: base64 of a 2-byte big-endian length, that many bytes of RSA-OAEP-encrypted session key, then
    the AES-GCM ciphertext with its 16-byte tag). It cannot tell which key sealed it; only that it is not plain text."""
    import base64
    import binascii

    if not isinstance(value, str):
        return False
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) > 2 + _SEALED_RSA_BYTES + 16 and int.from_bytes(raw[:2], "big") == _SEALED_RSA_BYTES


@dataclass(frozen=True, kw_only=True)
class CacheEndpoint:
    """What the services need of the Valkey cache (:class:`~vtc_constructs.cache.ValkeyCache`'s outputs): where it is
    and whom they sign in as. Values known only at apply may be Terraform references.

    :param host: the primary endpoint's host name. Required.
    :param reader_host: the reader endpoint's host name. Required.
    :param user: the IAM user the services sign in as (``cache_services_user_name``). Required.
    :param replication_group_id: what IAM tokens are made for (``cache_replication_group_id``). Required.
    :param cidrs: the cache's subnets' ranges: the services' NetworkPolicy opens the port to them only. Required.
    :param port: default: 6379.
    """

    host: str
    reader_host: str
    user: str
    replication_group_id: str
    cidrs: Sequence[str]
    port: int = 6379

    def __post_init__(self):
        coerce_fields(self, tuples=("cidrs",))

    def validate(self) -> list[Problem]:
        """Every problem; a Terraform reference is accepted in the host names, user, group and in each range, refused
        in ``port`` and as the list of ``cidrs`` (``_CACHE_SYNTH_TIME``, ``_CACHE_LISTS``)."""
        return classified(self, self._problems(), _CACHE_SYNTH_TIME, lists=_CACHE_LISTS)

    def _problems(self) -> list[Problem]:
        problems = []
        for name in ("host", "reader_host"):
            value = getattr(self, name)
            if not isinstance(value, str) or not (is_reference(value) or _HOST.match(value) and len(value) <= 253):
                problems.append(Problem(name, value, "a lower-case DNS name with a dot, or a Terraform reference",
                                        f"pass ValkeyCache's cache_{'primary' if name == 'host' else 'reader'}"
                                        "_endpoint_address"))
        for name, pattern in (("user", _CACHE_USER), ("replication_group_id", _CACHE_GROUP)):
            value = getattr(self, name)
            if not isinstance(value, str) or not (is_reference(value) or pattern.match(value)):
                problems.append(Problem(name, value, "an ElastiCache name (a letter, then letters, digits and '-'; at "
                                        "most 40), or a Terraform reference", f"pass ValkeyCache's cache_{name}"
                                        if name != "user" else "pass ValkeyCache's cache_services_user_name"))
        problems += _cidr_problems(self.cidrs, "cidrs")
        if not is_whole(self.port) or not 1024 <= self.port <= 65535:
            problems.append(Problem("port", self.port, "1024-65535", "pass ValkeyCache's cache_port"))
        return problems


_CACHE_USER = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,39}$")
_CACHE_GROUP = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


@dataclass(frozen=True, kw_only=True)
class SearchEndpoint:
    """What the cluster side needs of the OpenSearch domain (:class:`~vtc_constructs.search.SearchDomain`'s outputs and
    the IRSA roles that reach it): where it is, whom each client signs in as, and how long indices live. Given to
    :class:`~vtc_constructs.releases.ClusterReleasesProps` (``search``), it turns on Fluent Bit's OpenSearch output,
    Jaeger v2 and the setup Job; values known only at apply (the endpoint, the role ARNs) may be Terraform references.

    :param endpoint: the domain's private endpoint, a host name without scheme or path (``search_domain_endpoint``).
        Required.
    :param region: the domain's region (what requests are signed for). Required.
    :param admin_role_arn: the domain's master IAM role (``SearchDomainProps.master_user_role_arn``), which the setup
        Job takes through IRSA on :data:`~vtc_constructs.eks_addons.SEARCH_ADMIN_SERVICE_ACCOUNT`. Required.
    :param fluent_bit_role_arn: Fluent Bit's IRSA role (``EksCluster.fluent_bit_role_arn``), mapped to the log writer
        role of the security plugin. Required.
    :param jaeger_role_arn: Jaeger's IRSA role, trusting :data:`~vtc_constructs.eks_addons.JAEGER_SERVICE_ACCOUNT`, mapped to
        the trace writer role (which also reads: Jaeger's query searches its own indices). Required.
    :param index_hot_days: default: 7: a log index stays writable 7 days, then turns read-only and is force-merged.
        ``SearchDomainProps.index_hot_days``.
    :param log_retention_days: default: 30: a log index (``logs-*``) is deleted when 30 days old; at least
        ``index_hot_days``. ``SearchDomainProps.index_retention_days`` (not its ``log_retention_days``, which is the
        domain's own CloudWatch logs).
    :param trace_retention_days: default: 7: a trace index (``jaeger-*``) is deleted when 7 days old; also how far
        back Jaeger's query looks.
    :param replicas: default: 1 replica of every shard. 0 on a single-node domain (a replica cannot be placed there
        and the cluster would stay yellow); at most 2.
    :param reader_role_arns: default: none. IAM roles mapped to the security plugin's predefined ``readall`` role
        (``SearchDomainProps.reader_role_arns``: engineers searching through Dashboards). None leaves ``readall``'s
        mapping as it is.
    """

    endpoint: str
    region: str
    admin_role_arn: str
    fluent_bit_role_arn: str
    jaeger_role_arn: str
    index_hot_days: int = 7
    log_retention_days: int = 30
    trace_retention_days: int = 7
    replicas: int = 1
    reader_role_arns: Sequence[str] = ()

    def __post_init__(self):
        coerce_fields(self, tuples=("reader_role_arns",))

    def validate(self) -> list[Problem]:
        """Every problem; a Terraform reference is accepted in the endpoint, the region and each role ARN (only passed
        on), refused in the days and replicas and as the list of reader roles (``_SEARCH_SYNTH_TIME``,
        ``_SEARCH_LISTS``)."""
        return classified(self, self._problems(), _SEARCH_SYNTH_TIME, lists=_SEARCH_LISTS)

    def _problems(self) -> list[Problem]:
        problems = []
        endpoint = self.endpoint
        if isinstance(endpoint, str) and not is_reference(endpoint) and "://" in endpoint:
            problems.append(Problem("endpoint", endpoint, "a host name without scheme or path",
                                    f"drop the scheme: {endpoint.split('://', 1)[1].split('/', 1)[0]!r}",
                                    "a URL, not a host name"))
        elif not isinstance(endpoint, str) or not (is_reference(endpoint) or _HOST.match(endpoint)
                                                   and len(endpoint) <= 253):
            problems.append(Problem("endpoint", endpoint, "a lower-case DNS name with a dot, or a Terraform "
                                    "reference", "pass SearchDomain's search_domain_endpoint"))
        if not isinstance(self.region, str) or not (is_reference(self.region) or _REGION.match(self.region)):
            problems.append(Problem("region", self.region, "an AWS region such as eu-west-1",
                                    "pass the domain's region (the stack's)"))
        roles = {}
        for name, owner in (("admin_role_arn", "the domain's master role (SearchDomainProps.master_user_role_arn)"),
                            ("fluent_bit_role_arn", "EksCluster.fluent_bit_role_arn"),
                            ("jaeger_role_arn", "Jaeger's IRSA role")):
            found = role_arn_problems(getattr(self, name), name, f"pass {owner}")
            problems += found
            if not found and not is_reference(getattr(self, name)):
                roles[name] = getattr(self, name)
        for writer in ("fluent_bit_role_arn", "jaeger_role_arn"):
            if writer in roles and roles[writer] == roles.get("admin_role_arn"):
                problems.append(Problem(writer, roles[writer], "a role of the writer's own, not the master role",
                                        "give the writer its IRSA role: the master role may change every index and "
                                        "mapping of the domain", "writer is the master"))
        problems += ism_problems(self.index_hot_days, self.log_retention_days, hot_path="index_hot_days",
                                 retention_path="log_retention_days")
        if not is_whole(self.trace_retention_days) or not 1 <= self.trace_retention_days <= ISM_MAX_DAYS:
            problems.append(Problem("trace_retention_days", self.trace_retention_days, f"a whole number of days, 1 to "
                                    f"{ISM_MAX_DAYS}", "e.g. 7: traces are for recent incidents"))
        if not is_whole(self.replicas) or not 0 <= self.replicas <= 2:
            problems.append(Problem("replicas", self.replicas, "0, 1 or 2", "0 on a single-node domain, else 1"))
        if not is_string_tuple(self.reader_role_arns):
            problems.append(not_a_list("reader_role_arns", self.reader_role_arns, "IAM role ARNs",
                                       "('arn:aws:iam::111111111111:role/search-reader',)"))
        else:
            for index, arn in enumerate(self.reader_role_arns):
                problems += role_arn_problems(arn, f"reader_role_arns[{index}]", "pass a reader role's ARN")
        return problems


def _cidr_problems(cidrs: object, path: str) -> list[Problem]:
    if not is_string_tuple(cidrs):
        return [not_a_list(path, cidrs, "IPv4 CIDR ranges", "('10.20.96.0/23',)")]
    if not cidrs:
        return [Problem(path, list(cidrs), "at least one IPv4 CIDR range", "list the ranges", "empty list")]
    problems = []
    for i, cidr in enumerate(cidrs):
        if is_reference(cidr):  # known at apply (e.g. Fn.cidrsubnet of a VPC's range): Terraform checks it then
            continue
        try:
            ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as exc:
            problems.append(Problem(f"{path}[{i}]", cidr, "an IPv4 network in CIDR notation with no host bits set",
                                    f"correct the range ({exc})", "malformed CIDR"))
    if len(set(cidrs)) != len(cidrs):
        problems.append(Problem(path, list(cidrs), "each range once", "remove the repeated range", "repeated range"))
    return problems


def _sealed_secret_problems(secrets: object) -> list[Problem]:
    if not isinstance(secrets, Mapping):
        return [Problem("sealed_secrets", secrets, "a table of Secret names to sealed secrets",
                        "give each as [workloads.sealed_secrets.<name>]", "not a table")]
    problems = []
    for name, secret in secrets.items():
        if not is_dns_label(name):
            problems.append(Problem(f"sealed_secrets.{name}", name, "a Secret name (a DNS label)",
                                    "use the name the value was sealed for"))
        if isinstance(secret, SealedSecretProps):
            problems += [p.prefixed(f"sealed_secrets.{name}") for p in secret.validate()]
        else:
            problems.append(Problem(f"sealed_secrets.{name}", secret, "a SealedSecretProps(namespace=..., "
                                    "encrypted_data=...)", "build it with SealedSecretProps", "not a sealed secret"))
    return problems


def role_arn_problems(role_arn: object, path: str = "role_arn",
                      fix: str = "pass the IRSA role's ARN") -> list[Problem]:
    """An IAM role's ARN, or a Terraform reference to one."""
    if isinstance(role_arn, str) and (_ROLE_ARN.match(role_arn) or is_reference(role_arn)):
        return []
    return [Problem(path, role_arn, "an IAM role ARN (arn:aws:iam::<account>:role/<name>) or a Terraform reference",
                    fix)]
