"""AGID-AZ-003 over gRPC: an Entra user the stack creates with a password (red7b f17: a literal, never-expiring
password on azuread.User passed `agentid preview` while an ApplicationPassword blocks)."""

from __future__ import annotations

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

USER = "azuread:index/user:User"
BASE = {"userPrincipalName": "bg@contoso.onmicrosoft.com", "displayName": "bg"}


def findings(pack, props) -> list[tuple[str, str]]:
    return [(d.enforcement_level, d.message.rsplit("\n", 1)[-1])
            for d in pack.analyze(USER, "breakglass", urn(USER, "breakglass"), props) if d.policy_name == "AGID-AZ-003"]


def test_a_user_with_a_password_blocks(pack):
    assert findings(pack, {**BASE, "password": "Summer2026!Summer2026!", "disablePasswordExpiration": True}) == [(
        "mandatory", "[static-credential] Entra user breakglass is created with a password the program sets that never "
                     "expires (disablePasswordExpiration): the program and its state hold a static credential that signs "
                     "in as the user")]
    [(level, message)] = findings(pack, {**BASE, "password": UNKNOWN})  # e.g. random.RandomPassword: still in the state
    assert level == "mandatory" and "created with a value known only at deployment:" in message


def test_a_user_without_a_password_passes(pack):
    assert findings(pack, {**BASE, "accountEnabled": False}) == []
