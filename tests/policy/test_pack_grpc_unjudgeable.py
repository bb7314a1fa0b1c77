"""AGID-GEN-001 over gRPC: resources the pack cannot judge that create identities or run code block.

red1 finding 2: `aws-native:iam:Role`/`User`/`AccessKey`, classic `azure:authorization/assignment:Assignment`,
`command:local:Command` and dynamic providers passed because no rule names their type tokens.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn


def blocked(pack, *types: str) -> list[str]:
    pack.configure({})
    resources = [StackResource(t, f"r{i}", urn(t, f"r{i}"), {}) for i, t in enumerate(types)]
    return sorted(d.urn.split("::")[-2] for d in pack.analyze_stack(resources)
                  if d.policy_name == "AGID-GEN-001" and d.enforcement_level == "mandatory")


FLAGGED = ["aws-native:iam:Role", "aws-native:iam:User", "aws-native:iam:AccessKey", "aws-native:sso:PermissionSet",
           "azure:authorization/assignment:Assignment", "google-native:iam/v1:ServiceAccountKey",
           "command:local:Command", "command:remote:Command", "pulumi-python:dynamic:Resource",
           "pulumi-nodejs:dynamic:Resource",
           "kubernetes:helm.sh/v3:Release"]  # red10 1: the chart's objects are never registered
# look-alikes: covered packages (their own rules judge them), non-identity modules of unknown packages,
# the engine's own types, and a user component whose module is not identity-bearing
PASSING = ["aws:iam/role:Role", "azure-native:authorization:RoleAssignment", "aws-native:s3:Bucket",
           "azure:storage/account:Account", "pulumi:providers:aws-native", "pulumi:providers:command",
           "acme:index:AgentStack", "random:index/randomPassword:RandomPassword",
           "kubernetes:helm.sh/v4:Chart"]  # registers its objects: each is judged


@pytest.mark.parametrize("type_", FLAGGED)
def test_unjudgeable_identity_or_code_resources_block(pack, type_):
    assert blocked(pack, type_) == [type_]


def test_look_alikes_pass(pack):
    assert blocked(pack, *PASSING) == []


def findings(pack, resources: list[StackResource], policy: str) -> list:
    pack.configure({})
    return [d for d in pack.analyze_stack(resources) if d.policy_name == policy]


@pytest.mark.parametrize("type_", ["acme:iam:AgentRole", "acme:identity:Workforce", "platform:rbac/v1:TeamAccess",
                                   "aws-native:iam:Role"])
def test_a_component_named_like_an_identity_module_is_not_a_cloud_resource(pack, type_):
    """The engine sends a component without a provider: it creates nothing; its children are judged one by one."""
    component = StackResource(type_, "ops", urn(type_, "ops"), {}, custom=False)
    assert findings(pack, [component], "AGID-GEN-001") == []
    assert findings(pack, [component], "AGID-GEN-002") == []
    # the same token as a provider's custom resource still blocks
    custom = StackResource(type_, "ops", urn(type_, "ops"), {})
    [diag] = findings(pack, [custom], "AGID-GEN-001")
    assert diag.enforcement_level == "mandatory" and type_ in diag.message


def test_resources_of_a_package_no_rule_knows_block_once_per_package(pack):
    tokens = ["cloudflare:index/apiToken:ApiToken", "cloudflare:index/record:Record", "cloudflare:index/record:Record",
              "github:index/actionsSecret:ActionsSecret"]
    resources = [StackResource(t, f"r{i}", urn(t, f"r{i}"), {}) for i, t in enumerate(tokens)]
    diags = findings(pack, resources, "AGID-GEN-002")
    assert [(d.enforcement_level, d.urn.split("::")[-1]) for d in diags] == [("mandatory", "r0"), ("mandatory", "r3")]
    assert ("3 resource(s) of package 'cloudflare', which no rule of this pack knows, were not judged: "
            "cloudflare:index/apiToken:ApiToken, cloudflare:index/record:Record") in diags[0].message
    assert "package 'github'" in diags[1].message
    # look-alikes: covered packages, identity-free packages, the engine's own, components, and GEN-001's blocks
    quiet = ["aws:s3/bucketV2:BucketV2", "random:index/randomPassword:RandomPassword", "time:index/sleep:Sleep",
             "pulumi:providers:cloudflare", "command:local:Command", "cloudflare:iam:Thing"]
    resources = [StackResource(t, f"q{i}", urn(t, f"q{i}"), {}) for i, t in enumerate(quiet)]
    resources.append(StackResource("cloudflare:index/zone:Zone", "c", urn("cloudflare:index/zone:Zone", "c"), {},
                                   custom=False))
    assert findings(pack, resources, "AGID-GEN-002") == []


# red11b 9: docker containers, services, plugins and image builds run code at `pulumi up` on the deploy runner (or the
# docker host it reaches) with inputs the program chooses, like the command provider (analysis/deploy_runner_code.yaml)
PRIVILEGED_HOST_CONTAINER = {  # the red team's shape: privileged, host pid, host `/` mounted, reads /proc/*/environ
    "name": "c", "image": "amazon/aws-cli:latest", "privileged": True, "pidMode": "host", "mustRun": True,
    "volumes": [{"hostPath": "/", "containerPath": "/host"}], "entrypoints": ["sh", "-c"],
    "command": ["for p in /proc/[0-9]*; do cat $p/environ; done"]}
PLAIN_CONTAINER = {"name": "web", "image": "nginx:1.27", "ports": [{"internal": 80.0, "external": 8080.0}]}


@pytest.mark.parametrize(("type_", "props"), [
    ("docker:index/container:Container", PRIVILEGED_HOST_CONTAINER),
    # not privileged, nothing mounted: the program can still pass it the deployer's keys in `envs` at `pulumi up`
    ("docker:index/container:Container", PLAIN_CONTAINER),
    ("docker:index/service:Service", {"taskSpec": {"containerSpec": {"image": "alpine:3"}}}),
    ("docker:index/plugin:Plugin", {"name": "vieux/sshfs:latest", "grantAllPermissions": True}),
    ("docker:index/image:Image", {"imageName": "acme/app:1", "build": {"context": "./app"}, "skipPush": True}),
    ("docker:index/buildxBuilder:BuildxBuilder", {"driver": "docker-container"}),
    ("docker-build:index:Image", {"tags": ["acme/app:1"], "context": {"location": "./app"}, "push": False}),
    ("docker:index/remoteImage:RemoteImage", {"name": "acme/app:1", "build": {"context": "./app"}}),
    ("docker:index/remoteImage:RemoteImage", {"name": "acme/app:1", "build": UNKNOWN}),  # may build: fail closed
    # the same code in the kubernetes provider: a Helm v4 chart's post-renderer is an executable it runs
    ("kubernetes:helm.sh/v4:Chart", {"chart": "oci://registry.example/app", "postRenderer": {"command": "./render.sh"}}),
])
def test_docker_code_on_the_deploy_runner_blocks(pack, type_, props):
    [diag] = findings(pack, [StackResource(type_, "c", urn(type_, "c"), props)], "AGID-GEN-001")
    assert diag.enforcement_level == "mandatory" and type_ in diag.message and "deployer's credentials" in diag.message
    # not also an "unknown package" advisory: GEN-001 owns it
    assert findings(pack, [StackResource(type_, "c", urn(type_, "c"), props)], "AGID-GEN-002") == []


def test_docker_resources_that_run_no_code_pass(pack):
    """Look-alikes: pulling a registry image (no `build`), pushing / tagging what exists, networks and volumes."""
    quiet = [("docker:index/remoteImage:RemoteImage", {"name": "public.ecr.aws/docker/library/nginx:1.27"}),
             ("docker:index/remoteImage:RemoteImage", {"name": "nginx:1.27", "build": None}),
             ("docker:index/registryImage:RegistryImage", {"name": "acme/app:1"}),
             ("docker:index/tag:Tag", {"sourceImage": "acme/app:1", "targetImage": "acme/app:stable"}),
             ("docker:index/network:Network", {"name": "n"}), ("docker:index/volume:Volume", {"name": "v"}),
             ("docker-build:index:Index", {"tag": "acme/app:1", "sources": ["acme/app:amd64"]}),
             ("kubernetes:helm.sh/v4:Chart", {"chart": "oci://registry.example/app", "postRenderer": None})]
    resources = [StackResource(t, f"q{i}", urn(t, f"q{i}"), p) for i, (t, p) in enumerate(quiet)]
    assert findings(pack, resources, "AGID-GEN-001") == []


def test_a_reviewed_package_is_not_reported(pack):
    tokens = ["cloudflare:index/record:Record", "github:index/actionsSecret:ActionsSecret"]
    resources = [StackResource(t, f"r{i}", urn(t, f"r{i}"), {}) for i, t in enumerate(tokens)]
    pack.configure({"AGID-GEN-002": {"reviewedPackages": ["cloudflare"]}})
    try:
        diags = [d for d in pack.analyze_stack(resources) if d.policy_name == "AGID-GEN-002"]
    finally:
        pack.configure({})
    assert [d.urn.split("::")[-1] for d in diags] == ["r1"] and "package 'github'" in diags[0].message
