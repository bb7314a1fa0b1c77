"""AGID-AZ-002: storage accounts refuse shared-key (account key and SAS) authorization.

Azure enables shared keys unless `allowSharedKeyAccess` is explicitly false, and
an account key is a static credential that bypasses RBAC and the agent's identity.
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation


def check(resource: Resource, config):
    value = resource.props.get("allowSharedKeyAccess")
    if is_unknown(value):
        yield Unknown("allowSharedKeyAccess")
    elif value is not False:
        state = "is not set (Azure's default is true)" if value is None else f"is {value!r}"
        yield Violation(f"storage account {resource.name}: allowSharedKeyAccess {state}, so account keys and SAS "
                        "tokens bypass Entra ID and RBAC")


RULE = Rule(
    id="AGID-AZ-002",
    title="storage-no-shared-key",
    severity="critical",  # a static key is mandatory (issue 11): it bypasses the identity
    category="static-credential",
    description="Storage accounts set allowSharedKeyAccess to false.",
    remediation="Set allowSharedKeyAccess: false and grant agents data-plane roles on the containers they use.",
    url="https://learn.microsoft.com/en-us/azure/storage/common/shared-key-authorization-prevent",
    check=check,
    resource_types=("azure-native:storage:StorageAccount",),
)
