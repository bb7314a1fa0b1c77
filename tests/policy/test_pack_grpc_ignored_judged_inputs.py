"""AGID-GEN-011 over gRPC, as the engine sends it: a judged input in `ignoreChanges` (AnalyzerResourceOptions) blocks
(red17 r17-5: an existing admin policy adopted with import_ + ignore_changes=["policy"], judged as the harmless
document the program declares)."""

from __future__ import annotations

import json

from agentid.analyzer_client import StackResource
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GEN-011"
POLICY = "aws:iam/policy:Policy"
HARMLESS_DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]})


def _findings(pack, *resources: StackResource) -> list[tuple[str, str, str]]:
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level, d.message) for d in pack.analyze_stack(list(resources))
                  if d.policy_name == RULE)


def _resource(type_: str, name: str, props: dict, ignore: list[str], **extra) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, ignore_changes=ignore, **extra)


def test_an_ignored_policy_document_blocks_and_names_the_input(pack) -> None:
    found = _findings(pack, _resource(POLICY, "ops-admin", {"name": "OpsAdmin", "policy": HARMLESS_DOCUMENT}, ["policy"]))
    assert [(name, level) for name, level, _ in found] == [("ops-admin", "mandatory")]
    assert "ignores changes to 'policy'" in found[0][2] and "not the one deployed" in found[0][2]


def test_every_judged_input_and_wildcard_counts_and_tags_do_not(pack) -> None:
    role_trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    found = _findings(
        pack,
        _resource("aws:iam/role:Role", "trust", {"assumeRolePolicy": role_trust}, ["assumeRolePolicy", "tags"]),
        _resource("aws:iam/role:Role", "everything", {"assumeRolePolicy": role_trust}, ["*"]),
        _resource("azure-native:authorization:RoleDefinition", "custom",
                  {"roleName": "Reader-ish", "permissions": [{"actions": ["*/read"]}], "scope": "/subscriptions/x",
                   "assignableScopes": ["/subscriptions/x"]}, ["permissions[0].actions"]),
        _resource("kubernetes:core/v1:ServiceAccount", "sa", {"metadata": {"name": "sa"}}, ["metadata.annotations"]),
        # look-alikes: only tags and descriptions, GCP labels; no ignoreChanges; a type no rule reads
        _resource("aws:iam/role:Role", "tagged", {"assumeRolePolicy": role_trust}, ["tags", "tagsAll", "description"]),
        _resource("gcp:serviceaccount/account:Account", "labelled", {"accountId": "x"}, ["labels", "description"]),
        _resource(POLICY, "plain", {"policy": HARMLESS_DOCUMENT}, []),
        _resource("aws:ecs/cluster:Cluster", "scaled", {"name": "c"}, ["settings"]),
    )
    assert [(name, level) for name, level, _ in found] == [
        ("custom", "mandatory"), ("everything", "mandatory"), ("sa", "mandatory"), ("trust", "mandatory")]
    messages = {name: message for name, _, message in found}
    assert "'assumeRolePolicy'" in messages["trust"] and "'tags'" not in messages["trust"]
    assert "'permissions[0].actions'" in messages["custom"] and "'metadata.annotations'" in messages["sa"]


def test_a_component_is_not_judged(pack) -> None:
    # a component creates nothing: ignore_changes on it changes no deployed value
    assert _findings(pack, _resource(POLICY, "component", {"policy": HARMLESS_DOCUMENT}, ["policy"], custom=False)) == []
