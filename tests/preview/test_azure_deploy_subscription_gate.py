"""AGID-AZ-067 end to end (red19 r19-5's Azure twin): `agentid preview` blocks a stack whose stack file
(`azure-native:subscriptionId`) or explicit provider (`subscription_id=`) points at a subscription the gate does not
list: the Key Vault secrets holding the stack's config secret would be written there with the deployer's identity.
The same program passes when the gate lists both subscriptions (--own-subscription), and with no subscription named
at all (the runner's own)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

STACK_SUB = "99999999-8888-7777-6666-555555555555"
PROVIDER_SUB = "77777777-6666-5555-4444-333333333333"
PROGRAM = f'''import pulumi, pulumi_azure_native as az
pw = pulumi.Config().require_secret("dbPassword")
# the default provider: the stack file's subscription
az.keyvault.Secret("db", resource_group_name="rg-acme", vault_name="kv-acme", secret_name="db",
                   properties=az.keyvault.SecretPropertiesArgs(value=pw))
elsewhere = az.Provider("elsewhere", subscription_id="{PROVIDER_SUB}")
az.keyvault.Secret("db2", resource_group_name="rg-acme", vault_name="kv-acme2", secret_name="db",
                   properties=az.keyvault.SecretPropertiesArgs(value=pw), opts=pulumi.ResourceOptions(provider=elsewhere))
'''
SECRET = "  acme:dbPassword:\n    secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB\n"


def _stack(root: Path, program: str, config: str, *flags: str) -> tuple[int, list[tuple[str, str]]]:
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  azure-native:location: westeurope\n" + SECRET + config)
    (root / "__main__.py").write_text(program)
    run = run_cli(root, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json", *flags)
    assert run.code in (0, 1), run.stdout + run.stderr
    violations = json.loads((root / "out.json").read_text())["violations"]
    return run.code, sorted({(v["policy"], v["resourceName"]) for v in violations if v["mandatory"]})


def test_a_stack_moved_into_another_subscription_blocks_and_own_subscriptions_pass(tmp_path):
    config = f"  azure-native:subscriptionId: {STACK_SUB}\n"
    assert _stack(tmp_path / "flagged", PROGRAM, config) == \
        (1, [("AGID-AZ-067", "default"), ("AGID-AZ-067", "elsewhere")])
    # the gate lists one of them: the other still blocks (the stack file vouches for nothing)
    assert _stack(tmp_path / "one", PROGRAM, config, "--own-subscription", PROVIDER_SUB) == \
        (1, [("AGID-AZ-067", "default")])
    # look-alike: both are the organisation's
    assert _stack(tmp_path / "own", PROGRAM, config, "--own-subscription", STACK_SUB,
                  "--own-subscription", PROVIDER_SUB.upper()) == (0, [])


def test_no_subscription_named_deploys_into_the_runners_own(tmp_path):
    program = PROGRAM.replace(f'subscription_id="{PROVIDER_SUB}"', 'location="westeurope"')
    assert _stack(tmp_path / "runner", program, "") == (0, [])


def test_an_own_subscription_flag_that_is_not_a_subscription_id_is_no_verdict(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  azure-native:location: westeurope\n")
    (tmp_path / "__main__.py").write_text("import pulumi\n")
    run = run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--own-subscription", "my-sub")
    assert run.code == 2 and "--own-subscription 'my-sub': not an Azure subscription id" in run.stdout + run.stderr
