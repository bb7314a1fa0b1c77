"""AGID-AWS-047 on SSM documents shared with other accounts, over gRPC (red7b f03; AWS Security Hub SSM.4).

`permissions = {type: Share, account_ids: All}` makes the document public; named account ids outside
ownAccountIds (none listed: "cannot tell") get it too. Look-alikes: no permissions, an unshared document.
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names

DOCUMENT = "aws:ssm/document:Document"


def document(permissions=None) -> tuple:
    props = {"name": "patch-all", "documentType": "Command", "content": "{}"}
    if permissions is not None:
        props["permissions"] = permissions
    return (DOCUMENT, "patch-all", props)


@pytest.mark.parametrize("permissions", [{"type": "Share", "account_ids": "All"},
                                         {"type": "Share", "accountIds": "all"},
                                         {"type": "Share", "account_ids": "111122223333, 444455556666"}])
def test_a_shared_ssm_document_blocks(pack, permissions) -> None:
    assert set(flagged_names(pack, "AGID-AWS-047", document(permissions), "mandatory")) == {"patch-all"}


def test_an_unshared_ssm_document_passes(pack) -> None:
    assert flagged_names(pack, "AGID-AWS-047", document()) == []


def test_delegations_and_data_lake_admins_of_accounts_not_known_own_block(pack) -> None:
    """red7b f22: delegated administration of Identity Center / StackSets and Lake Formation admins of another
    account (AGID-AWS-047), and Lake Formation ALL on every table to a bare account id (AGID-AWS-048), passed."""
    delegated = ("aws:organizations/delegatedAdministrator:DelegatedAdministrator", "sso-admin",
                 {"accountId": "999999999999", "servicePrincipal": "sso.amazonaws.com"})
    admins = ("aws:lakeformation/dataLakeSettings:DataLakeSettings", "lf-admins",
              {"admins": ["arn:aws:iam::999999999999:role/analyst"]})
    grant = ("aws:lakeformation/permissions:Permissions", "lf-all", {
        "principal": "999999999999", "permissions": ["ALL"], "table": {"databaseName": "prod", "wildcard": True}})
    assert flagged_names(pack, "AGID-AWS-047", delegated, "mandatory") == ["sso-admin"]
    assert flagged_names(pack, "AGID-AWS-047", admins, "mandatory") == ["lf-admins"]
    assert set(flagged_names(pack, "AGID-AWS-048", grant, "mandatory")) == {"lf-all"}
    assert flagged_names(pack, "AGID-AWS-047", (admins[0], "lf-admins", {"admins": []})) == []
    select = (grant[0], "lf-select", {"principal": "arn:aws:iam::999999999999:role/analyst",
                                      "catalogId": "999999999999", "permissions": ["SELECT"],
                                      "table": {"databaseName": "prod", "name": "orders"}})
    assert flagged_names(pack, "AGID-AWS-048", select) == []
