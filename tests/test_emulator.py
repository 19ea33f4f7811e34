"""tooling/emulator.py without deploying: the override it writes, and its command line (the deploy is test_deploy.py)."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tooling.emulator import (EMULATOR_OUTPUTS, EMULATOR_SETTINGS, EMULATOR_TIMEOUTS, MASKS, NOT_DESTROYABLE,
                              SLOW_IN_THE_EMULATOR, UNSUPPORTED, MotoServer, emulator_override, explain, faults,
                              retried_creates)
from tooling.paths import REPO, VENV_BIN, tool_env


def test_every_entry_of_the_override_says_why():
    assert all(len(why.split()) >= 5 for why in UNSUPPORTED.values())
    assert all(len(mask.why.split()) >= 8 and mask.attributes for mask in MASKS)
    assert all(len(why.split()) >= 8 for attributes in SLOW_IN_THE_EMULATOR.values() for why in attributes.values())
    assert len({(m.resource_type, a) for m in MASKS for a in m.attributes}) == sum(len(m.attributes) for m in MASKS)
    assert all(len(why.split()) >= 8 for attributes in EMULATOR_SETTINGS.values() for _, why in attributes.values())
    assert all(len(why.split()) >= 8 for _, why in (*EMULATOR_OUTPUTS.values(), *EMULATOR_TIMEOUTS.values()))
    assert all(len(why.split()) >= 8 for why in NOT_DESTROYABLE.values())
    # explain() says each of them, as the demo prints it.
    lines = explain([])
    assert all(any(kind in line for line in lines)
               for kind in (*EMULATOR_SETTINGS, *EMULATOR_TIMEOUTS, *(k for k, _ in EMULATOR_OUTPUTS)))


def test_masks_are_added_to_the_resources_own_ignore_changes_and_only_where_they_apply():
    stack = {"resource": {
        "aws_eks_node_group": {"ng": {"lifecycle": {"create_before_destroy": True,
                                                    "ignore_changes": ["scaling_config[0].desired_size"]}}},
        "aws_vpc_security_group_ingress_rule": {
            "by_group": {"referenced_security_group_id": "${aws_security_group.a.id}", "description": "x"},
            "by_cidr": {"cidr_ipv4": "10.0.0.0/16", "description": "y"}},
        "aws_db_instance": {"db": {"ca_cert_identifier": "rds-ca-rsa2048-g1"}},
        "aws_eks_addon": {"cni": {}},
        "aws_vpc": {"vpc": {}},
    }}
    override, skipped = emulator_override(stack)
    resources = override["resource"]
    # Only ignore_changes is given: Terraform merges an override's lifecycle argument by argument, so the stack's
    # create_before_destroy stays, and its own ignore_changes is kept in front.
    assert resources["aws_eks_node_group"]["ng"] == {"lifecycle": {"ignore_changes": [
        "scaling_config[0].desired_size", "remote_access", "update_config"]}}
    assert resources["aws_vpc_security_group_ingress_rule"] == {
        "by_group": {"lifecycle": {"ignore_changes": ["description"]}}}
    assert resources["aws_db_instance"]["db"] == {
        "ca_cert_identifier": None,
        "lifecycle": {"ignore_changes": ["performance_insights_enabled", "performance_insights_kms_key_id",
                                         "performance_insights_retention_period"]}}
    assert resources["aws_eks_addon"] == {"cni": {"count": 0}} and skipped == ["aws_eks_addon.cni"]
    assert "aws_vpc" not in resources
    assert any(line.startswith("not deployed: aws_eks_addon.cni: ") for line in explain(skipped))


def test_every_mask_and_every_unsupported_type_matches_something_in_staging(stacks):
    stack = stacks["staging"]
    for mask in MASKS:
        assert any(mask.applies_to(config) for config in stack["resource"].get(mask.resource_type, {}).values()), mask
    assert set(UNSUPPORTED) <= set(stack["resource"])
    for kind, attributes in SLOW_IN_THE_EMULATOR.items():
        assert all(attribute in config for config in stack["resource"][kind].values() for attribute in attributes)
    # The other kinds of entry too: nothing listed for a resource type staging no longer has.
    assert set(EMULATOR_SETTINGS) | set(EMULATOR_TIMEOUTS) | set(NOT_DESTROYABLE) <= set(stack["resource"])
    assert all(any(isinstance(o["value"], str) and o["value"].endswith(f".{attribute}}}") and kind in o["value"]
                   for o in stack["output"].values())
               for kind, attribute in EMULATOR_OUTPUTS)


@pytest.mark.parametrize("args, message", [
    (["prepare", "staging", "--endpoint", "https://example.com"], "set AWS_ENDPOINT_URL (or --endpoint) to the emulator"),
    (["prepare", "staging", "--endpoint", "http://127.0.0.1:1", "--outdir", "/nonexistent"], "holds no synthesized stack"),
    (["serve", "qa"], "no environment named 'qa'"),
])
def test_the_command_line_refuses_what_it_cannot_do(args, message):
    result = subprocess.run([str(VENV_BIN / "python"), "-m", "tooling.emulator", *args], cwd=REPO,
                            env=tool_env(AWS_ENDPOINT_URL=""), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize("args, message", [
    (["prepare", "qa", "--endpoint", "http://127.0.0.1:1"], "prepare: no environment named 'qa' (environments/: "
                                                            "production, staging)"),
    # A folder the synth would refuse is not suggested as its output (an empty or new one is).
    (["prepare", "staging", "--endpoint", "http://127.0.0.1:1", "--outdir", "tests"], "--output NEW_FOLDER` "),
])
def test_prepare_refuses_an_unknown_environment_and_suggests_only_an_output_folder_the_synth_takes(args, message):
    from tooling import emulator

    with pytest.raises(SystemExit, match=re.escape(message)):
        emulator.main(args)


def test_prepare_seeds_the_state_bucket_and_the_backends_kms_key_as_the_bootstrap_makes_them(stacks, tmp_path):
    """staging's own backend block (its account's bucket, its KMS alias): prepared twice (two stacks share both), the
    bucket, one key under the alias and the bucket's default encryption with it exist once."""
    backend = stacks["staging"]["terraform"]["backend"]["s3"]
    assert backend["kms_key_id"] == "alias/vtc-staging-terraform-state" and "111111111111" in backend["bucket"]
    (tmp_path / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": {"s3": backend}}}), encoding="utf-8")
    with MotoServer(account_id="111111111111") as aws:
        aws.prepare(tmp_path, region="eu-west-1")
        aws.prepare(tmp_path, region="eu-west-1")
        s3, kms = aws.client("s3", backend["region"]), aws.client("kms", backend["region"])
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [backend["bucket"]]
        [alias] = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == backend["kms_key_id"]]
        assert kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["KeyManager"] == "CUSTOMER"
        [rule] = s3.get_bucket_encryption(Bucket=backend["bucket"])["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                              "KMSMasterKeyID": alias["TargetKeyId"]}
        assert s3.get_bucket_versioning(Bucket=backend["bucket"])["Status"] == "Enabled"


def test_a_stack_with_nothing_to_override_gets_an_empty_override_terraform_accepts():
    # {"resource": {}} is a block without its label to Terraform ("Missing block label"); nothing to override is {}.
    from tooling.emulator import emulator_override

    stack = {"resource": {"aws_vpc": {"v": {"cidr_block": "10.0.0.0/16"}}}}
    assert emulator_override(stack) == ({}, [])


#: What `cdktf deploy staging` printed when the emulator refused a create it had carried out itself (CI, 2026-12-06:
#: the AWS SDK retried IAM CreatePolicy; moto answered the retry 409), as printed: colours, the stack's prefix, boxes.
RETRIED_CREATE = (
    "staging  \x1b[0m\x1b[1maws_iam_policy.ci_traffic-policy_1CDE1CC8: Creating...\x1b[0m\x1b[0m\n"
    "staging  \x1b[31m╷\x1b[0m\x1b[0m\n"
    "staging  \x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mcreating IAM Policy "
    "(vtc-staging-ci-traffic): operation error IAM: CreatePolicy, https response error StatusCode: 409, RequestID: "
    "3PAn, EntityAlreadyExists: A policy called vtc-staging-ci-traffic already exists. Duplicate names are not "
    "allowed.\x1b[0m\n"
    "         \x1b[31m│\x1b[0m \x1b[0m\n"
    "         \x1b[31m│\x1b[0m \x1b[0m\x1b[0m  with aws_iam_policy.ci_traffic-policy_1CDE1CC8 (ci/traffic-policy),\n"
    "         \x1b[31m│\x1b[0m \x1b[0m  on cdk.tf.json line 5837, in resource.aws_iam_policy.ci_traffic-policy_1CDE1CC8:\n"
    "         \x1b[31m╵\x1b[0m\x1b[0m\n"
    "0 Stacks deploying     1 Stack done     0 Stacks waiting\n")


def test_a_create_the_emulator_refused_as_already_existing_is_its_own_retry_only_when_nothing_else_has_the_name():
    stack = {"resource": {"aws_iam_policy": {"ci_traffic-policy_1CDE1CC8": {"name": "vtc-staging-ci-traffic"},
                                             "eks_services-role-policy_E337D4E0": {"name_prefix": "vtc-staging-"}},
                          # A role of that name is another kind of thing: no conflict with the policy.
                          "aws_iam_role": {"ci_traffic-role_1": {"name": "vtc-staging-ci-traffic"}}}}
    assert retried_creates(RETRIED_CREATE, stack) == ["aws_iam_policy.ci_traffic-policy_1CDE1CC8"]
    # Two policies of that name in the stack: the conflict is the stack's own, reported as a failure.
    twice = {"resource": {"aws_iam_policy": {**stack["resource"]["aws_iam_policy"],
                                             "other": {"name": "vtc-staging-ci-traffic"}}}}
    assert retried_creates(RETRIED_CREATE, twice) == []
    # Any other error beside it: the stack's failure too.
    other = RETRIED_CREATE.replace("0 Stacks deploying", "│ Error: creating EKS Cluster (vtc-staging): "
                                   "InvalidParameterException\n│   with aws_eks_cluster.eks_cluster_1,\n0 Stacks")
    assert retried_creates(other, stack) == []
    # Not a conflict (another status), no error at all, an error without an address.
    assert retried_creates(RETRIED_CREATE.replace("StatusCode: 409", "StatusCode: 400"), stack) == []
    assert retried_creates("staging  aws_iam_policy.x: Creation complete after 0s\n", stack) == []
    assert retried_creates(RETRIED_CREATE.replace("with aws_iam_policy", "with policy"), stack) == []
    # An error printed outside Terraform's boxes beside it: not known to be the emulator's either.
    assert retried_creates(RETRIED_CREATE + "staging  Error: reading KMS Key (k): timeout\n", stack) == []
    # Input of another shape never raises (the fixture calls it while reporting a failure).
    for odd in ({"resource": None}, {"resource": {"aws_iam_policy": []}}, {"resource": {"aws_iam_policy": {"x": 1}}},
                {}, None):
        assert retried_creates(RETRIED_CREATE, odd) == []
    assert retried_creates(None, stack) == [] and retried_creates("", stack) == []


def test_a_failed_terraform_command_carries_its_whole_output(tmp_path):
    """What the demo reads the retried creates from: the message keeps only the end of a long output, which could cut
    off an earlier error of the stack's own and leave only the emulator's."""
    from tooling import terraform

    (tmp_path / "main.tf.json").write_text(json.dumps(
        {"output": {f"x{i:03}": {"value": f"${{local.missing_{i:03}}}"} for i in range(60)}}, indent=2))
    with pytest.raises(terraform.TerraformError) as raised:
        terraform.run(["validate"], tmp_path)
    assert all(f"local.missing_{i:03}" in raised.value.output for i in range(60))
    assert not all(f"local.missing_{i:03}" in str(raised.value) for i in range(60))  # (the message keeps the end)


def test_faults_keeps_the_servers_5xx_answers_and_tracebacks_and_nothing_else():
    log = ('127.0.0.1 - - [06/Dec/2026 21:47:15] "POST / HTTP/1.1" 200 -\n'
           '127.0.0.1 - - [06/Dec/2026 21:47:16] "GET /2021-01-01/opensearch/domain/x HTTP/1.1" 409 -\n'
           'Traceback (most recent call last):\n  File "moto/iam/responses.py", line 1\n    x\n'
           'RuntimeError: dictionary changed size during iteration\n'
           '127.0.0.1 - - [06/Dec/2026 21:47:17] "POST / HTTP/1.1" 500 -\n'
           '127.0.0.1 - - [06/Dec/2026 21:47:18] "POST / HTTP/1.1" 200 -\n')
    assert faults(log).splitlines() == [
        "moto's log, its faults only:", "Traceback (most recent call last):", '  File "moto/iam/responses.py", line 1',
        "    x", "RuntimeError: dictionary changed size during iteration",
        '127.0.0.1 - - [06/Dec/2026 21:47:17] "POST / HTTP/1.1" 500 -']
    assert faults(log.replace(" 500 -", " 200 -").split("Traceback")[0]) == ""
    assert MotoServer().faults() == ""  # a server that logs nowhere


def test_the_emulator_answers_one_request_at_a_time_the_whole_response_included():
    """tooling/moto_serial.py: moto's backends race when two requests run at once (a dictionary walked while another
    request adds to it: HTTP 500, then the SDK's retry of a create that was carried out answered "already exists")."""
    import threading
    import time

    from tooling.moto_serial import one_at_a_time

    inside, most, closed = [0], [0], []

    class Body:
        def __iter__(self):
            for part in (b"a", b"b"):
                time.sleep(0.01)  # the body is still being read: a second request must not start now
                most[0] = max(most[0], inside[0])
                yield part

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        start_response("200 OK", [])
        try:
            return Body()
        finally:
            time.sleep(0.01)

    serve = one_at_a_time(lambda environ, start_response: _Counting(app(environ, start_response), inside))
    threads = [threading.Thread(target=lambda: serve({}, lambda *a: None)) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert most[0] == 1 and len(closed) == 8


def test_the_emulator_remembers_only_lookups_that_give_the_same_answer(monkeypatch):
    """tooling/moto_serial.py: the three lookups it answers from memory answer as moto's own (restored afterwards)."""
    from moto import backends
    from moto.core import errors, responses, utils
    from moto.ec2.responses import EC2Response
    from moto.elbv2.responses import ELBV2Response

    from tooling.moto_serial import remember_static_lookups

    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    monkeypatch.setattr(responses, "method_names_from_class", responses.method_names_from_class)
    monkeypatch.setattr(errors.ErrorLookupFactory, "_create_error_lut",
                        errors.ErrorLookupFactory.__dict__["_create_error_lut"])  # (the staticmethod itself)
    modules = list(backends.list_of_moto_modules())
    methods = {cls: responses.method_names_from_class(cls) for cls in (EC2Response, ELBV2Response)}
    elbv2 = utils.get_service_model("elbv2")
    shapes = errors.ErrorLookupFactory().for_service(elbv2)._code_to_error
    assert {"ec2", "elbv2", "iam", "moto_api"} <= set(modules) and "LoadBalancerNotFound" in shapes
    remember_static_lookups()
    assert list(backends.list_of_moto_modules()) == modules == list(backends.list_of_moto_modules())
    assert {cls: responses.method_names_from_class(cls) for cls in methods} == methods
    assert responses.method_names_from_class(EC2Response) is responses.method_names_from_class(EC2Response)
    lookup = errors.ErrorLookupFactory().for_service(elbv2)
    assert lookup is errors.ErrorLookupFactory().for_service(elbv2) and lookup._code_to_error.keys() == shapes.keys()


def test_the_emulator_server_remembers_them_before_it_serves(monkeypatch):
    """tooling/moto_serial.py's ``main`` answers the lookups from memory before the first request (the server itself
    stood in for: nothing listens)."""
    from moto import backends
    from moto.core import errors, responses

    from tooling import moto_serial

    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    monkeypatch.setattr(responses, "method_names_from_class", responses.method_names_from_class)
    monkeypatch.setattr(errors.ErrorLookupFactory, "_create_error_lut",
                        errors.ErrorLookupFactory.__dict__["_create_error_lut"])
    monkeypatch.setenv("MOTO_PORT", "1")
    monkeypatch.setattr(moto_serial.signal, "signal", lambda *args: None)  # (this process keeps its own handlers)
    original = backends.list_of_moto_modules
    served = []
    monkeypatch.setattr(moto_serial, "run_simple", lambda *args, **kwargs: served.append(
        (backends.list_of_moto_modules is not original, hasattr(responses.method_names_from_class, "cache_info"))))
    moto_serial.main(["-p", "1"])
    assert served == [(True, True)]


class _Counting:
    """A response that counts its request as finished only when it is closed (as a WSGI server does)."""

    def __init__(self, body, inside):
        self._body, self._inside = body, inside

    def __iter__(self):
        return iter(self._body)

    def close(self):
        self._body.close()
        self._inside[0] -= 1


def test_the_emulator_is_moto_behind_that_one_lock(tmp_path):
    with MotoServer(log_file=tmp_path / "moto.log") as aws:
        command = open(f"/proc/{aws.pid}/cmdline", "rb").read().split(b"\0")
        assert b"tooling.moto_serial" in command
        assert aws.client("sts", "eu-west-1").get_caller_identity()["Account"]


def test_the_demos_help_is_a_help_and_runs_nothing(capsys, monkeypatch):
    from tooling import demo

    monkeypatch.setattr(demo.subprocess, "run", lambda *a, **k: pytest.fail("the demo ran a process for --help"))
    assert demo.main(["--help"]) == 0
    assert "Exit status: 0 every step passed" in " ".join(capsys.readouterr().out.split())
    assert demo.main(["--fast"]) == 1


def test_tools_collect_garbage_near_a_limit_unless_the_caller_chose(monkeypatch):
    """tooling/paths.py: every Go tool the tests and the demo run (Terraform, its providers, helm, trivy) collects
    garbage only near 1 GiB (about a quarter less CPU each), unless the caller set either variable itself (in the
    environment or as an argument), or asked for Go's own collection (the Kind cluster's long-lived tools)."""
    from tooling.kind import cluster_env

    for name in ("GOGC", "GOMEMLIMIT"):
        monkeypatch.delenv(name, raising=False)
    assert {k: tool_env()[k] for k in ("GOGC", "GOMEMLIMIT")} == {"GOGC": "off", "GOMEMLIMIT": "1GiB"}
    assert "GOGC" not in tool_env(GOMEMLIMIT="512MiB") and tool_env(GOMEMLIMIT="512MiB")["GOMEMLIMIT"] == "512MiB"
    assert "GOMEMLIMIT" not in tool_env(GOGC="100") and tool_env(GOGC="100")["GOGC"] == "100"
    assert not {"GOGC", "GOMEMLIMIT"} & (set(tool_env(go_gc=False)) | set(cluster_env()))
    monkeypatch.setenv("GOGC", "100")
    assert tool_env()["GOGC"] == "100" and "GOMEMLIMIT" not in tool_env()
    monkeypatch.delenv("GOGC")
    monkeypatch.setenv("GOMEMLIMIT", "512MiB")
    assert tool_env()["GOMEMLIMIT"] == "512MiB" and "GOGC" not in tool_env()
