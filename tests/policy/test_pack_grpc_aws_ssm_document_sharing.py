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
