"""Entra ID grants that control the tenant: privileged directory roles and Microsoft Graph application
permissions, read from entra_privileged.yaml (ids with their source there).

Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Privileged:
    id: str  # the role template id or app role id (lower-case GUID)
    name: str  # display name (directory role) or permission value (Graph app role)
    why: str  # what the holder can do


@lru_cache(maxsize=1)
def _data() -> dict:
    return data_yaml.load(Path(__file__).with_name("entra_privileged.yaml"))


def graph_app_id() -> str:
    """Microsoft Graph's application (client) id, the same in every tenant."""
    return _data()["graph_app_id"]


def is_guid(value: str) -> bool:
    return bool(_GUID.match(value.strip().lower()))


def canonical_id(value: str) -> str:
    """`value` as a lower-case dashed GUID when it is a GUID in any spelling Microsoft Graph's .NET parser takes
    (braces, no dashes, upper case, `urn:uuid:`), else `value` stripped and lower-cased. Without this,
    `{e8611ab8-...}` or `e8611ab8c189...` named Privileged Role Administrator unrecognised (red9a 26)."""
    text = value.strip().lower()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text


@lru_cache(maxsize=1)
def _builtin_roles() -> dict[str, dict]:
    """entra_builtin_roles.yaml's roles: every built-in directory role by template id (Microsoft Learn's list)."""
    return data_yaml.load(Path(__file__).with_name("entra_builtin_roles.yaml"))["roles"]


@lru_cache(maxsize=1)
def _role_escalation() -> dict[str, dict]:
    """entra_role_escalation.yaml's roles: for every built-in role, whether assigning it escalates beyond its own scope
    (our classification beside Microsoft's label), with why."""
    return data_yaml.load(Path(__file__).with_name("entra_role_escalation.yaml"))["roles"]


def role_escalation(template_id: str) -> tuple[bool, str] | None:
    """(escalates, why) of a built-in role by template id (any GUID spelling); None when entra_role_escalation.yaml
    does not classify it (a role a refresh of the snapshot added)."""
    entry = _role_escalation().get(canonical_id(template_id))
    return None if entry is None else (bool(entry["escalates"]), str(entry["why"]))


UNCLASSIFIED = "holds a built-in role entra_role_escalation.yaml does not classify yet: cannot check"
LABELLED = "holds permissions Microsoft labels privileged (Microsoft Entra built-in roles: privileged-roles-permissions)"


@dataclass(frozen=True)
class BuiltinRole:
    id: str  # template id (lower-case GUID)
    name: str
    # Microsoft's PRIVILEGED label, our tier-0 selection (entra_privileged.yaml directory_roles), our escalation
    # classification (entra_role_escalation.yaml escalates), or no classification at all (fail closed)
    privileged: bool
    why: str = ""  # what the holder can do, for a privileged role


def _builtin(template_id: str, name: str, labelled: bool) -> BuiltinRole:
    tier0 = _data()["directory_roles"].get(template_id)
    escalation = role_escalation(template_id)
    if tier0:
        return BuiltinRole(template_id, name, True, tier0["why"])
    if escalation is None:
        return BuiltinRole(template_id, name, True, UNCLASSIFIED)
    if escalation[0]:
        return BuiltinRole(template_id, name, True, escalation[1])
    return BuiltinRole(template_id, name, labelled, LABELLED if labelled else "")


def builtin_directory_role(template_id_or_name: str) -> BuiltinRole | None:
    """The built-in directory role a template id (any GUID spelling) or display name (case-insensitive) names; None
    for anything else: a custom role's id, an activated role's object id, an unknown GUID or name."""
    wanted = canonical_id(template_id_or_name)
    for template_id, entry in _builtin_roles().items():
        if wanted in (template_id, str(entry["name"]).lower()):
            return _builtin(template_id, entry["name"], bool(entry["privileged"]))
    for template_id, entry in _data()["directory_roles"].items():  # a tier-0 role the snapshot lacks
        if wanted in (template_id, entry["name"].lower()):
            return BuiltinRole(template_id, entry["name"], True, entry["why"])
    return None


def privileged_directory_role(template_id_or_name: str) -> Privileged | None:
    """A privileged built-in directory role by template id (any GUID spelling) or display name (case-insensitive), with
    what its holder can do: one of our tier-0 selection (entra_privileged.yaml), one whose assignment escalates beyond
    its own scope (entra_role_escalation.yaml: credential resets of other users, group / app-role / access-package
    writes, federation, tenant policy, code on others' devices, every user's data), one Microsoft labels privileged
    (entra_builtin_roles.yaml), or a built-in role not classified yet (fail closed); else None."""
    role = builtin_directory_role(template_id_or_name)
    return Privileged(role.id, role.name, role.why) if role and role.privileged else None


def low_privilege_directory_role(template_id_or_name: str) -> BuiltinRole | None:
    """A built-in directory role known NOT to be privileged (neither labelled by Microsoft, nor in our tier-0 selection,
    nor classified as escalating); None for a privileged or unclassified one and for anything the snapshot does not
    know."""
    role = builtin_directory_role(template_id_or_name)
    return role if role and not role.privileged else None


def privileged_api_ids() -> frozenset[str]:
    """Application (client) ids of the APIs whose app roles entra_privileged.yaml lists: Microsoft Graph, and the
    Exchange Online / SharePoint Online resources of the entries with an `api`."""
    return frozenset({graph_app_id(), *(entry["api"] for entry in _data()["graph_app_roles"].values() if "api" in entry)})


@lru_cache(maxsize=1)
def _tiers() -> dict:
    """graph_app_role_tiers.yaml's app roles: Microsoft Graph application permissions of tier 0 and tier 1 in
    azure-tiering (a snapshot with its source and commit; scripts/refresh_graph_app_role_tiers.py)."""
    return data_yaml.load(Path(__file__).with_name("graph_app_role_tiers.yaml"))["app_roles"]


# the verb of a Graph permission value that only reads (User.Read.All, Mail.ReadBasic): every other verb writes,
# sends, manages or creates (ReadWrite, Send, Manage, Create, Export, ReadUpdate, RevokeSessions, ...)
_READ_VERBS = frozenset({"read", "readbasic"})
_TIER_WHY = {
    0: "is tier 0 of azure-tiering's Microsoft Graph classification: a known direct or indirect path to Global "
       "Administrator and full tenant takeover",
    1: "is a tier-1 write of azure-tiering's Microsoft Graph classification: writes tenant-wide Microsoft Graph data "
       "or settings (every user's, team's or device's, or a tenant policy) with no one signed in",
}


def _tiered_privileged(role_id: str) -> Privileged | None:
    """A Graph app role the azure-tiering snapshot ranks tier 0, or tier 1 with a verb that is not a read; None for
    other ids and for ids entra_privileged.yaml reviewed as not privileged (its judgement, with reasons, wins)."""
    entry = _tiers().get(role_id)
    if entry is None or role_id in _data()["graph_reviewed_app_roles"]:
        return None
    verb = entry["value"].split(".")[1].lower() if "." in entry["value"] else ""
    if entry["tier"] == 0 or (entry["tier"] == 1 and verb not in _READ_VERBS):
        return Privileged(role_id, entry["value"], _TIER_WHY[entry["tier"]])
    return None


def privileged_graph_app_role(app_role_id: str, api: str | None = None) -> Privileged | None:
    """A tenant-wide write permission by its app role id (of the resource app `api`, when given): one
    entra_privileged.yaml lists, else a Microsoft Graph tier-0 or tier-1 write of the azure-tiering snapshot; else
    None."""
    role_id = canonical_id(app_role_id)
    entry = _data()["graph_app_roles"].get(role_id)
    if entry is None:
        if api is not None and canonical_id(api) != graph_app_id():
            return None
        return _tiered_privileged(role_id)
    if api is not None and canonical_id(api) != entry.get("api", graph_app_id()):
        return None
    return Privileged(role_id, entry["value"], entry["why"])


def known_graph_app_role(app_role_id: str) -> str | None:
    """The permission value (`User.Read.All`) of a Microsoft Graph app role id the kit knows, privileged or reviewed
    as not (entra_privileged.yaml `graph_app_roles` of Graph, `graph_reviewed_app_roles`); None for any other id."""
    role_id = canonical_id(app_role_id)
    entry = _data()["graph_app_roles"].get(role_id)
    if entry is not None and entry.get("api", graph_app_id()) == graph_app_id():
        return entry["value"]
    tiered = _tiered_privileged(role_id)
    return tiered.name if tiered else _data()["graph_reviewed_app_roles"].get(role_id)


def privileged_graph_scope(value: str) -> Privileged | None:
    """A tenant-wide write permission by its value (`Directory.ReadWrite.All`): delegated scopes carry the same
    names as the application permissions. Case-insensitive."""
    wanted = value.strip().lower()
    for role_id, entry in _data()["graph_app_roles"].items():
        if entry["value"].lower() == wanted:
            return Privileged(role_id, entry["value"], entry["why"])
    for scope, why in _data().get("graph_delegated_scopes", {}).items():
        if scope.lower() == wanted:
            return Privileged(scope, scope, why)
    return None


def _entity_without_subtype(segments: list[str]) -> list[str]:
    """`applications.myOrganization` / `groups.security.assignedMembership` judged as their entity (`applications`,
    `groups`): a subtype narrows which objects the task reaches, not what it lets the holder do to them."""
    return [segments[0], segments[1].split(".", 1)[0], *segments[2:]] if len(segments) > 1 else segments


def _held_pattern(action: str) -> re.Pattern[str] | None:
    """The resource actions a held action grants, as a regex over lower-case action names. Entra reads
    `namespace/entity/propertySet/task`: `allEntities` stands for any entity, `allProperties` for any (or no) property
    set, `allTasks` for any task (https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/custom-overview,
    "Permissions")."""
    segments = _entity_without_subtype(action.strip().lower().split("/"))
    if len(segments) < 3 or not all(segments):
        return None
    namespace, entity, rest = segments[0], segments[1], segments[2:]
    parts = [re.escape(namespace), "/", "[^/]+" if entity == "allentities" else re.escape(entity), "/"]
    for index, segment in enumerate(rest):
        last = index == len(rest) - 1
        if segment == "allproperties":
            parts.append(".*" if last else "(?:[^/]+/)*")
        elif last and segment == "alltasks":  # right after the entity (`allEntities/allTasks`): every action
            parts.append("[^/]+" if index else "(?:[^/]+/)*[^/]+")
        elif last:
            parts.append(re.escape(segment))
        else:
            parts.append(re.escape(segment) + "/")
    return re.compile("".join(parts))


@lru_cache(maxsize=1)
def _privileged_actions() -> tuple[tuple[str, str], ...]:
    """(lower-case action without entity subtype, why) of every privileged resource action entra_privileged.yaml lists."""
    listed = {**_data()["microsoft_privileged_actions"], **_data()["directory_actions"]}
    return tuple(("/".join(_entity_without_subtype(name.lower().split("/"))), why) for name, why in listed.items())


def _consent_action(action: str) -> str | None:
    """What `servicePrincipals/managePermissionGrantsForAll.{policy}` lets its holder do, unless the app consent policy
    is one of Microsoft's low-risk built-ins (entra_privileged.yaml `consent_for_all`)."""
    consent = _data()["consent_for_all"]
    text = action.strip()
    if not text.lower().startswith(consent["prefix"].lower()):
        return None
    policy = text[len(consent["prefix"]):]
    if policy.lower() in {name.lower() for name in consent["bounded_policies"]}:
        return None
    return consent["why"].format(policy=policy)


def privileged_directory_action(action: str) -> str | None:
    """What a custom directory role's resource action lets its holder do, when it grants a privileged action (itself,
    or through `allEntities` / `allProperties` / `allTasks` wildcards); else None.

    Case-insensitive; entity subtypes (`applications.myOrganization/...`, `groups.security/...`) are judged as their
    entity. Privileged: Microsoft's "privileged" label and the escalation paths entra_privileged.yaml lists
    (`microsoft_privileged_actions`, `directory_actions`), and tenant-wide consent under any app consent policy but
    Microsoft's low-risk ones (`consent_for_all`)."""
    consent = _consent_action(action)
    if consent:
        return consent
    held = _held_pattern(action)
    if held is None:
        return None
    return next((why for name, why in _privileged_actions() if held.fullmatch(name)), None)


def first_party_delegated_scope(app_id: str, scope: str) -> Privileged | None:
    """The first-party API (entra_privileged.yaml `first_party_delegated_apis`) whose delegated `scope` acts as the
    signed-in user on a whole service, when `app_id` names one and lists `scope` (case-insensitive); else None."""
    entry = _data()["first_party_delegated_apis"].get(canonical_id(app_id))
    if entry is None:
        return None
    scopes = entry["scopes"]
    if scopes != "any" and scope.strip().lower() not in {listed.lower() for listed in scopes}:
        return None
    return Privileged(canonical_id(app_id), entry["name"], entry["why"])


def first_party_delegated_scope_names() -> frozenset[str]:
    """Lower-case names of the scopes first-party APIs expose that act as the user (user_impersonation, ...)."""
    named = {scope.lower() for entry in _data()["first_party_delegated_apis"].values() if entry["scopes"] != "any"
             for scope in entry["scopes"]}
    return frozenset({"user_impersonation", *named})
