"""Construct over gRPC builds exactly what the Python component builds, and refuses bad args without a traceback."""

from __future__ import annotations

import json
import re
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import json_format
from pulumi.runtime.proto import errors_pb2, status_pb2  # Pulumi's copies (google.rpc's own would clash)

from agentid.mock_provider import name_uuid
from agentid.mock_engine import run_program
from agentid.preview.monitor import _whole_numbers, plain
from agentid_components.aws.fleet import AwsSettings
from agentid_components.azure.fleet import AzureSettings
from agentid_components.fleet import AgentFleet
from agentid_components.gcp.fleet import GcpSettings
from agentid_components.loader import load_inventory
from tests.package.conftest import FLEET, PROJECT, REPO, STACK

DEV = REPO / "stacks" / "agents" / "dev.yaml"
RESOURCE_GROUP = "rg-agent-identities-dev"
GCP_PROJECT = "example-agents-dev"
CONFIG = {"aws:region": "eu-west-1", "azure-native:location": "westeurope"}


def _tree(registered: list, root_urn: str) -> list:
    """The component registered at `root_urn` and every resource under it, in registration order."""
    inside = {root_urn}
    found = []
    for resource in registered:
        if resource.urn == root_urn or resource.parent in inside:
            inside.add(resource.urn)
            found.append(resource)
    return found


def _relative_parent(resource: Any, root_urn: str) -> str:
    """The parent by name; the fleet itself (whatever its name) as `<fleet>`."""
    if resource.urn == root_urn:
        return ""
    return "<fleet>" if resource.parent == root_urn else (resource.parent or "").split("::")[-1]


def _relative(name: str, root_urn: str) -> str:
    """A name without the fleet's name it starts with (children are named `<parent>-<child>`, Pulumi's convention)."""
    return name.removeprefix(root_urn.split("::")[-1] + "-")


def _comparable(resources: list, root_urn: str) -> list[tuple[str, str, str, str]]:
    """(type, name, parent's name, inputs as canonical JSON): what a deployment would create, wherever declared.

    Inputs as an analyzer sees them (`plain`: secrets unwrapped), as the gate's monitor records them.
    """
    # The mocks derive ids and ARNs from logical names (agentid.mock_provider.name_uuid), which start with the
    # fleet's: a reference to a sibling's id or UUID is compared as the sibling's relative name.
    ids = {r.id: f"<id of {_relative(r.name, root_urn)}>" for r in resources if r.id and len(r.id) > 8}
    ids.update({name_uuid(*kind, r.name): f"<uuid {'/'.join(kind)} of {_relative(r.name, root_urn)}>"
                for r in resources for kind in ((), ("client",), ("principal",), ("object",), ("association",))})
    rows = []
    for resource in resources:
        inputs = {key: value for key, value in resource.inputs.items() if not key.startswith("__")}
        text = json.dumps(_whole_numbers(plain(inputs)), sort_keys=True)
        for resource_id in sorted(ids, key=len, reverse=True):
            text = text.replace(resource_id, ids[resource_id])
        rows.append((resource.type, _relative(resource.name, root_urn),
                     _relative(_relative_parent(resource, root_urn), root_urn), text))
    return sorted(rows)


def _camel(key: str) -> str:
    return re.sub(r"_([a-z])", lambda match: match.group(1).upper(), key)


def _as_consumer_writes_it(value: Any, under_conditions: bool = False) -> Any:
    """An agent file's agents as a TypeScript program passes them: schema keys camelCase, IAM condition keys as is."""
    if isinstance(value, dict):
        return {(key if under_conditions else _camel(key)): _as_consumer_writes_it(item, key == "conditions")
                for key, item in value.items()}
    if isinstance(value, list):
        return [_as_consumer_writes_it(item) for item in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


@pytest.fixture(scope="module")
def python_dev():
    """The dev agents through the Python component, in-process under Pulumi's mocks: the reference."""
    def program() -> None:
        loaded = load_inventory(DEV)
        AgentFleet("agents", loaded, AwsSettings(agents_dir=str(DEV.parent)),
                   AzureSettings(resource_group=RESOURCE_GROUP, spec_dir=DEV.parent),
                   gcp_settings=GcpSettings(project=GCP_PROJECT))

    run = run_program(program, project=PROJECT, stack=STACK, config=CONFIG)
    root = run.named("agents", FLEET)
    return run, root.urn


@pytest.fixture(scope="module")
def from_file(provider):
    response = provider.construct("agents", {"agentsFile": str(DEV), "azure": {"resourceGroup": RESOURCE_GROUP},
                                             "gcp": {"project": GCP_PROJECT}},
                                  config=CONFIG)
    return response, _tree(provider.registered(), response.urn)


def test_construct_from_an_agent_file_registers_what_the_python_component_does(python_dev, from_file):
    run, python_root = python_dev
    response, tree = from_file
    assert response.urn == f"urn:pulumi:{STACK}::{PROJECT}::{FLEET}::agents"
    assert tree[0].type == FLEET and tree[0].parent is None  # a child of the consumer's stack
    expected = _comparable(_tree(run.resources, python_root), python_root)
    assert _comparable(tree, response.urn) == expected
    assert len(expected) > 40  # the dev fleet: 4 agents on AWS, 3 on Azure


def test_inline_agents_typed_as_the_schema_give_the_same_resources(provider, from_file):
    """The camelCase object a TypeScript/Go/C# program builds from the schema's types, not a file."""
    agents = _as_consumer_writes_it(yaml.safe_load(DEV.read_text())["agents"])
    assert agents[1]["tools"][2]["azure"]["dataActions"] and agents[0]["reviewBy"] == "2099-05-31"
    response = provider.construct("inline", {"agents": agents, "baseDirectory": str(DEV.parent),
                                             "azure": {"resourceGroup": RESOURCE_GROUP},
                                             "gcp": {"project": GCP_PROJECT}}, config=CONFIG)
    inline = _comparable(_tree(provider.registered(), response.urn), response.urn)
    file_response, file_tree = from_file
    by_file = _comparable(file_tree, file_response.urn)
    # The component's own name differs ("inline" vs "agents"); nothing else may.
    assert [row for row in inline if row[0] != FLEET] == [row for row in by_file if row[0] != FLEET]


def test_one_agent_registers_exactly_these_resources(provider):
    agent = {
        "name": "pr-labeler", "owner": "dev-productivity@example.com", "purpose": "Labels pull requests.",
        "environment": "dev", "reviewBy": "2031-06-30", "maxCredentialMinutes": 20,
        "tools": [{"name": "read-rules", "aws": {"actions": ["s3:GetObject"],
                                                  "resources": ["arn:aws:s3:::example-label-rules/rules.json"]}}],
        "trust": [{"githubActions": {"repository": "example-org/app", "branch": "main"}}],
    }
    response = provider.construct("labeler", {"agents": [agent]}, config=CONFIG)
    tree = _tree(provider.registered(), response.urn)
    assert sorted((r.type, r.name, _relative_parent(r, response.urn)) for r in tree) == [
        ("agentid:aws:AgentFleet", "labeler-aws", "<fleet>"),
        ("agentid:aws:AgentIdentity", "labeler-aws-pr-labeler", "labeler-aws"),
        ("agentid:index:AgentFleet", "labeler", ""),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "labeler-aws-github-actions", "labeler-aws"),
        ("aws:iam/policy:Policy", "labeler-aws-pr-labeler-boundary", "labeler-aws-pr-labeler"),
        ("aws:iam/role:Role", "labeler-aws-pr-labeler-role", "labeler-aws-pr-labeler"),
        ("aws:iam/rolePolicy:RolePolicy", "labeler-aws-pr-labeler-read-rules", "labeler-aws-pr-labeler"),
        # its own revocation record
        ("aws:iam/rolePolicy:RolePolicy", "labeler-aws-pr-labeler-revocation-read", "labeler-aws-pr-labeler"),
    ]
    by_type = {r.type: r for r in tree if r.name != "labeler-aws-pr-labeler-revocation-read"}
    role = by_type["aws:iam/role:Role"].inputs
    assert role["name"] == "agent-pr-labeler-dev"  # the stack's name suffix
    assert role["maxSessionDuration"] == 3600  # a role's floor (1 h); sessions get 20 minutes (inventory below)
    trust = json.loads(role["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["StringEquals"][
        "token.actions.githubusercontent.com:sub"] == "repo:example-org/app:ref:refs/heads/main"
    tool_policy = json.loads(by_type["aws:iam/rolePolicy:RolePolicy"].inputs["policy"])
    assert [(s["Action"], s["Resource"]) for s in tool_policy["Statement"]] == [
        (["s3:GetObject"], ["arn:aws:s3:::example-label-rules/rules.json"])]
    state = json_format.MessageToDict(response.state)
    assert state["inventory"]["pr-labeler"]["owner"] == "dev-productivity@example.com"
    assert state["inventory"]["pr-labeler"]["credential_lifetime_minutes"] == 20


def _refusal(provider, inputs: dict[str, Any], type_: str = FLEET) -> tuple[str, list[tuple[str, str]]]:
    before = len(provider.registered())
    with pytest.raises(grpc.RpcError) as raised:
        provider.construct("refused", inputs, config=CONFIG, type_=type_)
    error = raised.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(provider.registered()) == before, "nothing may register when the args are refused"
    assert "Traceback" not in error.details()
    problems = []
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                unpacked = errors_pb2.InputPropertiesError()
                detail.Unpack(unpacked)
                problems += [(e.property_path, e.reason) for e in unpacked.errors]
    return error.details(), problems


GOOD_AGENT = {
    "name": "ok", "owner": "team", "purpose": "p", "environment": "dev", "reviewBy": "2031-01-01",
    "tools": [{"name": "t", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/k"]}}],
    "trust": [{"githubActions": {"repository": "o/r", "branch": "main"}}],
}


def test_spec_errors_come_back_as_input_errors_at_their_schema_path(provider):
    bad = {**GOOD_AGENT, "name": "Bad_Name",
           "tools": [{"name": "t", "azure": {"dataActions": ["Microsoft.Nope/things/read"], "scope": "/subscriptions/x"}},
                     {"name": "u", "aws": {"actions": ["s3:GetObjekt"], "resources": ["arn:aws:s3:::b/k"]}}]}
    message, problems = _refusal(provider, {"agents": [bad], "azure": {"resourceGroup": RESOURCE_GROUP}})
    paths = [path for path, _ in problems]
    assert "agents[0].name" in paths
    assert "agents[0].tools[1].aws.actions[0]" in paths
    assert any(path.startswith("agents[0].tools[0].azure.dataActions") for path in paths), paths
    assert "did you mean 's3:GetObject'" in dict(problems)["agents[0].tools[1].aws.actions[0]"]
    assert message == f"AgentFleet: {len(problems)} problem(s) in the args"


@pytest.mark.parametrize(("inputs", "path", "reason"), [
    ({}, "", "give exactly one of `agents`"),
    ({"agents": [GOOD_AGENT], "agentsFile": str(DEV)}, "", "give exactly one of `agents`"),
    ({"agentsFile": "stacks/agents/dev.yaml"}, "agentsFile", "is not an absolute path"),
    ({"agents": [GOOD_AGENT], "baseDirectory": "certs"}, "baseDirectory", "is not an absolute path"),
    ({"agentsFile": "/nonexistent/agents.yaml"}, "agentsFile", "/nonexistent/agents.yaml"),
    ({"agents": [GOOD_AGENT], "aws": {"githubOidcProviderArn": "arn:aws:iam::123456789012:role/x"}},
     "aws.githubOidcProviderArn", "awsGithubOidcProviderArn"),
    ({"agents": [GOOD_AGENT], "aws": {"cognitoUserPoolId": "eu-west-1_AbCdEf123"}}, "", "awsCognitoDomain"),
    ({"agents": [{**GOOD_AGENT, "tools": [{"name": "t", "azure": {"actions": ["Microsoft.Web/sites/read"],
                                                                   "scope": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg"}}]}]},
     "", "resource group"),
])
def test_bad_args_are_one_line_input_errors(provider, inputs, path, reason):
    _, problems = _refusal(provider, inputs)
    assert problems, "each refusal names its problems"
    assert any(p == path and reason in r for p, r in problems), problems
    assert all("\n" not in r for _, r in problems)


@pytest.mark.parametrize("inputs", [
    {"agents": "not a list"},
    {"agents": [5]},
    {"agents": [{**GOOD_AGENT, "maxCredentialMinutes": "fifteen"}]},
    {"agents": [{**GOOD_AGENT, "maxCredentialMinutes": 15.5}]},
    {"agents": [{**GOOD_AGENT, "name": 5}]},
    {"agents": [{**GOOD_AGENT, "tools": [{"name": "t", "oauth": {"audience": "https://a.example.com",
                                                                   "scopes": ["x"], "provider": "okta"}}]}]},
    {"agents": [{**GOOD_AGENT, "tools": "nope"}]},
    {"agents": [GOOD_AGENT], "agentsFile": 5},
    {"agentsFile": 5},
    {"agents": [GOOD_AGENT], "baseDirectory": ["/"]},
    {"agentsFile": "/"},
    {"agents": [GOOD_AGENT], "aws": {"kubernetesOidcProviderArns": {"https://oidc.example.com": 5}}},
    {"agents": [{**GOOD_AGENT, "name": f"agent-{index}"} for index in range(5001)]},
])
def test_hostile_args_are_refused_cleanly(provider, inputs):
    """Wrong shapes, wrong kinds, out-of-range sizes: an input error, never a traceback, nothing registered."""
    _, problems = _refusal(provider, inputs)
    assert problems
    assert all(len(reason) < 2000 for _, reason in problems)
