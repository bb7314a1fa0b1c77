"""The Platform component over gRPC: the same shared objects as the Python Platform, outputs under the export names."""

from __future__ import annotations

from google.protobuf import json_format

from agentid.mock_engine import run_program
from agentid_components.platform import Platform
from agentid_components.platform_spec import OUTPUTS, parse_platform
from tests.package.conftest import PROJECT, STACK
from tests.package.test_construct import CONFIG, _comparable, _refusal, _relative_parent, _tree

PLATFORM = "agentid:index:Platform"
ACM_PCA = "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555"
AUDIENCE = "https://mcp.tickets.example.com"
# As a TypeScript program writes it (schema names) ...
ARGS = {
    "cognitoDomain": "example-agents-dev",
    "apis": [{"audience": AUDIENCE, "scopes": ["tickets.read", "tickets.comment"], "providers": ["cognito", "entra"]}],
    "spiffeTrustDomains": [{"trustDomain": "prod.example.org", "acmPcaArn": ACM_PCA}],
}
# ... and the same platform as the Python API takes it.
SPEC = {
    "cognito_domain": "example-agents-dev",
    "apis": [{"audience": AUDIENCE, "scopes": ["tickets.read", "tickets.comment"], "providers": ["cognito", "entra"]}],
    "spiffe_trust_domains": [{"trust_domain": "prod.example.org", "acm_pca_arn": ACM_PCA}],
}


def test_platform_registers_what_the_python_platform_does(provider):
    def program() -> None:
        Platform("platform", parse_platform(SPEC, "spec"))

    run = run_program(program, project=PROJECT, stack=STACK, config=CONFIG)
    python_root = run.named("platform", PLATFORM).urn
    response = provider.construct("platform", ARGS, config=CONFIG, type_=PLATFORM)
    tree = _tree(provider.registered(), response.urn)
    assert _comparable(tree, response.urn) == _comparable(_tree(run.resources, python_root), python_root)
    kinds = sorted({(r.type, _relative_parent(r, response.urn)) for r in tree})
    assert [kind for kind, _ in kinds] == [
        "agentid:index:Platform",
        "aws:cognito/resourceServer:ResourceServer",
        "aws:cognito/userPool:UserPool",
        "aws:cognito/userPoolDomain:UserPoolDomain",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:rolesanywhere/trustAnchor:TrustAnchor",
        "azuread:index/application:Application",
        "azuread:index/servicePrincipal:ServicePrincipal",
    ]


def test_platform_outputs_are_the_export_names_agent_stacks_read(provider):
    response = provider.construct("platform-outputs", ARGS, config=CONFIG, type_=PLATFORM)
    state = json_format.MessageToDict(response.state)
    assert set(state) == set(OUTPUTS)
    assert provider.schema()["resources"][PLATFORM]["properties"].keys() == set(OUTPUTS)
    assert state["cognitoDomain"] == "example-agents-dev"
    assert set(state["cognitoResourceServers"]) == {AUDIENCE}
    assert set(state["rolesAnywhereTrustAnchorArns"]) == {"prod.example.org"}
    entra = state["entraApiApplications"][AUDIENCE]
    assert set(entra) == {"clientId", "servicePrincipalObjectId", "appRoleIds"}
    assert set(entra["appRoleIds"]) == {"tickets.read", "tickets.comment"}


def test_a_platform_without_apis_or_trust_domains_is_the_github_provider_alone(provider):
    response = provider.construct("platform-min", {}, config=CONFIG, type_=PLATFORM)
    tree = _tree(provider.registered(), response.urn)
    assert sorted(r.type for r in tree) == ["agentid:index:Platform", "aws:iam/openIdConnectProvider:OpenIdConnectProvider"]
    assert set(json_format.MessageToDict(response.state)) == {"githubOidcProviderArn"}


def test_platform_args_errors_are_input_errors_at_schema_paths(provider):
    bad = {"cognitoDomain": "my-cognito", "apis": [{"audience": "http://x", "scopes": [], "providers": ["okta"]}],
           "spiffeTrustDomains": [{"trustDomain": "prod.example.org"}]}
    message, problems = _refusal(provider, bad, type_=PLATFORM)
    paths = {path for path, _ in problems}
    assert {"cognitoDomain", "apis[0].audience", "apis[0].scopes", "apis[0].providers[0]"} <= paths, problems
    assert any(path.startswith("spiffeTrustDomains[0]") for path in paths), problems
    assert message == f"Platform: {len(problems)} problem(s) in the args"
