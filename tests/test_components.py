"""Upstream status of every chart, image and vendored CRD set the project pins (vtc_constructs/components.py), for
issue 23's "No retired component is pinned anywhere".

The real table against the real pins (the release constants, the local charts' sources, the synthesized workloads
stacks), then each rule of the checks fed a crafted table or pin that it must refuse and one it must accept, on
fixed dates (never the day the tests run).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from tests.conftest import ENVIRONMENT_NAMES
from tooling.paths import REPO
from vtc_constructs import releases
from vtc_constructs.components import (
    CLUSTER_AUTOSCALER_IMAGE_REPOSITORY,
    COMPONENTS,
    MAX_STATUS_AGE_DAYS,
    RETIRED,
    Component,
    Kind,
    Pinned,
    RetiredComponent,
    Status,
    chart_sources,
    components_markdown,
    is_vendoring_chart,
    pinned_components,
    released_charts,
    retired_in_stack,
    retired_problems,
    status_problems,
    unsupported_version_problems,
    vendored_folder_problems,
    vendored_upstreams,
)

CHARTS = REPO / "charts"
DOC = REPO / "docs" / "components.md"
DAY = date(2026, 12, 6)


def rows_of(kind: Kind, name: str, version: str) -> list[Component]:
    return [c for c in COMPONENTS if (c.kind, c.name, c.version) == (kind, name, version)]


def lines(problems) -> str:
    return "\n".join(f"  - {p}" for p in problems)


# --- the real table against the real pins ---------------------------------------------------------------------------

@pytest.mark.parametrize("chart", sorted(releases.DEFAULT_CHART_VERSIONS))
def test_every_default_chart_has_exactly_one_row_with_its_version_and_repository(chart):
    repository, name = releases.CHART_REPOSITORIES[chart]
    version = releases.DEFAULT_CHART_VERSIONS[chart]
    rows = rows_of(Kind.CHART, name, version)
    assert len(rows) == 1, f"chart {name} {version}: {len(rows)} rows in COMPONENTS (want exactly one)"
    assert rows[0].repository == repository


@pytest.mark.parametrize("where, image, tag", [
    ("ADOT_COLLECTOR_IMAGE", *releases.ADOT_COLLECTOR_IMAGE),
    *((f"CLUSTER_AUTOSCALER_IMAGES[{minor}]", CLUSTER_AUTOSCALER_IMAGE_REPOSITORY, tag)
      for minor, tag in sorted(releases.CLUSTER_AUTOSCALER_IMAGES.items())),
])
def test_every_pinned_image_has_exactly_one_row_with_its_tag(where, image, tag):
    rows = rows_of(Kind.IMAGE, image, tag)
    assert len(rows) == 1, f"{where} = {image}:{tag}: {len(rows)} rows in COMPONENTS (want exactly one)"


def test_every_local_chart_that_vendors_upstream_files_names_each_source_and_has_its_rows():
    problems = vendored_folder_problems(CHARTS)
    assert not problems, lines(problems)
    pins = vendored_upstreams(CHARTS)
    for folder in (d for d in sorted(CHARTS.iterdir()) if d.is_dir() and is_vendoring_chart(d)):
        own = [p for p in pins if p.where == f"charts/{folder.name}/Chart.yaml"]
        assert own, f"charts/{folder.name} vendors upstream files but names no tree/<tag> source"
        for pin in own:
            assert len(rows_of(Kind.CRDS, pin.name, pin.version)) == 1, f"{pin.where}: {pin.name} {pin.version}"


def test_the_table_passes_every_status_rule_against_everything_pinned():
    """Held to the calendar: 180 days after a row was checked, this fails until someone reads its upstream again (as
    the Kubernetes version policy holds the environments to today's date)."""
    problems = status_problems(pinned_components(), as_of=date.today())
    assert not problems, lines(problems)


def test_no_retired_component_is_pinned():
    problems = retired_problems(pinned_components())
    assert not problems, lines(problems)


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_no_retired_component_is_in_the_synthesized_workloads_stack(env, workloads_stacks):
    problems = retired_in_stack(f"{env}-workloads", workloads_stacks[env])
    assert not problems, lines(problems)


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_every_chart_the_workloads_stack_releases_has_a_current_status_row(env, workloads_stacks):
    """Catches what the constants do not: an environment's ``addon_chart_versions`` override, a release added
    outside DEFAULT_CHART_VERSIONS."""
    pins = released_charts(f"{env}-workloads", workloads_stacks[env])
    assert pins, "no chart release found in the stack"
    problems = status_problems(pins, complete=False)
    assert not problems, lines(problems)


def test_docs_table_is_the_one_the_table_generates():
    assert components_markdown() in DOC.read_text(), (
        "docs/components.md is not the current table: regenerate it with python -m vtc_constructs.components")


# --- crafted tables: each rule refuses one and accepts one ----------------------------------------------------------

ROW = Component(name="demo", kind=Kind.CHART, version="1.2.3", repository="https://example.org/charts",
                status=Status.ACTIVE, source="example/demo@abc1234 (HEAD, 2026-11-01)", newest_release="1.2.3",
                newest_release_date=date(2026, 11, 1), checked=DAY, note="crafted")
PIN = Pinned(Kind.CHART, "demo", "1.2.3", "https://example.org/charts", "crafted.pin")


def check(rows=(ROW,), pins=(PIN,), retired=(), **kwargs):
    return status_problems(pins, rows, retired, **kwargs)


def whats(problems) -> list[str]:
    return [p.what for p in problems]


def test_a_consistent_crafted_table_has_no_problem():
    assert check() == []


@pytest.mark.parametrize("status", [Status.RETIRED, Status.END_OF_LIFE])
def test_a_retired_or_end_of_life_row_is_refused(status):
    row = dataclasses.replace(ROW, status=status, status_since=date(2026, 3, 24), successor="something else")
    problems = check((row,))
    assert whats(problems) == ["retired upstream"]
    assert problems[0].path == "components[chart:demo@1.2.3].status"
    assert "replace it with something else" in str(problems[0])


def test_a_deprecated_row_needs_its_date_and_successor_and_is_accepted_with_both():
    bare = dataclasses.replace(ROW, status=Status.DEPRECATED)
    assert whats(check((bare,))) == ["status without a date", "deprecated without a successor"]
    full = dataclasses.replace(bare, status_since=date(2026, 10, 1), successor="demo v2")
    assert check((full,)) == []


def test_an_unknown_status_is_refused():
    assert whats(check((dataclasses.replace(ROW, status="maintained"),))) == ["unknown status"]


@pytest.mark.parametrize("source", ["", "  ", "read somewhere", "github"])
def test_a_row_without_a_url_or_owner_repo_at_ref_source_is_refused(source):
    assert whats(check((dataclasses.replace(ROW, source=source),))) == ["no source"]


@pytest.mark.parametrize("source", ["https://example.org/release-notes", "owner/repo@v1.2.3 (2026-11-01)"])
def test_a_url_or_an_owner_repo_at_ref_source_is_accepted(source):
    assert check((dataclasses.replace(ROW, source=source),)) == []


def test_a_row_checked_more_than_180_days_before_the_newest_check_is_refused_and_180_is_accepted():
    other = dataclasses.replace(ROW, name="other", repository="")
    pins = (PIN, Pinned(Kind.CHART, "other", "1.2.3", "", "crafted.other"))
    at_limit = dataclasses.replace(other, checked=DAY - timedelta(days=MAX_STATUS_AGE_DAYS),
                                   newest_release_date=DAY - timedelta(days=MAX_STATUS_AGE_DAYS))
    assert check((ROW, at_limit), pins) == []
    stale = dataclasses.replace(at_limit, checked=at_limit.checked - timedelta(days=1),
                                newest_release_date=at_limit.checked - timedelta(days=1))
    problems = check((ROW, stale), pins)
    assert whats(problems) == ["status too old"] and problems[0].path == "components[chart:other@1.2.3].checked"


def test_as_of_holds_the_table_to_a_given_day():
    assert check(as_of=DAY + timedelta(days=MAX_STATUS_AGE_DAYS)) == []
    assert whats(check(as_of=DAY + timedelta(days=MAX_STATUS_AGE_DAYS + 1))) == ["status too old"]
    assert whats(check(as_of=DAY - timedelta(days=1))) == ["checked in the future"]


def test_a_release_seen_after_the_check_is_refused():
    row = dataclasses.replace(ROW, newest_release_date=DAY + timedelta(days=1))
    assert whats(check((row,))) == ["release seen after the check"]


def test_a_pin_without_a_row_is_refused_and_the_row_of_another_version_says_which():
    assert whats(check((), (PIN,))) == ["no upstream status"]
    newer = dataclasses.replace(PIN, version="1.3.0")
    problems = check((ROW,), (newer,))
    assert whats(problems) == ["pinned version has no status row", "row for nothing pinned"]
    assert problems[0].path == "crafted.pin" and "1.2.3" in problems[0].allowed


def test_a_row_for_nothing_pinned_is_refused_unless_the_pins_are_a_partial_set():
    extra = dataclasses.replace(ROW, name="unpinned")
    assert whats(check((ROW, extra))) == ["row for nothing pinned"]
    assert check((ROW, extra), complete=False) == []


def test_two_rows_for_one_pin_are_refused():
    assert whats(check((ROW, dataclasses.replace(ROW, note="again")))) == ["duplicate status rows"]


def test_a_chart_row_of_another_repository_is_refused():
    moved = dataclasses.replace(PIN, repository="oci://registry.example.org/charts")
    problems = check((ROW,), (moved,))
    assert whats(problems) == ["repository differs"] and problems[0].got == ROW.repository


INGRESS_NGINX = next(r for r in RETIRED if r.name == "kubernetes/ingress-nginx")
JAEGER_V1 = next(r for r in RETIRED if r.name == "Jaeger v1")
FLUENT_BIT_V2 = next(r for r in RETIRED if r.name == "AWS for Fluent Bit v2")


def test_the_retired_table_holds_what_the_issue_names_with_its_dates():
    assert (INGRESS_NGINX.status, INGRESS_NGINX.since) == (Status.RETIRED, date(2026, 3, 24))
    assert (JAEGER_V1.status, JAEGER_V1.since) == (Status.END_OF_LIFE, date(2025, 12, 31))
    assert status_problems((), (), RETIRED) == []  # each entry has its date, source and a way to recognise it


@pytest.mark.parametrize("pin", [
    Pinned(Kind.CHART, "ingress-nginx", "4.15.1", "https://kubernetes.github.io/ingress-nginx", "pin"),
    Pinned(Kind.CHART, "ingress-nginx", "99.0.0", "oci://mirror.example.org/charts", "pin"),  # every version, anywhere
    Pinned(Kind.CHART, "controller", "1.0.0", "https://kubernetes.github.io/ingress-nginx", "pin"),  # by repository
    Pinned(Kind.IMAGE, "registry.k8s.io/ingress-nginx/controller", "v1.15.1", "", "pin"),
    Pinned(Kind.IMAGE, "jaegertracing/all-in-one", "1.76.0", "", "pin"),
    Pinned(Kind.CHART, "jaeger", "3.4.1", "https://jaegertracing.github.io/helm-charts", "pin"),
    Pinned(Kind.CHART, "aws-for-fluent-bit", "0.1.35", "https://aws.github.io/eks-charts", "pin"),
], ids=lambda p: f"{p.kind.value}-{p.name}-{p.version}")
def test_a_pin_of_a_retired_component_is_refused_even_with_an_active_row(pin):
    row = dataclasses.replace(ROW, name=pin.name, kind=pin.kind, version=pin.version, repository=pin.repository)
    problems = status_problems((pin,), (row,), RETIRED)
    assert whats(problems) == ["retired component pinned"] and problems[0].path == "pin"


@pytest.mark.parametrize("pin", [
    Pinned(Kind.CHART, "jaeger", "4.0.0", "https://jaegertracing.github.io/helm-charts", "pin"),  # Jaeger v2
    Pinned(Kind.IMAGE, "jaegertracing/jaeger", "2.20.0", "", "pin"),
    Pinned(Kind.CHART, "aws-for-fluent-bit", "0.2.0", "https://aws.github.io/eks-charts", "pin"),
    Pinned(Kind.CHART, "nginx-ingress", "2.0.0", "https://helm.nginx.com/stable", "pin"),  # F5's, not the retired one
], ids=lambda p: f"{p.kind.value}-{p.name}-{p.version}")
def test_a_successor_of_a_retired_component_is_accepted(pin):
    assert retired_problems((pin,), RETIRED) == []


def test_a_retired_table_entry_needs_a_retired_status_a_date_a_source_and_a_way_to_recognise_it():
    bad = RetiredComponent(name="x", status=Status.DEPRECATED, since=None, source="", successor="y")
    assert whats(status_problems((), (), (bad,))) == ["not retired", "no date", "no source", "unrecognisable"]


def release(chart, version, repository, **values):
    return {"chart": chart, "version": version, "repository": repository, "values": [str(values)]}


def test_a_synthesized_stack_releasing_a_retired_chart_is_refused_once_per_component():
    stack = {"resource": {"helm_release": {
        "releases_ingress-nginx-blue_1": release("ingress-nginx", "4.15.1",
                                                 "https://kubernetes.github.io/ingress-nginx",
                                                 image="registry.k8s.io/ingress-nginx/controller"),
        "releases_metrics-server_2": release("metrics-server", "3.13.1",
                                             "https://kubernetes-sigs.github.io/metrics-server"),
        "releases_vtc-blue_3": {"chart": "./assets/vtc-blue"},
    }}}
    problems = retired_in_stack("staging-workloads", stack)
    assert whats(problems) == ["retired component released"]
    assert problems[0].path == "staging-workloads.resource.helm_release.releases_ingress-nginx-blue_1"


def test_a_retired_image_anywhere_in_a_synthesized_stack_is_refused():
    stack = {"resource": {"helm_release": {"releases_tracing_1": release(
        "opentelemetry-collector", "0.170.0", "https://open-telemetry.github.io/opentelemetry-helm-charts",
        image={"repository": "jaegertracing/jaeger-collector", "tag": "1.76.0"})}}}
    problems = retired_in_stack("production-workloads", stack)
    assert whats(problems) == ["retired component in the synthesized stack"]
    assert problems[0].got == ["jaegertracing/jaeger-collector"]


def test_a_stack_that_only_names_jaeger_in_passing_is_accepted():
    """The collector chart's values turn its Jaeger receivers off ("jaeger": null): no retired component."""
    stack = {"resource": {"helm_release": {"releases_otel_1": release(
        "opentelemetry-collector", "0.170.0", "https://open-telemetry.github.io/opentelemetry-helm-charts",
        ports={"jaeger-grpc": {"enabled": False}}, receivers={"jaeger": None})}}}
    assert retired_in_stack("staging-workloads", stack) == []


def test_unsupported_versions_are_reported_from_the_day_support_ended():
    ended = dataclasses.replace(ROW, version_unsupported_since=date(2026, 8, 31), newest_release="1.3.0")
    assert unsupported_version_problems((ended,), as_of=date(2026, 8, 30)) == []
    [problem] = unsupported_version_problems((ended,), as_of=date(2026, 8, 31))
    assert problem.what == "pinned version out of upstream support" and "upgrade to 1.3.0" in problem.fix
    assert unsupported_version_problems((ROW,), as_of=DAY) == []


# --- reading the local charts ---------------------------------------------------------------------------------------

CHART_YAML = """\
apiVersion: v2
name: demo-crds
sources:
  # the upstream files, at their tags
  - https://github.com/kubernetes-sigs/gateway-api/tree/v1.5.1/config/crd/standard
  - "https://github.com/nginx/nginx-gateway-fabric/tree/v2.6.7/config/crd/bases"
  - https://example.org/not-github
maintainers:
  - name: someone
"""


def test_chart_sources_reads_the_sources_list_only():
    assert chart_sources(CHART_YAML) == [
        "https://github.com/kubernetes-sigs/gateway-api/tree/v1.5.1/config/crd/standard",
        "https://github.com/nginx/nginx-gateway-fabric/tree/v2.6.7/config/crd/bases",
        "https://example.org/not-github"]


def test_a_vendoring_chart_gives_one_crds_pin_per_tagged_github_source(tmp_path):
    (tmp_path / "demo-crds" / "upstream").mkdir(parents=True)
    (tmp_path / "demo-crds" / "Chart.yaml").write_text(CHART_YAML)
    assert [(p.kind, p.name, p.version) for p in vendored_upstreams(tmp_path)] == [
        (Kind.CRDS, "kubernetes-sigs/gateway-api", "v1.5.1"), (Kind.CRDS, "nginx/nginx-gateway-fabric", "v2.6.7")]
    assert vendored_folder_problems(tmp_path) == []


@pytest.mark.parametrize("layout", ["upstream", "crds", "name"])
def test_a_vendoring_chart_without_a_tagged_source_is_refused(tmp_path, layout):
    folder = tmp_path / ("demo-crds" if layout == "name" else "demo")
    (folder / (layout if layout != "name" else "templates")).mkdir(parents=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nsources:\n  - https://github.com/org/repo\n")
    problems = vendored_folder_problems(tmp_path)
    assert whats(problems) == ["vendored upstream without a source"]
    assert problems[0].path == f"charts/{folder.name}/Chart.yaml.sources"


def test_a_chart_of_our_own_is_not_a_vendoring_chart(tmp_path):
    (tmp_path / "demo" / "templates").mkdir(parents=True)
    (tmp_path / "demo" / "Chart.yaml").write_text("apiVersion: v2\nname: demo\n")
    assert vendored_folder_problems(tmp_path) == [] and vendored_upstreams(tmp_path) == []


def test_the_command_prints_the_table_and_its_help_is_a_help(capsys):
    from vtc_constructs.components import components_markdown, main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m vtc_constructs.components") and "| --- |" not in out
    assert "docs/components.md" in out and "Exit status: 0 printed; 1 usage error." in " ".join(out.split())
    assert main([]) == 0 and capsys.readouterr().out == components_markdown()
    assert main(["--table"]) == 1 and capsys.readouterr().out == ""
