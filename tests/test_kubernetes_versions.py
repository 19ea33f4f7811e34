"""The Kubernetes version policy (vtc_constructs/kubernetes_versions.py): the table's rules, each with a case that
must be refused or warned about and one that must pass, on fixed dates (never the day the tests run); and the same
rules where they act, in the environment files."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta

import pytest

from environments.model import ENVIRONMENTS_DIR, load_environments
from vtc_constructs.errors import ConfigError
from vtc_constructs.kubernetes_versions import (
    CALENDAR_CHECKED,
    EKS_KUBERNETES_VERSIONS,
    STANDARD_SUPPORT_WARNING_DAYS,
    kubernetes_version_findings,
    offered_versions,
)

DAY = date(2026, 12, 6)


def findings(version, today=DAY, *, production, extended=False):
    return kubernetes_version_findings(version, today=today, production=production, extended_support=extended)


def test_the_table_is_ordered_and_each_version_has_14_months_of_standard_and_12_of_extended_support():
    versions = list(EKS_KUBERNETES_VERSIONS.values())
    assert [v.version for v in versions] == sorted((v.version for v in versions), key=lambda v: int(v.split(".")[1]))
    for v in versions:
        assert v.eks_release < v.end_of_standard_support < v.end_of_extended_support
        assert 13 * 30 < (v.end_of_standard_support - v.eks_release).days < 15 * 31, v.version
        assert 364 <= (v.end_of_extended_support - v.end_of_standard_support).days <= 366, v.version
    # The dates the issue names, from AWS's calendar.
    assert EKS_KUBERNETES_VERSIONS["1.33"].end_of_standard_support == date(2026, 7, 29)
    assert EKS_KUBERNETES_VERSIONS["1.33"].end_of_extended_support == date(2027, 7, 29)
    assert EKS_KUBERNETES_VERSIONS["1.35"].end_of_standard_support == date(2027, 3, 27)
    assert EKS_KUBERNETES_VERSIONS["1.36"].eks_release == date(2026, 6, 2)


def test_past_standard_support_production_is_refused_naming_the_end_date_and_the_opt_in():
    problems, warnings = findings("1.33", production=True)
    assert warnings == []
    (problem,) = problems
    assert re.match(r"^eks\.kubernetes_version: Kubernetes version past the end of EKS standard support on "
                    r"2026-07-29 \(got '1\.33'\); allowed: a version in EKS standard support \(1\.35, 1\.36\), or this "
                    r"one with extended support chosen explicitly; fix: upgrade one minor version at a time", str(problem))
    assert 'eks.support_type = "EXTENDED"' in problem.fix and "until 2027-07-29" in problem.fix
    assert "six times the standard rate" in problem.fix


def test_past_standard_support_production_that_opted_in_is_warned_not_refused():
    problems, warnings = findings("1.33", production=True, extended=True)
    assert problems == []
    (warning,) = warnings
    assert re.match(r"^eks\.kubernetes_version: Kubernetes version past the end of EKS standard support on 2026-07-29 "
                    r"\(got '1\.33'\)", str(warning))
    assert "before 2027-07-29" in warning.fix and "six times the standard rate" in warning.fix


def test_past_standard_support_outside_production_is_warned_not_refused():
    problems, warnings = findings("1.33", production=False)
    assert problems == []
    (warning,) = warnings
    assert "past the end of EKS standard support on 2026-07-29" in warning.what
    assert "EKS upgrades the control plane itself" in warning.fix  # support_type STANDARD: said what will happen


@pytest.mark.parametrize("production", [True, False])
def test_within_90_days_of_the_end_of_standard_support_is_warned(production):
    end = EKS_KUBERNETES_VERSIONS["1.36"].end_of_standard_support
    problems, warnings = findings("1.36", end - timedelta(days=STANDARD_SUPPORT_WARNING_DAYS), production=production)
    assert problems == []
    (warning,) = warnings
    assert str(warning).startswith("eks.kubernetes_version: EKS standard support for 1.36 ends on 2027-08-02, in 90 "
                                   "days (got '1.36')")
    # One day earlier: nothing to say yet.
    assert findings("1.36", end - timedelta(days=STANDARD_SUPPORT_WARNING_DAYS + 1), production=production) == ([], [])
    # The last day of standard support is still a warning; the next day production is refused.
    assert findings("1.36", end - timedelta(days=1), production=True)[0] == []
    assert findings("1.36", end, production=True)[0] != []


def test_a_version_in_standard_support_far_from_its_end_passes_everywhere():
    for production in (True, False):
        assert findings("1.36", production=production) == ([], [])
        assert findings("1.35", production=production) == ([], [])


@pytest.mark.parametrize("version, what", [
    ("1.31", "Kubernetes version past EKS extended support"),   # extended support ended 2026-11-26
    ("1.28", "unsupported Kubernetes version"),
    ("1.40", "unsupported Kubernetes version"),
    (1.36, "unsupported Kubernetes version"),
])
def test_a_version_eks_no_longer_or_never_offered_is_refused_everywhere(version, what):
    for production, extended in ((True, True), (False, False)):
        problems, warnings = findings(version, production=production, extended=extended)
        assert [p.what for p in problems] == [what] and warnings == []
        assert problems[0].allowed == "1.32, 1.33, 1.34, 1.35, 1.36" == ", ".join(offered_versions(DAY))


def test_the_table_was_checked_recently_enough_to_know_a_version_in_standard_support():
    assert CALENDAR_CHECKED <= date.today()
    assert any(CALENDAR_CHECKED < v.end_of_standard_support for v in EKS_KUBERNETES_VERSIONS.values())


# --- where the rules act: the environment files -----------------------------------------------------------------

@pytest.fixture()
def environments_copy(tmp_path):
    for path in ENVIRONMENTS_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _set_eks(folder, env, lines):
    """``lines`` into the environment's ``[eks]`` table; on 1.33, with kube-proxy's 1.33 build (its minor is the
    cluster's)."""
    if '"1.33"' in lines:
        lines += '\naddon_versions = { kube-proxy = "v1.33.0-eksbuild.2" }'
    path = folder / f"{env}.toml"
    path.write_text(path.read_text().replace("[eks]\n", "[eks]\n" + lines + "\n", 1))


def test_both_environments_are_in_standard_support_on_the_day_the_table_was_checked():
    for env in load_environments(today=CALENDAR_CHECKED):
        assert env.eks.kubernetes_version in ("1.35", "1.36")
        assert [w for w in env.warnings if w.path.endswith(".eks.kubernetes_version")] == []


def test_production_on_1_33_is_refused_with_the_end_date_and_the_opt_in_and_staging_is_warned(environments_copy):
    _set_eks(environments_copy, "production", 'kubernetes_version = "1.33"')
    _set_eks(environments_copy, "staging", 'kubernetes_version = "1.33"')
    with pytest.raises(ConfigError) as raised:
        load_environments(directory=environments_copy, today=DAY)
    paths = [p.path for p in raised.value.problems]
    assert "production.eks.kubernetes_version" in paths and "staging.eks.kubernetes_version" not in paths
    message = str(raised.value)
    assert "production.eks.kubernetes_version: Kubernetes version past the end of EKS standard support on " \
           "2026-07-29 (got '1.33')" in message and 'eks.support_type = "EXTENDED"' in message


def test_production_on_1_33_that_opts_into_extended_support_loads_with_a_warning(environments_copy):
    _set_eks(environments_copy, "production", 'kubernetes_version = "1.33"\nsupport_type = "EXTENDED"')
    _set_eks(environments_copy, "staging", 'kubernetes_version = "1.33"')
    envs = {e.name: e for e in load_environments(directory=environments_copy, today=DAY)}
    for name in ("production", "staging"):
        # (staging's other warnings: its images by tag, tests/test_image_digests.py)
        (warning,) = [w for w in envs[name].warnings if not w.path.startswith(f"{name}.workloads.image_digests")]
        assert warning.path == f"{name}.eks.kubernetes_version"
        assert "past the end of EKS standard support on 2026-07-29" in warning.what


def test_extended_support_ends_at_the_start_of_its_end_date():
    end = EKS_KUBERNETES_VERSIONS["1.32"].end_of_extended_support
    assert findings("1.32", end - timedelta(days=1), production=False)[0] == []
    assert [p.what for p in findings("1.32", end, production=False)[0]] == \
        ["Kubernetes version past EKS extended support"]
