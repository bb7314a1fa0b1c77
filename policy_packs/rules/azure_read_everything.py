"""AGID-AZ-015: custom roles do not read every resource of every provider (`*/read`).

Read-only, so not AGID-AZ-012's critical "every operation": it changes nothing, but it reveals the whole
estate (names, configurations, network layout) to the agent. Severity by effect.
"""

from .azure_broad_custom_role import READ_ONLY, ROLE_DEFINITION, judged
from .base import Resource, Rule, Violation


def check(resource: Resource, config):
    for item in judged(resource):
        if getattr(item, "code", None) == READ_ONLY:  # Unknowns are AGID-AZ-012's to report
            yield Violation(f"custom role {resource.props.get('roleName') or resource.name}: {item}")


RULE = Rule(
    id="AGID-AZ-015",
    title="azure-custom-role-not-read-everything",
    severity="medium",
    category="broad-grant",
    description="Custom roles read only the resource types the tool needs, not every provider's (*/read).",
    remediation="List the exact read operations (e.g. Microsoft.Storage/storageAccounts/read).",
    url="https://learn.microsoft.com/en-us/azure/role-based-access-control/role-definitions#actions-format",
    check=check,
    resource_types=(ROLE_DEFINITION,),
)
