"""Documents a Go consumer reads with case-insensitive keys are read the same way (red18 r18-3, r18-7): the Google
provider decodes an IAM policy's JSON with encoding/json, so `{"Bindings": [...]}` grants what `bindings` does, and
`"AuditConfigs"` exempts what `auditConfigs` does."""

from __future__ import annotations

import json

import pytest

from agentid_policy_packs.analysis.struct_keys import FieldClash, struct_fields
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


def test_struct_fields_renames_known_fields_and_refuses_two_spellings() -> None:
    assert struct_fields({"RoleArn": "a", "other": 1}, ("rolearn", "groups")) == {"rolearn": "a", "other": 1}
    with pytest.raises(FieldClash, match="one field"):
        struct_fields({"rolearn": "a", "ROLEARN": "b"}, ("rolearn",))


DEPLOYMENT = "azure-native:resources:Deployment"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


def _deployment(template) -> dict:
    return {"resourceGroupName": "data", "properties": {"mode": "Incremental", "template": template}}


def _arm(pack, template) -> list[tuple[str, str]]:
    return sorted({(d.policy_name, d.enforcement_level) for d in
                   pack.analyze(DEPLOYMENT, "d", urn(DEPLOYMENT, "d"), _deployment(template))
                   if d.policy_name.startswith("AGID-AZ")})


def test_arm_templates_are_read_in_any_case_as_arm_reads_them(pack) -> None:
    """red18 r18-4: ARM matches template and resource property names in any case; "Resources" with an Owner
    assignment was judged as a template creating nothing, "PublicAccess" as a private container."""
    assignment = {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01", "name": "a",
                  "properties": {"roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
                                 "principalId": "11111111-1111-1111-1111-111111111111"}}
    plain = _arm(pack, {"resources": [assignment]})
    assert plain and all(level == "mandatory" for _, level in plain)
    assert _arm(pack, {"Resources": [assignment]}) == plain
    assert _arm(pack, {"RESOURCES": [{k.upper() if k != "properties" else "Properties": v
                                      for k, v in assignment.items()}]}) == plain
    # `existing` is a reference only in a symbolic-name (languageVersion 2.0) template
    assert _arm(pack, {"resources": [{**assignment, "existing": True}]}) == plain
    assert _arm(pack, {"languageVersion": "2.0", "resources": {"a": {**assignment, "existing": True}}}) == []
    container = {"type": "Microsoft.Storage/storageAccounts/blobServices/containers", "apiVersion": "2023-01-01",
                 "name": "acct/default/c1", "properties": {"publicAccess": "Container"}}
    public = _arm(pack, {"resources": [container]})
    assert ("AGID-AZ-035", "mandatory") in public
    assert _arm(pack, {"resources": [{**container, "properties": {"PublicAccess": "Container"}}]}) == public
    clash = _arm(pack, {"resources": [assignment], "Resources": []})
    assert clash and all(level == "mandatory" for _, level in clash)
