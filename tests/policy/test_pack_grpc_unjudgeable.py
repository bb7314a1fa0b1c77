"""AGID-GEN-001 over gRPC: resources the pack cannot judge that create identities or run code block.

red1 finding 2: `aws-native:iam:Role`/`User`/`AccessKey`, classic `azure:authorization/assignment:Assignment`,
`command:local:Command` and dynamic providers passed because no rule names their type tokens.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from tests.policy.test_pack_grpc import PACK, urn


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def blocked(pack, *types: str) -> list[str]:
    pack.configure({})
    resources = [StackResource(t, f"r{i}", urn(t, f"r{i}"), {}) for i, t in enumerate(types)]
    return sorted(d.urn.split("::")[-2] for d in pack.analyze_stack(resources)
                  if d.policy_name == "AGID-GEN-001" and d.enforcement_level == "mandatory")


FLAGGED = ["aws-native:iam:Role", "aws-native:iam:User", "aws-native:iam:AccessKey", "aws-native:sso:PermissionSet",
           "azure:authorization/assignment:Assignment", "google-native:iam/v1:ServiceAccountKey",
           "command:local:Command", "command:remote:Command", "pulumi-python:dynamic:Resource",
           "pulumi-nodejs:dynamic:Resource"]
# look-alikes: covered packages (their own rules judge them), non-identity modules of unknown packages,
# the engine's own types, and a user component whose module is not identity-bearing
PASSING = ["aws:iam/role:Role", "azure-native:authorization:RoleAssignment", "aws-native:s3:Bucket",
           "azure:storage/account:Account", "pulumi:providers:aws-native", "pulumi:providers:command",
           "acme:index:AgentStack", "random:index/randomPassword:RandomPassword"]


@pytest.mark.parametrize("type_", FLAGGED)
def test_unjudgeable_identity_or_code_resources_block(pack, type_):
    assert blocked(pack, type_) == [type_]


def test_look_alikes_pass(pack):
    assert blocked(pack, *PASSING) == []
