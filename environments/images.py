"""The images an environment runs by digest, one reference a line: what the workloads deploy verifies the signatures
of before it applies (``cosign verify`` in .github/workflows/deploy-workloads.yml; the image-build workflow signed
them). An image that runs by tag (a non-production colour without digests) is not listed: the environment model
warns about it.

    python -m environments.images staging     # <repository>/<service>@sha256:... for each colour's digests
"""

from __future__ import annotations

import sys

from vtc_constructs.errors import ConfigError
from vtc_constructs.workloads import Colour

from .cli import parsed
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
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m environments.images", description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 printed (nothing when the environment runs no image by digest); 1 usage error or "
               "environment files with problems (each listed), nothing printed on standard output.")
    parser.add_argument("environment", help="the environment (environments/<environment>.toml)")
    args = parsed(parser, argv)
    if isinstance(args, int):
        return args
    try:
        images = pinned_images(args.environment)
    except ConfigError as error:
        print(f"images: {error}", file=sys.stderr)
        return 1
    for image in images:
        print(image)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
