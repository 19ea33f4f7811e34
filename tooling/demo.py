"""The main job, end to end: ``python -m tooling.demo`` (run by ``scripts/demo.sh``).

1. ``cdktf synth``: every environment, into ``cdktf.out/`` (the CLI a user runs; the app is main.py).
2. ``terraform init`` (offline) and ``terraform validate`` on every AWS stack; the workloads stacks' Helm releases
   listed (no Helm provider can be installed here: tests/test_releases.py checks them: docs/guides/workloads.md, "How
   the workloads stacks are checked").
3. checkov on every stack, against tests/policy/checkov_suppressions.toml.
4. ``terraform apply`` of ``staging`` into a local AWS emulator on 127.0.0.1 (with only the emulator override of
   tooling/emulator.py), a report of what was created, then ``terraform destroy``, checked: nothing is left in the
   state or the emulator's VPCs, and the emulator and the scratch folder are gone at the end.

Exits non-zero at the first step that fails. Works on copies of the stacks: ``cdktf.out/`` only ever holds what
``cdktf synth`` wrote.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import checkov, terraform
from .emulator import DEPLOY_PARALLELISM, NOT_DESTROYABLE, MotoServer, explain, retried_creates, retrying
from .paths import CDKTF, REPO, tool_env

DEPLOYED = "staging"


def step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def done(start: float, what: str = "done") -> None:
    print(f"   {what} in {time.perf_counter() - start:.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m tooling.demo", description=__doc__.split("\n\n")[0],
        epilog="Synthesizes every environment, validates and scans every stack, deploys staging into a local AWS "
               "emulator and destroys it (minutes). Exit status: 0 every step passed; 1 a step failed (said) or a "
               "usage error.")
    from environments.cli import parsed

    status = parsed(parser, argv)  # (--help: nothing runs; argparse's message is printed for a wrong argument)
    if isinstance(status, int):
        return status
    outdir = REPO / "cdktf.out"
    start = step("cdktf synth (every environment)")
    result = subprocess.run([str(CDKTF), "synth"], cwd=REPO, env=tool_env(), capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n", file=sys.stderr)
        return 1
    manifest = json.loads((outdir / "manifest.json").read_text())
    names = sorted(manifest["stacks"])
    for name in names:
        stack = json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())
        count = sum(len(v) for v in stack.get("resource", {}).values())
        print(f"   {name}: {count} resources, {len(stack.get('data', {}))} data source types, "
              f"{len(stack.get('output', {}))} outputs -> cdktf.out/stacks/{name}/cdk.tf.json")
    done(start)

    with tempfile.TemporaryDirectory(prefix="vtc-demo-") as scratch:
        scratch_dir = Path(scratch)
        start = step("terraform init (offline mirror) + validate")
        for name in names:
            stack = json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())
            if "helm" in stack.get("terraform", {}).get("required_providers", {}):
                releases = sorted((r["name"], r.get("version") or "this repository")
                                  for r in stack["resource"]["helm_release"].values())
                print(f"   {name}: not initialised (the Helm provider cannot be installed offline; checked by "
                      f"tests/test_releases.py): {len(releases)} releases: "
                      + ", ".join(f"{release} {version}" for release, version in releases))
                continue
            terraform.validate(terraform.copy_stack(outdir / "stacks" / name, scratch_dir / "validate" / name))
            print(f"   {name}: valid")
        done(start)

        start = step("checkov")
        report = checkov.scan(outdir / "stacks")
        print(f"   {report.summary()}")
        by_check: dict[str, int] = {}
        for finding, _ in report.suppressed:
            by_check[finding.check] = by_check.get(finding.check, 0) + 1
        print("   suppressed, by check (reasons in tests/policy/checkov_suppressions.toml): "
              + ", ".join(f"{check} x{count}" for check, count in sorted(by_check.items())))
        if report.problems():
            print("\n".join(f"   FAIL {p}" for p in report.problems()), file=sys.stderr)
            return 1
        done(start)

        env = next(e for e in _environments() if e.name == DEPLOYED)
        for attempt in (1, 2):
            workdir = terraform.copy_stack(outdir / "stacks" / DEPLOYED, scratch_dir / f"deploy-{attempt}" / DEPLOYED)
            with MotoServer(log_file=scratch_dir / f"moto-{attempt}.log", account_id=env.account_id) as aws:
                start = step(f"deploy {DEPLOYED} into the local AWS emulator at {aws.endpoint} "
                             f"(account {env.account_id}, state in its S3)")
                # The state bucket and the company's DNS zone exist outside the stack; the override holds only what
                # the emulator cannot do (tooling/emulator.py), each with its reason.
                skipped = aws.prepare(workdir, env.region)
                print("\n".join(f"   {line}" for line in explain(skipped)))
                aws_env = aws.environment()
                terraform.init(workdir, backend=True, env=aws_env)
                try:
                    terraform.run(["apply", "-auto-approve", "-input=false", f"-parallelism={DEPLOY_PARALLELISM}"],
                                  workdir, env=aws_env)
                except terraform.TerraformError as error:
                    retried = retried_creates(error.output, json.loads((workdir / "cdk.tf.json").read_text()))
                    if attempt == 2 or not retried:
                        print(aws.faults(), file=sys.stderr)
                        raise
                    # The emulator's own fault (tooling/emulator.py, retried_creates): once more, into a fresh one.
                    print(f"   {retrying(retried)}")
                    continue
                done(start, "applied")
                try:
                    _report(aws, env, workdir)
                finally:
                    start = step(f"destroy {DEPLOYED}")
                    listed = terraform.run(["state", "list"], workdir, env=aws_env).stdout.split()
                    stuck = [a for a in listed if a.split(".")[0] in NOT_DESTROYABLE]
                    for address in stuck:  # (each with its reason: tooling/emulator.py NOT_DESTROYABLE)
                        print(f"   not destroyed in the emulator, removed from the state: {address}: "
                              f"{NOT_DESTROYABLE[address.split('.')[0]]}")
                    if stuck:
                        terraform.run(["state", "rm", *stuck], workdir, env=aws_env)
                    terraform.run(["destroy", "-auto-approve", "-input=false", f"-parallelism={DEPLOY_PARALLELISM}"],
                                  workdir, env=aws_env)
                    left = terraform.run(["state", "list"], workdir, env=aws_env).stdout.split()
                    vpcs = aws.client("ec2", env.region).describe_vpcs(
                        Filters=[{"Name": "cidr", "Values": [env.network.vpc_cidr]}])["Vpcs"]
                    if left or vpcs:
                        print(f"   destroy LEFT {len(left)} resource(s) in the state and {len(vpcs)} VPC(s)",
                              file=sys.stderr)
                        return 1
                    done(start, "destroyed: the state is empty and the VPC is gone")
                break
    print("\nAll steps passed.")
    return 0


def _environments():
    from environments.model import load_environments

    return load_environments()


def _report(aws: MotoServer, env, workdir: Path) -> None:
    state = terraform.run(["state", "list"], workdir, env=aws.environment()).stdout.split()
    managed = [address for address in state if not address.startswith("data.")]
    print(f"   {len(managed)} resources in state:")
    by_type: dict[str, int] = {}
    for address in managed:
        by_type[address.split(".")[0]] = by_type.get(address.split(".")[0], 0) + 1
    for kind, count in sorted(by_type.items()):
        print(f"     {count:3d} {kind}")
    ec2 = aws.client("ec2", env.region)
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [env.network.vpc_cidr]}])["Vpcs"]
    print(f"   as the emulator's API reports it:\n     VPC {vpc['VpcId']} {vpc['CidrBlock']}")
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    for subnet in sorted(subnets, key=lambda s: ipaddress.IPv4Network(s["CidrBlock"])):
        tags = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}
        print(f"     subnet {subnet['SubnetId']} {subnet['CidrBlock']:>16} {subnet['AvailabilityZone']} "
              f"{tags.get('vtc/tier')}")
    for nat in ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NatGateways"]:
        print(f"     NAT gateway {nat['NatGatewayId']} in {nat['SubnetId']}, "
              f"public IP {nat['NatGatewayAddresses'][0].get('PublicIp')}")
    eks = aws.client("eks", env.region)
    for name in eks.list_clusters()["clusters"]:
        cluster = eks.describe_cluster(name=name)["cluster"]
        print(f"     EKS cluster {name} {cluster['version']} {cluster['status']}, private endpoint "
              f"{cluster['resourcesVpcConfig']['endpointPrivateAccess']}, public "
              f"{cluster['resourcesVpcConfig']['endpointPublicAccess']}")
        for group in eks.list_nodegroups(clusterName=name)["nodegroups"]:
            scaling = eks.describe_nodegroup(clusterName=name, nodegroupName=group)["nodegroup"]["scalingConfig"]
            print(f"       node group {group}: {scaling}")
    for db in aws.client("rds", env.region).describe_db_instances()["DBInstances"]:
        print(f"     RDS {db['DBInstanceIdentifier']} {db['Engine']} {db['EngineVersion']}, Multi-AZ {db['MultiAZ']}, "
              f"encrypted {db['StorageEncrypted']}, public {db['PubliclyAccessible']}, "
              f"master secret {db.get('MasterUserSecret', {}).get('SecretArn')}")
    for function in aws.client("lambda", env.region).list_functions()["Functions"]:
        print(f"     Lambda {function['FunctionName']} ({function['Runtime']}), in VPC subnets "
              f"{function.get('VpcConfig', {}).get('SubnetIds')}: created, not invoked (no Docker here)")
    for flow in ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]:
        print(f"     flow log {flow['FlowLogId']}: {flow['TrafficType']} traffic -> {flow['LogDestination']}")
    for group in aws.client("elasticache", env.region).describe_replication_groups()["ReplicationGroups"]:
        print(f"     cache {group['ReplicationGroupId']} {group.get('Engine', 'valkey')} {group['CacheNodeType']}, "
              f"TLS {group['TransitEncryptionEnabled']}, nodes {group['MemberClusters']}")
    for name in aws.client("opensearch", env.region).list_domain_names()["DomainNames"]:
        domain = aws.client("opensearch", env.region).describe_domain(DomainName=name["DomainName"])["DomainStatus"]
        print(f"     OpenSearch {domain['DomainName']} {domain['EngineVersion']}, {domain['ClusterConfig']['InstanceCount']} "
              f"x {domain['ClusterConfig']['InstanceType']}, in the VPC {bool(domain.get('VPCOptions'))}, HTTPS only "
              f"{domain['DomainEndpointOptions']['EnforceHTTPS']}")
    for repository in aws.client("ecr", env.region).describe_repositories()["repositories"]:
        print(f"     ECR {repository['repositoryName']}: tags {repository['imageTagMutability']}, scan on push "
              f"{repository['imageScanningConfiguration']['scanOnPush']}, {repository['encryptionConfiguration']['encryptionType']}")


if __name__ == "__main__":
    sys.exit(main())
