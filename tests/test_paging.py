"""environments/paging.py against the emulator's SNS and Secrets Manager (moto, in process: the same backends the
emulator server runs, without a port or a process): the PagerDuty URL subscribed from Secrets Manager at run time,
idempotent, rotated, refused when it is not a URL, and never printed; and the library's own command
(vtc_constructs.paging, which does the work for both), by topic ARN and secret names."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

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


# --- the library's command, python -m vtc_constructs.paging (what a team that pip-installs vtc-infra runs) ------------

from vtc_constructs import paging as library  # noqa: E402


def test_the_library_command_subscribes_by_topic_arn_checks_the_account_and_prints_no_url(capsys):
    with mock_aws():
        sns, sm = (boto3.client(name, region_name=REGION) for name in ("sns", "secretsmanager"))
        clients = {"sns": sns, "secretsmanager": sm, "sts": boto3.client("sts", region_name=REGION)}
        topic = sns.create_topic(Name="acme-prod-page")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=LITERAL)
        sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=ROTATED)  # an old key: no secret names it
        sm.create_secret(Name="acme-prod/alarms/pagerduty-url", SecretString=URL)
        args = ["subscribe", "--topic-arn", topic, "--secret", "acme-prod/alarms/pagerduty-url",
                "--keep-endpoint", LITERAL]

        assert library.main(args, clients=clients) == 0
        assert _https(sns, topic) == sorted([LITERAL, URL])
        assert capsys.readouterr().out == (f"paging {topic}: subscribed: acme-prod/alarms/pagerduty-url; already "
                                           "subscribed: none; unsubscribed (no longer named): 1; other HTTPS "
                                           "subscriptions left alone: 1\n")
        assert library.main(args + ["--account", ACCOUNT, "--region", REGION], clients=clients) == 0  # idempotent
        assert "already subscribed: acme-prod/alarms/pagerduty-url" in capsys.readouterr().out
        assert _https(sns, topic) == sorted([LITERAL, URL])

        # Other credentials than --account (or than the topic's account, without it): refused before any read.
        other = topic.replace(ACCOUNT, "210987654321")
        assert library.main(args + ["--account", "210987654321"], clients=clients) == 1
        assert capsys.readouterr().err == (f"paging: the credentials are for account {ACCOUNT}, but --account says "
                                           "210987654321: wrong environment, or wrong credentials\n")
        assert library.main(["subscribe", "--topic-arn", other, "--secret", "acme-prod/alarms/pagerduty-url"],
                            clients=clients) == 1
        assert "but the topic ARN says 210987654321: wrong" in capsys.readouterr().err

        # A secret that is not a URL, or missing: refused by name, nothing changed (LITERAL is kept only when given).
        sm.put_secret_value(SecretId="acme-prod/alarms/pagerduty-url", SecretString="http://" + URL[8:])
        assert library.main(args[:5] + ["--secret", "acme-prod/missing"], clients=clients) == 1
        err = capsys.readouterr().err
        assert err.startswith("paging: acme-prod/alarms/pagerduty-url: its value is not an https:// URL alone "
                              "(not shown)") and "; acme-prod/missing: no such secret" in err
        assert _https(sns, topic) == sorted([LITERAL, URL])
    out = capsys.readouterr()
    assert "0123abcd" not in out.out + out.err


def test_the_library_command_reports_every_argument_problem_at_once_and_never_repeats_a_url(capsys):
    unused = {"sns": None, "secretsmanager": None, "sts": None}  # nothing may be called: refused before any AWS call
    assert library.main(["subscribe", "--topic-arn", "vtc-staging-page", "--secret", URL, "--secret", "ok/name",
                         "--keep-endpoint", "http://status.example.com/hook", "--account", "12345",
                         "--region", "Ireland"], clients=unused) == 1
    err = capsys.readouterr().err
    assert err.startswith("paging: 5 configuration problems:\n")
    assert "  - --topic-arn: invalid value (got 'vtc-staging-page'); allowed: an SNS topic ARN" in err
    assert "  - --secret[0]: a URL, not a name (got '<a URL, not repeated here>')" in err
    assert "  - --keep-endpoint[0]: invalid value (got '<not repeated here>'); allowed: an https:// URL" in err
    assert "  - --account: invalid value (got '12345'); allowed: a 12-digit AWS account id" in err
    assert "  - --region: invalid value (got 'Ireland')" in err
    assert "0123abcd" not in err and "status.example.com" not in err

    # Options argparse refuses: its message, exit status 1 (as every command of this project), not 2.
    assert library.main(["subscribe", "--topic-arn", "arn:aws:sns:eu-west-1:123456789012:x-page"]) == 1
    assert "the following arguments are required: --secret" in capsys.readouterr().err
    assert library.main([]) == 1
    assert "the following arguments are required: command" in capsys.readouterr().err
    with pytest.raises(library.ConfigError, match=r"--secret: missing \(got \(\)\); allowed: one or more"):
        library.subscribe_topic("arn:aws:sns:eu-west-1:123456789012:x-page", [], clients=unused)
    with pytest.raises(library.ConfigError, match=r"^1 configuration problem:\n  - --secret\[0\]: a URL, not a name"):
        library.subscribe_topic("arn:aws:sns:eu-west-1:123456789012:x-page", URL, clients=unused)  # one name, a str


def test_without_boto3_the_library_command_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` raises ImportError
    assert library.main(["subscribe", "--topic-arn", "arn:aws:sns:eu-west-1:123456789012:x-page",
                         "--secret", "x/pagerduty-url"]) == 1
    assert capsys.readouterr().err == ("paging: the AWS SDK (boto3) is not installed: pip install 'vtc-infra[ops]' "
                                       "(or boto3 alone)\n")


def test_an_aws_error_is_one_line_without_the_url(capsys):
    class Denied:
        def get_caller_identity(self):
            raise RuntimeError(f"AccessDenied: not authorized to subscribe {URL}")

    assert library.main(["subscribe", "--topic-arn", "arn:aws:sns:eu-west-1:123456789012:x-page", "--secret", "x/y"],
                        clients={"sns": None, "secretsmanager": None, "sts": Denied()}) == 1
    err = capsys.readouterr().err
    assert err.startswith("paging: RuntimeError: AccessDenied: not authorized to subscribe <a URL, not repeated "
                          "here>. Check")
    assert "0123abcd" not in err and err.count("\n") == 1
    # ... and the --help it points at lists the permissions, each action the command calls.
    assert "the permissions (python -m vtc_constructs.paging --help lists them)" in err
    assert library.main(["--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    for action in ("secretsmanager:GetSecretValue", "kms:Decrypt", "sns:ListSubscriptionsByTopic", "sns:Subscribe",
                   "sns:Unsubscribe", "sts:GetCallerIdentity"):
        assert action in shown, action


# --- review fixes: no URL in any output, pruning limited to the secrets' host, the account, bad argument types ------

ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:acme-prod-page"
UNUSED = {"sns": None, "secretsmanager": None, "sts": None}


class _Sts:
    """STS that answers ``account``, and counts the calls."""

    def __init__(self, account=ACCOUNT):
        self.account, self.calls = account, 0

    def get_caller_identity(self):
        self.calls += 1
        return {"Account": self.account}


def test_a_url_is_never_printed_wherever_it_is_given(capsys):
    # The same URL twice as --secret: the "repeated name" problem (shared with AlarmsProps) does not echo it.
    with pytest.raises(library.ConfigError, match=r"--secret: repeated name \(got '<a URL, not repeated here>'\)") \
            as raised:
        library.subscribe_topic(ARN, [URL, URL], clients=UNUSED)
    from vtc_constructs.alarms_props import _pagerduty_name_problems
    assert "0123abcd" not in str(raised.value) + "".join(map(str, _pagerduty_name_problems((URL, URL))))
    # The URL pasted into --topic-arn, --account or --region: refused, not repeated.
    with pytest.raises(library.ConfigError, match=r"^3 configuration problems") as raised:
        library.subscribe_topic(URL, ["ok/name"], account=URL, region=URL[8:], clients=UNUSED)
    assert "0123abcd" not in str(raised.value) and str(raised.value).count("'<a URL, not repeated here>'") == 3

    # The command line, the same and with argparse's own errors (an extra argument, a bad command).
    for argv in (["subscribe", "--topic-arn", ARN, "--secret", URL, "--secret", URL],
                 ["subscribe", "--topic-arn", URL, "--secret", "ok/name", "--account", URL, "--region", URL],
                 ["subscribe", "--topic-arn", ARN, "--secret", "ok/name", URL],
                 ["subscribe", "--topic-arn", ARN, "--secret", "ok/name", f"--keep-endpoint={URL}", f"--x={URL}"],
                 [URL]):
        assert library.main(argv, clients=UNUSED) == 1, argv
        err = capsys.readouterr().err
        assert "0123abcd" not in err and "<a URL, not repeated here>" in err, (argv, err)
    # The repository's wrapper: its argparse errors and any other error go through the same scrub.
    assert paging.main(["subscribe", "staging", URL]) == 1
    err = capsys.readouterr().err
    assert "unrecognized arguments: <a URL, not repeated here>" in err and "0123abcd" not in err

    # The one printing path scrubs whatever an error says (a ConfigError or PagingError included).
    def leaky(_args):
        raise library.PagingError(f"x: {URL}; ('{URL}')")

    assert library.run_command(library.ScrubbingParser(), [], leaky) == 1
    assert capsys.readouterr().err == "paging: x: <a URL, not repeated here>; ('<a URL, not repeated here>')\n"
    # "an https:// URL" in a message is no URL.
    assert library.scrub("allowed: an https:// URL") == "allowed: an https:// URL"


def test_only_subscriptions_on_the_secrets_host_are_pruned_and_the_wrapper_runs_the_library(monkeypatch, capsys):
    kept = "https://events.pagerduty.com/integration/89abcdef/enqueue"  # the secrets' host, but kept
    with mock_aws():
        sns, sm = (boto3.client(name, region_name=REGION) for name in ("sns", "secretsmanager"))
        clients = {"sns": sns, "secretsmanager": sm, "sts": boto3.client("sts", region_name=REGION)}
        topic = sns.create_topic(Name="vtc-staging-page")["TopicArn"]
        for endpoint in (LITERAL, ROTATED):  # another owner's hook (Terraform's page_https_endpoints), an old key
            sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=endpoint)
        sm.create_secret(Name="acme/pagerduty-url", SecretString=URL)

        # The documented example, without --keep-endpoint: another host's subscription is left alone, counted.
        assert library.main(["subscribe", "--topic-arn", topic, "--secret", "acme/pagerduty-url", "--account",
                             ACCOUNT], clients=clients) == 0
        assert _https(sns, topic) == sorted([LITERAL, URL])
        assert capsys.readouterr().out == (f"paging {topic}: subscribed: acme/pagerduty-url; already subscribed: "
                                           "none; unsubscribed (no longer named): 1; other HTTPS subscriptions left "
                                           "alone: 1\n")

        # The wrapper: the environment file's names, its literals kept (passed as --keep-endpoint), through the
        # library: a rotated key replaced.
        sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=kept)
        settings = {"region": REGION, "account_id": ACCOUNT,
                    "alarms": {"pagerduty_url_secret_names": ["acme/pagerduty-url"], "page_https_endpoints": [kept]}}
        monkeypatch.setattr(paging, "environment_settings", lambda env: settings)
        sm.put_secret_value(SecretId="acme/pagerduty-url", SecretString=ROTATED)
        assert paging.main(["subscribe", "staging"], clients=clients) == 0
        assert _https(sns, topic) == sorted([LITERAL, ROTATED, kept])
        assert capsys.readouterr().out == ("paging staging: subscribed: acme/pagerduty-url; already subscribed: none; "
                                           "unsubscribed (no longer named): 1; other HTTPS subscriptions left alone: "
                                           "2\n")
        settings["alarms"] = {}
        assert paging.main(["subscribe", "staging"], clients=clients) == 0
        assert "no alarms.pagerduty_url_secret_names in environments/staging.toml: nothing" in capsys.readouterr().out
        assert _https(sns, topic) == sorted([LITERAL, ROTATED, kept])


def test_the_credentials_must_be_the_topics_account_whatever_account_says(capsys):
    other = ARN.replace(ACCOUNT, "210987654321")
    # Credentials of ACCOUNT, the topic in another, --account ACCOUNT: refused before any read (sns/secrets unused).
    assert library.main(["subscribe", "--topic-arn", other, "--secret", "x/y", "--account", ACCOUNT],
                        clients=UNUSED | {"sts": _Sts()}) == 1
    assert capsys.readouterr().err == (f"paging: the credentials are for account {ACCOUNT}, but the topic ARN says "
                                       "210987654321: wrong environment, or wrong credentials\n")
    assert library.main(["subscribe", "--topic-arn", other, "--secret", "x/y", "--account", "333333333333"],
                        clients=UNUSED | {"sts": _Sts()}) == 1
    assert "but the topic ARN says 210987654321 and --account says 333333333333: wrong" in capsys.readouterr().err

    # An empty expected account checks nothing: refused, before STS is asked.
    sts = _Sts()
    with pytest.raises(library.PagingError, match=r"^environments/x\.toml: no account id \(got ''\)"):
        library.check_account(sts, "", "environments/x.toml")
    assert sts.calls == 0
    assert library.check_account(sts, ACCOUNT) == ACCOUNT and sts.calls == 1
    # The wrapper with an environment file without account_id: refused, naming the file, before STS is asked (it
    # passed "" before, which checked nothing).
    import environments.rollout_files as files
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        (Path(folder) / "base.toml").write_text("")
        (Path(folder) / "staging.toml").write_text(f'region = "{REGION}"\n[alarms]\npagerduty_url_secret_names = ["x/y"]\n')
        patch.setattr(files, "ENVIRONMENTS", Path(folder))
        assert paging.main(["subscribe", "staging"], clients=UNUSED | {"sts": sts}) == 1
    assert capsys.readouterr().err.startswith("paging: environments/staging.toml: account_id: missing; allowed: ")
    assert sts.calls == 1


def test_arguments_of_the_wrong_type_are_config_errors_and_the_wrappers_aws_errors_one_line(capsys):
    with pytest.raises(library.ConfigError, match=r"^1 configuration problem:\n  - --secret: missing \(got None\)"):
        library.subscribe_topic(ARN, None, clients=UNUSED)
    with pytest.raises(library.ConfigError, match=r"--keep-endpoint: not a list \(got '<not repeated here>'\)"):
        library.subscribe_topic(ARN, ["x/y"], keep_endpoints=None, clients=UNUSED)
    with pytest.raises(library.ConfigError, match=r"^2 configuration problems:\n  - --secret: missing \(got 5\)"):
        library.subscribe_topic(ARN, 5, keep_endpoints=7, clients=UNUSED)
    # Any other collection (a generator, a set) is a list: checked, then on to the account check.
    with pytest.raises(library.PagingError, match=r"^the credentials are for account 210987654321, but the topic"):
        library.subscribe_topic(ARN, (name for name in ["x/y"]), keep_endpoints={LITERAL},
                                clients=UNUSED | {"sts": _Sts("210987654321")})

    # The wrapper's AWS errors: one line, scrubbed, exit 1 (they were an uncaught traceback).
    class Denied:
        def get_caller_identity(self):
            raise RuntimeError(f"AccessDenied:\n not authorized {URL}")

    assert paging.main(["subscribe", "staging"], clients=UNUSED | {"sts": Denied()}) == 1
    err = capsys.readouterr().err
    assert err.startswith("paging: RuntimeError: AccessDenied: not authorized <a URL, not repeated here>. Check")
    assert "0123abcd" not in err and err.count("\n") == 1


def test_the_wrappers_subscribe_help_describes_the_environment_and_the_exit_statuses(capsys):
    assert paging.main(["subscribe", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "env the environment (environments/<env>.toml" in text and "account_id must be the credentials'" in text
    assert "Exit status: 0 done (or nothing to do); 1 usage error" in text
