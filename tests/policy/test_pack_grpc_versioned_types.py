"""API-versioned azure-native type tokens meet the same rules as the default token, over gRPC.

pulumi-azure-native accepts `azure-native:<module>/v<YYYYMMDD>[preview]:<Type>` (every generated class
lists these as aliases). Before this fix, Owner at subscription scope registered as
`azure-native:authorization/v20220401:RoleAssignment`, and a federated credential trusting `repo:*` as
`azure-native:managedidentity/v20230131:FederatedIdentityCredential`, passed `agentid preview`.
"""

from __future__ import annotations

import pytest

from agentid_policy_packs.rules.type_tokens import canonical_type
from tests.policy.test_pack_grpc import urn

SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000001"
OWNER = "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
OWNER_AT_SUBSCRIPTION = {"scope": SUBSCRIPTION, "roleDefinitionId": OWNER,
                         "principalId": "11111111-1111-1111-1111-111111111111", "principalType": "ServicePrincipal"}
READER_ON_ACCOUNT = {**OWNER_AT_SUBSCRIPTION, "roleDefinitionId": READER,
                     "scope": SUBSCRIPTION + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acme"}
FIC_ANY_REPO = {"resourceGroupName": "rg", "resourceName": "id-x", "issuer": "https://token.actions.githubusercontent.com",
                "subject": "repo:*", "audiences": ["api://AzureADTokenExchange"]}
FIC_ONE_BRANCH = {**FIC_ANY_REPO, "subject": "repo:acme/agent:ref:refs/heads/main"}


def mandatory(pack, type_, props) -> list[tuple[str, str]]:
    diags = pack.analyze(type_, "t", urn(type_, "t"), props)
    return sorted((d.policy_name, d.message) for d in diags if d.enforcement_level == "mandatory")


@pytest.mark.parametrize(("versioned", "default", "bad", "good"), [
    ("azure-native:authorization/v20220401:RoleAssignment", "azure-native:authorization:RoleAssignment",
     OWNER_AT_SUBSCRIPTION, READER_ON_ACCOUNT),
    ("azure-native:authorization/v20200401preview:RoleAssignment", "azure-native:authorization:RoleAssignment",
     OWNER_AT_SUBSCRIPTION, READER_ON_ACCOUNT),
    ("azure-native:managedidentity/v20230131:FederatedIdentityCredential",
     "azure-native:managedidentity:FederatedIdentityCredential", FIC_ANY_REPO, FIC_ONE_BRANCH),
])
def test_versioned_token_is_judged_as_the_default(pack, versioned, default, bad, good):
    pack.configure({"AGID-GEN-006": {"trustedRepositoryOwners": ["acme"]}})  # FIC_ONE_BRANCH's owner is the gate's
    flagged = mandatory(pack, versioned, bad)
    assert flagged, f"{versioned} with {bad} passed"
    assert flagged == mandatory(pack, default, bad)
    assert mandatory(pack, versioned, good) == mandatory(pack, default, good) == []


def test_only_api_version_suffixes_are_removed():
    assert canonical_type("azure-native:authorization/v20211101privatepreview:RoleAssignment") == \
        "azure-native:authorization:RoleAssignment"
    for token in ("azure-native:authorization:RoleAssignment", "aws:iam/role:Role",
                  "azure-native:authorization/vlatest:RoleAssignment", "azure:authorization/assignment:Assignment",
                  "azure-nativex:authorization/v20220401:RoleAssignment"):
        assert canonical_type(token) == token
