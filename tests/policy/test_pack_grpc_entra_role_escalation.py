"""AGID-AZ-020 judges every built-in Entra role by whether assigning it escalates beyond its own scope (issue 11).

Only the 29 roles Microsoft labels PRIVILEGED (and our tier-0 list) were blocked: Identity Governance Administrator
(access packages that hand out groups and app roles), Knowledge Administrator and Windows 365 Administrator (security
group membership, groups holding Azure roles included), Teams / Yammer Administrator (Microsoft 365 group
membership), Edge Administrator (force-installed extensions in admins' browsers), Exchange Recipient Administrator
(forwarding of any mailbox), Entra Joined Device Local Administrator, Attribute Assignment Administrator (ABAC
conditions), ... passed. policy_packs/analysis/entra_role_escalation.yaml now classifies every role of the snapshot
(escalates, why); read-only and own-product roles still pass, at tenant scope and in an administrative unit.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from agentid_policy_packs.analysis import entra
from agentid_policy_packs.analysis.entra import _builtin_roles, _data, _role_escalation
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"
ELIGIBILITY = "azuread:index/directoryRoleEligibilityScheduleRequest:DirectoryRoleEligibilityScheduleRequest"
DIRECTORY_ROLE = "azuread:index/directoryRole:DirectoryRole"
AU_MEMBER = "azuread:index/administrativeUnitRoleMember:AdministrativeUnitRoleMember"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
UNIT = "/administrativeUnits/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

# Roles Microsoft does not label privileged and our tier-0 list lacked, each escalating: template id -> name
ESCALATING = {
    "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e": "Identity Governance Administrator",
    "b5a8dcf3-09d5-43a9-a639-8e29ef291470": "Knowledge Administrator",
    "11451d60-acb2-45eb-a7d6-43d0f0125c13": "Windows 365 Administrator",
    "69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
    "810a2642-a034-447f-a5e8-41beaa378541": "Yammer Administrator",
    "3f1acade-1e04-4fbc-9b69-f0302cd84aef": "Edge Administrator",
    "31392ffb-586c-42d1-9346-e59415a2cc4e": "Exchange Recipient Administrator",
    "9f06204d-73c1-4d4c-880a-6edb90606fd8": "Microsoft Entra Joined Device Local Administrator",
    "58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d": "Attribute Assignment Administrator",
    "3edaf663-341e-4475-9f94-5c398ef6c070": "B2C IEF Policy Administrator",
    "11648597-926c-4cf3-9c36-bcebb0ba8dcc": "Power Platform Administrator",
    "99009c4a-3b3f-4957-82a9-9d35e12db77e": "SharePoint Advanced Management Administrator",
    "e3973bdf-4987-49ae-837a-ba8e231c7286": "Azure DevOps Administrator",
}
# Look-alikes: reading, licences, own-product settings
LOW = {
    "4a5d8f65-41da-4de4-8968-e035b65339cf": "Reports Reader",
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
    "1076ac91-f3d9-41a7-a339-dcdf5f480acc": "Teams Reader",
    "baf37b3a-610e-45da-9e62-d9d1e5e8914b": "Teams Communications Administrator",
    "75934031-6c7e-415a-99d7-48dbd49e875e": "Usage Summary Reports Reader",
}


def test_every_snapshot_role_is_classified_with_a_reason():
    """One classification for each built-in role of entra_builtin_roles.yaml, under the same name, none extra."""
    snapshot, classified = _builtin_roles(), _role_escalation()
    assert sorted(classified) == sorted(snapshot)
    for template_id, entry in classified.items():
        assert entry["name"] == snapshot[template_id]["name"], template_id
        assert isinstance(entry["escalates"], bool) and len(entry["why"]) > 20, template_id
    # our tier-0 selection is a subset of the escalating roles
    assert all(classified[t]["escalates"] for t in _data()["directory_roles"])
    # beyond Microsoft's label: more roles escalate than it marks, and not every labelled one is a write
    assert sum(e["escalates"] and not snapshot[t]["privileged"] for t, e in classified.items()) >= 25
    assert classified["f2ef992c-3afb-46b9-b7cf-a126ee74c451"]["escalates"] is False  # Global Reader: reads


def test_a_role_the_classification_lacks_is_privileged(monkeypatch):
    """A refresh that adds a role nobody classified yet fails closed."""
    reports_reader = "4a5d8f65-41da-4de4-8968-e035b65339cf"
    assert entra.privileged_directory_role(reports_reader) is None
    trimmed = {k: v for k, v in _role_escalation().items() if k != reports_reader}
    monkeypatch.setattr(entra, "_role_escalation", lambda: trimmed)
    assert entra.privileged_directory_role(reports_reader).why == entra.UNCLASSIFIED
    assert entra.low_privilege_directory_role("Reports Reader") is None


def grant(name: str, role_id, type_: str = ASSIGNMENT, scope: str = "/", **extra) -> StackResource:
    field = "roleDefinitionId" if type_ == ELIGIBILITY else "roleId"
    props = {field: role_id, "principalObjectId" if type_ == ASSIGNMENT else "principalId": PRINCIPAL,
             "directoryScopeId": scope}
    return StackResource(type_, name, urn(type_, name), props, **extra)


def az020(pack, resources) -> list[tuple[str, str, str]]:
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level, d.message.rsplit("\n", 1)[-1].split("] ", 1)[-1])
                  for d in pack.analyze_stack(resources) if d.policy_name == "AGID-AZ-020")


def expected(name: str, template_id: str, verb: str) -> tuple[str, str, str]:
    why = _role_escalation()[template_id]["why"]
    return (name, "mandatory", f"{name} {verb} the privileged directory role {ESCALATING[template_id]} ({template_id}): "
                               f"its holder {why}")


@pytest.mark.parametrize("type_,scope", [(ASSIGNMENT, "/"), (ELIGIBILITY, "/"), (ASSIGNMENT, UNIT), (ELIGIBILITY, UNIT)])
def test_escalating_roles_are_flagged_and_read_only_ones_pass(pack, type_, scope):
    verb = "makes eligible for" if type_ == ELIGIBILITY else "assigns"
    names = {template_id: f"g{index:02d}" for index, template_id in enumerate([*ESCALATING, *LOW])}
    # by template id in three spellings: canonical, upper-case in braces, without dashes
    spell = [lambda t: t, lambda t: "{" + t.upper() + "}", lambda t: t.replace("-", "")]
    resources = [grant(names[t], spell[i % 3](t), type_, scope) for i, t in enumerate(names)]
    assert az020(pack, resources) == sorted(expected(names[t], t, verb) for t in ESCALATING)


def test_activated_roles_scoped_to_an_administrative_unit(pack):
    """AdministrativeUnitRoleMember of a stack DirectoryRole, by its Output or its literal templateId: Identity
    Governance / Teams Administrator block, License Administrator / Reports Reader pass."""
    def role(name, **props):
        return StackResource(DIRECTORY_ROLE, name, urn(DIRECTORY_ROLE, name), props)

    def member(name, role_resource):
        return StackResource(AU_MEMBER, name, urn(AU_MEMBER, name), {
            "administrativeUnitObjectId": "au-agents", "memberObjectId": "sp-agent", "roleObjectId": UNKNOWN},
            dependencies=[role_resource.urn], property_dependencies={"roleObjectId": [role_resource.urn]})

    governance = role("governance", displayName="Identity Governance Administrator")
    teams = role("teams", templateId="69091246-20e8-4a56-aa4d-066075b2a7a8")
    licences = role("licences", displayName="License Administrator")
    reports = role("reports", templateId="4a5d8f65-41da-4de4-8968-e035b65339cf")
    found = az020(pack, [governance, teams, licences, reports, member("m-governance", governance),
                         member("m-teams", teams), member("m-licences", licences), member("m-reports", reports)])
    assert [(n, level) for n, level, _ in found] == [("m-governance", "mandatory"), ("m-teams", "mandatory")]
    assert found[0][2] == ("m-governance assigns, in administrative unit au-agents, the privileged directory role "
                           "Identity Governance Administrator (45d8d3c5-c802-45c6-b32a-1d70b5e1e86e): its holder "
                           + _role_escalation()["45d8d3c5-c802-45c6-b32a-1d70b5e1e86e"]["why"])
    assert "Teams Administrator (69091246-20e8-4a56-aa4d-066075b2a7a8)" in found[1][2]


def test_the_refresh_script_lists_what_a_refresh_leaves_unclassified():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "refresh_entra_roles.py"
    spec = importlib.util.spec_from_file_location("refresh_entra_roles", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    snapshot = {k: dict(v) for k, v in _builtin_roles().items()}
    assert script.unclassified(snapshot) == []
    snapshot["0b5a1f7e-3c2d-4e6f-8a9b-1c2d3e4f5a6b"] = {"name": "Brand New Administrator", "privileged": False}
    del snapshot["4a5d8f65-41da-4de4-8968-e035b65339cf"]
    assert script.unclassified(snapshot) == [
        "not classified in entra_role_escalation.yaml: 0b5a1f7e-3c2d-4e6f-8a9b-1c2d3e4f5a6b Brand New Administrator",
        "classified but no longer built in: 4a5d8f65-41da-4de4-8968-e035b65339cf Reports Reader"]
