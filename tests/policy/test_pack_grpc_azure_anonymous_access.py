"""AGID-AZ-035 over gRPC: anonymous read access to blob containers and container registries.

Before this rule a storage account with allowBlobPublicAccess true and a container with publicAccess
"Container" passed `agentid preview` (outside review h08); S3's counterpart (AGID-AWS-038) was mandatory.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.test_pack_grpc import PACK, urn

ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
REGISTRY = "azure-native:containerregistry:Registry"
BASE = {"resourceGroupName": "rg", "location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
        "allowSharedKeyAccess": False}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def mandatory(pack, type_, props) -> list[str]:
    diags = pack.analyze(type_, "data", urn(type_, "data"), props)
    return [d.message for d in diags if d.policy_name == "AGID-AZ-035" and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize("type_, props, words", [
    (ACCOUNT, {**BASE, "allowBlobPublicAccess": True}, "allowBlobPublicAccess is True"),
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
    (CONTAINER, {"accountName": "sa", "resourceGroupName": "rg"}),
    (CONTAINER, {"accountName": "sa", "resourceGroupName": "rg", "publicAccess": "None"}),
    (REGISTRY, {"resourceGroupName": "rg", "sku": {"name": "Standard"}, "anonymousPullEnabled": False}),
])
def test_private_data_passes(pack, type_, props):
    assert mandatory(pack, type_, props) == []
