"""environments/paging.py against the emulator's SNS and Secrets Manager (moto, in process: the same backends the
emulator server runs, without a port or a process): the PagerDuty URL subscribed from Secrets Manager at run time,
idempotent, rotated, refused when it is not a URL, and never printed."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from environments import paging

REGION, ACCOUNT = "eu-west-1", "123456789012"
URL = "https://events.pagerduty.com/integration/0123abcd/enqueue"
ROTATED = "https://events.pagerduty.com/integration/4567ef01/enqueue"
LITERAL = "https://status.example.com/hook"


def _https(sns, topic):
    return sorted(s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
                  if s["Protocol"] == "https")


def test_the_url_is_subscribed_once_rotated_and_refused_when_not_a_url_never_printed(capsys):
    with mock_aws():
        sns, sm = (boto3.client(name, region_name=REGION) for name in ("sns", "secretsmanager"))
        clients = {"sns": sns, "secretsmanager": sm, "sts": boto3.client("sts", region_name=REGION)}
        account = clients["sts"].get_caller_identity()["Account"]
        topic = sns.create_topic(Name="vtc-staging-page")["TopicArn"]
        assert topic == paging.page_topic_arn("staging", REGION, account)
        sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=LITERAL)  # Terraform's literal: never touched
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
        sm.create_secret(Name="vtc-staging/alarms/pagerduty-url", SecretString=URL)
        run = dict(sns=sns, secretsmanager=sm, topic_arn=topic, secret_names=["vtc-staging/alarms/pagerduty-url"],
                   literal_endpoints=[LITERAL])

        first = paging.subscribe(**run)
        assert (first.subscribed, first.already, first.unsubscribed) == (["vtc-staging/alarms/pagerduty-url"], [], 0)
        assert _https(sns, topic) == sorted([LITERAL, URL])
        again = paging.subscribe(**run)  # idempotent: the deploy runs it every time
        assert (again.subscribed, again.already, again.unsubscribed) == ([], ["vtc-staging/alarms/pagerduty-url"], 0)
        assert _https(sns, topic) == sorted([LITERAL, URL])

        sm.put_secret_value(SecretId="vtc-staging/alarms/pagerduty-url", SecretString=ROTATED)  # a rotated key
        rotated = paging.subscribe(**run)
        assert (rotated.subscribed, rotated.unsubscribed) == (["vtc-staging/alarms/pagerduty-url"], 1)
        assert _https(sns, topic) == sorted([LITERAL, ROTATED])
        assert "0123abcd" not in str(rotated) and "4567ef01" not in str(rotated)

        # Not a URL (e.g. JSON, or http://), or missing: refused by name, nothing changed, the value not shown.
        sm.put_secret_value(SecretId="vtc-staging/alarms/pagerduty-url", SecretString='{"url": "%s"}' % URL)
        with pytest.raises(paging.PagingError, match=r"^vtc-staging/alarms/pagerduty-url: its value is not an "
                                                      r"https:// URL alone \(not shown\)") as raised:
            paging.subscribe(**run)
        assert "0123abcd" not in str(raised.value)
        with pytest.raises(paging.PagingError, match=r"^vtc-staging/other: no such secret"):
            paging.subscribe(**{**run, "secret_names": ["vtc-staging/other"]})
        assert _https(sns, topic) == sorted([LITERAL, ROTATED])

        # The command line: the environment file's names (none in staging.toml: nothing to do, nothing removed but
        # what no secret names), the account checked first.
        assert paging.main(["subscribe", "staging"], clients=clients) == 1  # staging.toml's account is not moto's
        assert "wrong environment, or wrong credentials" in capsys.readouterr().err
    out = capsys.readouterr()
    assert "0123abcd" not in out.out + out.err and "4567ef01" not in out.out + out.err
