"""AGID-AZ-035 over gRPC: anonymous read access to blob containers and container registries.

Before this rule a storage account with allowBlobPublicAccess true and a container with publicAccess
"Container" passed `agentid preview` (outside review h08); S3's counterpart (AGID-AWS-038) was mandatory.
"""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc import urn

ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
REGISTRY = "azure-native:containerregistry:Registry"
BASE = {"resourceGroupName": "rg", "location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
        "allowSharedKeyAccess": False}


def mandatory(pack, type_, props) -> list[str]:
    diags = pack.analyze(type_, "data", urn(type_, "data"), props)
    return [d.message for d in diags if d.policy_name == "AGID-AZ-035" and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize("type_, props, words", [
    (ACCOUNT, {**BASE, "allowBlobPublicAccess": True}, "allowBlobPublicAccess is True"),
    (ACCOUNT, {**BASE, "allowCrossTenantReplication": True}, "copy its blobs to a storage account in any other Entra tenant"),
    (CONTAINER, {"accountName": "sa", "resourceGroupName": "rg", "publicAccess": "Container"}, "its blobs and their listing"),
    (CONTAINER, {"accountName": "sa", "resourceGroupName": "rg", "publicAccess": "blob"}, "serves its blobs to anyone"),
    (CONTAINER, {"accountName": "sa", "resourceGroupName": "rg", "publicAccess": 1}, "is not None, Blob or Container"),
    ("azure-native:storage/v20230101:BlobContainer", {"accountName": "sa", "publicAccess": "Blob"}, "serves its blobs"),
    (REGISTRY, {"resourceGroupName": "rg", "sku": {"name": "Standard"}, "anonymousPullEnabled": True}, "unauthenticated"),
])
def test_anonymous_access_is_mandatory(pack, type_, props, words):
    [message] = mandatory(pack, type_, props)
    assert words in message


@pytest.mark.parametrize("type_, props", [
    (ACCOUNT, BASE),  # not set: Azure's default for new accounts is false (API 2023-01-01 and later)
    (ACCOUNT, {**BASE, "allowBlobPublicAccess": False}),
    (ACCOUNT, {**BASE, "allowCrossTenantReplication": False}),
    (CONTAINER, {"accountName": "sa", "resourceGroupName": "rg"}),
    (CONTAINER, {"accountName": "sa", "resourceGroupName": "rg", "publicAccess": "None"}),
    (REGISTRY, {"resourceGroupName": "rg", "sku": {"name": "Standard"}, "anonymousPullEnabled": False}),
])
def test_private_data_passes(pack, type_, props):
    assert mandatory(pack, type_, props) == []


def test_a_key_vault_access_policy_granting_all_is_mandatory_and_exact_permissions_pass(pack):
    def vault(permissions):
        entry = {"tenantId": "00000000-0000-4000-8000-000000000001", "objectId": "11111111-1111-1111-1111-111111111111",
                 "permissions": permissions}
        props = {"resourceGroupName": "rg", "vaultName": "kv1",
                 "properties": {"tenantId": entry["tenantId"], "sku": {"family": "A", "name": "standard"},
                                "accessPolicies": [entry]}}
        diags = pack.analyze("azure-native:keyvault:Vault", "kv", urn("azure-native:keyvault:Vault", "kv"), props)
        return [d.message for d in diags if d.policy_name == "AGID-AZ-014" and d.enforcement_level == "mandatory"]

    [message] = vault({"secrets": ["all"], "keys": ["All"], "certificates": ["get"]})
    assert "every operation on keys, secrets ('all'), purge included" in message
    assert vault({"secrets": ["get", "list"]}) == []


GALLERY = "azure-native:compute:Gallery"
COMMUNITY_INFO = {"publisherUri": "https://example.com", "publisherContact": "images@example.com", "eula": "https://example.com/eula",
                  "publicNamePrefix": "acme"}


def test_a_gallery_shared_with_the_community_blocks_and_groups_or_private_pass(pack):
    """red7b f23: sharingProfile.permissions Community publishes the gallery's images to every Azure subscription."""
    props = {"resourceGroupName": "rg", "sharingProfile": {"permissions": "Community", "communityGalleryInfo": COMMUNITY_INFO}}
    diags = [d for d in pack.analyze(GALLERY, "gallery", urn(GALLERY, "gallery"), props) if d.policy_name == "AGID-AZ-035"]
    assert [(d.enforcement_level, d.message.rsplit("\n", 1)[-1]) for d in diags] == [(
        "mandatory", "[public-access] compute gallery gallery: sharingProfile.permissions 'Community' publishes its images to "
                     "every Azure subscription")]
    for look_alike in ({"resourceGroupName": "rg", "sharingProfile": {"permissions": "Groups"}},
                       {"resourceGroupName": "rg", "sharingProfile": {"permissions": "Private"}}, {"resourceGroupName": "rg"}):
        assert [d for d in pack.analyze(GALLERY, "g", urn(GALLERY, "g"), look_alike) if d.policy_name == "AGID-AZ-035"] == []
