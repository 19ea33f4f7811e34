"""PagerDuty on the paging topic without Terraform: the integration URL read from Secrets Manager at run time.

    python -m environments.paging subscribe <env>

This repository's command, run by its deploy workflow: it reads the environment file (``environments/<env>.toml``)
and calls the library's :func:`vtc_constructs.paging.subscribe_topic`, which does the work, through the library's
command runner (the same checks, the same messages, nothing printed with a URL in it); a team that installs the
library runs ``python -m vtc_constructs.paging subscribe --topic-arn ... --secret ...`` instead.

A PagerDuty integration URL carries its integration key. Terraform would keep whatever it subscribes (the
subscription's endpoint) or reads (a data source) in its state, so the Alarms construct makes nothing of
``alarms.pagerduty_url_secret_names`` (issue 26) and this command, run by the deploy workflow right after the apply,
subscribes them:

- each named Secrets Manager secret's current value (the URL alone) is read, checked to be an ``https://`` URL, and
  subscribed to the environment's paging topic (``vtc-<env>-page``, in the file's ``account_id`` and ``region``) over
  HTTPS unless a subscription of that URL exists already: running it twice changes nothing;
- an HTTPS subscription of the paging topic on the host of a secret's URL that no secret names any more (a rotated
  integration key: the secret now holds the new URL) is unsubscribed, after the new ones exist; one the environment
  file lists as a literal (``alarms.page_https_endpoints``, Terraform's: passed as ``--keep-endpoint``), one on
  another host and one still pending confirmation (SNS gives it no ARN) are left. With no secret named, nothing is
  subscribed or unsubscribed (to stop paging a removed one, unsubscribe it with the AWS CLI).

Nothing it prints or raises contains a URL: only the secrets' names and counts. It first checks that the credentials
are the environment file's account (as ``environments.rollout`` does; a file without ``account_id`` is refused).
Permissions: the deploy role's (``secretsmanager:GetSecretValue`` on the secrets, ``sns:ListSubscriptionsByTopic``,
``sns:Subscribe``, ``sns:Unsubscribe``, ``sts:GetCallerIdentity``). Exit status: 0 done (or nothing to do), 1 usage
error, wrong account, a secret missing or not an https:// URL (nothing was changed then), or an AWS API error.
"""

from __future__ import annotations

import sys

from environments.rollout import UsageError, environment_settings
from vtc_constructs.alarms_props import topic_name
# The logic is the library's (a team that pip-installs vtc-infra has no environments/); its names stay
# importable from here (tests/test_paging.py and code written before import them from environments.paging).
from vtc_constructs.paging import (  # noqa: F401
    PagingError, Report, ScrubbingParser, aws_clients, check_account, read_urls, run_command, subscribe,
    subscribe_topic)


def page_topic_arn(env: str, region: str, account: str) -> str:
    """The paging topic of environment ``env`` (the Alarms construct's ``<name>-page``, name ``vtc-<env>``)."""
    return f"arn:aws:sns:{region}:{account}:{topic_name(f'vtc-{env}', 'page')}"


def subscribe_environment(env: str, clients: dict | None = None) -> str:
    """Subscribe the URLs environment ``env`` names (see the module docstring); the line to print."""
    settings = environment_settings(env)
    source = f"environments/{env}.toml"
    alarms = settings.get("alarms", {})
    for removed in ("pagerduty_ssm_parameter_names", "pagerduty_secret_names"):
        if alarms.get(removed):
            raise UsageError(f"alarms.{removed} was removed in 0.2.0: name the Secrets Manager secrets in "
                             "alarms.pagerduty_url_secret_names (CHANGELOG.md)")
    region, account = settings["region"], settings["account_id"]  # (both checked by environment_settings)
    if clients is None:
        clients = aws_clients(topic_region=region, secrets_region=region)
    # First, with the file named in the message; subscribe_topic checks the topic's account (this one) again.
    check_account(clients["sts"], account, source)
    names = alarms.get("pagerduty_url_secret_names", ())
    if not names:
        return f"paging {env}: no alarms.pagerduty_url_secret_names in {source}: nothing to subscribe"
    report = subscribe_topic(page_topic_arn(env, region, account), names,
                             keep_endpoints=alarms.get("page_https_endpoints", ()), region=region, clients=clients)
    return f"paging {env}: {report}"


EXIT_STATUS = ("Exit status: 0 done (or nothing to do); 1 usage error, a wrong environment file, wrong account, a "
               "secret missing or not an https:// URL (nothing was changed then), or an AWS API error.")


def main(argv=None, *, clients: dict | None = None) -> int:
    """The command line; ``clients`` ({sns, secretsmanager, sts}) replace boto3's (tests)."""
    parser = ScrubbingParser(prog="python -m environments.paging", description=__doc__.split("\n\n")[0],
                             epilog=EXIT_STATUS)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "subscribe", help="subscribe the PagerDuty URLs the environment names",
        description="Subscribe the PagerDuty integration URLs held in the secrets the environment file names "
                    "(alarms.pagerduty_url_secret_names) to the environment's paging topic, and unsubscribe those of "
                    "rotated keys; run after every apply. Nothing printed contains a URL.", epilog=EXIT_STATUS)
    command.add_argument("env", help="the environment (environments/<env>.toml: staging, production); its account_id "
                                     "must be the credentials' account")
    return run_command(parser, argv, lambda args: subscribe_environment(args.env, clients), expected=(UsageError,))


if __name__ == "__main__":
    sys.exit(main())
