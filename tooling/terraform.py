"""Real Terraform, offline: ``init`` from the machine's provider mirror, then ``validate``, ``apply``, ``destroy``.

The machine image carries a filesystem mirror of hashicorp/aws 5.100.0 (the folder holding
``registry.terraform.io/``). ``VTC_TF_PLUGIN_DIR`` names it; otherwise the usual places are searched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from .paths import tool_env

PROVIDER_GLOB = "registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0*"
_SEARCHED = ("/opt/tf-plugins", "/usr/share/terraform/plugins", "/usr/local/share/terraform/plugins",
             "~/.terraform.d/plugins")


class TerraformError(RuntimeError):
    """A Terraform command failed; the message carries the command and the end of its output, ``output`` all of it
    (stdout, then stderr)."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


def plugin_dir() -> Path:
    """The provider mirror's root, or a clear error saying how to point at one."""
    candidates = [os.environ["VTC_TF_PLUGIN_DIR"]] if os.environ.get("VTC_TF_PLUGIN_DIR") else list(_SEARCHED)
    for candidate in candidates:
        root = Path(candidate).expanduser()
        if any(root.glob(PROVIDER_GLOB)):
            return root
    raise TerraformError(f"no Terraform provider mirror holding hashicorp/aws 5.100.0 in {candidates}; set "
                         "VTC_TF_PLUGIN_DIR to the folder that contains registry.terraform.io/")


def terraform_binary() -> str:
    found = shutil.which("terraform")
    if not found:
        raise TerraformError("terraform is not on PATH (these machines carry 1.11.4 in /usr/local/bin)")
    return found


def run(args: list[str], cwd: Path, timeout: float = 900, *, env: dict[str, str] | None = None,
        ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    """Run ``terraform <args>`` in ``cwd``; raise :class:`TerraformError` with its output when its exit status is not
    in ``ok``. ``env``: extra environment variables (e.g. an emulator's endpoint)."""
    extra = dict(env or {})
    if "TF_CLI_CONFIG_FILE" not in extra:
        # An empty CLI config: nothing from the user's ~/.terraformrc (or a TF_CLI_CONFIG_FILE naming a missing
        # file) can send init to a registry.
        config = cwd / ".terraformrc.vtc"
        config.write_text("", encoding="utf-8")
        extra["TF_CLI_CONFIG_FILE"] = str(config)
    result = subprocess.run([terraform_binary(), *args, "-no-color"], cwd=cwd,
                            env=tool_env(TF_IN_AUTOMATION="1", TF_INPUT="0", **extra), capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode not in ok:
        raise TerraformError(f"terraform {' '.join(args)} failed in {cwd} (exit {result.returncode}):\n"
                             f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}", result.stdout + result.stderr)
    return result


def mirror_cli_config(path: Path, mirror: Path | None = None) -> Path:
    """Write a Terraform CLI config that installs every provider from the offline mirror and from nowhere else (no
    registry: a lookup there fails at once), as ``scripts/setup.sh``'s ``.tools/terraform.rc`` does; returns it."""
    path.write_text('provider_installation {\n  filesystem_mirror {\n    path = ' + json.dumps(str(mirror or plugin_dir()))
                    + '\n  }\n}\n', encoding="utf-8")
    return path


def copy_stack(stack_dir: Path, dest: Path) -> Path:
    """Copy a synthesized stack's own files (not ``.terraform``) to ``dest``, so tests never touch cdktf.out."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in stack_dir.iterdir():
        if entry.name.startswith(".terraform") or entry.name.endswith(".tfstate"):
            continue
        if entry.is_dir():
            shutil.copytree(entry, dest / entry.name)
        else:
            shutil.copy2(entry, dest / entry.name)
    return dest


def init(workdir: Path, backend: bool, env: dict[str, str] | None = None) -> None:
    args = ["init", "-input=false", f"-plugin-dir={plugin_dir()}"]
    if not backend:
        args.append("-backend=false")
    run(args, workdir, env=env)


def validate(workdir: Path, *, check: bool = True) -> dict:
    """``terraform init -backend=false`` then ``terraform validate -json``; returns the parsed report. With ``check``
    (the default), a report with errors raises :class:`TerraformError`."""
    init(workdir, backend=False)
    result = subprocess.run([terraform_binary(), "validate", "-json", "-no-color"], cwd=workdir,
                            env=tool_env(TF_CLI_CONFIG_FILE=str(workdir / ".terraformrc.vtc")),
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stdout)
    if check and not report.get("valid"):
        raise TerraformError(f"terraform validate found errors in {workdir}:\n{json.dumps(report, indent=2)}")
    return report


def validate_together(stacks: dict[str, Path], workdir: Path) -> dict:
    """Validate several stacks in one Terraform run: each is copied into ``workdir/<name>`` and called as a child
    module of one configuration, so Terraform starts each provider and reads its schema once, not once per stack.
    Terraform checks a module as it checks a root; only the backend block, which belongs to roots, is ignored (with a
    "Backend configuration ignored" warning naming the stack's file; ``terraform validate`` does not check backends in
    a root either). Returns the report (never raises on errors): attribute a diagnostic by the folder of its
    ``range.filename``."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name, stack_dir in stacks.items():
        copy_stack(stack_dir, workdir / name)
    (workdir / "stacks.tf.json").write_text(json.dumps(
        {"module": {name: {"source": f"./{name}"} for name in stacks}}, indent=2), encoding="utf-8")
    return validate(workdir, check=False)


def write_override(workdir: Path, name: str, content: dict) -> Path:
    """Write a ``<name>_override.tf.json``: Terraform merges it over the stack without changing the stack."""
    path = workdir / f"{name}_override.tf.json"
    path.write_text(json.dumps(content, indent=2), encoding="utf-8")
    return path
