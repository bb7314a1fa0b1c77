"""Kit settings: one config namespace, kit keys elsewhere warned about, and existing shared resources
given as Outputs (StackReference outputs, other resources' attributes), checked when known."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest

from agentid.mock_engine import run_program
from agentid_components import naming, settings
from agentid_components.aws.fleet import AwsAgents, AwsComponentError, AwsSettings
from agentid_components.azure.fleet import AzureSettings
from agentid_components.fleet import AgentFleet
from agentid_components.gcp.fleet import GcpSettings
from agentid_components.loader import load_inventory

ROOT = Path(__file__).resolve().parents[2]
AGENTS = ROOT / "stacks" / "agents" / "dev.yaml"
ACCOUNT = "123456789012"
GITHUB_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
K8S_ISSUER = "https://aks-dev.oidc.example.net/00000000-0000-0000-0000-000000000000/"
K8S_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/aks-dev.oidc.example.net/00000000-0000-0000-0000-000000000000/"
ANCHOR_ARN = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:trust-anchor/0d6ec4ae-8e1c-4a8a-9d8e-0123456789ab"
TICKETS = "https://mcp.tickets.example.com"
CATALOG = "https://catalog.data.example.com"
API_APP = {
    "clientId": "5c2b1a9e-0f4d-4e7b-9a11-3f6c2d8e7b10",
    "servicePrincipalObjectId": "a1b2c3d4-1111-2222-3333-444455556666",
    "appRoleIds": {"datasets.write": "7e9f0c3a-2b4d-4c6e-8f10-112233445566"},
}
PCA = "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555"
CONFIG = {"aws:region": "eu-west-1", "azure-native:location": "westeurope", "agent-identity-kit:gcpProject": "example-agents-dev"}


def run_fleet(aws_fields, azure_fields, stack: str = "dev"):
    """The dev agents compiled with settings built inside the program (Outputs need the running engine)."""
    loaded = load_inventory(AGENTS)

    def program() -> None:
        aws = AwsSettings(agents_dir=str(AGENTS.parent), **{k: _lift(v) for k, v in aws_fields.items()})
        azure = AzureSettings(spec_dir=AGENTS.parent, **{k: _lift(v) for k, v in azure_fields.items()})
        fleet = AgentFleet("agents", loaded, aws, azure, gcp_settings=GcpSettings.from_config())
        pulumi.export("inventory", fleet.inventory)

    return run_program(program, stack=stack, config=CONFIG)


class Out:
    """Marks a settings value to pass as an Output, as a StackReference output arrives."""

    def __init__(self, value):
        self.value = value


def _lift(value):
    return pulumi.Output.from_input(value.value) if isinstance(value, Out) else value


SHARED_AWS = {
    "github_oidc_provider_arn": Out(GITHUB_ARN),
    "kubernetes_oidc_provider_arns": Out({K8S_ISSUER: K8S_ARN}),
    "roles_anywhere_trust_anchor_arns": Out({"data.example.org": ANCHOR_ARN}),
    "cognito_user_pool_id": Out("eu-west-1_Plat4orm"),
    "cognito_domain": Out("auth.example.com"),
    "cognito_resource_servers": Out({TICKETS: TICKETS}),
}
SHARED_AZURE = {"resource_group": Out("rg-agents-shared"), "api_applications": Out({CATALOG: API_APP})}


# --- one namespace ------------------------------------------------------------------------


def test_kit_keys_in_another_namespace_are_named_with_the_key_the_kit_reads():
    lines = settings.stray_keys([
        "acme-agents:azureResourceGroup",  # a bare key in a project not called agent-identity-kit
        "acme-agents:AWSCOGNITODOMAIN",  # any case
        "agent-identity-kit:awsCognitoDomian",  # a typo in the kit's own namespace
        "agent-identity-kit:azureResourceGroup",  # right: not flagged
        "aws:region", "acme-agents:bucketName", "azure-native:location",  # not kit keys: not flagged
    ])
    assert lines == [
        "config key 'acme-agents:AWSCOGNITODOMAIN' is ignored: the agent identity kit reads "
        "'agent-identity-kit:awsCognitoDomain' (one namespace whatever the project is called)",
        "config key 'acme-agents:azureResourceGroup' is ignored: the agent identity kit reads "
        "'agent-identity-kit:azureResourceGroup' (one namespace whatever the project is called)",
        "config key 'agent-identity-kit:awsCognitoDomian' is not a key of the agent identity kit and is ignored: "
        "did you mean agent-identity-kit:awsCognitoDomain?",
    ]


def test_settings_read_the_kit_namespace_whatever_the_project_and_warn_once(monkeypatch):
    warnings: list[str] = []
    monkeypatch.setattr(settings, "_warned", set())
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    seen = {}

    def program() -> None:
        seen["aws"] = AwsSettings.from_config()
        seen["azure"] = AzureSettings.from_config()

    run_program(program, project="acme-agents", stack="prod", config={
        "agent-identity-kit:awsGithubOidcProviderArn": GITHUB_ARN,
        "agent-identity-kit:azureResourceGroup": "rg-prod",
        "acme-agents:awsCognitoDomain": "ignored-prefix",
    })
    assert seen["aws"].github_oidc_provider_arn == GITHUB_ARN
    assert seen["aws"].cognito_domain is None
    assert seen["azure"].resource_group == "rg-prod"
    assert seen["aws"].suffix == seen["azure"].suffix == "prod"
    assert warnings == [  # once, though both clouds' settings read the config
        "config key 'acme-agents:awsCognitoDomain' is ignored: the agent identity kit reads "
        "'agent-identity-kit:awsCognitoDomain' (one namespace whatever the project is called)"
    ]


def test_every_key_the_settings_read_is_in_the_key_list():
    source = "".join((ROOT / "components" / path).read_text() for path in ("aws/fleet.py", "azure/fleet.py"))
    read = set(__import__("re").findall(r'config(?:_object)?\((?:config, )?"([A-Za-z]+)"', source))
    read |= set(__import__("re").findall(r'config\.get(?:_object)?\("([A-Za-z]+)"\)', source))
    assert read and read <= settings.KEY_NAMES, read - settings.KEY_NAMES


# --- existing shared resources, as Outputs ----------------------------------------------------


def test_outputs_reference_every_shared_resource_and_nothing_shared_is_created():
    run = run_fleet(SHARED_AWS, SHARED_AZURE)
    types = {resource.type for resource in run.resources}
    for created in ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:rolesanywhere/trustAnchor:TrustAnchor",
                    "aws:cognito/userPool:UserPool", "aws:cognito/userPoolDomain:UserPoolDomain",
                    "aws:cognito/resourceServer:ResourceServer"):
        assert created not in types, created
    # The one Entra application of the catalog API is the platform's: only the agent's own app is created.
    apps = [r.inputs["displayName"] for r in run.of_type("azuread:index/application:Application")]
    assert apps == ["agent-data-ingest-dev"]

    trust = {s["Sid"][:8]: s for r in run.of_type("aws:iam/role:Role") for s in json.loads(r.inputs["assumeRolePolicy"])["Statement"]}
    assert trust["GitHubAc"]["Principal"] == {"Federated": GITHUB_ARN}
    assert trust["RolesAny"]["Condition"]["ArnEquals"] == {"aws:SourceArn": ANCHOR_ARN}
    (client,) = run.of_type("aws:cognito/userPoolClient:UserPoolClient")
    assert client.inputs["userPoolId"] == "eu-west-1_Plat4orm"
    assert client.inputs["allowedOauthScopes"] == [f"{TICKETS}/tickets.read", f"{TICKETS}/tickets.comment"]
    assert run.outputs["inventory"]["support-triage"]["aws"]["oauth"]["token_endpoint"] == "https://auth.example.com/oauth2/token"

    (grant,) = run.of_type("azuread:index/appRoleAssignment:AppRoleAssignment")
    assert grant.inputs["appRoleId"] == API_APP["appRoleIds"]["datasets.write"]
    assert grant.inputs["resourceObjectId"] == API_APP["servicePrincipalObjectId"]
    (agent_app,) = run.of_type("azuread:index/application:Application")
    assert agent_app.inputs["requiredResourceAccesses"][0]["resourceAppId"] == API_APP["clientId"]
    identities = run.of_type("azure-native:managedidentity:UserAssignedIdentity")
    assert {r.inputs["resourceGroupName"] for r in identities} == {"rg-agents-shared"}
    ingest = run.outputs["inventory"]["data-ingest"]["azure"]
    assert ingest["managed_identity"]["resource_group"] == "rg-agents-shared"
    assert ingest["oauth"]["scopes"][0]["app_role_id"] == API_APP["appRoleIds"]["datasets.write"]


def test_a_plain_mapping_references_its_entries_and_the_stack_creates_the_rest():
    run = run_fleet({"roles_anywhere_trust_anchor_arns": {"other.example.org": ANCHOR_ARN}}, {"resource_group": "rg-a"})
    (anchor,) = run.of_type("aws:rolesanywhere/trustAnchor:TrustAnchor")  # data.example.org is not in the mapping
    assert anchor.inputs["name"] == "spiffe-data-example-org-dev"


@pytest.mark.parametrize(
    ("aws", "azure", "message"),
    [
        ({"github_oidc_provider_arn": Out(f"arn:aws:iam::{ACCOUNT}:oidc-provider/example.com")}, {},
         "awsGithubOidcProviderArn = 'arn:aws:iam::123456789012:oidc-provider/example.com' must name the provider of"),
        ({"github_oidc_provider_arn": Out(None)}, {}, "awsGithubOidcProviderArn must be a non-empty string, got NoneType"),
        ({"roles_anywhere_trust_anchor_arns": Out({"other.example.org": ANCHOR_ARN})}, {},
         r"awsRolesAnywhereTrustAnchorArns has no entry for 'data.example.org' \(it holds: other.example.org\)"),
        ({"roles_anywhere_trust_anchor_arns": Out({"data.example.org": "anchor-1"})}, {},
         r"awsRolesAnywhereTrustAnchorArns\[data.example.org\] = 'anchor-1' is not valid: expected e.g. arn:aws:rolesanywhere:"),
        ({"cognito_user_pool_id": Out("pool"), "cognito_domain": "auth.example.com"}, {},
         "awsCognitoUserPoolId = 'pool' is not valid: expected e.g. eu-west-1_AbCdEf123"),
        ({}, {"resource_group": Out("not a group!")}, "azureResourceGroup 'not a group!' is not a resource group name"),
        ({}, {"api_applications": Out({CATALOG: {**API_APP, "appRoleIds": {}}})},
         r"azureApiApplications\[https://catalog.data.example.com\].appRoleIds has no app role for scope\(s\) datasets.write"),
        ({}, {"api_applications": Out({CATALOG: {**API_APP, "clientId": "catalog"}})},
         r"azureApiApplications\[https://catalog.data.example.com\].clientId = 'catalog' is not valid: expected a GUID"),
    ],
)
def test_bad_output_values_fail_when_known_naming_the_key(aws, azure, message):
    with pytest.raises(Exception, match=message):
        run_fleet(aws, {"resource_group": "rg-a", **azure})


def test_plain_bad_values_fail_before_anything_registers():
    with pytest.raises(AwsComponentError, match=r"awsRolesAnywhereTrustAnchorArns\[data.example.org\] = 'x'"):
        AwsSettings(roles_anywhere_trust_anchor_arns={"data.example.org": "x"})
    with pytest.raises(settings.SettingError, match="nameSuffix 'Prod' is not valid"):
        AwsSettings(name_suffix="Prod")


def test_one_trust_anchor_per_trust_domain_and_one_ca_per_domain():
    ingest = next(a for a in load_inventory(AGENTS).inventory.agents if a.name == "data-ingest")
    twin = ingest.model_copy(update={"name": "data-ingest-2"})
    run = run_program(lambda: AwsAgents("aws", [ingest, twin], AwsSettings(agents_dir=str(AGENTS.parent))), config=CONFIG)
    (anchor,) = run.of_type("aws:rolesanywhere/trustAnchor:TrustAnchor")  # was one per agent
    roles = run.of_type("aws:iam/role:Role")
    assert len(roles) == 2
    for role in roles:
        (statement,) = [s for s in json.loads(role.inputs["assumeRolePolicy"])["Statement"] if s["Sid"].startswith("RolesAnywhere")]
        assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == anchor.outputs["arn"]

    spiffe = twin.trust[0].spiffe.model_copy(update={"ca_bundle": None, "acm_pca_arn": PCA})
    other_ca = twin.model_copy(update={"trust": [twin.trust[0].model_copy(update={"spiffe": spiffe})]})
    with pytest.raises(AwsComponentError, match="SPIFFE trust domain data.example.org is given a different CA"):
        AwsAgents.check([ingest, other_ca], AwsSettings(agents_dir=str(AGENTS.parent)))


def test_suffix_defaults_to_the_stack_folded_into_every_cloud_charset():
    assert naming.stack_suffix("dev") == "dev"
    assert naming.stack_suffix("prod-eu") == "prod-eu"
    folded = naming.stack_suffix("Prod_EU")  # folded: a hash keeps it apart from a stack really called prod-eu
    assert folded.startswith("prod-eu-") and folded != naming.stack_suffix("prod_eu")
    long = naming.stack_suffix("x" * 100)
    assert len(long) == naming.NAME_SUFFIX_MAX and long != naming.stack_suffix("x" * 99)
    assert naming.check_suffix("") == ""  # names without a suffix, as before the suffix existed
    for bad in ("Prod", "-dev", "dev-", "a" * 25, "dev prod", "dév"):
        with pytest.raises(naming.NameSuffixError):
            naming.check_suffix(bad)


def test_an_output_the_agents_do_not_need_is_never_checked():
    # A platform stack that exports no GitHub provider or Cognito pool reads as None there: harmless while no
    # agent trusts GitHub or uses Cognito (data-ingest: SPIFFE and Kubernetes trust, an Entra tool).
    ingest = [a for a in load_inventory(AGENTS).inventory.agents if a.name == "data-ingest"]

    def program() -> None:
        aws = AwsSettings(agents_dir=str(AGENTS.parent), github_oidc_provider_arn=pulumi.Output.from_input(None),
                          cognito_domain=pulumi.Output.from_input(None))
        AwsAgents("aws", ingest, aws)
        AzureSettings(resource_group=pulumi.Output.from_input("not a group!"))  # no Azure agent uses it

    run = run_program(program, config=CONFIG)
    assert [role.inputs["name"] for role in run.of_type("aws:iam/role:Role")] == ["agent-data-ingest-dev"]
