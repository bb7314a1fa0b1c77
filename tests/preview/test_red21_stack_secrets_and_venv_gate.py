"""red21 r21-6 and r21-7, end to end through `agentid preview`.

r21-6: the stack file's `secretsprovider:` names the key service `pulumi up` hands the deployer's credentials to
(https://www.pulumi.com/docs/iac/concepts/secrets/#available-encryption-providers): a foreign Key Vault host, a KMS
`endpoint=` / `profile=` override, another account's or project's key is no verdict (exit 2); an own key passes.

r21-7: a virtualenv the pull request commits (git-tracked files inside a folder holding pyvenv.cfg, or inside a
site-packages folder) runs its `.pth` import lines before the gate's watch: exit 2. The same virtualenv made by
the runner (untracked) runs as before; outside a git checkout, start-up code the gate's own environment does not
hold is refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_project_runtime import KEY_WHEN_BOOTED, VENV_PROJECT, make_virtualenv, small_project

GUARD = ("--policy-pack", str(AGENT_GUARD))
OWN = ("--own-account", "111122223333", "--own-gcp-project", "acme-dev", "--own-host", "acme-prod.vault.azure.net")
PROGRAM = "import pulumi_aws as aws\naws.s3.Bucket('logs')\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, check=True,
                   capture_output=True)


def with_provider(root: Path, provider: str) -> Path:
    (root / "Pulumi.dev.yaml").write_text(f"config:\n  aws:region: eu-west-1\nsecretsprovider: {provider}\n"
                                          "encryptedkey: ZXhhbXBsZQ==\n")
    return root


# --- r21-6: secretsprovider -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("provider", "problem"), [
    ("azurekeyvault://acme-attacker.vault.azure.net/keys/pulumi",
     "the vault host acme-attacker.vault.azure.net is not an own host (acme-prod.vault.azure.net)"),
    ("awskms://alias/pulumi?region=us-east-1&profile=other&endpoint=https://kms.attacker.example",
     "parameter endpoint, profile: overrides where or as whom the key service is called"),
    ("awskms://alias/pulumi?endpoint=https://kms.attacker.example", "parameter endpoint"),
    ("awskms:///arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab?region=us-east-1",
     "the key is in account 444455556666, not an own account (111122223333)"),
    ("gcpkms://projects/attacker-prj/locations/global/keyRings/r/cryptoKeys/k",
     "the key is in project attacker-prj, not an own project (acme-dev)"),
    ("gcpkms://projects/acme-dev/locations/global/keyRings/r/cryptoKeys/k?endpoint=x", "parameter endpoint"),
    ("hashivault://pulumi?address=https://vault.attacker.example", "parameter address"),
    ("base64key://c21hbGxrZXk=", "scheme 'base64key' is not a secrets provider the gate knows"),
], ids=["keyvault-foreign-host", "kms-endpoint-profile", "kms-endpoint", "kms-foreign-account", "gcpkms-foreign",
        "gcpkms-param", "vault-param", "other-scheme"])
def test_a_secrets_provider_the_gate_cannot_vouch_for_is_no_verdict(tmp_path: Path, provider: str,
                                                                    problem: str) -> None:
    project = with_provider(small_project(tmp_path / "p", PROGRAM), provider)
    run = run_cli(project, *GUARD, *OWN)
    assert run.code == 2, run.stdout + run.stderr
    shown = " ".join(run.stdout.split())
    assert f"Pulumi.dev.yaml:3: secretsprovider: {provider!r}: {problem}" in shown, shown
    assert "--allow-secrets-provider" in shown


@pytest.mark.parametrize("provider", [
    "passphrase",
    "default",
    "azurekeyvault://acme-prod.vault.azure.net/keys/pulumi",
    "azurekeyvault://acme-prod.vault.azure.net/keys/pulumi/0123abcd?algorithm=RSA-OAEP-256",
    "awskms://alias/pulumi?region=us-east-1",
    "awskms:///arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab?region=us-east-1",
    "gcpkms://projects/acme-dev/locations/global/keyRings/r/cryptoKeys/k",
    "hashivault://pulumi",
])
def test_an_own_key_passes(tmp_path: Path, provider: str) -> None:
    project = with_provider(small_project(tmp_path / "p", PROGRAM), provider)
    run = run_cli(project, *GUARD, *OWN)
    assert run.code == 0, run.stdout + run.stderr


def test_own_lists_come_from_the_gate_not_the_stack_and_the_operator_may_allow_one_url(tmp_path: Path) -> None:
    provider = "awskms://alias/pulumi?region=us-east-1&profile=deploy"
    project = with_provider(small_project(tmp_path / "p", PROGRAM), provider)
    # the stack file's own pack config cannot make a vault host own
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  agentid:policyPackConfig:\n    agent-guard:\n      all:\n"
        "        ownHosts: [acme-attacker.vault.azure.net]\n"
        "secretsprovider: azurekeyvault://acme-attacker.vault.azure.net/keys/pulumi\n")
    assert run_cli(project, *GUARD).code == 2
    # the trusted waiver file's pack-wide list does
    (project / "waivers.yaml").write_text("policyPackConfig:\n  agent-guard:\n    all:\n"
                                          "      ownHosts: [acme-attacker.vault.azure.net]\n")
    assert run_cli(project, *GUARD).code == 0
    (project / "waivers.yaml").unlink()
    with_provider(project, provider)
    assert run_cli(project, *GUARD).code == 2
    assert run_cli(project, *GUARD, "--allow-secrets-provider", provider).code == 0


# --- r21-7: a committed virtualenv ----------------------------------------------------------------------------

BOOT = {"zz_boot.pth": "import os; os.environ['ACME_BOOT'] = '1'\n"}


def test_a_committed_virtualenv_is_no_verdict_and_the_runners_own_runs(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", KEY_WHEN_BOOTED, VENV_PROJECT)
    make_virtualenv(project / "venv", **BOOT)  # a git checkout; the venv untracked: made by the runner
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 1, run.stdout + run.stderr  # it runs, and what its start-up makes the program do is judged
    git(project, "add", "-A", "--force")
    git(project, "commit", "-qm", "the pull request commits its virtualenv")
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 2, run.stdout + run.stderr
    shown = " ".join(run.stdout.split())
    packages = f"venv/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
    assert (f"error (config): venv/bin/python, {packages}/00_kit.pth, {packages}/zz_boot.pth and 1 more: tracked by "
            "the checkout inside a virtualenv or site-packages folder") in shown, shown
    assert "runs before the gate's watch of the program (AGID-GATE-002)" in shown


def test_committed_site_packages_anywhere_in_the_project_is_no_verdict(tmp_path: Path) -> None:
    """No pyvenv.cfg committed: site-packages content a later `python -m venv` on that folder would keep and load."""
    project = small_project(tmp_path / "p", PROGRAM)
    git(project, "init", "-q")
    packages = project / ".venv" / "lib" / "python3.11" / "site-packages"
    packages.mkdir(parents=True)
    (packages / "aa_startup.pth").write_text("import subprocess; subprocess.run(['true'])\n")
    git(project, "add", "-A", "--force")
    git(project, "commit", "-qm", "x")
    run = run_cli(project, *GUARD)
    assert run.code == 2 and ".venv/lib/python3.11/site-packages/aa_startup.pth: tracked by the checkout" in run.stdout, run.stdout
    # the look-alike: a tracked folder merely named like a virtualenv, holding no site-packages or pyvenv.cfg
    git(project, "rm", "-rq", ".venv")
    (project / "venv-notes").mkdir()
    (project / "venv-notes" / "README.md").write_text("how we make the venv\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "y")
    assert run_cli(project, *GUARD).code == 0


def test_outside_a_checkout_start_up_code_the_gate_does_not_have_is_no_verdict(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", KEY_WHEN_BOOTED, VENV_PROJECT)
    make_virtualenv(project / "venv", **BOOT)
    subprocess.run(["rm", "-rf", str(project / ".git")], check=True)
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 2, run.stdout + run.stderr
    shown = " ".join(run.stdout.split())
    assert "venv/lib/python" in shown and "zz_boot.pth" in shown and "the project is not a git checkout" in shown, shown
