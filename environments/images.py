"""The images an environment runs by digest, one reference a line: what the workloads deploy verifies the signatures
of before it applies (``cosign verify`` in .github/workflows/deploy-workloads.yml; the image-build workflow signed
them). An image that runs by tag (a non-production colour without digests) is not listed: the environment model
warns about it.

    python -m environments.images staging     # <repository>/<service>@sha256:... for each colour's digests
"""

from __future__ import annotations

import sys

from vtc_constructs.workloads import Colour

from .model import load_environments


def pinned_images(environment: str) -> list[str]:
    """``<repository>/<service>@sha256:<digest>`` for every digest of both colours, each image once, sorted."""
    [env] = load_environments([environment])
    workloads = env.workloads
    digests = workloads.image_digests
    if digests is None:
        return []
    return sorted({f"{workloads.image_repository}/{service}@{digest}"
                   for colour in Colour for service, digest in digests.of(colour).items()})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m environments.images ENVIRONMENT", file=sys.stderr)
        return 2
    for image in pinned_images(argv[0]):
        print(image)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
