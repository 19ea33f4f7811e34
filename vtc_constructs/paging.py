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
make it a stack output) and the secrets are the ones named in ``AlarmsProps.pagerduty_url_secret_names``.
``--keep-endpoint`` is needed only for an HTTPS subscription on the secrets' own host (``events.pagerduty.com``) that
is not theirs: the others (``AlarmsProps.page_https_endpoints``, which Terraform subscribes, a hook of your own) are
never touched.

A PagerDuty integration URL carries its integration key. Terraform would keep whatever it subscribes (the
subscription's endpoint) or reads (a data source) in its state, so the Alarms construct makes nothing of
``pagerduty_url_secret_names`` and this command, run right after every apply, subscribes them:

- each named Secrets Manager secret's current value (the URL alone, ``SecretString``, not JSON) is read, checked to be
  an ``https://`` URL, and subscribed to the topic over HTTPS unless a subscription of that URL exists already: running
  it twice changes nothing;
- an HTTPS subscription of the topic on the host of a secret's current URL (``events.pagerduty.com``) that no secret
  holds any more (a rotated integration key: the secret now holds the new URL) is unsubscribed, after the new ones
  exist; one given as ``--keep-endpoint`` and one still pending confirmation (SNS gives it no ARN) are left. Every
  other HTTPS subscription (another host's: a Terraform-owned ``page_https_endpoints`` URL, a chat hook) is left
  alone and only counted (``other HTTPS subscriptions left alone: N``). A key moved to another host (say, PagerDuty's
  EU service) leaves the old host's subscription, counted: unsubscribe it with the AWS CLI. Every secret is read
  before anything changes.

Nothing it prints or raises contains a URL (:func:`scrub`; argparse's own errors too): only the secrets' names and
counts. It first checks that the credentials are the topic's account (from its ARN), and ``--account``'s if given: a
second constraint, never a substitute (the secrets are read with the credentials, in their account). The topic's
region comes from its ARN; ``--region`` is the secrets' region (default: the topic's). Permissions:
``secretsmanager:GetSecretValue`` on the secrets (and ``kms:Decrypt`` on their key if it is a customer-managed one),
``sns:ListSubscriptionsByTopic``, ``sns:Subscribe``, ``sns:Unsubscribe`` on the topic, ``sts:GetCallerIdentity``.

Exit status: 0 done (or nothing to do); 1 usage error, the AWS SDK missing, wrong account, a secret missing or not an
https:// URL (nothing was changed then), or an error of the AWS API (one line, any URL in it replaced).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .alarms_props import _pagerduty_name_problems
from .errors import ConfigError, Problem, raise_if_any

#: What to install when boto3 is missing (the constructs themselves never need the AWS SDK).
INSTALL_HINT = "pip install 'vtc-infra[ops]' (or boto3 alone)"

_TOPIC_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):sns:(?P<region>[a-z]{2}(-[a-z]+)+-\d):(?P<account>\d{12}):"
                        r"(?P<name>[A-Za-z0-9_-]{1,256})$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")

#: What stands for a URL in everything this module prints or raises: an integration URL carries its key.
HIDDEN_URL = "<a URL, not repeated here>"
# A value that looks like a URL (the test AlarmsProps makes of a secret name), and a URL inside a text: a word with
# ``://`` and something after it (not "an https:// URL" in a message) or with PagerDuty's domain in it. Quotes end
# the word (a value's repr keeps its quotes around the placeholder), and so does punctuation at its end (the
# sentence's full stop or semicolon stays).
_LOOKS_LIKE_URL = re.compile(r"(?i)(://|^https?:|pagerduty\.com)")
_URL_END = r"""[^\s'"]*[^\s'".,;:!?)\]]"""
_URL_IN_TEXT = re.compile(rf"""[^\s'"]*(?:://{_URL_END}|pagerduty\.com(?:{_URL_END})?)""", re.IGNORECASE)


def scrub(text: object) -> str:
    """``text`` with every URL in it replaced by :data:`HIDDEN_URL`: what every line this module's commands print
    goes through (their results, their errors, argparse's, the AWS SDK's)."""
    return _URL_IN_TEXT.sub(HIDDEN_URL, str(text))


def _shown(value: object) -> object:
    """``value`` as a problem may show it: :data:`HIDDEN_URL` for a string that looks like a URL."""
    return HIDDEN_URL if isinstance(value, str) and _LOOKS_LIKE_URL.search(value) else value


def _host(url: object) -> str | None:
    """The host of an https:// URL, lower case; None for anything else."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        return parts.hostname if parts.scheme.lower() == "https" else None
    except ValueError:  # e.g. a malformed IPv6 host or port
        return None


class PagingError(Exception):
    """A secret cannot be used as a paging URL, or the credentials are another account's; the message names the
    secret, never its value."""


class MissingSdkError(PagingError):
    """boto3 is not installed (it is the ``ops`` extra of vtc-infra, not a dependency of the constructs)."""


@dataclass
class Report:
    """What :func:`subscribe` did, by secret name (never a URL). ``unsubscribed``: HTTPS subscriptions on a secret's
    host that no secret holds any more (rotated keys); ``left_alone``: every other HTTPS subscription that is no
    secret's (kept, another host's, or pending confirmation), counted only."""

    subscribed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unsubscribed: int = 0
    left_alone: int = 0

    def __str__(self) -> str:
        return (f"subscribed: {', '.join(self.subscribed) or 'none'}; already subscribed: "
                f"{', '.join(self.already) or 'none'}; unsubscribed (no longer named): {self.unsubscribed}; "
                f"other HTTPS subscriptions left alone: {self.left_alone}")


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
    """Subscribe the URLs in ``secret_names`` to ``topic_arn`` over HTTPS and unsubscribe the other HTTPS
    subscriptions on those URLs' hosts (rotated keys), but for the ``literal_endpoints`` (never touched); the
    subscriptions on other hosts are someone else's and only counted. Uses the clients given and reads every secret
    before changing anything. :func:`subscribe_topic` checks the arguments, makes the clients and checks the account
    first."""
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
    # Only a subscription on the host of a URL the secrets hold now can be one of their old URLs (PagerDuty's
    # integration URLs share events.pagerduty.com): any other HTTPS subscription may be another owner's (Terraform's
    # page_https_endpoints, a team's own hook), which this command must not remove for want of being told about it.
    hosts = {_host(url) for url in urls.values()} - {None}
    keep = set(literal_endpoints or ())
    for subscription in existing:
        endpoint, arn = subscription.get("Endpoint"), subscription.get("SubscriptionArn", "")
        if endpoint in urls.values():
            continue
        if endpoint not in keep and _host(endpoint) in hosts and arn.startswith("arn:"):
            sns.unsubscribe(SubscriptionArn=arn)
            report.unsubscribed += 1
        else:
            report.left_alone += 1
    return report


def check_account(sts, expected: str, said_by: str = "--account") -> str:
    """The credentials' account; :class:`PagingError` when it is not ``expected`` (``said_by``: where that came
    from, for the message), or when ``expected`` is no account id (an empty one checks nothing: refused)."""
    return check_accounts(sts, {said_by: expected})


def check_accounts(sts, claims: Mapping[str, object]) -> str:
    """The credentials' account, which must be every account of ``claims`` ({where it was said: account id}, e.g.
    the topic ARN's and ``--account``); :class:`PagingError` naming every one that is not, or that is no 12-digit
    account id (checked before asking STS)."""
    missing = [f"{said_by}: no account id (got {_shown(account)!r})" for said_by, account in claims.items()
               if not isinstance(account, str) or not _ACCOUNT.match(account)]
    if missing or not claims:
        raise PagingError(f"{'; '.join(missing) or 'no account given'}: the credentials' account must be checked "
                          "against the 12-digit account the topic is in; give it")
    account = sts.get_caller_identity()["Account"]
    wrong = [f"{said_by} says {expected}" for said_by, expected in claims.items() if expected != account]
    if wrong:
        raise PagingError(f"the credentials are for account {account}, but {' and '.join(wrong)}: wrong "
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
        problems.append(Problem("--topic-arn", _shown(topic_arn),
                                "an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>",
                                "give the Alarms construct's page_topic_arn (the topic <AlarmsProps.name>-page; make "
                                "it a stack output)"))
    names = tuple(secret_names) if isinstance(secret_names, (list, tuple)) else secret_names
    if not isinstance(names, tuple) or not names:
        problems.append(Problem("--secret", _shown(names), "one or more Secrets Manager secret names",
                                "name each secret that holds an integration URL (AlarmsProps."
                                "pagerduty_url_secret_names); to stop paging one, unsubscribe it with the AWS CLI",
                                "missing"))
    else:
        problems += [Problem(p.path.replace("pagerduty_url_secret_names", "--secret"), p.got, p.allowed, p.fix, p.what)
                     for p in _pagerduty_name_problems(names)]
    if not isinstance(keep_endpoints, (list, tuple)):
        problems.append(Problem("--keep-endpoint", "<not repeated here>", "a list of https:// URLs",
                                "give a list (AlarmsProps.page_https_endpoints), or leave it out", "not a list"))
    for i, url in enumerate(keep_endpoints if isinstance(keep_endpoints, (list, tuple)) else ()):
        if not isinstance(url, str) or not url.startswith("https://"):
            problems.append(Problem(f"--keep-endpoint[{i}]", "<not repeated here>", "an https:// URL",
                                    "give AlarmsProps.page_https_endpoints exactly as configured"))
    if account is not None and (not isinstance(account, str) or not _ACCOUNT.match(account)):
        problems.append(Problem("--account", _shown(account), "a 12-digit AWS account id",
                                "give the account the stack is deployed to, e.g. 123456789012"))
    if region is not None and (not isinstance(region, str) or not _REGION.match(region)):
        problems.append(Problem("--region", _shown(region), "an AWS region, e.g. us-east-2",
                                "give the region of the secrets, or leave it out (the topic's region)"))
    return problems


def subscribe_topic(topic_arn: str, secret_names: Iterable[str], *, keep_endpoints: Iterable[str] = (),
                    account: str | None = None, region: str | None = None, clients: dict | None = None) -> Report:
    """Subscribe the URLs held by ``secret_names`` to ``topic_arn`` (see the module docstring), after checking every
    argument (:class:`~vtc_constructs.errors.ConfigError`, every problem at once) and that the credentials are the
    topic's account, and ``account`` too if given (:class:`PagingError` otherwise). ``region``: the secrets' region
    (default: the topic's). ``clients`` ({sns, secretsmanager, sts}) replace boto3's (tests, or your own session's)."""
    secret_names, keep_endpoints = _as_list(secret_names), _as_list(keep_endpoints)
    raise_if_any(argument_problems(topic_arn, secret_names, keep_endpoints, account, region))
    arn = _TOPIC_ARN.match(topic_arn)
    if clients is None:
        clients = aws_clients(topic_region=arn["region"], secrets_region=region or arn["region"])
    # The secrets are read with the credentials, in their account, and subscribed to the topic: both must be one
    # account. --account adds a check; it never replaces the topic's.
    claims = {"the topic ARN": arn["account"]} | ({} if account is None else {"--account": account})
    check_accounts(clients["sts"], claims)
    return subscribe(sns=clients["sns"], secretsmanager=clients["secretsmanager"], topic_arn=topic_arn,
                     secret_names=secret_names, literal_endpoints=keep_endpoints)


def _as_list(value: object) -> object:
    """A list of what ``value`` holds: one string is one name (not its characters); anything that is not a
    collection (None, a number, a table) stays as it is, for :func:`argument_problems` to report."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return list(value)
    return value


class ScrubbingParser(argparse.ArgumentParser):
    """argparse whose own errors (``unrecognized arguments: ...``, ``invalid choice: ...``) go through :func:`scrub`:
    a URL pasted in the wrong place would be repeated in them. Its sub-commands' parsers are of this class too."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, scrub(f"{self.prog}: error: {message}") + "\n")


def run_command(parser: argparse.ArgumentParser, argv: list[str] | None, action: Callable[[argparse.Namespace], str],
                *, expected: tuple[type[Exception], ...] = ()) -> int:
    """The commands' one way to parse, run and print: ``action(args)``'s line on stdout and 0, or one error on stderr
    and 1 (argparse's, a :class:`ConfigError`, a :class:`PagingError` or one of ``expected`` as it is, any other
    as one line with what to check); everything printed goes through :func:`scrub`."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has said what is wrong (on stderr, scrubbed by ScrubbingParser)
        return 0 if exit_.code == 0 else 1
    try:
        line = action(args)
    except (ConfigError, PagingError, *expected) as error:
        print(scrub(f"paging: {error}"), file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - no credentials, access denied, the API unreachable: one line
        message = " ".join(str(error).split())
        print(scrub(f"paging: {type(error).__name__}: {message}. Check the credentials, the permissions (python -m "
                    "vtc_constructs.paging --help lists them) and the region; running again is safe"), file=sys.stderr)
        return 1
    print(scrub(line))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = ScrubbingParser(
        prog="python -m vtc_constructs.paging", description=__doc__.split("\n\n")[0],
        epilog="Permissions: secretsmanager:GetSecretValue on the secrets (and kms:Decrypt on their key if it is a "
               "customer-managed one); sns:ListSubscriptionsByTopic, sns:Subscribe, sns:Unsubscribe on the topic; "
               "sts:GetCallerIdentity. Exit status: 0 done (or nothing to do); 1 usage error, boto3 missing, wrong "
               "account, a secret missing or not an https:// URL (nothing changed), or an AWS API error. Nothing "
               "printed contains a URL.")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "subscribe", help="subscribe the integration URLs held by Secrets Manager secrets to the paging topic",
        description="Subscribe each secret's URL to the topic over HTTPS (once), and unsubscribe the HTTPS "
                    "subscriptions on the secrets' host (events.pagerduty.com) that no secret and no --keep-endpoint "
                    "names any more (rotated keys); HTTPS subscriptions on other hosts are left alone (counted).")
    command.add_argument("--topic-arn", required=True, help="the paging topic (Alarms.page_topic_arn)")
    command.add_argument("--secret", action="append", required=True, metavar="NAME", dest="secrets",
                         help="a Secrets Manager secret holding one integration URL as plain text (repeatable; "
                              "AlarmsProps.pagerduty_url_secret_names)")
    command.add_argument("--keep-endpoint", action="append", default=[], metavar="URL", dest="keep",
                         help="an HTTPS subscription on the secrets' host that is not theirs, never removed "
                              "(repeatable; subscriptions on other hosts are never removed anyway)")
    command.add_argument("--account", help="the account the credentials must be, besides the topic's (they must "
                                           "be the same)")
    command.add_argument("--region", help="the secrets' region (default: the topic's region, from its ARN)")
    return parser


def main(argv: list[str] | None = None, *, clients: dict | None = None) -> int:
    """The command line (see the module docstring); ``clients`` ({sns, secretsmanager, sts}) replace boto3's."""
    def action(args: argparse.Namespace) -> str:
        report = subscribe_topic(args.topic_arn, args.secrets, keep_endpoints=args.keep, account=args.account,
                                 region=args.region, clients=clients)
        return f"paging {args.topic_arn}: {report}"

    return run_command(_parser(), argv, action)


if __name__ == "__main__":
    sys.exit(main())
