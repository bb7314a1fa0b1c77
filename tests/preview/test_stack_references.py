"""`agentid preview` answers a program's StackReference reads with the referenced stack's own preview outputs.

The engine's ReadResource for `pulumi:pulumi:StackReference` returns the stack's outputs and the names of the secret
ones; the gate previews that stack (same project, or a project given with --reference-project) or reads deployed
outputs (--stack-outputs NAME=FILE). Whatever cannot be answered fails the run: no program runs on made-up inputs.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from agentid_components.azure.plan import app_role_id
from tests.preview.conftest import TRIVIAL_PACK, copy_project, run_cli

GITHUB_PROVIDER = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"

# One program for both roles: with config `ref` it reads that stack's outputs; without, it exports them.
PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
reference = config.get("ref")
if reference:
    platform = pulumi.StackReference(reference)
    provider = platform.require_output("providerArn")
    aws.iam.Role("agent", name="agent-x", assume_role_policy=provider.apply(lambda arn: json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": arn},
        "Action": "sts:AssumeRoleWithWebIdentity"}]})))
    pulumi.export("seenProvider", provider)
    pulumi.export("token", platform.get_output("token"))
    pulumi.export("tokenLength", pulumi.Output.unsecret(platform.get_output("token").apply(len)))
else:
    aws.s3.BucketV2("shared", bucket="shared-" + pulumi.get_stack())
    pulumi.export("providerArn", config.get("provider") or "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")
    pulumi.export("token", pulumi.Output.secret("s3cr3t-" + pulumi.get_stack()))
'''


def _project(root: Path, name: str, stacks: dict[str, dict[str, str]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (root / "__main__.py").write_text(PROGRAM)
    for stack, config in stacks.items():
        lines = "".join(f"  {name}:{key}: {json.dumps(value)}\n" for key, value in config.items())
        (root / f"Pulumi.{stack}.yaml").write_text("config:\n" + lines if lines else "config: {}\n")
    return root


def _preview(directory: Path, stack: str, *extra: str):
    return run_cli(directory, "--stack", stack, "--policy-pack", str(TRIVIAL_PACK), "--json", "out.json", *extra)


def test_a_stack_of_the_same_project_is_previewed_to_answer(tmp_path: Path):
    project = _project(tmp_path / "p", "consumer", {"shared": {}, "team": {"ref": "organization/consumer/shared"}})
    run = _preview(project, "team")
    assert run.code == 0, run.stdout + run.stderr
    result = run.json("out.json")
    assert result["outputs"] == {"seenProvider": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
                                 "token": "[secret]", "tokenLength": len("s3cr3t-shared")}
    assert result["stackReferences"] == {"organization/consumer/shared": "preview of consumer/shared (__main__.py)"}
    [role] = [r for r in result["resources"] if r["type"] == "aws:iam/role:Role"]
    assert role["name"] == "agent"
    # the referenced stack's resources are not this stack's: it is judged by its own preview
    assert not any(r["type"] == "aws:s3/bucketV2:BucketV2" for r in result["resources"])
    assert "stack reference organization/consumer/shared: answered by the preview of consumer/shared" in " ".join(run.stdout.split())


def test_short_names_and_another_project(tmp_path: Path):
    platform = _project(tmp_path / "platform", "platform", {"prod": {"provider": GITHUB_PROVIDER}})
    agents = _project(tmp_path / "agents", "agents", {"prod": {"ref": "platform/prod"}, "local": {"ref": "prod2"},
                                                      "prod2": {"provider": GITHUB_PROVIDER}})
    run = _preview(agents, "prod")
    assert run.code == 2
    said = " ".join(run.stdout.split())
    assert ("stack reference 'platform/prod' names project 'platform', which is not this project (agents): pass its "
            "directory with --reference-project DIR (none given), or its deployed outputs with --stack-outputs "
            "platform/prod=FILE") in said
    run = _preview(agents, "prod", "--reference-project", str(platform))
    assert run.code == 0, run.stdout
    assert run.json("out.json")["outputs"]["seenProvider"] == GITHUB_PROVIDER
    assert run.json("out.json")["stackReferences"] == {"platform/prod": f"preview of platform/prod (__main__.py)"}
    run = _preview(agents, "local")  # a bare stack name is a stack of this project
    assert run.code == 0 and run.json("out.json")["outputs"]["seenProvider"] == GITHUB_PROVIDER


def test_deployed_outputs_from_a_file(tmp_path: Path):
    project = _project(tmp_path / "p", "consumer", {"team": {"ref": "acme/platform/prod"}})
    (project / "platform.json").write_text(json.dumps({"providerArn": GITHUB_PROVIDER, "token": "t0k"}))
    run = _preview(project, "team", "--stack-outputs", "acme/platform/prod=platform.json")
    assert run.code == 0, run.stdout
    assert run.json("out.json")["outputs"] == {"seenProvider": GITHUB_PROVIDER, "token": "t0k", "tokenLength": 3}
    for bad, message in (("acme/platform/prod", "--stack-outputs 'acme/platform/prod': expected NAME=FILE"),
                         ("acme/platform/prod=missing.json", "--stack-outputs acme/platform/prod=missing.json:")):
        run = _preview(project, "team", "--stack-outputs", bad)
        assert run.code == 2 and message in " ".join(run.stdout.split()), run.stdout
    (project / "list.json").write_text("[1, 2]")
    run = _preview(project, "team", "--stack-outputs", "acme/platform/prod=list.json")
    assert run.code == 2 and "expected a JSON object of output name -> value" in " ".join(run.stdout.split())


def test_what_cannot_be_answered_fails_the_run(tmp_path: Path):
    project = _project(tmp_path / "p", "consumer", {
        "a": {"ref": "b"}, "b": {"ref": "a"},  # a cycle
        "missing": {"ref": "nowhere"},  # no such stack
        "broken": {"ref": "bad/name/with/parts"},
        "escape": {"ref": "consumer/../a"},
    })
    cases = {"a": "stack reference cycle: consumer/a -> consumer/b -> consumer/a",
             "missing": "stack reference 'nowhere': no stack 'nowhere': Pulumi.nowhere.yaml does not exist",
             "broken": "stack reference 'bad/name/with/parts' is not a stack name: expected ORG/PROJECT/STACK",
             "escape": "stack reference 'consumer/../a' is not a stack name"}
    for stack, message in cases.items():
        run = _preview(project, stack)
        assert run.code == 2, run.stdout
        said = " ".join(run.stdout.split())
        assert "error (program)" in said and message in said, said


def test_a_failing_referenced_program_fails_the_referencing_preview(tmp_path: Path):
    project = _project(tmp_path / "p", "consumer", {"shared": {}, "team": {"ref": "shared"}})
    (project / "__main__.py").write_text(PROGRAM.replace('aws.s3.BucketV2("shared"', 'raise RuntimeError("platform broke")\n    aws.s3.BucketV2("shared"'))
    run = _preview(project, "team")
    assert run.code == 2
    said = " ".join(run.stdout.split())
    assert "stack reference 'shared': the preview of consumer/shared failed: the program raised RuntimeError: platform broke" in said


def test_the_shipped_platform_stack_exports_what_agent_stacks_read(tmp_path: Path):
    project = copy_project(tmp_path)
    run = run_cli(project, "--stack", "platform", "--json", "out.json")
    assert run.code == 0, run.stdout + run.stderr
    result = run.json("out.json")
    assert sorted((r["type"], r["name"]) for r in result["resources"]) == [
        ("agentid:index:Platform", "platform"),  # its children are named after it (Pulumi's convention)
        ("aws:cognito/resourceServer:ResourceServer", "platform-oauth-mcp.tickets.example.com"),
        ("aws:cognito/userPool:UserPool", "platform-oauth"),
        ("aws:cognito/userPoolDomain:UserPoolDomain", "platform-oauth"),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "platform-github-actions"),
        ("aws:rolesanywhere/trustAnchor:TrustAnchor", "platform-spiffe-data-example-org"),
        ("azuread:index/application:Application", "platform-agentid-api-catalog.data.example.com"),
        ("azuread:index/servicePrincipal:ServicePrincipal", "platform-agentid-api-catalog.data.example.com"),
    ]
    outputs = result["outputs"]
    assert outputs["githubOidcProviderArn"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    assert outputs["cognitoDomain"] == "agentid-agent-identity-kit-platform"
    assert outputs["cognitoResourceServers"] == {"https://mcp.tickets.example.com": "https://mcp.tickets.example.com"}
    assert list(outputs["rolesAnywhereTrustAnchorArns"]) == ["data.example.org"]
    catalog = outputs["entraApiApplications"]["https://catalog.data.example.com"]
    # the agent stacks' grants name the same app role ids without reading them from the platform
    assert catalog["appRoleIds"] == {"datasets.write": app_role_id("https://catalog.data.example.com", "datasets.write")}
    assert set(catalog) == {"appRoleIds", "clientId", "servicePrincipalObjectId"}


def test_bad_platform_settings_are_one_line_each(tmp_path: Path):
    project = copy_project(tmp_path)
    stack_file = project / "stacks" / "Pulumi.platform.yaml"
    stack_file.write_text(stack_file.read_text().replace("scopes: [datasets.write]", "scopes: [datasets.*]"))
    run = run_cli(project, "--stack", "platform")
    assert run.code == 2
    said = " ".join(run.stdout.split())
    assert ("error (config): config agent-identity-kit:platform.apis[1].scopes[0]: 'datasets.*' is not a valid OAuth "
            "scope") in said, said
    assert "Traceback" not in run.stdout + run.stderr


def test_platform_outputs_name_what_the_platform_does_not_export(tmp_path: Path):
    """Settings for what the agents use come from the platform; one it does not export fails naming it, others nothing."""
    project = _project(tmp_path / "p", "consumer", {"team": {}, "oauth": {"cognito": True}})
    (project / "__main__.py").write_text(textwrap.dedent('''
        import pulumi
        import pulumi_aws as aws
        from agentid_components.platform import platform_outputs
        from agentid_components.spec import Agent

        tool = ({"name": "t", "oauth": {"audience": "https://mcp.example.com", "scopes": ["r"]}}
                if pulumi.Config().get_bool("cognito") else
                {"name": "t", "aws": {"actions": ["sqs:SendMessage"], "resources": ["arn:aws:sqs:eu-west-1:123456789012:q"]}})
        agent = Agent.model_validate({"name": "a", "owner": "team", "purpose": "p", "environment": "dev",
                                      "review_by": "2031-01-01", "tools": [tool],
                                      "trust": [{"github_actions": {"repository": "acme/a", "branch": "main"}}]})
        shared = platform_outputs("acme/platform/prod")
        args = shared.aws_settings_args([agent])
        aws.s3.BucketV2("b", bucket="b")
        pulumi.export("settings", sorted(args))
        pulumi.export("servers", args["cognito_resource_servers"])
        pulumi.export("apps", shared.azure_settings_args()["api_applications"])
        pulumi.export("provider", args["github_oidc_provider_arn"])
    '''))
    outputs = project / "platform.json"
    outputs.write_text(json.dumps({"githubOidcProviderArn": GITHUB_PROVIDER,
                                   "cognitoResourceServers": {"https://mcp.example.com": "https://mcp.example.com"}}))
    run = _preview(project, "team", "--stack-outputs", f"acme/platform/prod={outputs}")
    assert run.code == 0, run.stdout
    assert run.json("out.json")["outputs"] == {  # no Cognito tool: no pool asked for, none missing
        "settings": ["cognito_resource_servers", "github_oidc_provider_arn", "roles_anywhere_trust_anchor_arns"],
        "provider": GITHUB_PROVIDER, "apps": {}, "servers": {"https://mcp.example.com": "https://mcp.example.com"}}
    run = _preview(project, "oauth", "--stack-outputs", f"acme/platform/prod={outputs}")
    assert run.code == 2
    # pool id and domain are both missing: whichever resolves first is named
    assert re.search(r"platform stack acme/platform/prod exports no cognito(UserPoolId|Domain): set an API with "
                     r"provider cognito in its platform", " ".join(run.stdout.split())), run.stdout
    outputs.write_text(json.dumps({"cognitoUserPoolId": "eu-west-1_AbCdEf123"}))
    run = _preview(project, "team", "--stack-outputs", f"acme/platform/prod={outputs}")
    assert run.code == 2
    assert ("platform stack acme/platform/prod exports no githubOidcProviderArn: set github_actions: true in its "
            "platform") in " ".join(run.stdout.split())
