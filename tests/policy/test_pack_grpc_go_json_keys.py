"""Documents a Go consumer reads with case-insensitive keys are read the same way (red18 r18-3, r18-7): the Google
provider decodes an IAM policy's JSON with encoding/json, so `{"Bindings": [...]}` grants what `bindings` does, and
`"AuditConfigs"` exempts what `auditConfigs` does."""

from __future__ import annotations

import json

import pytest

from agentid_policy_packs.analysis.go_json import GoFieldClash, go_fields
from tests.policy.test_pack_grpc import urn

PROJECT_POLICY = "gcp:projects/iAMPolicy:IAMPolicy"


def _diags(pack, props):
    return sorted((d.policy_name, d.enforcement_level) for d in
                  pack.analyze(PROJECT_POLICY, "p", urn(PROJECT_POLICY, "p"), props)
                  if d.policy_name.startswith("AGID-GCP"))


def test_a_policy_s_bindings_in_any_case_are_judged(pack) -> None:
    owner = [{"role": "roles/owner", "members": ["user:attacker@gmail.com"]}]
    plain = _diags(pack, {"project": "acme-prod", "policyData": json.dumps({"bindings": owner})})
    assert plain  # the control: an outsider made owner is flagged
    for key in ("Bindings", "BINDINGS"):
        assert _diags(pack, {"project": "acme-prod", "policyData": json.dumps({key: owner})}) == plain, key
    clash = _diags(pack, {"project": "acme-prod", "policyData": json.dumps({"bindings": [], "Bindings": owner})})
    assert clash and all(level == "mandatory" for _, level in clash)


def test_audit_exemptions_in_any_case_are_judged(pack) -> None:
    exempted = [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ",
                                                               "exemptedMembers": ["user:agent@acme.example"]}]}]
    for key in ("auditConfigs", "AuditConfigs"):
        found = _diags(pack, {"project": "acme-prod", "policyData": json.dumps({"bindings": [], key: exempted})})
        assert ("AGID-GCP-027", "mandatory") in found, (key, found)


def test_go_fields_renames_known_fields_and_refuses_two_spellings() -> None:
    assert go_fields({"RoleArn": "a", "other": 1}, ("rolearn", "groups")) == {"rolearn": "a", "other": 1}
    with pytest.raises(GoFieldClash, match="one field"):
        go_fields({"rolearn": "a", "ROLEARN": "b"}, ("rolearn",))
