"""The services' images: each colour's tag (:class:`ImageTags`) and, per service, digest (:class:`ImageDigests`), and
the checks of the registry they come from (:func:`image_registry_problems`: an ECR of the environment's account and
region). Re-exported by ``vtc_constructs.workloads``, where they were until issue 27.

Usage::

    from vtc_constructs import ImageDigests, ImageTags

    ImageTags(blue="1.4.2", green="1.5.0")
    ImageDigests(green={"core": "sha256:" + "0" * 64})
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Mapping

from .colour_names import Colour
from .errors import Problem, classified, is_reference, unresolved_problem
from .service_props import SERVICES


_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")  # a Docker tag that is also a label value
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


_TAG_FIX = "write the tag itself: it is checked at synth to be a fixed release tag, never 'latest' (a rollback must " \
    "get exactly the images it had)"
_TAG_SYNTH_TIME = {"blue": ("a literal release tag, e.g. '1.4.2'", _TAG_FIX),
                   "green": ("a literal release tag, e.g. '1.5.0'", _TAG_FIX)}


@dataclass(frozen=True, kw_only=True)
class ImageTags:
    """The release tag each colour runs, the same for the four services (``<repository>/<service>:<tag>``).

    :param blue: the blue release's tag. Required.
    :param green: the green release's tag. Required.

    A tag is 1-63 of ``A-Za-z0-9_.-``, starting and ending with a letter or digit (it is also the
    ``app.kubernetes.io/version`` label), and never ``latest``: a rollback must get exactly the images it had.
    """

    blue: str
    green: str

    def of(self, colour: Colour | str) -> str:
        return getattr(self, Colour(colour).value)

    def validate(self) -> list[Problem]:
        """Every problem. A Terraform reference is refused (``_TAG_SYNTH_TIME``): a tag is checked at synth never to be
        ``latest`` (nothing checks it later: the chart's schema cannot tell a mutable tag)."""
        return classified(self, self._problems(), _TAG_SYNTH_TIME)

    def _problems(self) -> list[Problem]:
        problems = []
        for colour in Colour:
            value = getattr(self, colour.value)
            if not isinstance(value, str) or not _TAG.match(value):
                problems.append(Problem(colour.value, value, "1-63 of A-Z a-z 0-9 _ . -, starting and ending with a "
                                        "letter or digit", "use the release's version, e.g. '1.4.2'"))
            elif value.lower() == "latest":
                problems.append(Problem(colour.value, value, "a fixed release tag, never 'latest'",
                                        "use the release's version, e.g. '1.4.2'", "mutable tag"))
        return problems


@dataclass(frozen=True, kw_only=True)
class ImageDigests:
    """The digest of each service's image, per colour: each service then runs exactly that build,
    ``<repository>/<service>:<tag>@sha256:...`` (the tag stays for people and for the ``version`` label).

    In an environment file, ``[workloads.image_digests.<colour>]`` with a line per service; the image-build workflow's
    pull request sets the idle colour's tag and digests together (``scripts/set_image.py``).

    :param blue: default: none: blue's images run by tag. ``{service: "sha256:<64 hex>"}``.
    :param green: default: none: green's images run by tag.

    A production-tier environment must give every service of both colours a digest (environments/tiers.py:
    :func:`~environments.tiers.image_digest_findings`); elsewhere a colour without them runs by tag, with a warning.
    """

    blue: Mapping[str, str] = field(default_factory=dict)
    green: Mapping[str, str] = field(default_factory=dict)

    def of(self, colour: Colour | str) -> Mapping[str, str]:
        return getattr(self, Colour(colour).value)

    def missing(self) -> dict[str, tuple[str, ...]]:
        """``{colour: services without a digest}`` for each colour that lacks any (nothing when every service of both
        colours has one)."""
        found = {}
        for colour in Colour:
            digests = self.of(colour)
            absent = tuple(s for s in SERVICES if not isinstance(digests, Mapping) or s not in digests)
            if absent:
                found[colour.value] = absent
        return found

    def validate(self) -> list[Problem]:
        problems = []
        for colour in Colour:
            problems += [dataclasses.replace(p, path=f"{colour.value}{p.path.removeprefix('image_digests')}")
                         for p in _digest_problems(self.of(colour))]
        return problems


_ECR_HOST = re.compile(r"^(?P<account>[0-9]{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z]{2}(-gov)?-[a-z]+-[0-9])"
                       r"\.amazonaws\.com(\.cn)?$")


def image_registry(repository: str) -> tuple[str | None, str | None]:
    """``(account, region)`` of an ECR repository path (``<account>.dkr.ecr.<region>.amazonaws.com/...``), or
    ``(None, None)`` for another registry."""
    match = _ECR_HOST.match(repository.split("/", 1)[0])
    return (match["account"], match["region"]) if match else (None, None)


def image_registry_problems(repository: str, path: str = "image_repository", *, account_id: str | None = None,
                            region: str | None = None) -> list[Problem]:
    """The registry host: a host name with a dot (or a port), and an ECR host of the full ECR shape; with
    ``account_id``/``region`` (the environment's), an ECR registry of that account and region (the nodes may pull
    from their own account's registry only; another region's pulls cross regions on every pod start)."""
    host = repository.split("/", 1)[0]
    if "/" not in repository or not ("." in host or ":" in host or host == "localhost"):
        return [Problem(path, repository, "host/path, the host a registry's name (with a dot, or a port)",
                        "e.g. '111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc'", "no registry host")]
    if ".dkr.ecr" in host and not _ECR_HOST.match(host):
        return [Problem(path, repository, "an ECR host <12-digit account>.dkr.ecr.<region>.amazonaws.com",
                        "copy the repository URI from ECR", "malformed ECR host")]
    ecr_account, ecr_region = image_registry(repository)
    problems = []
    if ecr_account and account_id and ecr_account != account_id:
        problems.append(Problem(path, repository, f"a registry of the environment's account {account_id}",
                                "push the images to this account's ECR (the nodes' role may pull from it only)",
                                "registry in another account"))
    if ecr_region and region and ecr_region != region:
        problems.append(Problem(path, repository, f"a registry in the environment's region {region}",
                                "replicate the repository to this region (ECR replication)",
                                "registry in another region"))
    return problems


def _digest_problems(image_digests: object) -> list[Problem]:
    problems = []
    if image_digests is not None:
        if not isinstance(image_digests, Mapping):
            problems.append(Problem("image_digests", image_digests, "a table of service names to sha256 digests",
                                    "pass {'business': 'sha256:...', ...}", "not a table"))
        else:
            for name, digest in image_digests.items():
                if is_reference(name):
                    problems.append(unresolved_problem("image_digests", name, ", ".join(SERVICES) + ", written out",
                                                       "name the service itself: each service's image is pinned at "
                                                       "synth"))
                elif name not in SERVICES:
                    problems.append(Problem(f"image_digests.{name}", digest, ", ".join(SERVICES),
                                            "name one of the four services", "unknown service"))
                elif is_reference(digest):
                    # As the tags (ImageTags): a data source's digest is read again at every plan, so neither the
                    # review nor the diff report sees which build runs, nor does a rollback get it back.
                    problems.append(unresolved_problem(f"image_digests.{name}", digest, "sha256: and 64 lower-case "
                                                       "hex digits, written out", "write the digest itself (the "
                                                       "image-build workflow's pull request sets it): a reference "
                                                       "is read again at every plan, so no review sees which build "
                                                       "runs"))
                elif not isinstance(digest, str) or not _DIGEST.match(digest):
                    problems.append(Problem(f"image_digests.{name}", digest, "sha256: and 64 lower-case hex digits",
                                            "copy the digest the registry reports for the pushed image"))
    return problems
