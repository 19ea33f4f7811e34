"""AWS's own rules, in one place: documented tables and pure check functions.

Every check here is a function of plain values that returns a list of :class:`~vtc_constructs.errors.Problem` (empty
when the value is valid) and never raises, whatever type it is given. The props' ``validate()`` methods and the
environment model call them, so a library consumer and an environment file get the same rules. Every table names its
source and the date it was read; where a table is partial (it lists what this library has been checked against, not
everything AWS offers), its comment says so, and a value outside it is reported with a fix that says how to extend it.

Usage::

    from vtc_constructs.aws_rules import availability_zone_problems, tag_problems, arn_region

    problems = availability_zone_problems("eu-west-1", ("eu-west-1a", "eu-west-1d"))
    # -> [Problem("availability_zones[1]", "eu-west-1d", "an Availability Zone of eu-west-1: ...", ...)]
    tag_problems({"aws:owner": "me"})      # -> the reserved prefix
    arn_region("arn:aws:acm:eu-west-1:111122223333:certificate/...")   # -> "eu-west-1"

Why one module: it has one subject, AWS's documented limits as sourced tables and pure checks that never raise, read as
a reference by service (the ``# ---`` sections); a module per service would scatter that one convention without
separating two subjects.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Mapping

from .errors import Problem, is_reference, is_whole

# --- regions and partitions -------------------------------------------------------------------------------------------

# Source: AWS General Reference, "AWS Regions" (https://docs.aws.amazon.com/global-infrastructure/latest/regions/),
# read 2025-11. Commercial regions only: the platform deploys to the aws partition. (Copied from environments/model.py.)
AWS_REGIONS = frozenset({
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
    "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
    "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
})

# Source: AWS General Reference, "AWS partitions" and the China / GovCloud user guides, read 2025-11.
CHINA_REGIONS = frozenset({"cn-north-1", "cn-northwest-1"})
GOVCLOUD_REGIONS = frozenset({"us-gov-east-1", "us-gov-west-1"})
REGION_PARTITION: Mapping[str, str] = {
    **{region: "aws" for region in AWS_REGIONS},
    **{region: "aws-cn" for region in CHINA_REGIONS},
    **{region: "aws-us-gov" for region in GOVCLOUD_REGIONS},
}
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


def partition_of(region: object) -> str | None:
    """The partition of a known region (``aws``, ``aws-cn``, ``aws-us-gov``); None for anything else."""
    return REGION_PARTITION.get(region) if isinstance(region, str) else None


# --- Availability Zones -----------------------------------------------------------------------------------------------

def _zones(region: str, letters: str) -> tuple[str, ...]:
    return tuple(region + letter for letter in letters)


# Source: AWS General Reference, "AWS Regions and Availability Zones" (zone count per region) and EC2 User Guide,
# "Availability Zones" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html),
# read 2025-11. AZ *names* map to physical zones per account; where older accounts still see a legacy name
# (us-west-1a-c with two per account, ap-northeast-1b, ca-central-1c) it is listed, so the table may accept a name an
# account does not have, never refuse one it has.
AVAILABILITY_ZONES: Mapping[str, tuple[str, ...]] = {
    "us-east-1": _zones("us-east-1", "abcdef"), "us-east-2": _zones("us-east-2", "abc"),
    "us-west-1": _zones("us-west-1", "abc"), "us-west-2": _zones("us-west-2", "abcd"),
    "af-south-1": _zones("af-south-1", "abc"), "ap-east-1": _zones("ap-east-1", "abc"),
    "ap-east-2": _zones("ap-east-2", "abc"), "ap-south-1": _zones("ap-south-1", "abc"),
    "ap-south-2": _zones("ap-south-2", "abc"), "ap-southeast-1": _zones("ap-southeast-1", "abc"),
    "ap-southeast-2": _zones("ap-southeast-2", "abc"), "ap-southeast-3": _zones("ap-southeast-3", "abc"),
    "ap-southeast-4": _zones("ap-southeast-4", "abc"), "ap-southeast-5": _zones("ap-southeast-5", "abc"),
    "ap-southeast-7": _zones("ap-southeast-7", "abc"), "ap-northeast-1": _zones("ap-northeast-1", "abcd"),
    "ap-northeast-2": _zones("ap-northeast-2", "abcd"), "ap-northeast-3": _zones("ap-northeast-3", "abc"),
    "ca-central-1": _zones("ca-central-1", "abcd"), "ca-west-1": _zones("ca-west-1", "abc"),
    "eu-central-1": _zones("eu-central-1", "abc"), "eu-central-2": _zones("eu-central-2", "abc"),
    "eu-north-1": _zones("eu-north-1", "abc"), "eu-south-1": _zones("eu-south-1", "abc"),
    "eu-south-2": _zones("eu-south-2", "abc"), "eu-west-1": _zones("eu-west-1", "abc"),
    "eu-west-2": _zones("eu-west-2", "abc"), "eu-west-3": _zones("eu-west-3", "abc"),
    "il-central-1": _zones("il-central-1", "abc"), "me-central-1": _zones("me-central-1", "abc"),
    "me-south-1": _zones("me-south-1", "abc"), "mx-central-1": _zones("mx-central-1", "abc"),
    "sa-east-1": _zones("sa-east-1", "abc"),
    "cn-north-1": _zones("cn-north-1", "abd"), "cn-northwest-1": _zones("cn-northwest-1", "abc"),
    "us-gov-east-1": _zones("us-gov-east-1", "abc"), "us-gov-west-1": _zones("us-gov-west-1", "abc"),
}

_AZ_NAME = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$")


def region_of_zone(zone: object) -> str | None:
    """``eu-west-1`` for ``eu-west-1a``; None when ``zone`` is not shaped like an AZ name."""
    return zone[:-1] if isinstance(zone, str) and _AZ_NAME.match(zone) else None


def availability_zone_problems(region: object, azs: object, path: str = "availability_zones") -> list[Problem]:
    """Each AZ must be an AZ *name* (not an id such as ``euw1-az1``), of ``region``, that the region really has.

    ``region=None`` (the caller does not know it, as :class:`~vtc_constructs.network.NetworkProps` does not): shape
    and existence only, each AZ in the table of its own region. An unknown region: shape only (report the region
    once where it is given, not once per AZ). ``NetworkProps.validate()`` already reports shape and existence: a
    caller that validates those props and knows the region adds :func:`availability_zone_region_problems` only.
    """
    if not isinstance(azs, (tuple, list)):
        return [Problem(path, azs, "a list of Availability Zone names such as ['eu-west-1a', 'eu-west-1b']",
                        "give a list of AZ names", "not a list")]
    problems = []
    for index, az in enumerate(azs):
        where = f"{path}[{index}]"
        own = region_of_zone(az)
        if own is None:
            problems.append(Problem(where, az, "an AZ name such as 'eu-west-1a'",
                                    "use the AZ's name, not its id", "not an Availability Zone name"))
        elif isinstance(region, str) and own != region:
            problems.append(Problem(where, az, f"an AZ of {region}", f"use {region}a, {region}b, ...",
                                    "AZ outside the region"))
        elif own in AVAILABILITY_ZONES and az not in AVAILABILITY_ZONES[own]:
            real = ", ".join(AVAILABILITY_ZONES[own])
            problems.append(Problem(where, az, f"an Availability Zone of {own}: {real}",
                                    f"pick one of {real}", "no such Availability Zone"))
    return problems


def availability_zone_region_problems(region: object, azs: object, path: str = "availability_zones"
                                      ) -> list[Problem]:
    """Only this: every AZ name (of a valid shape) belongs to ``region`` (a known region; otherwise nothing)."""
    if not isinstance(azs, (tuple, list)) or region not in REGION_PARTITION:
        return []
    return [Problem(f"{path}[{index}]", az, f"an AZ of {region}", f"use {region}a, {region}b, ...",
                    "AZ outside the region")
            for index, az in enumerate(azs) if region_of_zone(az) not in (None, region)]


# --- tags -------------------------------------------------------------------------------------------------------------

# Source: "Tagging your AWS resources: Tag naming limits and requirements"
# (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions), read 2025-11: at most 50
# user tags per resource; keys 1-128 Unicode characters, values 0-256; letters, numbers and spaces representable in
# UTF-8 and + - = . _ : / @; keys may not start with aws: (any case), which AWS reserves.
TAGS_PER_RESOURCE_LIMIT = 50
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
#: The most tags a construct of this library puts on one resource itself (public subnets: Name,
#: kubernetes.io/role/elb, vtc/tier, kubernetes.io/cluster/<name>); tests/test_aws_rules.py counts them in the
#: synthesized stacks. Provider default tags are added to every resource on top of these.
CONSTRUCT_TAGS_MAX = 4
#: How many tags a user may add to every resource (the provider's default tags): 50 - 4 = 46.
USER_TAGS_LIMIT = TAGS_PER_RESOURCE_LIMIT - CONSTRUCT_TAGS_MAX
_TAG_TEXT = re.compile(r"^[\w +\-=.:/@]*$")  # \w: Unicode letters and digits, and _


def tag_problems(tags: object, path: str = "tags", limit: int = USER_TAGS_LIMIT) -> list[Problem]:
    """AWS's tag rules for a table of tags (``limit``: default, the tags a user may add, see :data:`USER_TAGS_LIMIT`)."""
    if not isinstance(tags, Mapping):
        return [Problem(path, tags, "a table of tag keys to string values", "give the tags as a table",
                        "not a table")]
    problems = []
    if len(tags) > limit:
        problems.append(Problem(path, f"{len(tags)} tags", f"at most {limit} (AWS allows {TAGS_PER_RESOURCE_LIMIT} "
                                f"per resource; the constructs add up to {TAGS_PER_RESOURCE_LIMIT - limit})",
                                f"remove {len(tags) - limit} tags", "too many tags"))
    for key, value in tags.items():
        where = f"{path}.{key}"
        if not isinstance(key, str):
            problems.append(Problem(where, key, "a string key", "quote the key", "tag key not a string"))
            continue
        if not 1 <= len(key) <= TAG_KEY_MAX:
            problems.append(Problem(where, key, f"1 to {TAG_KEY_MAX} characters", "shorten the key",
                                    "tag key length"))
        elif not _TAG_TEXT.match(key):
            problems.append(Problem(where, key, "letters, digits, spaces and + - = . _ : / @",
                                    "remove the other characters from the key", "character AWS refuses in a tag key"))
        elif key.lower().startswith("aws:"):
            problems.append(Problem(where, key, "a key not starting with aws: (AWS reserves it)",
                                    f"rename the key, e.g. {key[4:] or 'owner'!r}", "reserved tag prefix"))
        if not isinstance(value, str):
            problems.append(Problem(where, value, "a string value", "quote the value", "tag value not a string"))
        elif len(value) > TAG_VALUE_MAX:
            problems.append(Problem(where, f"{value[:40]}... ({len(value)} characters)",
                                    f"at most {TAG_VALUE_MAX} characters", "shorten the value", "tag value length"))
        elif not _TAG_TEXT.match(value):
            problems.append(Problem(where, value, "letters, digits, spaces and + - = . _ : / @",
                                    "remove the other characters from the value",
                                    "character AWS refuses in a tag value"))
    return problems


# --- S3 bucket names --------------------------------------------------------------------------------------------------

# Source: Amazon S3 User Guide, "General purpose bucket naming rules"
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), read 2025-11.
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_SHAPED = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")


def s3_bucket_name_problems(name: object, path: str = "bucket") -> list[Problem]:
    """S3's general-purpose bucket naming rules."""
    allowed = ("3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit, "
               "no '..', not an IP address, no reserved prefix or suffix")

    def problem(what: str, fix: str) -> list[Problem]:
        return [Problem(path, name, allowed, fix, what)]

    if not isinstance(name, str):
        return problem("not a string", "give the bucket's name as a string")
    if not 3 <= len(name) <= 63:
        return problem("bucket name length", "use 3 to 63 characters")
    if name != name.lower():
        suggestion = re.sub(r"[^a-z0-9.-]", "-", name.lower())
        return problem("upper-case letters in a bucket name", f"use lower case, e.g. {suggestion!r}")
    if not _BUCKET.match(name):
        return problem("character S3 refuses in a bucket name",
                       "use only a-z, 0-9, '.' and '-', starting and ending with a letter or digit")
    if ".." in name:
        return problem("two adjacent periods", "remove the repeated '.'")
    if _IP_SHAPED.match(name):
        return problem("bucket name shaped like an IP address", "use a name with letters")
    for prefix in S3_RESERVED_PREFIXES:
        if name.startswith(prefix):
            return problem("reserved bucket name prefix", f"do not start the name with {prefix!r}")
    for suffix in S3_RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return problem("reserved bucket name suffix", f"do not end the name with {suffix!r}")
    return []


# --- ARNs -------------------------------------------------------------------------------------------------------------

# Source: IAM User Guide, "IAM identifiers" and AWS General Reference, "Amazon Resource Names (ARNs)", read 2025-11.
_ARN = re.compile(r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
                  r"(?P<account>\d{12}|aws|):(?P<resource>.+)$")


def _arn(arn: object) -> re.Match | None:
    return _ARN.match(arn) if isinstance(arn, str) else None


def arn_partition(arn: object) -> str | None:
    """``aws`` for ``arn:aws:...``; None when ``arn`` is not an ARN."""
    match = _arn(arn)
    return match.group("partition") if match else None


def arn_region(arn: object) -> str | None:
    """The ARN's region (``""`` for global services such as IAM); None when ``arn`` is not an ARN."""
    match = _arn(arn)
    return match.group("region") if match else None


def arn_account(arn: object) -> str | None:
    """The ARN's 12-digit account id (``""`` or ``"aws"`` where the ARN has none); None when not an ARN."""
    match = _arn(arn)
    return match.group("account") if match else None


# Source: IAM User Guide, "IAM identifiers" (role and user names: 1-64 of [\w+=,.@-]; paths /.../ of printable
# ASCII) and Amazon EKS User Guide, "Create access entries" (an access entry's principal is an IAM role or user of
# the cluster's account; an STS assumed-role session ARN is refused), read 2025-11.
_PRINCIPAL = re.compile(r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(?P<account>\d{12}):(?P<kind>role|user)"
                        r"/(?:[\x21-\x7e]{0,510}/)?(?P<name>[\w+=,.@-]{1,64})$", re.ASCII)
_SESSION = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role/([\w+=,.@-]{1,64})/.+$")


def principal_arn_problems(arns: object, path: str = "admin_principal_arns", *, account_id: str | None = None,
                           partition: str | None = None) -> list[Problem]:
    """IAM role or user ARNs for EKS access entries: shape, no STS session ARN, no duplicates; with ``account_id``
    and ``partition``, each must belong to them."""
    if not isinstance(arns, (tuple, list)):
        hint = f"wrap it in a list: [{arns!r}]" if isinstance(arns, str) else "give a list of ARNs"
        return [Problem(path, arns, "a list of IAM role or user ARNs", hint, "not a list")]
    problems = []
    seen: dict[str, int] = {}
    for index, arn in enumerate(arns):
        where = f"{path}[{index}]"
        if is_reference(arn):  # a role's ARN known at apply (IamRole.arn): passed on to its access entry as it is
            continue
        session = _SESSION.match(arn) if isinstance(arn, str) else None
        if session:
            role = f"arn:{session.group(1)}:iam::{session.group(2)}:role/{session.group(3)}"
            problems.append(Problem(where, arn, "an IAM role or user ARN", f"use the role's ARN, {role!r} "
                                    "(a session ARN names one sign-in, not the role)", "assumed-role session ARN"))
            continue
        match = _PRINCIPAL.match(arn) if isinstance(arn, str) else None
        if not match:
            problems.append(Problem(where, arn, "an IAM role or user ARN (arn:aws:iam::<12 digits>:role/<name>)",
                                    "use the role's ARN, e.g. arn:aws:iam::111122223333:role/admins",
                                    "not an IAM principal ARN"))
            continue
        if partition is not None and match.group("partition") != partition:
            problems.append(Problem(where, arn, f"a principal of partition {partition}",
                                    f"use the role's ARN in {partition} (arn:{partition}:iam::...)",
                                    "principal in another partition"))
        if account_id is not None and match.group("account") != account_id:
            problems.append(Problem(where, arn, f"a principal of account {account_id}",
                                    "EKS access entries take principals of the cluster's own account: use the role "
                                    "in that account, or correct account_id", "principal in another account"))
        if arn in seen:
            problems.append(Problem(where, arn, "each principal at most once",
                                    f"remove the repeat of {path}[{seen[arn]}]", "repeated principal"))
        else:
            seen[arn] = index
    return problems


# Source: ACM User Guide, "Certificate ARN"; ELB User Guide, "SSL certificates" (an ALB uses a certificate of its
# own region), read 2025-11.
_CERTIFICATE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):acm:([a-z]{2}(-gov)?-[a-z]+-\d):(\d{12}):"
                          r"certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def certificate_arn_problems(arn: object, path: str = "certificate_arn", *, region: str | None = None,
                             account_id: str | None = None) -> list[Problem]:
    """An ACM certificate ARN; with ``region``, in the load balancer's region (ACM certificates are regional)."""
    match = _CERTIFICATE.match(arn) if isinstance(arn, str) else None
    if not match:
        return [Problem(path, arn, "an ACM certificate ARN, arn:<partition>:acm:<region>:<account>:certificate/<id>",
                        "copy the ARN from ACM", "not an ACM certificate ARN")]
    problems = []
    if region is not None and match.group(2) != region:
        problems.append(Problem(path, arn, f"a certificate in {region}, the load balancer's region",
                                f"request or import the certificate in {region}", "certificate in another region"))
    if partition_of(match.group(2)) not in (None, match.group(1)):
        problems.append(Problem(path, arn, f"partition {partition_of(match.group(2))} for {match.group(2)}",
                                "correct the partition of the ARN", "partition does not match the region"))
    if account_id is not None and match.group(4) != account_id:
        problems.append(Problem(path, arn, f"a certificate of account {account_id}",
                                "use a certificate of the account the load balancer is in",
                                "certificate in another account"))
    return problems


# --- EC2 instance types for EKS managed node groups -------------------------------------------------------------------

def _family(families: str, sizes: str, architecture: str) -> dict[str, str]:
    return {f"{family}.{size}": architecture for family in families.split() for size in sizes.split()}


_NITRO_6 = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge metal"
_AMD_6 = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge 48xlarge metal"
_INTEL_7 = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge metal-24xl metal-48xl"
_AMD_7 = "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge 48xlarge metal-48xl"
_GRAVITON_2_3 = "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge metal"
_GRAVITON_4 = "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge metal-24xl metal-48xl"

# Source: Amazon EC2 Instance Types guide, "Specifications" per family
# (https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html, co.html, mo.html), read 2025-11. PARTIAL: the
# general-purpose, compute- and memory-optimised families EKS managed node groups run on with the AL2023 standard
# AMIs (x86_64 and arm64); no GPU, accelerator or storage families (they need other AMI types), no previous
# generations. A type missing here is refused with a fix that says to add it to this table.
EKS_NODE_INSTANCE_TYPES: Mapping[str, str] = {
    **_family("t3 t3a", "nano micro small medium large xlarge 2xlarge", "x86_64"),
    **_family("t4g", "nano micro small medium large xlarge 2xlarge", "arm64"),
    **_family("m5 m5n r5 r5n", "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge metal", "x86_64"),
    **_family("m5a r5a", "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge", "x86_64"),
    **_family("c5", "large xlarge 2xlarge 4xlarge 9xlarge 12xlarge 18xlarge 24xlarge metal", "x86_64"),
    **_family("c5a", "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge", "x86_64"),
    **_family("c5n", "large xlarge 2xlarge 4xlarge 9xlarge 18xlarge metal", "x86_64"),
    **_family("m6i c6i r6i m6in c6in r6in", _NITRO_6, "x86_64"),
    **_family("m6a c6a r6a", _AMD_6, "x86_64"),
    **_family("m7i c7i r7i", _INTEL_7, "x86_64"),
    **_family("m7i-flex c7i-flex", "large xlarge 2xlarge 4xlarge 8xlarge", "x86_64"),
    **_family("m7a c7a r7a", _AMD_7, "x86_64"),
    **_family("m6g c6g r6g m6gd c6gd r6gd m7g c7g r7g m7gd c7gd r7gd", _GRAVITON_2_3, "arm64"),
    **_family("c6gn", "medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge", "arm64"),
    **_family("c7gn", _GRAVITON_2_3, "arm64"),
    **_family("m8g c8g r8g", _GRAVITON_4, "arm64"),
}
_INSTANCE_TYPE_SHAPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$")


_SMALL_SIZES = {"nano": (2, 0.5), "micro": (2, 1), "small": (2, 2), "medium": (2, 4)}  # t3, t3a, t4g
_GIB_PER_VCPU = {"m": 4, "c": 2, "r": 8, "t": 4}


def instance_type_capacity(instance_type: object) -> tuple[float, float] | None:
    """``(vCPUs, memory GiB)`` of a type in :data:`EKS_NODE_INSTANCE_TYPES`, from its size and family (the same
    source: m* 4 GiB per vCPU, c* 2, r* 8; a medium Graviton has 1 vCPU; t* small sizes as listed); None for a type
    not in the table or a bare ``metal``. A node's allocatable is a little less (the kubelet's reservations)."""
    if instance_type_architecture(instance_type) is None:
        return None
    family, size = instance_type.split(".", 1)
    if family.startswith("t") and size in _SMALL_SIZES:
        return _SMALL_SIZES[size]
    if size == "medium":
        vcpus = 1.0
    elif size == "large":
        vcpus = 2.0
    elif size == "xlarge":
        vcpus = 4.0
    elif size.endswith("xlarge") and size[:-6].isdigit():
        vcpus = 4.0 * int(size[:-6])
    elif size.startswith("metal-") and size.endswith("xl") and size[6:-2].isdigit():
        vcpus = 4.0 * int(size[6:-2])
    else:
        return None
    return vcpus, vcpus * _GIB_PER_VCPU[family[0]]


def instance_type_architecture(instance_type: object) -> str | None:
    """``x86_64`` or ``arm64`` for a type in :data:`EKS_NODE_INSTANCE_TYPES`; None otherwise."""
    return EKS_NODE_INSTANCE_TYPES.get(instance_type) if isinstance(instance_type, str) else None


def node_instance_type_problems(types: object, path: str = "instance_types") -> list[Problem]:
    """At least one type, each in :data:`EKS_NODE_INSTANCE_TYPES`, no repeats, all of one architecture (a managed
    node group has one AMI type)."""
    if not isinstance(types, (tuple, list)):
        hint = f"wrap it in a list: [{types!r}]" if isinstance(types, str) else "give a list such as ['m6i.large']"
        return [Problem(path, types, "a list of EC2 instance types such as ['m6i.large']", hint, "not a list")]
    if not types:
        return [Problem(path, list(types), "one or more EC2 instance types such as 'm6i.large'",
                        "list the instance types the group may launch", "no instance type")]
    problems = []
    for index, instance_type in enumerate(types):
        if instance_type_architecture(instance_type) is None:
            shaped = isinstance(instance_type, str) and _INSTANCE_TYPE_SHAPE.match(instance_type)
            problems.append(Problem(
                f"{path}[{index}]", instance_type, "an EC2 instance type of the general-purpose, compute or memory "
                "families (m5-m8g, c5-c8g, r5-r8g, t3, t3a, t4g), e.g. m6i.large",
                "correct the type's name" + (" (or, if AWS offers it for EKS nodes, add it to "
                                             "vtc_constructs.aws_rules.EKS_NODE_INSTANCE_TYPES)" if shaped else ""),
                "unknown instance type"))
        elif types.index(instance_type) != index:
            problems.append(Problem(f"{path}[{index}]", instance_type, "each type at most once",
                                    "remove the repeat", "repeated instance type"))
    architectures = {instance_type_architecture(t) for t in types} - {None}
    if len(architectures) > 1:
        by_arch = {a: [t for t in types if instance_type_architecture(t) == a] for a in sorted(architectures)}
        problems.append(Problem(path, list(types), "instance types of one architecture (x86_64 or arm64)",
                                "split the group in two: " + " and ".join(f"{a}: {', '.join(ts)}"
                                                                          for a, ts in by_arch.items()),
                                "mixed architectures"))
    return problems


# --- RDS for PostgreSQL ---------------------------------------------------------------------------------------------

# Source: Amazon RDS User Guide, "DB instance classes: hardware specifications"
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html) and "Supported DB
# engines for DB instance classes" (PostgreSQL column), read 2025-11. Memory in GiB. PARTIAL: the burstable,
# general-purpose and memory-optimised classes of the current generations; the one table of classes this library
# accepts (the database) and sizes alarms for (memory and max_connections).
RDS_INSTANCE_MEMORY_GIB: Mapping[str, int] = {
    "db.t3.micro": 1, "db.t3.small": 2, "db.t3.medium": 4, "db.t3.large": 8, "db.t3.xlarge": 16,
    "db.t3.2xlarge": 32,
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8, "db.t4g.xlarge": 16,
    "db.t4g.2xlarge": 32,
    **{f"db.{family}.{size}": memory for family in ("m5", "m6i")
       for size, memory in (("large", 8), ("xlarge", 16), ("2xlarge", 32), ("4xlarge", 64), ("8xlarge", 128),
                            ("12xlarge", 192), ("16xlarge", 256), ("24xlarge", 384))},
    "db.m6i.32xlarge": 512,
    **{f"db.{family}.{size}": memory for family in ("m6g", "m7g")
       for size, memory in (("large", 8), ("xlarge", 16), ("2xlarge", 32), ("4xlarge", 64), ("8xlarge", 128),
                            ("12xlarge", 192), ("16xlarge", 256))},
    **{f"db.{family}.{size}": memory for family in ("r5", "r6i")
       for size, memory in (("large", 16), ("xlarge", 32), ("2xlarge", 64), ("4xlarge", 128), ("8xlarge", 256),
                            ("12xlarge", 384), ("16xlarge", 512), ("24xlarge", 768))},
    "db.r6i.32xlarge": 1024,
    **{f"db.{family}.{size}": memory for family in ("r6g", "r7g")
       for size, memory in (("large", 16), ("xlarge", 32), ("2xlarge", 64), ("4xlarge", 128), ("8xlarge", 256),
                            ("12xlarge", 384), ("16xlarge", 512))},
}


def rds_instance_class_problems(instance_class: object, path: str = "instance_class") -> list[Problem]:
    """An RDS for PostgreSQL instance class from :data:`RDS_INSTANCE_MEMORY_GIB`."""
    if isinstance(instance_class, str) and instance_class in RDS_INSTANCE_MEMORY_GIB:
        return []
    families = sorted({c.split(".")[1] for c in RDS_INSTANCE_MEMORY_GIB})
    shaped = isinstance(instance_class, str) and re.match(r"^db\.[a-z0-9]+\.[a-z0-9]+$", instance_class)
    return [Problem(path, instance_class, f"an RDS for PostgreSQL class of {', '.join(families)}, e.g. db.r6g.large",
                    "correct the class" + (" (or, if RDS offers it for PostgreSQL, add it and its memory to "
                                           "vtc_constructs.aws_rules.RDS_INSTANCE_MEMORY_GIB)" if shaped else ""),
                    "unknown instance class")]


def _minors(major: int, first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{major}.{minor}" for minor in range(first, last + 1))


# Source: Amazon RDS for PostgreSQL Release Notes, "RDS for PostgreSQL updates" and "Extension versions for Amazon
# RDS for PostgreSQL" (pgvector row) (https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/), and the
# RDS User Guide's upgrade-target table, read 2025-11. Every RDS minor version that ships pgvector 0.5.0 or later
# (HNSW): 12.16+, 13.12+, 14.9+, 15.4+, 16.1+, 17.1+, 18.1+, up to the latest minor of each major at that date.
# PARTIAL in time: a minor version RDS releases later is refused until it is added here.
PGVECTOR_ENGINE_VERSIONS: Mapping[int, tuple[str, ...]] = {
    12: _minors(12, 16, 22), 13: _minors(13, 12, 23), 14: _minors(14, 9, 20), 15: _minors(15, 4, 15),
    16: _minors(16, 1, 11), 17: _minors(17, 1, 7), 18: _minors(18, 1, 1),
}


def pgvector_engine_version_problems(version: object, path: str = "engine_version") -> list[Problem]:
    """A full RDS for PostgreSQL version (``16.8``) that RDS ships pgvector 0.5+ for."""
    match = re.match(r"^(\d+)\.(\d+)$", version) if isinstance(version, str) else None
    if not match:
        return [Problem(path, version, "a full version such as 16.8", "pin the major and minor version",
                        "engine version not pinned")]
    major = int(match.group(1))
    known = PGVECTOR_ENGINE_VERSIONS.get(major, ())
    if version in known:
        return []
    if known:
        allowed = f"{major}.x with pgvector: {known[0]} to {known[-1]}"
        fix = (f"upgrade to {known[0]} or later" if int(match.group(2)) < int(known[0].split(".")[1]) else
               f"use {known[-1]} (or add {version} to vtc_constructs.aws_rules.PGVECTOR_ENGINE_VERSIONS once RDS "
               "releases it)")
    else:
        allowed = "a major version RDS ships pgvector for: " + ", ".join(str(m) for m in PGVECTOR_ENGINE_VERSIONS)
        fix = f"use {PGVECTOR_ENGINE_VERSIONS[16][-1]} or another listed version"
    return [Problem(path, version, allowed, fix, "no pgvector on this engine version")]


# Source: Amazon RDS User Guide, "Backup window" and "Maintenance window"; RDS API CreateDBInstance
# PreferredBackupWindow / PreferredMaintenanceWindow, read 2025-11: hh24:mi-hh24:mi and ddd:hh24:mi-ddd:hh24:mi in
# UTC, days mon..sun, each at least 30 minutes, the backup window must not overlap the maintenance window.
RDS_WINDOW_MIN_MINUTES = 30
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = r"([01]\d|2[0-3]):([0-5]\d)"
_BACKUP = re.compile(rf"^{_CLOCK}-{_CLOCK}$")
_MAINTENANCE = re.compile(rf"^(mon|tue|wed|thu|fri|sat|sun):{_CLOCK}-(mon|tue|wed|thu|fri|sat|sun):{_CLOCK}$")
_DAY, _WEEK = 24 * 60, 7 * 24 * 60


def _backup_minutes(window: object) -> tuple[int, int] | None:
    match = _BACKUP.match(window) if isinstance(window, str) else None
    if not match:
        return None
    start, end = (int(match.group(1)) * 60 + int(match.group(2)), int(match.group(3)) * 60 + int(match.group(4)))
    return start, (end - start) % _DAY


def _maintenance_minutes(window: object) -> tuple[int, int] | None:
    match = _MAINTENANCE.match(window) if isinstance(window, str) else None
    if not match:
        return None
    start = _DAYS.index(match.group(1)) * _DAY + int(match.group(2)) * 60 + int(match.group(3))
    end = _DAYS.index(match.group(4)) * _DAY + int(match.group(5)) * 60 + int(match.group(6))
    return start, (end - start) % _WEEK


def daily_and_weekly_window_problems(daily_window: object, maintenance_window: object, *, daily_path: str,
                                     maintenance_path: str = "maintenance_window", minimum_minutes: int, what: str,
                                     daily_example: str, maintenance_example: str) -> list[Problem]:
    """A daily window (RDS's backups, ElastiCache's snapshots: ``hh:mm-hh:mm``) and a weekly maintenance window
    (``ddd:hh:mm-ddd:hh:mm``), in UTC: their shape, real clock times and days, at least ``minimum_minutes`` each, and
    no overlap (across midnight and the end of the week too). ``what`` names the daily window in messages."""
    problems = []
    daily, maintenance = _backup_minutes(daily_window), _maintenance_minutes(maintenance_window)
    longer = f"end the window at least {minimum_minutes} minutes after it starts"
    if daily is None:
        problems.append(Problem(daily_path, daily_window, "hh:mm-hh:mm in UTC (00:00 to 23:59)",
                                f"e.g. {daily_example}", "malformed window"))
    elif daily[1] < minimum_minutes:
        problems.append(Problem(daily_path, daily_window, f"at least {minimum_minutes} minutes", longer,
                                "window too short"))
    if maintenance is None:
        problems.append(Problem(maintenance_path, maintenance_window,
                                "ddd:hh:mm-ddd:hh:mm in UTC, ddd one of mon, tue, wed, thu, fri, sat, sun",
                                f"e.g. {maintenance_example}", "malformed window"))
    elif maintenance[1] < minimum_minutes:
        problems.append(Problem(maintenance_path, maintenance_window, f"at least {minimum_minutes} minutes", longer,
                                "window too short"))
    if problems:
        return problems
    (d_start, d_length), (m_start, m_length) = daily, maintenance
    for day in range(7):
        start = day * _DAY + d_start
        # Compare on a circle of one week: shift the maintenance window by a week either way.
        if any(start < m + m_length and m < start + d_length for m in (m_start - _WEEK, m_start, m_start + _WEEK)):
            return [Problem(daily_path, daily_window,
                            f"a daily window that does not overlap the maintenance window {maintenance_window}",
                            f"move the {what} window before or after the maintenance window",
                            f"{what} window overlaps the maintenance window")]
    return []


def rds_window_problems(backup_window: object, maintenance_window: object, *, backup_path: str = "backup_window",
                        maintenance_path: str = "maintenance_window") -> list[Problem]:
    """RDS's backup and maintenance windows: at least 30 minutes each, no overlap."""
    return daily_and_weekly_window_problems(
        backup_window, maintenance_window, daily_path=backup_path, maintenance_path=maintenance_path,
        minimum_minutes=RDS_WINDOW_MIN_MINUTES, what="backup", daily_example="02:00-03:00",
        maintenance_example="sun:03:30-sun:04:30")


# Source: Amazon RDS User Guide, "Creating an Amazon RDS DB instance: settings" (DB name for PostgreSQL: 1-63
# letters, digits or underscores, beginning with a letter, not a word reserved by the engine); PostgreSQL 16 docs,
# Appendix C "SQL Key Words" (reserved words) and "Database Roles" (role names beginning pg_ are reserved); RDS's
# own roles and databases (rdsadmin, rds_superuser, rds_iam, rds_replication, rds_password, rds_ad), read 2025-11.
POSTGRES_RESERVED_WORDS = frozenset("""
    all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create
    current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc
    distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral
    leading limit localtime localtimestamp not null offset on only or order placing primary references returning
    select session_user some symmetric system_user table then to trailing true union unique user using variadic when
    where window with""".split())
RDS_RESERVED_NAMES = frozenset({"postgres", "rdsadmin", "rds_superuser", "rds_iam", "rds_replication",
                                "rds_password", "rds_ad", "template0", "template1", "public"})
POSTGRES_IDENTIFIER_MAX = 63
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def postgres_identifier_problems(value: object, path: str, what: str = "database name") -> list[Problem]:
    """A database, role or schema name RDS and PostgreSQL accept, lower-case so it needs no quoting: a letter, then
    letters, digits and ``_``, at most 63 characters, not a reserved word, not ``pg_*``/``rds_*``."""
    allowed = (f"a lower-case letter, then a-z, 0-9 and '_', at most {POSTGRES_IDENTIFIER_MAX} characters; "
               "not a reserved word, pg_*, rds_* or one of RDS's names")
    if not isinstance(value, str):
        return [Problem(path, value, allowed, f"give the {what} as a string", "not a string")]
    if not _IDENTIFIER.match(value):
        return [Problem(path, value, allowed, "use a lower-case letter first, then a-z, 0-9 and '_'",
                        f"invalid {what}")]
    if len(value) > POSTGRES_IDENTIFIER_MAX:
        return [Problem(path, value, allowed, f"shorten it to {POSTGRES_IDENTIFIER_MAX} characters", f"{what} too long")]
    if value in POSTGRES_RESERVED_WORDS or value in RDS_RESERVED_NAMES or value.startswith(("pg_", "rds_")):
        return [Problem(path, value, allowed, f"choose another name, e.g. 'vtc_{value}'"[:80],
                        f"reserved {what}")]
    return []


# --- EKS --------------------------------------------------------------------------------------------------------------

# Source: Amazon EKS User Guide, "Manage CoreDNS" (CoreDNS versions table) and "Manage kube-proxy" (kube-proxy's
# minor version is the cluster's), read 2025-11. CoreDNS: the line(s) AWS's table gives per Kubernetes version, with
# the neighbouring line the table has given over time. Other add-ons (vpc-cni, eks-pod-identity-agent,
# aws-ebs-csi-driver, amazon-cloudwatch-observability): AWS publishes no per-version table; shape only.
# 1.33-1.36, checked 2026-12-06: the CoreDNS of each version's EKS Distro release (aws/eks-distro releases
# v1-34-eks-16: CoreDNS v1.13.2; v1-35-eks-16 and v1-36-eks-10, 2026-10-28: v1.14.7, "Update CoreDNS to v1.14.7 for
# 1-33 to 1-37"), which the EKS add-on's CoreDNS follows.
COREDNS_LINES: Mapping[str, tuple[str, ...]] = {
    "1.29": ("1.10", "1.11"), "1.30": ("1.11",), "1.31": ("1.11",), "1.32": ("1.11",),
    "1.33": ("1.12", "1.13", "1.14"), "1.34": ("1.12", "1.13", "1.14"), "1.35": ("1.13", "1.14"),
    "1.36": ("1.14",),
}
ADDON_VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-eksbuild\.(\d+)$")


def addon_version_problems(addon: str, version: object, kubernetes_version: object,
                           path: str | None = None) -> list[Problem]:
    """An EKS add-on version: ``v<x>.<y>.<z>-eksbuild.<n>``; kube-proxy's ``<x>.<y>`` must be the cluster's
    Kubernetes version; CoreDNS's line must be one built for it (:data:`COREDNS_LINES`). Empty: EKS's default."""
    path = path or f"addon_versions.{addon}"
    if version in ("", None):
        return []
    match = ADDON_VERSION.match(version) if isinstance(version, str) else None
    if not match:
        return [Problem(path, version, "an EKS add-on version such as v1.19.6-eksbuild.1, or empty for EKS's default",
                        "copy the version from `aws eks describe-addon-versions`", "invalid add-on version")]
    line = f"{match.group(1)}.{match.group(2)}"
    if not isinstance(kubernetes_version, str):
        return []
    command = f"`aws eks describe-addon-versions --addon-name {addon} --kubernetes-version {kubernetes_version}`"
    if addon == "kube-proxy" and line != kubernetes_version:
        return [Problem(path, version, f"v{kubernetes_version}.x-eksbuild.N (kube-proxy's minor version is the "
                        "cluster's)", f"pin the kube-proxy built for {kubernetes_version}: {command}",
                        "add-on built for another Kubernetes version")]
    lines = COREDNS_LINES.get(kubernetes_version)
    if addon == "coredns" and lines and line not in lines:
        return [Problem(path, version, f"CoreDNS {' or '.join('v' + x + '.x' for x in lines)} for Kubernetes "
                        f"{kubernetes_version}", f"pin a CoreDNS built for {kubernetes_version}: {command}",
                        "add-on built for another Kubernetes version")]
    return []


# Source: Amazon EKS User Guide, "Cluster API server endpoint" (publicAccessCidrs; IPv4 CIDRs only on IPv4
# clusters) and "Amazon EKS service quotas" (public endpoint access CIDR ranges per cluster: 40), read 2025-11.
EKS_PUBLIC_ACCESS_CIDRS_MAX = 40
#: This library's limit, not AWS's: no public-endpoint range broader than a /16 (65,536 addresses: a large company
#: network). Ranges a user could mean (an office, a VPN egress) are far narrower, and a cap on each range is what
#: stops a union of broad ones (two /1s) from reopening the whole internet.
PUBLIC_ACCESS_MIN_PREFIX = 16


def public_access_cidr_problems(cidrs: object, path: str = "endpoint_public_access_cidrs") -> list[Problem]:
    """CIDRs admitted to a public endpoint: canonical IPv4 CIDRs of public (global) addresses, none broader than
    /16 (so never 0.0.0.0/0 in any spelling, nor a union that covers the internet), no repeats, at most 40."""
    if not isinstance(cidrs, (tuple, list)):
        hint = f"wrap it in a list: [{cidrs!r}]" if isinstance(cidrs, str) else "give a list of CIDRs"
        return [Problem(path, cidrs, "a list of IPv4 CIDRs", hint, "not a list")]
    problems = []
    if len(cidrs) > EKS_PUBLIC_ACCESS_CIDRS_MAX:
        problems.append(Problem(path, f"{len(cidrs)} CIDRs", f"at most {EKS_PUBLIC_ACCESS_CIDRS_MAX} (EKS's quota)",
                                "merge adjacent ranges or reach the API through the VPC", "too many CIDRs"))
    seen: dict[ipaddress.IPv4Network, int] = {}
    for index, cidr in enumerate(cidrs):
        where = f"{path}[{index}]"
        try:
            network = ipaddress.ip_network(cidr, strict=True) if isinstance(cidr, str) else None
        except ValueError as exc:
            problems.append(Problem(where, cidr, "an IPv4 CIDR such as 52.94.76.0/22", f"correct it ({exc})",
                                    "malformed CIDR"))
            continue
        if network is None:
            problems.append(Problem(where, cidr, "an IPv4 CIDR such as 52.94.76.0/22", "quote the CIDR",
                                    "not a string"))
            continue
        if network.version != 4:
            problems.append(Problem(where, cidr, "an IPv4 CIDR", "list the IPv4 ranges: the cluster is IPv4",
                                    "IPv6 range on an IPv4 cluster"))
            continue
        if network.prefixlen < PUBLIC_ACCESS_MIN_PREFIX:
            what = "endpoint open to the internet" if network.prefixlen == 0 else "range too broad"
            problems.append(Problem(where, cidr, f"specific public ranges (office, VPN), /{PUBLIC_ACCESS_MIN_PREFIX} "
                                    "or narrower", "list the ranges that administer the cluster; the whole internet "
                                    "may not, not even split into broad ranges", what))
            continue
        if cidr != str(network):
            problems.append(Problem(where, cidr, f"CIDR notation ({network})", f"write it as {network}",
                                    "not in CIDR notation"))
        if not network.is_global:
            problems.append(Problem(where, cidr, "public (globally routable) addresses",
                                    "a public endpoint sees only public source addresses: list your NAT or VPN "
                                    "egress addresses, or reach the API privately through the VPC",
                                    "private range on a public endpoint"))
        if network in seen:
            problems.append(Problem(where, cidr, "each range at most once", f"remove the repeat of {path}[{seen[network]}]",
                                    "repeated CIDR"))
        else:
            seen[network] = index
    return problems


# --- VPC ranges -------------------------------------------------------------------------------------------------------

# Source: Amazon VPC User Guide, "VPC CIDR blocks" (RFC 1918 ranges recommended; 100.64.0.0/10 shared address space
# is allowed, as EKS custom networking uses it), RFC 1918 and RFC 6598, read 2025-11. This library refuses publicly
# routable and link-local (169.254.0.0/16) VPC ranges: they shadow real internet addresses or AWS's own services.
VPC_PRIVATE_RANGES = (ipaddress.IPv4Network("10.0.0.0/8"), ipaddress.IPv4Network("172.16.0.0/12"),
                      ipaddress.IPv4Network("192.168.0.0/16"), ipaddress.IPv4Network("100.64.0.0/10"))


def vpc_range_problems(network: ipaddress.IPv4Network, cidr: object, path: str = "vpc_cidr") -> list[Problem]:
    """A parsed VPC range must lie inside RFC 1918 private space or 100.64.0.0/10."""
    if any(network.subnet_of(private) for private in VPC_PRIVATE_RANGES):
        return []
    what = "link-local range" if network.is_link_local else "not a private range"
    return [Problem(path, cidr, "a range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10",
                    "choose a private range, e.g. 10.20.0.0/16", what)]


# --- CloudWatch alarms ------------------------------------------------------------------------------------------------

# Source: CloudWatch API Reference, PutMetricAlarm (Period: 10, 20, 30 or any multiple of 60; Period x
# EvaluationPeriods at most 86,400 s for a period under one hour, 604,800 s otherwise; integers), read 2025-11.
ALARM_HIGH_RESOLUTION_PERIODS = (10, 20, 30)
ALARM_WINDOW_MAX_SHORT_PERIOD = 86_400
ALARM_WINDOW_MAX = 604_800


def alarm_period_problems(period: object, path: str = "period_seconds", *,
                          high_resolution: bool = True) -> list[Problem]:
    """A whole number of seconds CloudWatch accepts; ``high_resolution=False`` (metrics published once a minute,
    where a sub-minute period only gives INSUFFICIENT_DATA) allows multiples of 60 only."""
    allowed = ("10, 20, 30 or a multiple of 60" if high_resolution else "a multiple of 60") + " (whole seconds)"
    if not is_whole(period):
        return [Problem(path, period, allowed, "give whole seconds, e.g. 60", "not a whole number")]
    if period > 0 and (period % 60 == 0 or high_resolution and period in ALARM_HIGH_RESOLUTION_PERIODS):
        return []
    return [Problem(path, period, allowed, "e.g. 60 or 300", "period CloudWatch refuses")]


def alarm_window_problems(period: object, evaluation_periods: object, path: str = "evaluation_periods") -> list[Problem]:
    """``period x evaluation_periods`` within CloudWatch's limit (1 day for periods under an hour, else 7 days)."""
    if not (is_whole(period) and is_whole(evaluation_periods)) or period <= 0 or evaluation_periods <= 0:
        return []  # reported by the type and range checks
    limit = ALARM_WINDOW_MAX_SHORT_PERIOD if period < 3600 else ALARM_WINDOW_MAX
    if period * evaluation_periods <= limit:
        return []
    return [Problem(path, evaluation_periods, f"at most {limit // period} periods of {period} s "
                    f"({limit:,} s in all)", "evaluate fewer or shorter periods", "evaluation window too long")]


# --- load balancer health checks --------------------------------------------------------------------------------------

# Source: Elastic Load Balancing API Reference, CreateTargetGroup HealthCheckPath (1-1024 characters; for HTTP/1.1 and
# HTTP/2 "a valid URI (/path?query)"), and RFC 3986 for the characters of a URI path and query, read 2025-11.
HEALTH_CHECK_PATH_MAX = 1024
_HEALTH_CHECK_PATH = re.compile(r"^/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$")


def health_check_path_problems(value: object, path: str = "health_check_path") -> list[Problem]:
    """An HTTP health-check path: starts with ``/``, at most 1024 characters, URI path and query characters only."""
    allowed = (f"a URI path starting with / (and an optional ?query), at most {HEALTH_CHECK_PATH_MAX} characters of "
               "A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ / ? and %XX escapes")
    if not isinstance(value, str):
        return [Problem(path, value, allowed, "give the path as a string, e.g. /healthz", "not a string")]
    if len(value) > HEALTH_CHECK_PATH_MAX:
        return [Problem(path, f"{value[:40]}... ({len(value)} characters)", allowed,
                        f"shorten the path to {HEALTH_CHECK_PATH_MAX} characters", "path too long")]
    if not value.startswith("/"):
        return [Problem(path, value, allowed, f"start the path with /, e.g. /{value.lstrip('/')}"[:80],
                        "path not starting with /")]
    if not _HEALTH_CHECK_PATH.match(value):
        return [Problem(path, value, allowed, "percent-encode spaces and other characters (e.g. %20), drop any "
                        "#fragment", "character not allowed in a URI path")]
    return []


__all__ = [name for name in dir() if not name.startswith("_") and name not in {"annotations", "Mapping", "Problem",
                                                                                "ipaddress", "re", "is_whole"}]
