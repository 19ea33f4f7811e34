"""environments/provider_lock.py: the lock file that lets the first `cdktf deploy` run offline (the deploy itself,
through the CLI, is in test_deploy.py)."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from environments import provider_lock
from environments.provider_lock import LOCK_FILE, lock_matches, place_lock_file, required_providers
from tooling.paths import REPO, tool_env
from tooling.terraform import plugin_dir

# cdktf's own test (cdktf-cli 0.21.0), run in Node: does a stack folder need `terraform providers lock`?
CDKTF_CHECK = """
const {TerraformProviderLock} = require("./node_modules/@cdktf/cli-core/src/lib/terraform-provider-lock.js");
const {ProviderConstraint} = require("./node_modules/@cdktf/cli-core/src/lib/dependencies/dependency-manager.js");
const fs = require("fs"), path = require("path");
(async () => {
  const dir = process.argv[1];
  const stack = JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8"));
  const lock = new TerraformProviderLock(dir);
  let needs = !(await lock.hasProviderLockFile());
  for (const p of Object.values(stack.terraform.required_providers || {})) {
    if (!(await lock.hasMatchingProvider(new ProviderConstraint(p.source, p.version)))) needs = true;
  }
  process.stdout.write(JSON.stringify({needsLockfileUpdate: needs}));
})();
"""


def cdktf_needs_lock_update(stack_dir) -> bool:
    result = subprocess.run(["node", "-e", CDKTF_CHECK, str(stack_dir)], cwd=REPO, env=tool_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    (verdict,) = re.findall(r'\{"needsLockfileUpdate":(true|false)\}', result.stdout)
    return verdict == "true"


@pytest.fixture
def stack_dir(tmp_path):
    """A stack folder as the synth writes it, reduced to what the lock file depends on: the stacks' provider
    requirement (the real stacks are deployed through the CLI with it in test_deploy.py)."""
    target = tmp_path / "staging"
    target.mkdir()
    (target / "cdk.tf.json").write_text(json.dumps({"terraform": {"required_providers": {
        "aws": {"source": "aws", "version": "5.100.0"}}}}))
    return target


def test_the_stacks_require_what_the_lock_file_is_made_for(stacks):
    for stack in stacks.values():
        assert required_providers(stack) == {"hashicorp/aws": "5.100.0"}


def test_without_a_lock_file_cdktf_would_ask_the_registry(stack_dir):
    assert cdktf_needs_lock_update(stack_dir) is True


def test_the_placed_lock_file_satisfies_cdktf_and_holds_the_mirror_hash_and_no_url(stack_dir):
    path = place_lock_file(stack_dir, mirror=plugin_dir())
    assert path == stack_dir / LOCK_FILE
    text = path.read_text()
    assert 'version     = "5.100.0"' in text and 'constraints = "5.100.0"' in text
    assert '"h1:' in text  # the hash of the mirror's package: terraform init checks it
    assert "://" not in text
    assert cdktf_needs_lock_update(stack_dir) is False


def test_terraform_init_accepts_the_lock_file_offline(stack_dir, tmp_path):
    from tooling import terraform

    place_lock_file(stack_dir, mirror=plugin_dir())
    before = (stack_dir / LOCK_FILE).read_text()
    config = terraform.mirror_cli_config(tmp_path / "cli.tfrc")
    terraform.run(["init", "-input=false", "-backend=false", "-lockfile=readonly"], stack_dir,
                  env={"TF_CLI_CONFIG_FILE": str(config)})
    assert (stack_dir / LOCK_FILE).read_text() == before


def test_a_matching_lock_file_is_kept_as_it_is(stack_dir):
    place_lock_file(stack_dir, mirror=plugin_dir())
    committed = (stack_dir / LOCK_FILE).read_text() + "# a user's own, committed with more platforms\n"
    (stack_dir / LOCK_FILE).write_text(committed)
    place_lock_file(stack_dir, mirror=plugin_dir())
    assert (stack_dir / LOCK_FILE).read_text() == committed


def test_a_lock_file_for_another_version_is_rewritten(stack_dir):
    place_lock_file(stack_dir, mirror=plugin_dir())
    good = (stack_dir / LOCK_FILE).read_text()
    (stack_dir / LOCK_FILE).write_text(good.replace('"5.100.0"', '"5.99.0"'))
    assert cdktf_needs_lock_update(stack_dir) is True
    place_lock_file(stack_dir, mirror=plugin_dir())
    assert lock_matches((stack_dir / LOCK_FILE).read_text(), {"hashicorp/aws": "5.100.0"})
    assert cdktf_needs_lock_update(stack_dir) is False


def test_no_mirror_means_nothing_to_do_and_cdktf_locks_online_as_usual(stack_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("VTC_TF_PLUGIN_DIR", raising=False)
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "missing.tfrc"))
    monkeypatch.setattr(provider_lock, "_IMPLIED_MIRRORS", (str(tmp_path / "empty"),))
    assert place_lock_file(stack_dir) is None
    assert not (stack_dir / LOCK_FILE).exists()


def test_the_mirror_is_the_one_the_cli_config_names(stack_dir, tmp_path, monkeypatch):
    mirror = tmp_path / "my-mirror"
    mirror.symlink_to(plugin_dir(), target_is_directory=True)
    config = tmp_path / "cli.tfrc"
    config.write_text('provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n  }\n}\n' % mirror)
    monkeypatch.delenv("VTC_TF_PLUGIN_DIR", raising=False)
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))
    monkeypatch.setattr(provider_lock, "_IMPLIED_MIRRORS", ())
    required = required_providers(json.loads((stack_dir / "cdk.tf.json").read_text()))
    assert provider_lock.find_mirror(required) == mirror
    assert place_lock_file(stack_dir) is not None


def test_required_providers_and_matching():
    assert required_providers({"terraform": {"required_providers": {
        "aws": {"source": "aws", "version": "5.100.0"}, "tls": {"source": "hashicorp/tls"}}}}) == {
        "hashicorp/aws": "5.100.0", "hashicorp/tls": None}
    assert required_providers({}) == {}
    lock = ('provider "example.com/hashicorp/aws" {\n  version     = "5.100.0"\n  constraints = "5.100.0"\n'
            '  hashes = [\n    "h1:abc=",\n  ]\n}\n')
    assert lock_matches(lock, {"hashicorp/aws": "5.100.0"})
    assert not lock_matches(lock, {"hashicorp/aws": "5.99.0"})
    assert not lock_matches(lock, {"hashicorp/aws": "5.100.0", "hashicorp/tls": None})
    assert not lock_matches(lock.replace('    "h1:abc=",\n', ""), {"hashicorp/aws": "5.100.0"})


def test_a_stack_without_providers_gets_no_lock_file(tmp_path):
    (tmp_path / "cdk.tf.json").write_text("{}")
    assert place_lock_file(tmp_path, mirror=plugin_dir()) is None
    assert not (tmp_path / LOCK_FILE).exists()
