"""PagerDuty on the Alarms construct's paging topic without Terraform: the integration URL read from Secrets Manager
at run time and subscribed after each apply.

Usage (needs the AWS SDK: ``pip install 'vtc-infra[ops]'``), once the stack is applied::

    python -m vtc_constructs.paging subscribe \\
        --topic-arn arn:aws:sns:us-east-2:123456789012:acme-prod-page \\
        --secret acme-prod/alarms/pagerduty-url [--secret NAME ...] \\
        [--keep-endpoint URL ...] [--account 123456789012] [--region us-east-2]

or from Python (a deploy tool of your own)::

    from vtc_constructs.paging import subscribe_topic

    report = subscribe_topic("arn:aws:sns:us-east-2:123456789012:acme-prod-page",
                             ["acme-prod/alarms/pagerduty-url"], account="123456789012")
    print(report)   # secret names and counts only, never a URL

The topic is :attr:`Alarms.page_topic_arn <vtc_constructs.alarms.Alarms.page_topic_arn>` (``<AlarmsProps.name>-page``;
make it a stack output), the secrets are the ones named in ``AlarmsProps.pagerduty_url_secret_names``, and the kept
endpoints are ``AlarmsProps.page_https_endpoints`` (Terraform subscribes those; this never touches them).

A PagerDuty integration URL carries its integration key. Terraform would keep whatever it subscribes (the
subscription's endpoint) or reads (a data source) in its state, so the Alarms construct makes nothing of
``pagerduty_url_secret_names`` and this command, run right after every apply, subscribes them:

- each named Secrets Manager secret's current value (the URL alone, ``SecretString``, not JSON) is read, checked to be
  an ``https://`` URL, and subscribed to the topic over HTTPS unless a subscription of that URL exists already: running
  it twice changes nothing;
- an HTTPS subscription of the topic whose URL no secret names any more (a rotated integration key: the secret now
  holds the new URL) is unsubscribed, after the new ones exist; one given as ``--keep-endpoint`` and one still pending
  confirmation (SNS gives it no ARN) are left. Every secret is read before anything changes.

Nothing it prints or raises contains a URL: only the secrets' names and counts. It first checks that the credentials
are the expected account (``--account``; default: the topic's account, from its ARN). The topic's region comes from
its ARN; ``--region`` is the secrets' region (default: the topic's). Permissions: ``secretsmanager:GetSecretValue`` on
the secrets (and ``kms:Decrypt`` on their key if it is a customer-managed one), ``sns:ListSubscriptionsByTopic``,
``sns:Subscribe``, ``sns:Unsubscribe`` on the topic, ``sts:GetCallerIdentity``.

Exit status: 0 done (or nothing to do); 1 usage error, the AWS SDK missing, wrong account, a secret missing or not an
https:// URL (nothing was changed then), or an error of the AWS API (one line, any URL in it replaced).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from typing import Iterable

from .alarms_props import _pagerduty_name_problems
from .errors import ConfigError, Problem, raise_if_any

#: What to install when boto3 is missing (the constructs themselves never need the AWS SDK).
INSTALL_HINT = "pip install 'vtc-infra[ops]' (or boto3 alone)"

_TOPIC_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):sns:(?P<region>[a-z]{2}(-[a-z]+)+-\d):(?P<account>\d{12}):"
                        r"(?P<name>[A-Za-z0-9_-]{1,256})$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_URL = re.compile(r"https?://\S+")


class PagingError(Exception):
    """A secret cannot be used as a paging URL, or the credentials are another account's; the message names the
    secret, never its value."""


class MissingSdkError(PagingError):
    """boto3 is not installed (it is the ``ops`` extra of vtc-infra, not a dependency of the constructs)."""


@dataclass
class Report:
    """What :func:`subscribe` did, by secret name (never a URL)."""

    subscribed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unsubscribed: int = 0

    def __str__(self) -> str:
        return (f"subscribed: {', '.join(self.subscribed) or 'none'}; already subscribed: "
                f"{', '.join(self.already) or 'none'}; unsubscribed (no longer named): {self.unsubscribed}")


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
    ``literal_endpoints`` Terraform owns, never touched), with the clients given. Reads every secret before changing
    anything. :func:`subscribe_topic` makes the clients and checks the account first."""
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


def check_account(sts, expected: str, said_by: str = "--account") -> str:
    """The credentials' account; :class:`PagingError` when it is not ``expected`` (``said_by``: where that came
    from, for the message)."""
    account = sts.get_caller_identity()["Account"]
    if expected and account != expected:
        raise PagingError(f"the credentials are for account {account}, but {said_by} says {expected}: wrong "
                          "environment, or wrong credentials")
    return account


def aws_clients(*, topic_region: str, secrets_region: str) -> dict:
    """boto3's clients ({sns, secretsmanager, sts}); :class:`MissingSdkError`, saying what to install, without it."""
    try:
        import boto3
    except ImportError:
        raise MissingSdkError(f"the AWS SDK (boto3) is not installed: {INSTALL_HINT}") from None
    return {"sns": boto3.client("sns", region_name=topic_region),
            "secretsmanager": boto3.client("secretsmanager", region_name=secrets_region),
            "sts": boto3.client("sts", region_name=topic_region)}


def argument_problems(topic_arn, secret_names, keep_endpoints=(), account=None, region=None) -> list[Problem]:
    """Every problem with :func:`subscribe_topic`'s arguments, named as the command line's options. A value that
    looks like a URL is never repeated (it would be the integration key)."""
    problems = []
    if not isinstance(topic_arn, str) or not _TOPIC_ARN.match(topic_arn):
        problems.append(Problem("--topic-arn", topic_arn, "an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>",
                                "give the Alarms construct's page_topic_arn (the topic <AlarmsProps.name>-page; make "
                                "it a stack output)"))
    names = tuple(secret_names) if isinstance(secret_names, (list, tuple)) else secret_names
    if not isinstance(names, tuple) or not names:
        problems.append(Problem("--secret", names, "one or more Secrets Manager secret names",
                                "name each secret that holds an integration URL (AlarmsProps."
                                "pagerduty_url_secret_names); to stop paging one, unsubscribe it with the AWS CLI",
                                "missing"))
    else:
        problems += [Problem(p.path.replace("pagerduty_url_secret_names", "--secret"), p.got, p.allowed, p.fix, p.what)
                     for p in _pagerduty_name_problems(names)]
    for i, url in enumerate(keep_endpoints or ()):
        if not isinstance(url, str) or not url.startswith("https://"):
            problems.append(Problem(f"--keep-endpoint[{i}]", "<not repeated here>", "an https:// URL",
                                    "give AlarmsProps.page_https_endpoints exactly as configured"))
    if account is not None and (not isinstance(account, str) or not _ACCOUNT.match(account)):
        problems.append(Problem("--account", account, "a 12-digit AWS account id",
                                "give the account the stack is deployed to, e.g. 123456789012"))
    if region is not None and (not isinstance(region, str) or not _REGION.match(region)):
        problems.append(Problem("--region", region, "an AWS region, e.g. us-east-2",
                                "give the region of the secrets, or leave it out (the topic's region)"))
    return problems


def subscribe_topic(topic_arn: str, secret_names: Iterable[str], *, keep_endpoints: Iterable[str] = (),
                    account: str | None = None, region: str | None = None, clients: dict | None = None) -> Report:
    """Subscribe the URLs held by ``secret_names`` to ``topic_arn`` (see the module docstring), after checking every
    argument (:class:`~vtc_constructs.errors.ConfigError`, every problem at once) and that the credentials are
    ``account`` (default: the topic's account). ``region``: the secrets' region (default: the topic's).
    ``clients`` ({sns, secretsmanager, sts}) replace boto3's (tests, or your own session's)."""
    # One name given as a string is one name, not its characters.
    secret_names = [secret_names] if isinstance(secret_names, str) else list(secret_names)
    keep_endpoints = [keep_endpoints] if isinstance(keep_endpoints, str) else list(keep_endpoints)
    raise_if_any(argument_problems(topic_arn, secret_names, keep_endpoints, account, region))
    arn = _TOPIC_ARN.match(topic_arn)
    if clients is None:
        clients = aws_clients(topic_region=arn["region"], secrets_region=region or arn["region"])
    check_account(clients["sts"], account or arn["account"],
                  "--account" if account else "the topic ARN (--account overrides it)")
    return subscribe(sns=clients["sns"], secretsmanager=clients["secretsmanager"], topic_arn=topic_arn,
                     secret_names=secret_names, literal_endpoints=keep_endpoints)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vtc_constructs.paging", description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 done (or nothing to do); 1 usage error, boto3 missing, wrong account, a secret missing "
               "or not an https:// URL (nothing changed), or an AWS API error. Nothing printed contains a URL.")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "subscribe", help="subscribe the integration URLs held by Secrets Manager secrets to the paging topic",
        description="Subscribe each secret's URL to the topic over HTTPS (once), and unsubscribe the HTTPS "
                    "subscriptions no secret and no --keep-endpoint names any more (rotated keys).")
    command.add_argument("--topic-arn", required=True, help="the paging topic (Alarms.page_topic_arn)")
    command.add_argument("--secret", action="append", required=True, metavar="NAME", dest="secrets",
                         help="a Secrets Manager secret holding one integration URL as plain text (repeatable; "
                              "AlarmsProps.pagerduty_url_secret_names)")
    command.add_argument("--keep-endpoint", action="append", default=[], metavar="URL", dest="keep",
                         help="an HTTPS subscription Terraform owns, never removed (repeatable; "
                              "AlarmsProps.page_https_endpoints)")
    command.add_argument("--account", help="the account the credentials must be (default: the topic's account)")
    command.add_argument("--region", help="the secrets' region (default: the topic's region, from its ARN)")
    return parser


def main(argv: list[str] | None = None, *, clients: dict | None = None) -> int:
    """The command line (see the module docstring); ``clients`` ({sns, secretsmanager, sts}) replace boto3's."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse has said what is wrong (on stderr)
        return 0 if exit_.code == 0 else 1
    try:
        report = subscribe_topic(args.topic_arn, args.secrets, keep_endpoints=args.keep, account=args.account,
                                 region=args.region, clients=clients)
    except (ConfigError, PagingError) as error:
        print(f"paging: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - no credentials, access denied, the API unreachable: one line
        message = _URL.sub("<URL not shown>", str(error))
        print(f"paging: {type(error).__name__}: {message}. Check the credentials, the permissions (see "
              "--help) and the region; running again is safe", file=sys.stderr)
        return 1
    print(f"paging {args.topic_arn}: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
