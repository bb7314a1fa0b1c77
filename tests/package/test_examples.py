"""examples/typescript and examples/yaml: the args they pass are accepted by Construct and build exact resources.

examples/yaml's resource properties are the args as written (after `${pulumi.stack}`).

No Pulumi CLI, no generated SDK here: node runs index.ts (written in the subset of
TypeScript that is plain JavaScript) with stand-ins for `@pulumi/pulumi` and
`@pulumi/agentid` that record the component's name and args; those args go to the
provider's Construct over gRPC exactly as the generated SDK would send them.
Every key the example writes must be a schema input or type property.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format

from tests.package.conftest import FLEET, REPO
from tests.package.test_construct import CONFIG, _comparable, _relative_parent, _tree

EXAMPLE = REPO / "examples" / "typescript"
YAML_EXAMPLE = REPO / "examples" / "yaml" / "Pulumi.yaml"
NODE = shutil.which("node")

PULUMI_STAND_IN = """
class Config { get(key) { return (JSON.parse(process.env.EXAMPLE_CONFIG || "{}"))[key]; }
               require(key) { const v = this.get(key); if (v === undefined) throw new Error(key); return v; } }
exports.Config = Config;
exports.getStack = () => "dev";
"""
AGENTID_STAND_IN = """
const fs = require("fs");
class AgentFleet {
  constructor(name, args, opts) {
    fs.appendFileSync(process.env.EXAMPLE_RECORD, JSON.stringify({type: "agentid:index:AgentFleet", name, args}) + "\\n");
    this.inventory = {};
  }
}
exports.AgentFleet = AgentFleet;
"""


def _run_example(tmp_path: Path, config: dict[str, str]) -> list[dict[str, Any]]:
    work = tmp_path / "example"
    work.mkdir()
    # An ES module with the example's code: its imports resolve to the stand-ins in node_modules.
    (work / "index.mjs").write_text((EXAMPLE / "index.ts").read_text().replace(
        "path.resolve(__dirname)", "path.resolve(EXAMPLE_DIR)"), encoding="utf-8")
    (work / "index.mjs").write_text(f"const EXAMPLE_DIR = {json.dumps(str(EXAMPLE))};\n"
                                    + (work / "index.mjs").read_text(), encoding="utf-8")
    for package, source in (("pulumi", PULUMI_STAND_IN), ("agentid", AGENTID_STAND_IN)):
        folder = work / "node_modules" / "@pulumi" / package
        folder.mkdir(parents=True)
        (folder / "index.js").write_text(source, encoding="utf-8")
        (folder / "package.json").write_text(json.dumps({"name": f"@pulumi/{package}", "main": "index.js"}))
    record = work / "record.jsonl"
    env = {"PATH": "/usr/bin:/bin", "EXAMPLE_RECORD": str(record), "EXAMPLE_CONFIG": json.dumps(config)}
    result = subprocess.run([NODE, "index.mjs"], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in record.read_text().splitlines()]


_KINDS = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "object": (dict,),
          "array": (list,)}


def _prop_problems(value: Any, prop: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    """What the generated SDK's types would reject: a key the schema does not declare, a value of another kind,
    a value outside an enum."""
    if prop.get("$ref") == "pulumi.json#/Any":
        return []
    if "$ref" in prop:
        declared = schema["types"][prop["$ref"].removeprefix("#/types/")]
        if "enum" in declared:
            allowed = [member["value"] for member in declared["enum"]]
            return [] if value in allowed else [f"{where}: {value!r} is not one of {allowed}"]
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        problems = [f"{where}.{key}: not in the schema" for key in value if key not in declared["properties"]]
        return problems + [p for key, item in value.items() if key in declared["properties"]
                           for p in _prop_problems(item, declared["properties"][key], schema, f"{where}.{key}")]
    kind = prop.get("type")
    if kind and (not isinstance(value, _KINDS[kind]) or (kind != "boolean" and isinstance(value, bool))):
        return [f"{where}: {type(value).__name__} where the schema says {kind}"]
    if kind == "array":
        return [p for index, item in enumerate(value) for p in _prop_problems(item, prop["items"], schema, f"{where}[{index}]")]
    if kind == "object" and "additionalProperties" in prop:
        return [p for key, item in value.items()
                for p in _prop_problems(item, prop["additionalProperties"], schema, f"{where}.{key}")]
    return []


def test_the_schema_check_catches_what_an_sdk_would(provider):
    """The check the examples go through is not vacuous."""
    schema = provider.schema()
    agents = schema["resources"][FLEET]["inputProperties"]["agents"]
    bad = [{"name": "a", "reviewBy": 20310630, "maxCredentialMinutes": "15", "tools": [{"nmae": "t"}],
            "trust": [{"githubActions": {"repository": "o/r"}}],
            "oauthy": 1}]
    problems = _prop_problems(bad, agents, schema, "agents")
    assert problems == ["agents[0].oauthy: not in the schema",
                        "agents[0].reviewBy: int where the schema says string",
                        "agents[0].maxCredentialMinutes: str where the schema says integer",
                        "agents[0].tools[0].nmae: not in the schema"]
    tool = {"name": "t", "oauth": {"audience": "https://a", "scopes": ["s"], "provider": "okta"}}
    assert _prop_problems([tool], schema["types"]["agentid:index:Agent"]["properties"]["tools"], schema, "tools") == [
        "tools[0].oauth.provider: 'okta' is not one of ['cognito', 'entra', 'oidc']"]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_typescript_example_constructs_exactly_these_resources(provider, tmp_path):
    [call] = _run_example(tmp_path, config={})
    assert (call["type"], call["name"]) == (FLEET, "agents")
    args = call["args"]
    inputs = provider.schema()["resources"][FLEET]["inputProperties"]
    assert set(args) - set(inputs) == set()
    schema = provider.schema()
    problems = [p for key, value in args.items() for p in _prop_problems(value, inputs[key], schema, key)]
    assert problems == []

    response = provider.construct("agents-ts", args, config=CONFIG)
    tree = _tree(provider.registered(), response.urn)
    assert sorted((r.type, r.name, _relative_parent(r, response.urn)) for r in tree) == [
        ("agentid:aws:AgentFleet", "agents-ts-aws", "<fleet>"),
        ("agentid:aws:AgentIdentity", "agents-ts-aws-pr-labeler", "agents-ts-aws"),
        ("agentid:index:AgentFleet", "agents-ts", ""),
        ("aws:cognito/resourceServer:ResourceServer", "agents-ts-aws-oauth-mcp.tickets.example.com", "agents-ts-aws"),
        ("aws:cognito/userPool:UserPool", "agents-ts-aws-oauth", "agents-ts-aws"),
        ("aws:cognito/userPoolClient:UserPoolClient", "agents-ts-aws-pr-labeler-oauth-client", "agents-ts-aws-pr-labeler"),
        ("aws:cognito/userPoolDomain:UserPoolDomain", "agents-ts-aws-oauth", "agents-ts-aws"),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "agents-ts-aws-github-actions", "agents-ts-aws"),
        ("aws:iam/policy:Policy", "agents-ts-aws-pr-labeler-boundary", "agents-ts-aws-pr-labeler"),
        ("aws:iam/role:Role", "agents-ts-aws-pr-labeler-role", "agents-ts-aws-pr-labeler"),
        ("aws:iam/rolePolicy:RolePolicy", "agents-ts-aws-pr-labeler-oauth-client-secret", "agents-ts-aws-pr-labeler"),
        ("aws:iam/rolePolicy:RolePolicy", "agents-ts-aws-pr-labeler-read-rules", "agents-ts-aws-pr-labeler"),
        ("aws:iam/rolePolicy:RolePolicy", "agents-ts-aws-pr-labeler-revocation-read", "agents-ts-aws-pr-labeler"),
        ("aws:secretsmanager/secret:Secret", "agents-ts-aws-pr-labeler-oauth-client-secret", "agents-ts-aws-pr-labeler"),
        ("aws:secretsmanager/secretPolicy:SecretPolicy", "agents-ts-aws-pr-labeler-oauth-client-secret", "agents-ts-aws-pr-labeler"),
        ("aws:secretsmanager/secretVersion:SecretVersion", "agents-ts-aws-pr-labeler-oauth-client-secret", "agents-ts-aws-pr-labeler"),
    ]
    state = json_format.MessageToDict(response.state)
    assert state["inventory"]["pr-labeler"]["tools"] == ["read-rules", "ticket-mcp"]
    assert state["inventory"]["pr-labeler"]["environment"] == "dev"
    # No output holds the Cognito client secret: it is in Secrets Manager, the inventory names its ARN.
    assert set(state) == {"inventory"}
    assert state["inventory"]["pr-labeler"]["aws"]["oauth"]["client_secret_arn"].startswith("arn:aws:secretsmanager:")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_typescript_example_references_an_existing_github_provider_from_config(provider, tmp_path):
    arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    [call] = _run_example(tmp_path, config={"githubOidcProviderArn": arn})
    response = provider.construct("agents-ts-shared", call["args"], config=CONFIG)
    tree = _tree(provider.registered(), response.urn)
    assert not [r for r in tree if r.type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider"]
    role = next(r for r in tree if r.type == "aws:iam/role:Role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Federated": arn}


def _yaml_fleets() -> list[tuple[str, dict[str, Any]]]:
    program = yaml.safe_load(YAML_EXAMPLE.read_text())
    fleets = []
    for name, resource in program["resources"].items():
        if resource["type"] in (FLEET, "agentid:AgentFleet"):
            text = json.dumps(resource["properties"]).replace("${pulumi.stack}", "dev")
            assert "${" not in text, "the test resolves only ${pulumi.stack}"
            fleets.append((name, json.loads(text)))
    return fleets


def test_yaml_example_properties_are_schema_inputs(provider):
    [(name, args)] = _yaml_fleets()
    schema = provider.schema()
    inputs = schema["resources"][FLEET]["inputProperties"]
    assert set(args) <= set(inputs)
    assert [p for key, value in args.items() for p in _prop_problems(value, inputs[key], schema, key)] == []
    outputs = yaml.safe_load(YAML_EXAMPLE.read_text())["outputs"]
    assert {value.removeprefix(f"${{{name}.").removesuffix("}") for value in outputs.values()} <= set(
        schema["resources"][FLEET]["properties"])


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_yaml_and_typescript_examples_build_the_same_resources(provider, tmp_path):
    """The same agent declared in two languages: the same roles, policies, trust and OAuth client."""
    [(_, yaml_args)] = _yaml_fleets()
    [call] = _run_example(tmp_path, config={})
    rows = []
    for name, args in (("from-yaml", yaml_args), ("from-ts", call["args"])):
        response = provider.construct(name, args, config=CONFIG)
        rows.append(_comparable([r for r in _tree(provider.registered(), response.urn) if r.type != FLEET],
                                response.urn))
    assert rows[0] == rows[1]
    # 10 + the Cognito client secret (Secret, SecretVersion, SecretPolicy, its RolePolicy) + the revocation record's read
    assert len(rows[0]) == 15
