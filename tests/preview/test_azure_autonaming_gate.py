"""`agentid preview` end to end on Azure autonaming (issue 11): a logical name taken as the stack's own Azure object.

azure-native names a top-level resource left without its name input `<logical name><8 random hex>` (pulumi-azure-native
`AutoNamer`: "random"), so `FederatedIdentityCredential(resource_name="agent-id")` beside the stack's
`UserAssignedIdentity("agent-id")` (no `resource_name`) federates an EXISTING identity named `agent-id`, even with
`depends_on` the stack's identity: it blocks (AGID-AZ-044). The gate's mocks autoname as the provider does
(agentid.mock_provider.azure_name_input): the credential linked by Output (`identity.name`), or the identity given
that name explicitly with the credential depending on it, passes.
"""

from __future__ import annotations

import pytest

from agentid.mock_provider import MOCK_TENANT

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")


def _program(identity_args: str, credential_name: str) -> str:
    # the stack's own Entra tenant as issuer (the tenant the gate's mocks give it): trusted, naming no outside owner
    return f"""import pulumi
import pulumi_azure_native as azure_native
identity = azure_native.managedidentity.UserAssignedIdentity("agent-id", resource_group_name="rg"{identity_args})
azure_native.managedidentity.FederatedIdentityCredential(
    "fic", resource_name_={credential_name}, resource_group_name="rg",
    issuer="https://login.microsoftonline.com/{MOCK_TENANT}/v2.0", subject="agent-fic",
    audiences=["api://AzureADTokenExchange"], opts=pulumi.ResourceOptions(depends_on=[identity]))
"""


def _preview(tmp_path, program):
    tmp_path.mkdir()
    return run_cli(project(tmp_path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "gate.json")


def _violations(result):
    return sorted((v["resourceName"], v["policy"], v["mandatory"]) for v in result.json("gate.json")["violations"]
                  if v["mandatory"])


def test_a_credential_naming_an_autonamed_identitys_logical_name_blocks(tmp_path):
    result = _preview(tmp_path / "autonamed", _program("", '"agent-id"'))
    assert result.code == 1, result.stdout + result.stderr
    assert _violations(result) == [("fic", "AGID-AZ-044", True)]
    message = next(v["message"] for v in result.json("gate.json")["violations"] if v["policy"] == "AGID-AZ-044")
    assert "fic adds a federated credential to managed identity rg/agent-id, which this stack does not define" in message


@pytest.mark.parametrize(("identity_args", "credential_name"), [("", "identity.name"),
                                                                 (', resource_name_="agent-id"', '"agent-id"')],
                         ids=["output", "explicit_name"])
def test_the_identity_linked_by_output_or_named_explicitly_passes(tmp_path, identity_args, credential_name):
    result = _preview(tmp_path / "own", _program(identity_args, credential_name))
    assert result.code == 0, result.stdout + result.stderr
    assert _violations(result) == []


def test_a_credential_naming_the_identitys_predictable_autoname_blocks(tmp_path):
    """The gate's mocks draw the `<logical><8 hex>` suffix with a per-run key (agentid/preview/autonames.py): the name
    a deterministic scheme gives `agent-id`, which any program can compute, written as a literal, is another
    identity, even with `depends_on` the stack's; `identity.name` (above) passes."""
    from agentid.mock_provider import autoname

    predicted = autoname("azure-native:managedidentity:UserAssignedIdentity", "agent-id", {}, "name", None)
    assert predicted.startswith("agent-id") and len(predicted) == len("agent-id") + 8
    result = _preview(tmp_path / "predicted", _program("", f'"{predicted}"'))
    assert result.code == 1, result.stdout + result.stderr
    assert _violations(result) == [("fic", "AGID-AZ-044", True)]
    message = next(v["message"] for v in result.json("gate.json")["violations"] if v["policy"] == "AGID-AZ-044")
    assert f"fic adds a federated credential to managed identity rg/{predicted}, which this stack does not define" \
        in message
