"""Tiers: the production guards follow what an environment says it is, not its file name, and hold with --only."""

from __future__ import annotations

import pytest

import main
from environments.model import load_environments
from environments.tiers import GUARDS, Tier
from tests.test_environments import env_dir, problems, rewrite

# The production minimum as docs/guides/environments.md states it, written out here rather than read from environments/tiers.py.
PRODUCTION_MINIMUM = {
    "network.nat_strategy": ('nat_strategy = "single"', "one_per_az"),
    "network.flow_log_retention_days": ("flow_log_retention_days = 180", "at least 365 days"),
    "network.interface_endpoints": ('interface_endpoints = ["sts"]', "an endpoint for every AWS API the cluster "
                                                                    "calls (sts, secretsmanager, sns, logs"),
    "network.interface_endpoint_zones": ("interface_endpoint_zones = 1", "every AZ (interface_endpoint_zones left "
                                                                         "out)"),
    "eks.admin_principal_arns": ("admin_principal_arns = []", "at least one principal"),
    "eks.endpoint_public_access_cidrs": ('endpoint_public_access_cidrs = ["81.2.69.0/24"]',
                                         r"[] (a private API endpoint)"),
    "eks.control_plane_log_types": ('control_plane_log_types = ["api", "audit", "authenticator", "scheduler"]',
                                    "all five: api, audit, authenticator, controllerManager, scheduler"),
    "eks.log_retention_days": ("log_retention_days = 180", "at least 365 days"),
    "eks.addon_versions": ('addon_versions = { kube-proxy = "" }', "a pinned version for every add-on"),
    "database.multi_az": ("multi_az = false", "true"),
    "database.disposable": ("disposable = true", "false"),
    "database.backup_retention_days": ("backup_retention_days = 14", "at least 30 days"),
    "database.log_retention_days": ("log_retention_days = 180", "at least 365 days"),
    "edge.deletion_protection": ("deletion_protection = false", "true"),
    "edge.access_log_expiry_days": ("access_log_expiry_days = 30", "at least 90 days"),
    "edge.waf_log_retention_days": ("waf_log_retention_days = 180", "at least 365 days"),
    "cache.multi_az": ("multi_az = false", "true (with automatic_failover and at least one replica"),
    "cache.disposable": ("disposable = true", "false"),
    "cache.snapshot_retention_days": ("snapshot_retention_days = 3", "at least 7 days"),
    "cache.log_retention_days": ("log_retention_days = 180", "at least 365 days"),
    "search.instance_count": ("instance_count = 2", "at least 3 data nodes"),
    "search.disposable": ("disposable = true", "false"),
    "search.log_retention_days": ("log_retention_days = 180", "at least 365 days"),
    "registry.disposable": ("disposable = true", "false"),
    "workloads.ingress_replicas": ("ingress_replicas = 2", "at least 3"),
    "workloads.prometheus_replicas": ("prometheus_replicas = 1", "at least 2"),
    "workloads.prometheus_retention_days": ("prometheus_retention_days = 7", "at least 15 days"),
    "workloads.prometheus_storage_gib": ("prometheus_storage_gib = 20", "at least 50 GiB"),
    "workloads.slo_p99_latency_ms": ("slo_p99_latency_ms = 250", "at most 100 ms"),
    "workloads.slo_error_rate_percent": ("slo_error_rate_percent = 5.0", "at most 1.0 %"),
    # The seed's ranges, written out: business 3-10, core 5-15, swarm 3-20, development 3-10.
    **{f"workloads.services.{service}.{bound}_replicas": (f"{bound}_replicas = {value - 1}", f"at least {value}")
       for service, low, high in (("business", 3, 10), ("core", 5, 15), ("swarm", 3, 20), ("development", 3, 10))
       for bound, value in (("min", low), ("max", high))},
}


def test_the_guard_table_covers_exactly_the_stated_minimum():
    # Beside the rows of the table: two checked on their own (below and in test_environments).
    assert {g.path for g in GUARDS} - {"database.performance_insights_retention_days",
                                       "search.dedicated_master_type"} == set(PRODUCTION_MINIMUM)


@pytest.mark.parametrize("path", sorted(PRODUCTION_MINIMUM))
def test_each_production_minimum_holds_for_a_file_with_any_name(tmp_path, path):
    line, allowed = PRODUCTION_MINIMUM[path]
    directory = env_dir(tmp_path)
    # The production environment is called "live" here: the guards must follow its tier, not its name.
    (directory / "production.toml").rename(directory / "live.toml")
    table = path.rsplit(".", 1)[0] if path.startswith("workloads.services.") else path.split(".")[0]
    live = directory / "live.toml"
    text = live.read_text()
    # Into the file's own [table] where it has one, else a new [table] at its end.
    key = line.split(" = ")[0]
    header = text.find(f"[{table}]\n")
    after = max(header, 0)
    if f"\n{key} = " in text[after:]:  # the file sets it already (in that table, if it has one): change that line
        start = text.index(f"\n{key} = ", after) + 1
        live.write_text(text[:start] + line + text[text.index("\n", start):])
    elif f"[{table}]\n" in text:
        live.write_text(text.replace(f"[{table}]\n", f"[{table}]\n{line}\n"))
    else:
        live.write_text(f"{text}\n[{table}]\n{line}\n")
    found = problems(directory)
    assert len(found) == 1, found
    assert found[0].startswith(f"live.{path}: below the production minimum (got "), found[0]
    assert f"allowed: {allowed}" in found[0] and "the production tier's minimum; fix: " in found[0]


def test_a_non_production_environment_is_held_to_none_of_it(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", "flow_log_retention_days = 90", "flow_log_retention_days = 30")
    rewrite(directory, "staging", "waf_log_retention_days = 90", "waf_log_retention_days = 30")
    assert [env.name for env in load_environments(directory=directory)] == ["production", "staging"]


def test_production_is_never_weaker_than_any_non_production_environment(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", "flow_log_retention_days = 90", "flow_log_retention_days = 400")
    assert problems(directory) == [
        "production.network.flow_log_retention_days: weaker than non-production (got 365); allowed: at least what "
        "staging (non-production) has: 400; fix: a production environment must not be weaker than a non-production "
        "one: raise it here, or lower it in staging"]


def test_multi_az_is_required_in_production_even_when_staging_is_single_az(tmp_path, environments):
    assert environments["staging"].database.multi_az is False
    directory = env_dir(tmp_path)
    rewrite(directory, "production", "[database]", "[database]\nmulti_az = false")
    assert problems(directory) == [
        "production.database.multi_az: below the production minimum (got False); allowed: true, the production "
        "tier's minimum; fix: keep a synchronous standby in another AZ"]


def test_the_guards_hold_when_only_production_is_selected(tmp_path, capsys):
    directory = env_dir(tmp_path)
    rewrite(directory, "production", "[database]", "[database]\ndisposable = true")
    rewrite(directory, "production", 'key = "vtc/production/terraform.tfstate"', 'key = "vtc/staging/terraform.tfstate"')
    for name in ("staging", "production"):  # one bucket again (each account has its own by default)
        rewrite(directory, name, "[state]", '[state]\nbucket = "vtc-terraform-state"')
    status = main.main(["--only", "production", "--environments-dir", str(directory), "--outdir",
                        str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1
    assert "production.database.disposable: below the production minimum (got True)" in err
    assert "staging.state.key: shared state (got 'vtc/staging/terraform.tfstate')" in err
    assert "staging.state.bucket: one state bucket for two accounts (got 'vtc-terraform-state')" in err
    assert not (tmp_path / "out").exists()


def test_an_invalid_file_that_is_not_selected_still_fails_the_run(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", "max_size = 6", 'max_size = "6"')
    assert problems(directory, ["production"]) == [
        "staging.eks.node_groups.general.max_size: wrong type: a string (got '6'); allowed: a whole number; fix: "
        "write a whole number without quotes or a decimal point, e.g. max_size = 30"]


@pytest.mark.parametrize("old, new, expected", [
    ('tier = "production"\n', "",
     'production.tier: missing field (got None); allowed: \'production\' or \'non-production\'; fix: add tier = '
     '"production" or tier = "non-production" to production.toml; the guards follow the tier, whatever the file is '
     "called"),
    ('tier = "production"', 'tier = "prod"',
     "production.tier: unknown tier (got 'prod'); allowed: 'production' or 'non-production'; fix: say what the "
     "environment is for"),
    ('tier = "production"', "tier = true",
     "production.tier: wrong type: a boolean (got True); allowed: one of 'production', 'non-production'; fix: write "
     "one of the names in quotes, e.g. tier = 'production'"),
])
def test_every_environment_says_its_tier(tmp_path, old, new, expected):
    directory = env_dir(tmp_path)
    rewrite(directory, "production", old, new)
    assert problems(directory) == [expected]


def test_the_tier_is_not_inherited_from_the_base(tmp_path):
    directory = env_dir(tmp_path)
    (directory / "base.toml").write_text('tier = "non-production"\n' + (directory / "base.toml").read_text())
    rewrite(directory, "production", 'tier = "production"\n', "")
    found = problems(directory)
    assert found[0].startswith("base.tier: tier in the base (got 'non-production'); allowed: no tier in base.toml")
    assert found[1].startswith("production.tier: missing field (got None)")
    assert len(found) == 2


def test_the_repository_s_environments_declare_their_tiers(environments):
    assert {name: env.tier for name, env in environments.items()} == {
        "production": Tier.PRODUCTION, "staging": Tier.NON_PRODUCTION}


def test_production_workloads_are_never_weaker_than_staging_s(tmp_path):
    # Staging keeping more metrics, or a stricter objective, than production: production is the weaker one.
    directory = env_dir(tmp_path, staging="", production="")
    rewrite(directory, "staging", "[workloads]\n", "[workloads]\nprometheus_retention_days = 30\nslo_p99_latency_ms = 80\n")
    assert problems(directory) == [
        "production.workloads.prometheus_retention_days: weaker than non-production (got 15); allowed: at least what "
        "staging (non-production) has: 30; fix: a production environment must not be weaker than a non-production "
        "one: raise it here, or lower it in staging",
        "production.workloads.slo_p99_latency_ms: weaker than non-production (got 100); allowed: at least what "
        "staging (non-production) has: 80; fix: a production environment must not be weaker than a non-production "
        "one: raise it here, or lower it in staging"]


def _without_cache(directory, name):
    """``name``.toml without its ``[cache]`` table (the lines from its header to the next table)."""
    path = directory / f"{name}.toml"
    text = path.read_text()
    start = text.index("[cache]\n")
    end = text.find("\n[", start + 1) + 1 or len(text)
    path.write_text(text[:start] + text[end:])


def test_an_environment_without_a_cache_is_held_to_no_cache_row_and_compared_with_none(tmp_path):
    directory = env_dir(tmp_path)
    _without_cache(directory, "base")
    _without_cache(directory, "staging")
    # Production has its own [cache] (with base's gone, its engine version): held to the rows; staging has none.
    (directory / "production.toml").write_text((directory / "production.toml").read_text() + '\n[cache]\n'
                                               'engine_version = "8.1"\nlog_retention_days = 365\n')
    envs = {env.name: env for env in load_environments(directory=directory)}
    assert envs["staging"].cache is None and envs["staging"].platform.cache is None
    assert envs["production"].cache.log_retention_days == 365
    rewrite(directory, "production", "log_retention_days = 365\n", "log_retention_days = 180\n")
    assert problems(directory) == [
        "production.cache.log_retention_days: below the production minimum (got 180); allowed: at least 365 days, the "
        "production tier's minimum; fix: keep the cache's slow and engine logs at least a year"]
    # And with no cache anywhere, nothing about caches is asked.
    _without_cache(directory, "production")
    assert all(env.cache is None for env in load_environments(directory=directory))


def test_production_keeps_the_cache_logs_at_least_as_long_as_staging(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", "log_retention_days = 90\n\n[search]", "log_retention_days = 400\n\n[search]")
    assert problems(directory) == [
        "production.cache.log_retention_days: weaker than non-production (got 365); allowed: at least what staging "
        "(non-production) has: 400; fix: a production environment must not be weaker than a non-production one: "
        "raise it here, or lower it in staging"]


def test_a_production_search_domain_needs_dedicated_masters(tmp_path):
    directory = env_dir(tmp_path)
    # TOML has no null: an environment goes without dedicated masters by not naming a type.
    rewrite(directory, "production", 'dedicated_master_type = "m6g.large.search"\n', "")
    assert problems(directory) == [
        "production.search.dedicated_master_type: below the production minimum (got None); allowed: an instance type "
        "(three dedicated master nodes), the production tier's minimum; fix: give the domain dedicated masters (e.g. "
        "m6g.large.search), so a busy data node cannot stall the cluster"]


def test_production_may_take_the_tls13_only_listener_policy(tmp_path):
    from vtc_constructs.edge import TLS13_ONLY_POLICY, TLS13_POLICIES

    directory = env_dir(tmp_path)
    (directory / "production.toml").write_text((directory / "production.toml").read_text()
                                               + f'\n[edge]\ntls_policy = "{TLS13_ONLY_POLICY}"\n')
    envs = {env.name: env for env in load_environments(directory=directory)}
    assert envs["production"].edge.tls_policy == TLS13_ONLY_POLICY in TLS13_POLICIES
    assert envs["staging"].edge.tls_policy != TLS13_ONLY_POLICY  # the default keeps TLS 1.2 clients
    rewrite(directory, "production", TLS13_ONLY_POLICY, "ELBSecurityPolicy-2016-08")
    [problem] = problems(directory)
    assert problem.startswith("production.edge.tls_policy: ") and TLS13_ONLY_POLICY in problem
