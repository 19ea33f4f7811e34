"""The pgvector bootstrap function's third-party code, from wheels shipped inside this package.

The function (``vtc_constructs/pgvector_bootstrap/handler.py``) needs pg8000 and what pg8000 imports: scramp,
asn1crypto, and python-dateutil, whose 2.x parser imports six. Taking them from the consumer's environment made the
bundle depend on what else is installed there: ``python-dateutil`` is also a dependency of jsii, and a resolver
today picks 4.0.0, which no longer depends on six (synth failed with ``PackageNotFoundError: six``) and whose files
differ (with six added by hand, the zip and so its hash, the Lambda's code and the stack changed). The function's
code must not depend on the machine that synthesizes it, so its dependencies are the exact wheels below, checked
against their sha256, read from ``wheels/`` and never from ``site-packages``. Nothing here is imported at run time
of the synth; pg8000 is not a dependency of this package.

To change a version: replace the wheel, update its row (``sha256sum``), and review the snapshot diff (the
function's code hash changes).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from importlib import resources
from typing import NamedTuple


class Wheel(NamedTuple):
    module: str  #: the top-level module or package the function imports
    file: str  #: the wheel in wheels/
    sha256: str  #: of the wheel file, as the package index publishes it


#: pg8000 1.31.6 and the versions its requirements resolved to when the function was last tested against a real
#: PostgreSQL with pgvector (tests/test_bootstrap.py).
WHEELS = (
    Wheel("pg8000", "pg8000-1.31.6-py3-none-any.whl",
          "1ffe27af94fa5b37ce6885b98d591dc75562ff076859bf50ca7729af59345a80"),
    Wheel("scramp", "scramp-1.5.0-py3-none-any.whl",
          "8280608f568e81da9e9c9d69cac1331b836622d9b48bf5c5e400e16129c6d1fa"),
    Wheel("asn1crypto", "asn1crypto-1.5.1-py2.py3-none-any.whl",
          "db4e40728b728508912cbb3d44f19ce188f218e9eba635821bb4b68564f8fd67"),
    Wheel("dateutil", "python_dateutil-2.9.0.post0-py2.py3-none-any.whl",
          "a8b2bc7bffae282281c8140a97d3aa9c14da0b136dfe83f850eea9a5f7470427"),
    Wheel("six", "six-1.17.0-py2.py3-none-any.whl",
          "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"),
)
#: Files of a package that the function needs (sources and data; not the zoneinfo tarball, not bytecode).
SUFFIXES = (".py", ".typed", ".txt", ".tar", ".json")


class BundleError(RuntimeError):
    """A shipped wheel is missing or not the file its row names."""


def dependency_files() -> dict[str, bytes]:
    """Archive name -> bytes of every dependency file the function carries, including each distribution's
    ``METADATA`` (pg8000 and scramp read their own version with ``importlib.metadata`` when imported)."""
    entries: dict[str, bytes] = {}
    for wheel in WHEELS:
        data = wheel_bytes(wheel)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            (metadata,) = [name for name in names if name.count("/") == 1 and name.endswith(".dist-info/METADATA")]
            entries[metadata] = archive.read(metadata)
            if f"{wheel.module}/__init__.py" in names:
                for name in names:
                    if name.startswith(f"{wheel.module}/") and name.endswith(SUFFIXES):
                        entries[name] = archive.read(name)
            else:
                entries[f"{wheel.module}.py"] = archive.read(f"{wheel.module}.py")
    return entries


def wheel_bytes(wheel: Wheel) -> bytes:
    path = resources.files(__name__).joinpath("wheels", wheel.file)
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise BundleError(f"{wheel.file} is missing from vtc_constructs/_lambda_bundle/wheels "
                          "(a broken installation of vtc-infra: reinstall it)") from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != wheel.sha256:
        raise BundleError(f"{wheel.file}: sha256 {digest}, expected {wheel.sha256} (reinstall vtc-infra)")
    return data
