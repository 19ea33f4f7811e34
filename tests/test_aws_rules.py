"""AWS's own rules (vtc_constructs/aws_rules.py): for every rule, a value AWS refuses (the problem names the path, the
value received and the fix) and one it accepts. Expected values are written out here, not taken from the tables."""

from __future__ import annotations

import re

import pytest

from tests.helpers import assert_one_problem
from vtc_constructs.aws_rules import (
    CONSTRUCT_TAGS_MAX,
    USER_TAGS_LIMIT,
    addon_version_problems,
    alarm_period_problems,
    alarm_window_problems,
    arn_account,
    arn_partition,
    arn_region,
    availability_zone_problems,
    availability_zone_region_problems,
    certificate_arn_problems,
    health_check_path_problems,
    instance_type_architecture,
    node_instance_type_problems,
    partition_of,
    pgvector_engine_version_problems,
    postgres_identifier_problems,
    principal_arn_problems,
    public_access_cidr_problems,
    rds_instance_class_problems,
    rds_window_problems,
    s3_bucket_name_problems,
    tag_problems,
)

CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012"
ROLE = "arn:aws:iam::111122223333:role/platform-admin"


# --- every rule: a refused value, with its path, value and fix --------------------------------------------------------

@pytest.mark.parametrize("problems, expected", [
    # regions and Availability Zones
    (availability_zone_problems("eu-west-1", ("eu-west-1a", "eu-west-1d")),
     r"^availability_zones\[1\]: no such Availability Zone \(got 'eu-west-1d'\); allowed: an Availability Zone of "
     r"eu-west-1: eu-west-1a, eu-west-1b, eu-west-1c; fix: pick one of eu-west-1a, eu-west-1b, eu-west-1c$"),
    (availability_zone_problems("eu-west-1", ("eu-west-1a", "us-east-1a"), "network.availability_zones"),
     r"^network\.availability_zones\[1\]: AZ outside the region \(got 'us-east-1a'\); allowed: an AZ of eu-west-1; "
     r"fix: use eu-west-1a, eu-west-1b, \.\.\.$"),
    (availability_zone_problems(None, ("euw1-az1", "eu-west-1a")),
     r"^availability_zones\[0\]: not an Availability Zone name \(got 'euw1-az1'\).*fix: use the AZ's name, not its id$"),
    (availability_zone_problems(None, ("ap-northeast-1a", "ap-northeast-1e")),
     r"^availability_zones\[1\]: no such Availability Zone \(got 'ap-northeast-1e'\)"),
    (availability_zone_problems("eu-west-1", "eu-west-1a"), r"^availability_zones: not a list \(got 'eu-west-1a'\)"),
    (availability_zone_region_problems("eu-west-1", ("eu-west-1a", "eu-central-1a")),
     r"^availability_zones\[1\]: AZ outside the region \(got 'eu-central-1a'\)"),
    # tags
    (tag_problems({"aws:owner": "me"}), r"^tags\.aws:owner: reserved tag prefix \(got 'aws:owner'\); allowed: a key "
                                         r"not starting with aws: \(AWS reserves it\); fix: rename the key, e\.g\. 'owner'$"),
    (tag_problems({"AWS:Owner": "me"}), r"^tags\.AWS:Owner: reserved tag prefix"),
    (tag_problems({"team": "a#b"}), r"^tags\.team: character AWS refuses in a tag value \(got 'a#b'\).*fix: remove "
                                    r"the other characters from the value$"),
    (tag_problems({"cost*centre": "1"}), r"^tags\.cost\*centre: character AWS refuses in a tag key"),
    (tag_problems({"k" * 129: "v"}), r"^tags\.k{129}: tag key length \(got 'k{129}'\); allowed: 1 to 128 characters; "
                                     r"fix: shorten the key$"),
    (tag_problems({"note": "v" * 257}), r"^tags\.note: tag value length \(got 'v{40}\.\.\. \(257 characters\)'\); "
                                        r"allowed: at most 256 characters"),
    (tag_problems({"count": 3}), r"^tags\.count: tag value not a string \(got 3\); allowed: a string value; "
                                 r"fix: quote the value$"),
    (tag_problems({f"k{i}": "v" for i in range(47)}),
     r"^tags: too many tags \(got '47 tags'\); allowed: at most 46 \(AWS allows 50 per resource; the constructs add "
     r"up to 4\); fix: remove 1 tags$"),
    (tag_problems({f"k{i}": "v" for i in range(11)}, "state.tags", limit=10), r"^state\.tags: too many tags"),
    (tag_problems(["a"]), r"^tags: not a table \(got \['a'\]\)"),
    # S3 bucket names
    (s3_bucket_name_problems("ab", "state.bucket"), r"^state\.bucket: bucket name length \(got 'ab'\).*fix: use 3 to "
                                                    r"63 characters$"),
    (s3_bucket_name_problems("x" * 64), r"^bucket: bucket name length"),
    (s3_bucket_name_problems("VTC-state"), r"^bucket: upper-case letters in a bucket name \(got 'VTC-state'\).*fix: "
                                           r"use lower case, e.g. 'vtc-state'$"),
    (s3_bucket_name_problems("vtc_state"), r"^bucket: character S3 refuses in a bucket name \(got 'vtc_state'\)"),
    (s3_bucket_name_problems("-vtc-state"), r"^bucket: character S3 refuses in a bucket name"),
    (s3_bucket_name_problems("vtc-state-"), r"^bucket: character S3 refuses in a bucket name"),
    (s3_bucket_name_problems("vtc..state"), r"^bucket: two adjacent periods .*fix: remove the repeated '\.'$"),
    (s3_bucket_name_problems("192.168.5.4"), r"^bucket: bucket name shaped like an IP address"),
    (s3_bucket_name_problems("xn--vtc"), r"^bucket: reserved bucket name prefix .*fix: do not start the name with "
                                         r"'xn--'$"),
    (s3_bucket_name_problems("sthree-vtc"), r"^bucket: reserved bucket name prefix"),
    (s3_bucket_name_problems("amzn-s3-demo-vtc"), r"^bucket: reserved bucket name prefix"),
    (s3_bucket_name_problems("vtc-s3alias"), r"^bucket: reserved bucket name suffix .*'-s3alias'$"),
    (s3_bucket_name_problems("vtc--ol-s3"), r"^bucket: reserved bucket name suffix"),
    (s3_bucket_name_problems("vtc--x-s3"), r"^bucket: reserved bucket name suffix"),
    (s3_bucket_name_problems(None), r"^bucket: not a string \(got None\)"),
    # principal ARNs
    (principal_arn_problems(("arn:aws:sts::111122223333:assumed-role/platform-admin/alice",)),
     r"^admin_principal_arns\[0\]: assumed-role session ARN \(got "
     r"'arn:aws:sts::111122223333:assumed-role/platform-admin/alice'\); allowed: an IAM role or user ARN; fix: use "
     r"the role's ARN, 'arn:aws:iam::111122223333:role/platform-admin'"),
    (principal_arn_problems((ROLE, ROLE)), r"^admin_principal_arns\[1\]: repeated principal .*fix: remove the repeat "
                                           r"of admin_principal_arns\[0\]$"),
    (principal_arn_problems(("arn:aws:iam::11112222333:role/x",)), r"^admin_principal_arns\[0\]: not an IAM principal "
                                                                   r"ARN"),
    (principal_arn_problems(("arn:aws:iam::111122223333:root",)), r"^admin_principal_arns\[0\]: not an IAM principal"),
    (principal_arn_problems(("arn:aws:iam::111122223333:group/admins",)), r"^admin_principal_arns\[0\]: not an IAM "),
    (principal_arn_problems((ROLE,), partition="aws-cn"),
     r"^admin_principal_arns\[0\]: principal in another partition .*fix: use the role's ARN in aws-cn"),
    (principal_arn_problems((ROLE,), "eks.admin_principal_arns", account_id="222222222222"),
     r"^eks\.admin_principal_arns\[0\]: principal in another account .*allowed: a principal of account 222222222222"),
    (principal_arn_problems(ROLE), r"^admin_principal_arns: not a list .*fix: wrap it in a list"),
    # certificates
    (certificate_arn_problems(CERT, region="us-east-1"),
     r"^certificate_arn: certificate in another region \(got '" + re.escape(CERT) + r"'\); allowed: a certificate in "
     r"us-east-1, the load balancer's region; fix: request or import the certificate in us-east-1$"),
    (certificate_arn_problems(CERT.replace("acm", "iam")), r"^certificate_arn: not an ACM certificate ARN"),
    (certificate_arn_problems(CERT.replace("arn:aws:", "arn:aws-cn:")),
     r"^certificate_arn: partition does not match the region"),
    (certificate_arn_problems(CERT, account_id="222222222222"), r"^certificate_arn: certificate in another account"),
    # instance types
    (node_instance_type_problems(("m6i.large", "m6i.huge")),
     r"^instance_types\[1\]: unknown instance type \(got 'm6i\.huge'\).*fix: correct the type's name \(or, if AWS "
     r"offers it for EKS nodes, add it to vtc_constructs\.aws_rules\.EKS_NODE_INSTANCE_TYPES\)$"),
    (node_instance_type_problems(("p4d.24xlarge",)), r"^instance_types\[0\]: unknown instance type"),
    (node_instance_type_problems(("m6i.large", "m6g.large")),
     r"^instance_types: mixed architectures \(got \['m6i\.large', 'm6g\.large'\]\); allowed: instance types of one "
     r"architecture \(x86_64 or arm64\); fix: split the group in two: arm64: m6g\.large and x86_64: m6i\.large$"),
    (node_instance_type_problems(("m6i.large", "m6i.large")), r"^instance_types\[1\]: repeated instance type"),
    (node_instance_type_problems(()), r"^instance_types: no instance type \(got \[\]\)"),
    # RDS
    (rds_instance_class_problems("db.r6g.huge"), r"^instance_class: unknown instance class \(got 'db\.r6g\.huge'\).*"
                                                 r"fix: correct the class \(or, if RDS offers it for PostgreSQL, add it"),
    (pgvector_engine_version_problems("15.3"), r"^engine_version: no pgvector on this engine version \(got '15\.3'\); "
                                               r"allowed: 15\.x with pgvector: 15\.4 to 15\.15; fix: upgrade to 15\.4 or "
                                               r"later$"),
    (pgvector_engine_version_problems("16.42"), r"^engine_version: no pgvector on this engine version \(got '16\.42'\)"
                                                r".*fix: use 16\.11 \(or add 16\.42 to"),
    (pgvector_engine_version_problems("11.22"), r"^engine_version: no pgvector .*allowed: a major version RDS ships "
                                                r"pgvector for: 12, 13, 14, 15, 16, 17, 18"),
    (pgvector_engine_version_problems(16.8), r"^engine_version: engine version not pinned \(got 16\.8\)"),
    (rds_window_problems("02:00-02:20", "sun:03:30-sun:04:30"),
     r"^backup_window: window too short \(got '02:00-02:20'\); allowed: at least 30 minutes; fix: end the window at "
     r"least 30 minutes after it starts$"),
    (rds_window_problems("02:00-03:00", "sun:23:50-mon:00:10"), r"^maintenance_window: window too short"),
    (rds_window_problems("24:00-01:00", "sun:03:30-sun:04:30"), r"^backup_window: malformed window \(got '24:00-01:00'\)"),
    (rds_window_problems("02:00-03:00", "sun:03:60-sun:04:30"), r"^maintenance_window: malformed window"),
    (rds_window_problems("02:00-03:00", "sunday:03:30-sun:04:30"), r"^maintenance_window: malformed window"),
    (rds_window_problems("02:00-03:00", "tue:02:30-tue:03:30"),
     r"^backup_window: backup window overlaps the maintenance window \(got '02:00-03:00'\); allowed: a daily window "
     r"that does not overlap the maintenance window tue:02:30-tue:03:30; fix: move the backup window before or after "
     r"the maintenance window$"),
    (rds_window_problems("23:30-00:30", "wed:00:00-wed:00:45"), r"^backup_window: backup window overlaps"),
    (rds_window_problems("23:30-00:30", "sun:23:45-mon:00:15"), r"^backup_window: backup window overlaps"),
    (postgres_identifier_problems("1vtc", "database_name"),
     r"^database_name: invalid database name \(got '1vtc'\).*fix: use a lower-case letter first"),
    (postgres_identifier_problems("user", "app_role", "role name"), r"^app_role: reserved role name \(got 'user'\)"),
    (postgres_identifier_problems("pg_vtc", "app_schema", "schema name"), r"^app_schema: reserved schema name"),
    (postgres_identifier_problems("rdsadmin", "database_name"), r"^database_name: reserved database name"),
    (postgres_identifier_problems("v" * 64, "database_name"), r"^database_name: database name too long"),
    # EKS
    (addon_version_problems("kube-proxy", "v1.32.6-eksbuild.2", "1.33"),
     r"^addon_versions\.kube-proxy: add-on built for another Kubernetes version \(got 'v1\.32\.6-eksbuild\.2'\); "
     r"allowed: v1\.33\.x-eksbuild\.N .*fix: pin the kube-proxy built for 1\.33: `aws eks describe-addon-versions "
     r"--addon-name kube-proxy --kubernetes-version 1\.33`$"),
    (addon_version_problems("coredns", "v1.11.4-eksbuild.2", "1.33"),
     r"^addon_versions\.coredns: add-on built for another Kubernetes version .*allowed: CoreDNS v1\.12\.x or v1\.13\.x "
     r"or v1\.14\.x for Kubernetes 1\.33"),
    (addon_version_problems("coredns", "v1.13.2-eksbuild.1", "1.36"),
     r"^addon_versions\.coredns: add-on built for another Kubernetes version .*allowed: CoreDNS v1\.14\.x for "
     r"Kubernetes 1\.36"),
    (addon_version_problems("coredns", "v1.12.1-eksbuild.2", "1.31"), r"^addon_versions\.coredns: add-on built for "),
    (addon_version_problems("vpc-cni", "1.19.6", "1.33"), r"^addon_versions\.vpc-cni: invalid add-on version"),
    (public_access_cidr_problems(("0.0.0.0/1",)),
     r"^endpoint_public_access_cidrs\[0\]: range too broad \(got '0\.0\.0\.0/1'\); allowed: specific public ranges "
     r"\(office, VPN\), /16 or narrower"),
    (public_access_cidr_problems(("0.0.0.0/0",)), r"^endpoint_public_access_cidrs\[0\]: endpoint open to the internet"),
    (public_access_cidr_problems(("0.0.0.0/0.0.0.0",)), r"endpoint open to the internet"),
    (public_access_cidr_problems(("52.94.0.0/15",)), r"^endpoint_public_access_cidrs\[0\]: range too broad"),
    (public_access_cidr_problems(("10.1.0.0/24",)),
     r"^endpoint_public_access_cidrs\[0\]: private range on a public endpoint \(got '10\.1\.0\.0/24'\)"),
    (public_access_cidr_problems(("100.64.1.0/24",)), r"private range on a public endpoint"),
    (public_access_cidr_problems(("169.254.0.0/16",)), r"private range on a public endpoint"),
    (public_access_cidr_problems(("52.94.76.0/255.255.252.0",)),
     r"^endpoint_public_access_cidrs\[0\]: not in CIDR notation .*fix: write it as 52\.94\.76\.0/22$"),
    (public_access_cidr_problems(("52.94.76.1/22",)), r"^endpoint_public_access_cidrs\[0\]: malformed CIDR"),
    (public_access_cidr_problems(("2600:1f18::/64",)), r"IPv6 range on an IPv4 cluster"),
    (public_access_cidr_problems(("52.94.76.0/22", "52.94.76.0/22")), r"\[1\]: repeated CIDR"),
    (public_access_cidr_problems(tuple(f"52.94.{i}.0/24" for i in range(41))),
     r"^endpoint_public_access_cidrs: too many CIDRs \(got '41 CIDRs'\); allowed: at most 40"),
    # CloudWatch
    (alarm_period_problems(45), r"^period_seconds: period CloudWatch refuses \(got 45\); allowed: 10, 20, 30 or a "
                                r"multiple of 60 \(whole seconds\); fix: e\.g\. 60 or 300$"),
    (alarm_period_problems(10, high_resolution=False), r"^period_seconds: period CloudWatch refuses \(got 10\)"),
    (alarm_period_problems(60.5), r"^period_seconds: not a whole number \(got 60\.5\)"),
    (alarm_period_problems(True), r"^period_seconds: not a whole number \(got True\)"),
    (alarm_window_problems(300, 289), r"^evaluation_periods: evaluation window too long \(got 289\); allowed: at most "
                                      r"288 periods of 300 s \(86,400 s in all\)"),
    (alarm_window_problems(3600, 169), r"^evaluation_periods: evaluation window too long .*604,800 s"),
    # health checks
    (health_check_path_problems("healthz"), r"^health_check_path: path not starting with / \(got 'healthz'\)"),
    (health_check_path_problems("/" + "h" * 1024), r"^health_check_path: path too long .*fix: shorten the path to "
                                                   r"1024 characters$"),
    (health_check_path_problems("/health check"), r"^health_check_path: character not allowed in a URI path"),
    (health_check_path_problems("/health#ready"), r"character not allowed in a URI path"),
    (health_check_path_problems("/health%zz"), r"character not allowed in a URI path"),
])
def test_each_rule_refuses_what_aws_refuses(problems, expected):
    assert_one_problem(problems, expected)


# --- and accepts what AWS accepts ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("problems", [
    availability_zone_problems("eu-west-1", ("eu-west-1a", "eu-west-1b", "eu-west-1c")),
    availability_zone_problems("us-east-1", ("us-east-1d", "us-east-1e", "us-east-1f")),
    availability_zone_problems("xx-moon-1", ("xx-moon-1a",)),  # an unknown region is reported where it is given
    availability_zone_problems(None, ("ca-central-1a", "ca-central-1d")),
    tag_problems({"project": "vision-to-code", "Owner Name": "Zoë Müller", "path": "a/b:c=d+e-f@g.h_i", "empty": ""}),
    tag_problems({f"k{i}": "v" for i in range(46)}),
    s3_bucket_name_problems("vtc-terraform-state"),
    s3_bucket_name_problems("my.bucket-01"),
    principal_arn_problems((ROLE, "arn:aws:iam::111122223333:role/teams/platform/admin",
                            "arn:aws:iam::111122223333:user/alice", "arn:aws-us-gov:iam::111122223333:role/x"),
                           account_id="111122223333"),
    certificate_arn_problems(CERT, region="eu-west-1", account_id="111122223333"),
    node_instance_type_problems(("m6i.large", "m5.large", "c7i.2xlarge", "r7a.medium", "t3a.xlarge")),
    node_instance_type_problems(("m7g.large", "c8g.xlarge", "t4g.medium")),
    rds_instance_class_problems("db.t4g.large"),
    rds_instance_class_problems("db.r6i.32xlarge"),
    pgvector_engine_version_problems("16.8"),
    pgvector_engine_version_problems("12.16"),
    pgvector_engine_version_problems("17.4"),
    rds_window_problems("02:00-03:00", "sun:03:30-sun:04:30"),
    rds_window_problems("02:00-03:00", "sun:03:00-sun:04:00"),  # touching, not overlapping
    rds_window_problems("23:30-00:15", "sat:22:00-sat:23:00"),  # across midnight
    rds_window_problems("03:00-03:30", "sun:23:30-mon:00:30"),  # across the end of the week
    postgres_identifier_problems("vtc", "database_name"),
    postgres_identifier_problems("vtc_app_2", "app_role", "role name"),
    addon_version_problems("kube-proxy", "v1.33.0-eksbuild.2", "1.33"),
    addon_version_problems("coredns", "v1.12.1-eksbuild.2", "1.33"),
    addon_version_problems("coredns", "v1.11.4-eksbuild.24", "1.32"),
    addon_version_problems("vpc-cni", "v1.19.6-eksbuild.1", "1.33"),
    addon_version_problems("kube-proxy", "v1.36.5-eksbuild.1", "1.36"),
    addon_version_problems("coredns", "v1.14.7-eksbuild.1", "1.36"),
    addon_version_problems("aws-ebs-csi-driver", "", "1.33"),
    public_access_cidr_problems(()),
    public_access_cidr_problems(("52.94.76.0/22", "3.5.140.0/22", "18.0.0.0/16", "8.8.8.8/32")),
    alarm_period_problems(60), alarm_period_problems(10), alarm_period_problems(300, high_resolution=False),
    alarm_window_problems(60, 1440), alarm_window_problems(3600, 168),
    health_check_path_problems("/healthz"),
    health_check_path_problems("/health/ready?verbose=1&x=%20"),
    health_check_path_problems("/" + "h" * 1023),
])
def test_each_rule_accepts_what_aws_accepts(problems):
    assert problems == []


def test_two_broad_ranges_cannot_add_up_to_the_internet():
    problems = public_access_cidr_problems(("0.0.0.0/1", "128.0.0.0/1"))
    assert [(p.path, p.got, p.what) for p in problems] == [
        ("endpoint_public_access_cidrs[0]", "0.0.0.0/1", "range too broad"),
        ("endpoint_public_access_cidrs[1]", "128.0.0.0/1", "range too broad")]


def test_arn_parts():
    assert (arn_partition(CERT), arn_region(CERT), arn_account(CERT)) == ("aws", "eu-west-1", "111122223333")
    assert (arn_partition(ROLE), arn_region(ROLE), arn_account(ROLE)) == ("aws", "", "111122223333")
    assert arn_partition("arn:aws-cn:s3:::bucket") == "aws-cn"
    for not_an_arn in ("", "arn:aws", "role/x", None, 12, ["arn:aws:iam::111122223333:role/x"]):
        assert (arn_partition(not_an_arn), arn_region(not_an_arn), arn_account(not_an_arn)) == (None, None, None)


def test_partitions_and_architectures():
    assert [partition_of(r) for r in ("eu-west-1", "cn-north-1", "us-gov-west-1", "mars-1", None)] == [
        "aws", "aws-cn", "aws-us-gov", None, None]
    assert [instance_type_architecture(t) for t in ("m6i.large", "m6g.large", "m6i.huge", None)] == [
        "x86_64", "arm64", None, None]


@pytest.mark.parametrize("check", [
    lambda v: availability_zone_problems(v, v), lambda v: tag_problems(v), lambda v: s3_bucket_name_problems(v),
    lambda v: principal_arn_problems(v), lambda v: certificate_arn_problems(v), lambda v: node_instance_type_problems(v),
    lambda v: rds_instance_class_problems(v), lambda v: pgvector_engine_version_problems(v),
    lambda v: rds_window_problems(v, v), lambda v: postgres_identifier_problems(v, "x"),
    lambda v: addon_version_problems("kube-proxy", v, v), lambda v: public_access_cidr_problems(v),
    lambda v: alarm_period_problems(v), lambda v: alarm_window_problems(v, v), lambda v: health_check_path_problems(v),
])
def test_no_rule_raises_on_a_wrong_type(check):
    for value in (None, True, 1.5, float("nan"), {}, {"a": 1}, [], [None], ("x", 1), object(), b"x", -1):
        assert isinstance(check(value), list)


def test_the_tag_budget_matches_what_the_constructs_add(stacks):
    """USER_TAGS_LIMIT leaves room for the most tags a construct puts on one resource, counted in the stacks."""
    most = 0
    for stack in stacks.values():
        for resources in stack.get("resource", {}).values():
            for resource in resources.values():
                most = max(most, len(resource.get("tags") or {}))
    assert most <= CONSTRUCT_TAGS_MAX == 4
    assert USER_TAGS_LIMIT == 50 - 4
