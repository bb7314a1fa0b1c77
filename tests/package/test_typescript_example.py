"""examples/typescript: the args its `new agentid.AgentFleet(...)` passes are accepted by Construct and build exact resources.

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
from google.protobuf import json_format

from agentid.preview.monitor import SECRET_SIG, SIGNATURE_KEY
from tests.package.conftest import FLEET, REPO
from tests.package.test_construct import CONFIG, _relative_parent, _tree

EXAMPLE = REPO / "examples" / "typescript"
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
    this.inventory = {}; this.oauthClientSecrets = {};
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


def _keys_outside_schema(value: Any, ref: str, schema: dict[str, Any], where: str) -> list[str]:
    """Keys the example writes that the schema type `ref` does not declare (a typo the SDK's types would catch)."""
    if ref == "pulumi.json#/Any":
        return []
    declared = schema["types"][ref.removeprefix("#/types/")]
    problems = []
    for key, item in value.items():
        prop = declared.get("properties", {}).get(key)
        if prop is None:
            problems.append(f"{where}.{key}")
        else:
            problems += _prop_problems(item, prop, schema, f"{where}.{key}")
    return problems


def _prop_problems(value: Any, prop: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    if "$ref" in prop and isinstance(value, dict):
        return _keys_outside_schema(value, prop["$ref"], schema, where)
    if prop.get("type") == "array":
        return [p for index, item in enumerate(value) for p in _prop_problems(item, prop["items"], schema, f"{where}[{index}]")]
    return []


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
        ("agentid:aws:AgentFleet", "aws", "<fleet>"),
        ("agentid:aws:AgentIdentity", "pr-labeler", "aws"),
        ("agentid:index:AgentFleet", "agents-ts", ""),
        ("aws:cognito/resourceServer:ResourceServer", "oauth-mcp.tickets.example.com", "aws"),
        ("aws:cognito/userPool:UserPool", "oauth", "aws"),
        ("aws:cognito/userPoolClient:UserPoolClient", "pr-labeler-oauth-client", "pr-labeler"),
        ("aws:cognito/userPoolDomain:UserPoolDomain", "oauth", "aws"),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "github-actions", "aws"),
        ("aws:iam/policy:Policy", "pr-labeler-boundary", "pr-labeler"),
        ("aws:iam/role:Role", "pr-labeler-role", "pr-labeler"),
        ("aws:iam/rolePolicy:RolePolicy", "pr-labeler-read-rules", "pr-labeler"),
    ]
    state = json_format.MessageToDict(response.state)
    assert state["inventory"]["pr-labeler"]["tools"] == ["read-rules", "ticket-mcp"]
    assert state["inventory"]["pr-labeler"]["environment"] == "dev"
    # The Cognito client secret leaves the provider as a secret (the engine encrypts it in the state).
    assert state["oauthClientSecrets"][SIGNATURE_KEY] == SECRET_SIG
    assert set(state["oauthClientSecrets"]["value"]) == {"pr-labeler"}


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_typescript_example_references_an_existing_github_provider_from_config(provider, tmp_path):
    arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    [call] = _run_example(tmp_path, config={"githubOidcProviderArn": arn})
    response = provider.construct("agents-ts-shared", call["args"], config=CONFIG)
    tree = _tree(provider.registered(), response.urn)
    assert not [r for r in tree if r.type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider"]
    role = next(r for r in tree if r.type == "aws:iam/role:Role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Federated": arn}
