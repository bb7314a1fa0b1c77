"""AGID-AZ-035: no anonymous (public) read access to Azure data: blob containers, container registries, galleries.

A blob container whose `publicAccess` is `Blob` or `Container` serves its blobs (and, for `Container`, their
listing) to anyone on the internet without credentials, when its storage account allows it; a storage account
with `allowBlobPublicAccess: true` lets any container of it be made public later, from outside the stack. A
container registry with `anonymousPullEnabled: true` serves every image to unauthenticated clients. The S3
counterpart is AGID-AWS-038. A Compute Gallery whose `sharingProfile.permissions` is `Community` publishes its
images to every Azure subscription (red7b f23; the AWS twin, a public AMI, is AGID-AWS-047). A storage account
with `allowCrossTenantReplication: true` lets an object replication policy copy its blobs to an account in another
tenant (https://learn.microsoft.com/en-us/azure/storage/blobs/object-replication-prevent-cross-tenant-policies).
Sources: https://learn.microsoft.com/en-us/azure/virtual-machines/share-gallery-community, https://learn.microsoft.com/en-us/azure/storage/blobs/anonymous-read-access-prevent,
https://learn.microsoft.com/en-us/azure/container-registry/anonymous-pull-access
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
REGISTRY = "azure-native:containerregistry:Registry"
GALLERY = "azure-native:compute:Gallery"
# (input, the value that opens anonymous access, what it opens)
_SWITCHES = {
    STORAGE_ACCOUNT: (("allowBlobPublicAccess", "lets any of its blob containers be made readable by anyone"),
                      # red9a 19: object replication to an account of another tenant (default false since 2023)
                      ("allowCrossTenantReplication", "lets object replication copy its blobs to a storage account "
                                                      "in any other Entra tenant")),
    REGISTRY: (("anonymousPullEnabled", "serves every image to unauthenticated clients"),),
}


def check(resource: Resource, config):
    if resource.type == BLOB_CONTAINER:
        level = resource.props.get("publicAccess")
        if is_unknown(level):
            yield Unknown("publicAccess")
        elif not isinstance(level, (str, type(None))):
            yield Violation(f"blob container {resource.name}: publicAccess {level!r} is not None, Blob or Container")
        elif level is not None and level.lower() != "none":
            reach = "its blobs and their listing" if level.lower() == "container" else "its blobs"
            yield Violation(f"blob container {resource.name}: publicAccess {level!r} serves {reach} to anyone "
                            "without credentials")
        return
    if resource.type == GALLERY:
        profile = resource.props.get("sharingProfile")
        permissions = profile.get("permissions") if isinstance(profile, dict) else profile
        if is_unknown(permissions):
            yield Unknown("sharingProfile.permissions")
        elif isinstance(permissions, str) and permissions.strip().lower() == "community":
            yield Violation(f"compute gallery {resource.name}: sharingProfile.permissions 'Community' publishes its "
                            "images to every Azure subscription")
        elif permissions is not None and not isinstance(permissions, str):
            yield Violation(f"compute gallery {resource.name}: sharingProfile.permissions {permissions!r} is not "
                            "Private, Groups or Community")
        return
    for key, opens in _SWITCHES[resource.type]:
        value = resource.props.get(key)
        if is_unknown(value):
            yield Unknown(key)
        elif value is not None and value is not False:
            kind = "storage account" if resource.type == STORAGE_ACCOUNT else "container registry"
            yield Violation(f"{kind} {resource.name}: {key} is {value!r}, which {opens}")


RULE = Rule(
    id="AGID-AZ-035",
    title="azure-no-anonymous-data-access",
    severity="critical",
    category="public-access",
    description="No anonymous access to Azure data: blob containers keep publicAccess None, storage accounts set "
                "allowBlobPublicAccess false, container registries keep anonymousPullEnabled false, compute galleries "
                "are not shared with the Community.",
    remediation="Remove publicAccess (or set None) and set allowBlobPublicAccess: false; give readers an Entra "
                "identity with Storage Blob Data Reader (AcrPull for registries) on the one container or registry.",
    url="https://learn.microsoft.com/en-us/azure/storage/blobs/anonymous-read-access-prevent",
    check=check,
    resource_types=(STORAGE_ACCOUNT, BLOB_CONTAINER, REGISTRY, GALLERY),
)
