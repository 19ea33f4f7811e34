"""PagerDuty on the paging topic without Terraform: the integration URL read from Secrets Manager at run time.

    python -m environments.paging subscribe <env>

A PagerDuty integration URL carries its integration key. Terraform would keep whatever it subscribes (the
subscription's endpoint) or reads (a data source) in its state, so the Alarms construct makes nothing of
``alarms.pagerduty_url_secret_names`` (issue 26) and this command, run by the deploy workflow right after the apply,
subscribes them:

- each named Secrets Manager secret's current value (the URL alone) is read, checked to be an ``https://`` URL, and
  subscribed to the environment's paging topic (``vtc-<env>-page``) over HTTPS unless a subscription of that URL
  exists already: running it twice changes nothing;
- an HTTPS subscription of the paging topic whose URL no secret names any more (a rotated integration key: the secret
  now holds the new URL) is unsubscribed, after the new ones exist; one the environment file lists as a literal
  (``alarms.page_https_endpoints``, Terraform's) and one still pending confirmation (SNS gives it no ARN) are left.

Nothing it prints or raises contains a URL: only the secrets' names and counts. It first checks that the credentials
are the environment file's account (as ``environments.rollout`` does). Permissions: the deploy role's
(``secretsmanager:GetSecretValue`` on the secrets, ``sns:ListSubscriptionsByTopic``, ``sns:Subscribe``,
``sns:Unsubscribe``). Exit status: 0 done (or nothing to do), 1 usage error, wrong account, or a secret missing or not
an https:// URL (nothing was changed then).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

from environments.rollout import UsageError, environment_settings


class PagingError(Exception):
    """A secret cannot be used as a paging URL; the message names the secret, never its value."""


@dataclass
class Report:
    """What :func:`subscribe` did, by secret name (never a URL)."""

    subscribed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unsubscribed: int = 0

    def __str__(self) -> str:
        return (f"subscribed: {', '.join(self.subscribed) or 'none'}; already subscribed: "
                f"{', '.join(self.already) or 'none'}; unsubscribed (no longer named): {self.unsubscribed}")


def page_topic_arn(env: str, region: str, account: str) -> str:
    """The paging topic of environment ``env`` (the Alarms construct's ``<name>-page``, name ``vtc-<env>``)."""
    return f"arn:aws:sns:{region}:{account}:vtc-{env}-page"


def read_urls(secretsmanager, names) -> dict[str, str]:
    """``{secret name: URL}`` of every name, each checked; every bad one reported at once, by name only."""
    urls, problems = {}, []
    for name in names:
        try:
            value = secretsmanager.get_secret_value(SecretId=name).get("SecretString")
        except secretsmanager.exceptions.ResourceNotFoundException:
            problems.append(f"{name}: no such secret (create it with the integration URL as its value)")
            continue
        if not isinstance(value, str) or not value.strip().startswith("https://") or any(c.isspace()
                                                                                        for c in value.strip()):
            problems.append(f"{name}: its value is not an https:// URL alone (not shown); put PagerDuty's "
                            "integration URL in it, as plain text, not JSON")
            continue
        urls[name] = value.strip()
    if problems:
        raise PagingError("; ".join(problems))
    return urls


def _subscriptions(sns, topic_arn: str) -> list[dict]:
    found, token = [], None
    while True:
        page = sns.list_subscriptions_by_topic(TopicArn=topic_arn, **({"NextToken": token} if token else {}))
        found += page.get("Subscriptions", [])
        token = page.get("NextToken")
        if not token:
            return found


def subscribe(*, sns, secretsmanager, topic_arn: str, secret_names, literal_endpoints=()) -> Report:
    """Make the HTTPS subscriptions of ``topic_arn`` exactly the URLs in ``secret_names`` (plus the
    ``literal_endpoints`` Terraform owns, never touched). Reads every secret before changing anything."""
    urls = read_urls(secretsmanager, secret_names)
    report = Report()
    existing = [s for s in _subscriptions(sns, topic_arn) if s.get("Protocol") == "https"]
    endpoints = {s.get("Endpoint") for s in existing}
    for name, url in urls.items():
        if url in endpoints:
            report.already.append(name)
            continue
        # PagerDuty's CloudWatch integration confirms the subscription itself.
        # Ref: https://support.pagerduty.com/main/docs/amazon-cloudwatch-integration-guide
        sns.subscribe(TopicArn=topic_arn, Protocol="https", Endpoint=url, ReturnSubscriptionArn=True)
        endpoints.add(url)
        report.subscribed.append(name)
    keep = set(urls.values()) | set(literal_endpoints)
    for subscription in existing:
        arn = subscription.get("SubscriptionArn", "")
        if subscription.get("Endpoint") not in keep and arn.startswith("arn:"):
            sns.unsubscribe(SubscriptionArn=arn)
            report.unsubscribed += 1
    return report


def main(argv=None, *, clients: dict | None = None) -> int:
    """The command line; ``clients`` ({sns, secretsmanager, sts}) replace boto3's (tests)."""
    parser = argparse.ArgumentParser(prog="python -m environments.paging", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("subscribe", help="subscribe the PagerDuty URLs the environment names")
    command.add_argument("env")
    args = parser.parse_args(argv)
    try:
        settings = environment_settings(args.env)
        alarms = settings.get("alarms", {})
        for removed in ("pagerduty_ssm_parameter_names", "pagerduty_secret_names"):
            if alarms.get(removed):
                raise UsageError(f"alarms.{removed} was removed in 0.2.0: name the Secrets Manager secrets in "
                                 "alarms.pagerduty_url_secret_names (CHANGELOG.md)")
        region = settings.get("region", "eu-west-1")
        if clients is None:
            import boto3

            clients = {name: boto3.client(name, region_name=region) for name in ("sns", "secretsmanager", "sts")}
        account = clients["sts"].get_caller_identity()["Account"]
        expected = str(settings.get("account_id", ""))
        if expected and account != expected:
            raise UsageError(f"the credentials are for account {account}, but environments/{args.env}.toml says "
                             f"{expected}: wrong environment, or wrong credentials")
        report = subscribe(sns=clients["sns"], secretsmanager=clients["secretsmanager"],
                           topic_arn=page_topic_arn(args.env, region, account),
                           secret_names=alarms.get("pagerduty_url_secret_names", ()),
                           literal_endpoints=alarms.get("page_https_endpoints", ()))
    except (UsageError, PagingError) as error:
        print(f"paging: {error}", file=sys.stderr)
        return 1
    print(f"paging {args.env}: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
