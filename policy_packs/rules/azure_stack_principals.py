"""Is the Entra principal a grant names one the stack itself creates?

The grantee judgement the Azure grant rules share: the candidates are azure_unknown_role's `_principals` (user-assigned
identities, Entra service principals, groups and users, any resource holding a system-assigned identity). A literal
object id names one only when it equals that principal's known id (known_state: what the engine sent, and under the
gate what its mocks derive) AND the grant is created after it (iam_links.ordered_after, issue 11: a literal that
does not wait for the principal names whatever object bears the id). A value unknown at preview is the stack
principal's only when iam_links.output_sources proves it is that principal's Output; otherwise "cannot check until
known". Pure: no Pulumi.
"""

from __future__ import annotations

from typing import Any

from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource
from .iam_links import known_state, ordered_after, output_sources

MANAGED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"


def _id_outputs(principal: Resource) -> tuple[str, ...]:
    """The output holding the principal's object id: a user-assigned identity's principalId, an Entra object's
    objectId, a resource's system-assigned identity.principalId (only that one: an output the type does not have
    reads as unknown to output_sources and would explain any unknown value)."""
    if principal.type == MANAGED_IDENTITY:
        return ("principalId",)
    if principal.type.startswith("azuread:"):
        return ("objectId",)
    return ("identity.principalId",)


def _known_ids(principal: Resource) -> tuple[str, ...]:
    """Where a literal id of the principal is looked up: its id output and, for a system-assigned identity, also the
    top-level `principalId` known_state derives under the gate (the identity input, merged over the derived outputs,
    hides the mocks' identity.principalId; the mocks give both the same id; no azure-native resource outside the
    identity types has a top-level principalId output, so outside the gate it matches nothing)."""
    found = _id_outputs(principal)
    return found + ("principalId",) if found == ("identity.principalId",) else found
UNPROVEN = "unproven"  # an unknown value no stack principal is proven the source of


def _ids(principal: Resource) -> set[str]:
    state = known_state(principal)
    return {str(v).strip().lower() for v in (value_at(state, p) for p in _known_ids(principal))
            if isinstance(v, str) and v.strip() and not is_unknown(v)}


def stack_principal(holder: Resource, input_name: str, value: Any, principals: list[Resource]) -> Resource | str | None:
    """The stack principal `value` (an object id in `holder`'s top-level input `input_name`) is; UNPROVEN when it is
    unknown at preview and no stack principal is proven its source; None when it names no stack principal."""
    if is_unknown(value):
        sources = output_sources(holder, principals, _id_outputs, input=input_name)
        return sources[0] if sources else UNPROVEN
    if not isinstance(value, str) or not value.strip():
        return None
    wanted = value.strip().lower()
    for principal in principals:
        if wanted in _ids(principal) and ordered_after(holder, principal):
            return principal
    return None
