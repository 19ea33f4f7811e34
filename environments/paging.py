"""PagerDuty on the paging topic without Terraform: the integration URL read from Secrets Manager at run time.

    python -m environments.paging subscribe <env>

This repository's command, run by its deploy workflow: it reads the environment file (``environments/<env>.toml``)
and calls the library's :func:`vtc_constructs.paging.subscribe`, which does the work (a team that installs the
library runs ``python -m vtc_constructs.paging subscribe --topic-arn ... --secret ...`` instead).

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

from environments.rollout import UsageError, environment_settings
# The logic is the library's (a team that pip-installs vtc-infra has no environments/); its names stay
# importable from here (tests/test_paging.py and code written before import them from environments.paging).
from vtc_constructs.paging import PagingError, Report, aws_clients, check_account, read_urls, subscribe  # noqa: F401


def page_topic_arn(env: str, region: str, account: str) -> str:
    """The paging topic of environment ``env`` (the Alarms construct's ``<name>-page``, name ``vtc-<env>``)."""
    return f"arn:aws:sns:{region}:{account}:vtc-{env}-page"


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
            clients = aws_clients(topic_region=region, secrets_region=region)
        account = check_account(clients["sts"], str(settings.get("account_id", "")), f"environments/{args.env}.toml")
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
