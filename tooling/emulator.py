"""A local AWS to deploy into: moto's server on a loopback port, started and stopped by whoever needs it.

Usage::

    with MotoServer() as aws:
        tf.write_override(workdir, "emulator", aws.terraform_override(region="eu-west-1"))
        ec2 = aws.client("ec2", "eu-west-1")

Only ever binds 127.0.0.1; the server is terminated (then killed, if it must be) when the block ends.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from .paths import VENV_BIN, tool_env

# Every AWS service a stack of this repository calls. The provider sends each to the emulator.
SERVICES = ("acm", "autoscaling", "cloudwatch", "ec2", "ecr", "eks", "elb", "elbv2", "iam", "kms", "lambda", "logs",
            "rds", "route53", "s3", "secretsmanager", "sns", "sqs", "ssm", "sts", "wafv2")

DUMMY_KEY = "testing"  # moto accepts any key; never a real credential
MOTO_ACCOUNT_ID = "123456789012"  # the account every moto server answers as

#: Resource types the emulator has no API for, and why. A deploy into the emulator turns them off (count = 0)
#: through an override file and says so; everything else deploys as synthesized.
UNSUPPORTED = {
    "aws_eks_addon": "moto implements no EKS add-on API (CreateAddon)",
    "aws_eks_access_entry": "moto implements no EKS access-entry API (CreateAccessEntry)",
    "aws_eks_access_policy_association": "moto implements no EKS access-policy API (AssociateAccessPolicy)",
    "aws_cloudwatch_composite_alarm": "moto stores a composite alarm but the provider's create waiter never finds it "
                                      "(seen: still creating after 15 minutes); its rule is evaluated by real "
                                      "Terraform in tests/test_alarms.py",
    "aws_lambda_invocation": "moto runs Lambda functions only in Docker, which these machines do not have "
                             "(the bootstrap code itself is tested against a real PostgreSQL: tests/test_bootstrap.py)",
}


class MotoServer:
    def __init__(self, log_file: Path | None = None, start_timeout: float = 60):
        self.host = "127.0.0.1"
        self.port = _free_port(self.host)
        self.endpoint = f"http://{self.host}:{self.port}"
        self._log_file = log_file
        self._start_timeout = start_timeout
        self._process: subprocess.Popen | None = None
        self._log = None

    def __enter__(self) -> "MotoServer":
        self._log = open(self._log_file, "w") if self._log_file else subprocess.DEVNULL
        self._process = subprocess.Popen([str(VENV_BIN / "moto_server"), "-H", self.host, "-p", str(self.port)],
                                         stdout=self._log, stderr=subprocess.STDOUT,
                                         # AWS managed policies (AmazonEKSClusterPolicy, ...) exist only if loaded.
                                         # ACM "validates" DNS certificates after this many seconds.
                                         env=tool_env(MOTO_IAM_LOAD_MANAGED_POLICIES="true",
                                                      MOTO_ACM_VALIDATION_WAIT="1"))
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self._process.returncode} before it was ready")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"moto_server did not answer on {self.endpoint} within {self._start_timeout} s")

    def __exit__(self, *exc) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()

    def terraform_override(self, region: str) -> dict:
        """Provider and backend settings that point a stack at this emulator, with local state (and the emulator's
        account as the one allowed)."""
        return {
            "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
            "provider": {"aws": [{
                "region": region,
                "access_key": DUMMY_KEY,
                "secret_key": DUMMY_KEY,
                "skip_credentials_validation": True,
                # The stack allows only its environment's account; the emulator is another one. The provider asks
                # the emulator's STS who it is and checks the answer against this list, as it would in AWS.
                "skip_requesting_account_id": False,
                "allowed_account_ids": [MOTO_ACCOUNT_ID],
                "skip_metadata_api_check": "true",
                "skip_region_validation": True,
                "s3_use_path_style": True,
                "endpoints": [{service: self.endpoint for service in SERVICES}],
            }]},
        }

    def create_hosted_zone(self, name: str, region: str) -> str:
        """A public zone that exists outside the stack (as the company's DNS zone does); returns its id."""
        zone = self.client("route53", region).create_hosted_zone(Name=name, CallerReference=f"vtc-{name}")
        return zone["HostedZone"]["Id"]

    @staticmethod
    def unsupported_override(stack: dict) -> tuple[dict, list[str]]:
        """An override that sets ``count = 0`` on every resource of an :data:`UNSUPPORTED` type in ``stack``
        (the synthesized JSON), and the addresses it turned off."""
        override: dict = {"resource": {}}
        skipped = []
        for kind, resources in stack.get("resource", {}).items():
            if kind in UNSUPPORTED:
                override["resource"][kind] = {name: {"count": 0} for name in resources}
                skipped += [f"{kind}.{name}" for name in resources]
        return override, skipped

    def client(self, service: str, region: str):
        import boto3

        return boto3.client(service, region_name=region, endpoint_url=self.endpoint,
                            aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
