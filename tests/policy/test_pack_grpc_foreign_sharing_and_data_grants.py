"""Sharing with other accounts (AGID-AWS-047), Lake Formation / S3 Access Grants (AGID-AWS-048) and OpenSearch
Serverless data access policies (AGID-AWS-049 broad, AGID-AWS-069 shared), sent to agent_guard as the engine sends them.

Each case: the resource that must be flagged (exactly one diagnostic, of the rule, at its level) and the
look-alike a careful program writes, which must pass with no diagnostic at all. The pack is configured with this
organization's accounts (ownAccountIds) as a stack would configure it; input names are pulumi-aws 7.x's.
"""

from __future__ import annotations

import json

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.ruletools import ACCOUNT, UNKNOWN
from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.test_pack_grpc import PACK, urn

SIBLING = "111122223333"  # another account of the same organization, listed in ownAccountIds
STRANGER = "210987654321"
OWN = {"ownAccountIds": [ACCOUNT, SIBLING]}
CONFIG = {"AGID-AWS-069": OWN,
          **{rule: {**OWN, "ownOrganizationIds": ["o-a1b2c3d4e5"]} for rule in ("AGID-AWS-047", "AGID-AWS-048")}}
SHARE_ARN = f"arn:aws:ram:eu-west-1:{ACCOUNT}:resource-share/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
ORG = "arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5"
OU = "arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/ou-ab12-cd34ef56"
RAM_SHARE = "aws:ram/resourceShare:ResourceShare"
RAM_PRINCIPAL = "aws:ram/principalAssociation:PrincipalAssociation"
EBS = "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission"
RDS = "aws:rds/snapshot:Snapshot"
RDS_CLUSTER = "aws:rds/clusterSnapshot:ClusterSnapshot"
SIGNER = "aws:signer/signingProfilePermission:SigningProfilePermission"
LF = "aws:lakeformation/permissions:Permissions"
GRANT = "aws:s3control/accessGrant:AccessGrant"
LOCATION = "aws:s3control/accessGrantsLocation:AccessGrantsLocation"
AOSS = "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy"
PORTFOLIO = "aws:servicecatalog/principalPortfolioAssociation:PrincipalPortfolioAssociation"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/agent-analyst"
TABLE = {"table": {"databaseName": "sales", "name": "orders"}}
LOCATION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/access-grants-location"


def aoss(principals, resource="collection/orders", permission=("aoss:*",), kind="collection") -> dict:
    return {"name": "orders-access", "type": "data", "policy": json.dumps([{
        "Rules": [{"ResourceType": kind, "Resource": [resource], "Permission": list(permission)}],
        "Principal": principals}])}


# (case id, type, flagged props, rule id, level, look-alike props)
CASES = [
    ("ram-external", RAM_SHARE, {"name": "subnets", "allowExternalPrincipals": True}, "AGID-AWS-047", "mandatory",
     {"name": "subnets", "allowExternalPrincipals": False}),
    ("ram-stranger", RAM_PRINCIPAL, {"principal": STRANGER, "resourceShareArn": SHARE_ARN}, "AGID-AWS-047",
     "mandatory", {"principal": SIBLING, "resourceShareArn": SHARE_ARN}),
    ("ram-org-wide", RAM_PRINCIPAL, {"principal": ORG, "resourceShareArn": SHARE_ARN}, "AGID-AWS-047", "mandatory",
     {"principal": OU, "resourceShareArn": SHARE_ARN}),
    # an OU of an organization neither listed nor managed by an own account is a stranger's accounts (red15 r15-7)
    ("ram-foreign-ou", RAM_PRINCIPAL,
     {"principal": "arn:aws:organizations::999988887777:ou/o-attacker000/ou-ab12-cd34ef56", "resourceShareArn": SHARE_ARN},
     "AGID-AWS-047", "mandatory", {"principal": OU, "resourceShareArn": SHARE_ARN}),
    ("ram-foreign-role", RAM_PRINCIPAL,
     {"principal": f"arn:aws:iam::{STRANGER}:role/x", "resourceShareArn": SHARE_ARN}, "AGID-AWS-047", "mandatory",
     {"principal": f"arn:aws:iam::{SIBLING}:role/x", "resourceShareArn": SHARE_ARN}),
    ("ram-garbage", RAM_PRINCIPAL, {"principal": "everyone", "resourceShareArn": SHARE_ARN}, "AGID-AWS-047",
     "mandatory", {"principal": "pca-connector-ad.amazonaws.com", "resourceShareArn": SHARE_ARN}),
    ("ebs-public", EBS, {"snapshotId": "snap-0abc", "accountId": "all"}, "AGID-AWS-047", "mandatory",
     {"snapshotId": "snap-0abc", "accountId": SIBLING}),
    ("ebs-stranger", EBS, {"snapshotId": "snap-0abc", "accountId": STRANGER}, "AGID-AWS-047", "mandatory",
     {"snapshotId": "snap-0abc", "accountId": ACCOUNT}),
    ("rds-public", RDS, {"dbInstanceIdentifier": "db1", "dbSnapshotIdentifier": "s1", "sharedAccounts": ["all"]},
     "AGID-AWS-047", "mandatory", {"dbInstanceIdentifier": "db1", "dbSnapshotIdentifier": "s1"}),
    ("rds-cluster-stranger", RDS_CLUSTER,
     {"dbClusterIdentifier": "c1", "dbClusterSnapshotIdentifier": "s1", "sharedAccounts": [SIBLING, STRANGER]},
     "AGID-AWS-047", "mandatory",
     {"dbClusterIdentifier": "c1", "dbClusterSnapshotIdentifier": "s1", "sharedAccounts": [SIBLING]}),
    ("signer-stranger", SIGNER,
     {"profileName": "lambda_prod", "action": "signer:StartSigningJob", "principal": STRANGER}, "AGID-AWS-047",
     "mandatory", {"profileName": "lambda_prod", "action": "signer:GetSigningProfile", "principal": STRANGER}),
    ("signer-payload", SIGNER,
     {"profileName": "lambda_prod", "action": "signer:SignPayload", "principal": f"arn:aws:iam::{STRANGER}:root"},
     "AGID-AWS-047", "mandatory",
     {"profileName": "lambda_prod", "action": "signer:SignPayload", "principal": SIBLING}),
    # Lake Formation
    ("lf-super", LF, {"principal": ROLE, "permissions": ["ALL"], **TABLE}, "AGID-AWS-048", "mandatory",
     {"principal": ROLE, "permissions": ["SELECT", "DESCRIBE"], **TABLE}),
    ("lf-grant-option", LF, {"principal": ROLE, "permissions": ["SELECT"], "permissionsWithGrantOptions": ["SELECT"],
                            **TABLE}, "AGID-AWS-048", "mandatory",
     {"principal": ROLE, "permissions": ["SELECT"], "permissionsWithGrantOptions": [], **TABLE}),
    ("lf-iam-allowed", LF, {"principal": "IAM_ALLOWED_PRINCIPALS", "permissions": ["SELECT"], **TABLE},
     "AGID-AWS-048", "mandatory", {"principal": f"arn:aws:iam::{SIBLING}:role/reader", "permissions": ["SELECT"], **TABLE}),
    ("lf-stranger-account", LF, {"principal": STRANGER, "permissions": ["SELECT"], **TABLE}, "AGID-AWS-048",
     "mandatory", {"principal": SIBLING, "permissions": ["SELECT"], **TABLE}),
    ("lf-org", LF, {"principal": ORG, "permissions": ["DESCRIBE"], "database": {"name": "sales"}}, "AGID-AWS-048",
     "mandatory", {"principal": ROLE, "permissions": ["DESCRIBE"], "database": {"name": "sales"}}),
    # S3 Access Grants
    ("s3ag-everything", LOCATION, {"iamRoleArn": LOCATION_ROLE, "locationScope": "s3://"}, "AGID-AWS-048",
     "mandatory", {"iamRoleArn": LOCATION_ROLE, "locationScope": "s3://reports/team-a/"}),
    ("s3ag-stranger", GRANT,
     {"accessGrantsLocationId": "default", "permission": "READ",
      "grantee": {"granteeType": "IAM", "granteeIdentifier": f"arn:aws:iam::{STRANGER}:role/reader"}},
     "AGID-AWS-048", "mandatory",
     {"accessGrantsLocationId": "default", "permission": "READ",
      "grantee": {"granteeType": "IAM", "granteeIdentifier": ROLE}}),
    # Service Catalog
    ("sc-every-role", PORTFOLIO,
     {"portfolioId": "port-abc123", "principalType": "IAM_PATTERN", "principalArn": "arn:aws:iam:::role/*"},
     "AGID-AWS-048", "mandatory",
     {"portfolioId": "port-abc123", "principalType": "IAM_PATTERN", "principalArn": "arn:aws:iam:::role/launchers/*"}),
    ("sc-every-user", PORTFOLIO,
     {"portfolioId": "port-abc123", "principalType": "IAM_PATTERN", "principalArn": "arn:aws:iam:::user/?*"},
     "AGID-AWS-048", "mandatory", {"portfolioId": "port-abc123", "principalArn": ROLE}),
    # OpenSearch Serverless
    ("aoss-star", AOSS, aoss(["*"]), "AGID-AWS-069", "mandatory", aoss([ROLE])),
    ("aoss-role-wildcard", AOSS, aoss([f"arn:aws:iam::{ACCOUNT}:role/*"]), "AGID-AWS-069", "mandatory", aoss([ROLE])),
    ("aoss-stranger", AOSS, aoss([f"arn:aws:iam::{STRANGER}:role/x"]), "AGID-AWS-069", "mandatory",
     aoss([f"arn:aws:iam::{SIBLING}:role/x", "saml/123456789012/okta/group/analysts"])),
    ("aoss-every-index", AOSS, aoss([ROLE], "index/*/*", kind="index"), "AGID-AWS-049", "advisory",
     aoss([ROLE], "index/orders/*", kind="index")),
    ("aoss-stranger-root", AOSS, aoss([f"arn:aws:iam::{STRANGER}:root"]), "AGID-AWS-069", "mandatory",
     aoss([f"arn:aws:iam::{SIBLING}:root"])),
    ("aoss-not-json", AOSS, {"name": "p", "type": "data", "policy": "[{"}, "AGID-AWS-069", "mandatory",
     aoss([ROLE], "collection/*", ("aoss:DescribeCollectionItems",))),
]


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        running.configure(CONFIG)
        yield running


@pytest.mark.parametrize("case,type_,flagged,rule_id,level,look_alike", CASES, ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, rule_id, level, look_alike):
    assert_flagged_and_look_alike(pack, case, type_, flagged, rule_id, level, look_alike)


def test_without_own_accounts_every_named_account_is_reported(pack):
    pack.configure({})
    try:
        [diag] = pack.analyze(EBS, "e", urn(EBS, "e"), {"snapshotId": "snap-0abc", "accountId": SIBLING})
        assert (diag.policy_name, diag.enforcement_level) == ("AGID-AWS-047", "mandatory")
        assert f"cannot tell whether account {SIBLING} is yours: list it in ownAccountIds" in diag.message
        # the RAM share's own ARN names its account: associating that account is not sharing it away
        assert pack.analyze(RAM_PRINCIPAL, "r", urn(RAM_PRINCIPAL, "r"),
                            {"principal": ACCOUNT, "resourceShareArn": SHARE_ARN}) == []
        [foreign] = pack.analyze(RAM_PRINCIPAL, "r", urn(RAM_PRINCIPAL, "r"),
                                 {"principal": STRANGER, "resourceShareArn": SHARE_ARN})
        assert f"account {STRANGER} is a foreign account (the stack's own: {ACCOUNT})" in foreign.message
        # OpenSearch Serverless data access is mandatory: an account not known own is "cannot tell" (red11a r15)
        [aoss_diag] = pack.analyze(AOSS, "a", urn(AOSS, "a"), aoss([f"arn:aws:iam::{STRANGER}:role/x"]))
        assert (aoss_diag.policy_name, aoss_diag.enforcement_level) == ("AGID-AWS-069", "mandatory")
        assert f"cannot tell whether account {STRANGER} is yours" in aoss_diag.message
    finally:
        pack.configure(CONFIG)


def test_messages_name_the_account_and_the_category(pack):
    [diag] = pack.analyze(LF, "lf", urn(LF, "lf"), {"principal": STRANGER, "permissions": ["SELECT"], **TABLE})
    assert "[public-access] " in diag.message and f"account {STRANGER}" in diag.message
    [diag] = pack.analyze(LF, "lf", urn(LF, "lf"), {"principal": ROLE, "permissions": ["SELECT"],
                                                   "permissionsWithGrantOptions": ["SELECT"], **TABLE})
    assert "[escalation] " in diag.message
    # a foreign principal ARN: the catalog's own account decides without ownAccountIds
    pack.configure({})
    try:
        [diag] = pack.analyze(LF, "lf", urn(LF, "lf"), {"principal": f"arn:aws:iam::{STRANGER}:role/x",
                                                       "permissions": ["SELECT"], "catalogId": ACCOUNT, **TABLE})
        assert f"catalog's account {ACCOUNT}" in diag.message
    finally:
        pack.configure(CONFIG)


@pytest.mark.parametrize("type_,props,path", [
    (RAM_PRINCIPAL, {"principal": UNKNOWN, "resourceShareArn": SHARE_ARN}, "principal"),
    (EBS, {"snapshotId": "snap-1", "accountId": UNKNOWN}, "accountId"),
    (RDS, {"dbSnapshotIdentifier": "s", "sharedAccounts": UNKNOWN}, "sharedAccounts"),
    (LF, {"principal": UNKNOWN, "permissions": ["SELECT"]}, "principal"),
    (LOCATION, {"locationScope": UNKNOWN}, "locationScope"),
    (AOSS, {"type": "data", "policy": UNKNOWN}, "policy"),
])
def test_values_unknown_at_preview_cannot_be_checked(pack, type_, props, path):
    [diag] = pack.analyze(type_, "u", urn(type_, "u"), props)
    assert f"cannot check until known: {path}" in diag.message


@pytest.mark.parametrize("type_,props", [
    (RDS, {"dbSnapshotIdentifier": "s", "sharedAccounts": "all"}),
    (SIGNER, {"profileName": "p", "action": "signer:*", "principal": SIBLING}),
    (LF, {"principal": ROLE, "permissions": "ALL"}),
    (LOCATION, {"locationScope": "https://reports.s3.amazonaws.com"}),
    (GRANT, {"grantee": ["IAM", ROLE]}),
    (AOSS, {"type": "data", "policy": json.dumps({"Rules": [], "Principal": ["*"]})}),
    (AOSS, {"type": "data", "policy": json.dumps([{"Rules": [{"ResourceType": "index", "Resource": "index/a/*"}],
                                                   "Principal": [ROLE]}])}),
    (AOSS, {"type": "network", "policy": "[]"}),
    (AOSS, {"type": "data", "policy": "[" * 40_000}),
    (AOSS, {"type": "data", "policy": "[" * 20_000}),
    (PORTFOLIO, {"portfolioId": "port-abc123", "principalType": "ROLE", "principalArn": ROLE}),
])
def test_unreadable_shapes_fail_closed(pack, type_, props):
    diags = pack.analyze(type_, "bad", urn(type_, "bad"), props)
    assert len(diags) == 1 and "bad" in diags[0].message and "cannot be judged" in diags[0].message, \
        [d.message for d in diags]


MRAP = "aws:s3control/multiRegionAccessPointPolicy:MultiRegionAccessPointPolicy"
MRAP_OBJECTS = f"arn:aws:s3::{ACCOUNT}:accesspoint/mfzwi23gnjvgw.mrap/object/*"


def mrap(principal) -> dict:
    return {"details": {"name": "reports", "policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": MRAP_OBJECTS}]})}}


def test_multi_region_access_point_policy_nested_in_details_is_judged(pack):
    # the document sits at details.policy (pulumi-aws MultiRegionAccessPointPolicy); before, it was never read
    diags = pack.analyze(MRAP, "m", urn(MRAP, "m"), mrap("*"))
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-AWS-030", "mandatory")]
    assert pack.analyze(MRAP, "m", urn(MRAP, "m"), mrap({"AWS": ROLE})) == []
    # computed details, a details that is not an object, and a missing document fail closed
    assert {d.policy_name for d in pack.analyze(MRAP, "m", urn(MRAP, "m"), {"details": UNKNOWN})} \
        >= {"AGID-AWS-030", "AGID-POL-001"}
    [diag] = pack.analyze(MRAP, "m", urn(MRAP, "m"), {"details": ["reports"]})
    assert (diag.policy_name, diag.enforcement_level) == ("AGID-POL-001", "mandatory")
    assert all("details.policy" in d.message for d in pack.analyze(MRAP, "m", urn(MRAP, "m"),
                                                                  {"details": {"name": "reports"}}))


def test_an_ou_of_an_organization_an_own_account_manages_passes(pack):
    # the OU ARN names the organization's management account: one listed in ownAccountIds makes it the stack's own
    own_managed = f"arn:aws:organizations::{SIBLING}:ou/o-zz99yy88xx/ou-ab12-cd34ef56"
    assert pack.analyze(RAM_PRINCIPAL, "r", urn(RAM_PRINCIPAL, "r"),
                        {"principal": own_managed, "resourceShareArn": SHARE_ARN}) == []
    [diag] = pack.analyze(RAM_PRINCIPAL, "r", urn(RAM_PRINCIPAL, "r"),
                          {"principal": own_managed.replace(SIBLING, STRANGER), "resourceShareArn": SHARE_ARN})
    assert (diag.policy_name, diag.enforcement_level) == ("AGID-AWS-047", "mandatory")
    assert f"organization o-zz99yy88xx: neither it (ownOrganizationIds) nor its management account {STRANGER}" in diag.message


def test_lake_formation_grant_to_a_foreign_ou(pack):
    foreign_ou = "arn:aws:organizations::999988887777:ou/o-attacker000/ou-ab12-cd34ef56"
    [diag] = [d for d in pack.analyze(LF, "lf", urn(LF, "lf"), {"principal": foreign_ou, "permissions": ["SELECT"], **TABLE})
              if d.policy_name == "AGID-AWS-048"]
    assert diag.enforcement_level == "mandatory" and "of organization o-attacker000: neither it" in diag.message
    assert [d for d in pack.analyze(LF, "lf", urn(LF, "lf"), {"principal": OU, "permissions": ["SELECT"], **TABLE})
            if d.policy_name == "AGID-AWS-048"] == []
