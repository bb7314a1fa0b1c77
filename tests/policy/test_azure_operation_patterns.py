"""Privileged Azure operations by name pattern (r15-1, issue 11).

A custom role whose only action was a twin of a listed privileged operation (a slot's config/write, the AKS access
profile's listCredential, an enterprise cache's listKeys, another plane's role assignments, an Entra admin write,
a registry token, an SFTP local user, a pipeline run) passed AGID-AZ-012/013, and built-in roles holding them
(Data Factory Contributor, Kubernetes Extension Contributor) passed AGID-AZ-010. components/data/azure_capabilities.yaml
`operation_patterns` now classifies every snapshot operation a pattern matches; the cross-check below fails when a
refreshed snapshot brings a matching operation no capability covers.
"""

from __future__ import annotations

import json

import pytest
import yaml

from agentid.analyzer_client import StackResource
from agentid_components import azure_catalog
from tests.policy.test_pack_grpc import urn

DEFINITION = "azure-native:authorization:RoleDefinition"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/rg"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"


def patterns() -> list[dict]:
    with open(azure_catalog.CAPABILITIES_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["operation_patterns"]


def classified() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {azure_catalog.ACTIONS: set(), azure_catalog.DATA_ACTIONS: set()}
    for capability in azure_catalog.capability_catalogue():
        found[capability["plane"]].update(op.lower() for op in capability["operations"])
    return found


def test_every_snapshot_operation_a_pattern_matches_is_classified_or_excepted():
    """Both planes: a match in a plane the pattern's capability does not cover needs a capability of that plane."""
    known = classified()
    excepted = {item["operation"].lower() for entry in patterns() for item in entry.get("except", [])}
    missing = [(entry["pattern"], op) for entry in patterns()
               for plane in (azure_catalog.ACTIONS, azure_catalog.DATA_ACTIONS)
               for op in azure_catalog.expand(entry["pattern"], plane)
               if op.lower() not in known[plane] and op.lower() not in excepted]
    assert missing == []


def test_every_pattern_matches_its_capability_plane_and_says_why():
    capabilities = {c["id"]: c for c in azure_catalog.capability_catalogue()}
    for entry in patterns():
        plane = capabilities[entry["capability"]]["plane"]
        assert azure_catalog.expand(entry["pattern"], plane), entry["pattern"]
        assert entry["why"] and entry["source"].startswith("https://learn.microsoft.com/"), entry["pattern"]
        for item in entry.get("except", []):
            assert azure_catalog.operation_pattern(entry["pattern"]).fullmatch(item["operation"].lower()), item
            assert azure_catalog.operation_plane(item["operation"]) == plane and item["why"], item


def test_an_excepted_operation_is_not_privileged():
    assert "microsoft.portalservices/extensions/write" not in azure_catalog.privileged_operations()
    assert "microsoft.hdinsight/clusters/extensions/write" not in azure_catalog.privileged_operations()


# The red-team repro's 17 operations (r15-1), each the twin of a listed one, with the words of its effect
TWINS = {
    "Microsoft.Web/sites/slots/config/write": "App Service or Functions app's code",
    "Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action": "admin credentials",
    "Microsoft.RedHatOpenShift/openShiftClusters/listAdminCredentials/action": "admin credentials",
    "Microsoft.KubernetesConfiguration/extensions/write": "AKS cluster's own credential",
    "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/write": "Cosmos DB data-plane roles",
    "Microsoft.Kusto/clusters/databases/principalAssignments/write": "Kusto cluster and database principals",
    "Microsoft.Sql/servers/administrators/write": "Entra administrator",
    "Microsoft.DBforPostgreSQL/flexibleServers/administrators/write": "Entra administrator",
    "Microsoft.Synapse/workspaces/administrators/write": "Entra administrator",
    "Microsoft.ContainerRegistry/registries/tokens/write": "registry tokens",
    "Microsoft.ContainerRegistry/registries/generateCredentials/action": "registry tokens",
    "Microsoft.Storage/storageAccounts/localusers/write": "SFTP local users",
    "Microsoft.Storage/storageAccounts/localusers/regeneratePassword/action": "SFTP local users",
    "Microsoft.App/containerApps/listSecrets/action": "admin credentials",
    "Microsoft.Cache/redisEnterprise/databases/listKeys/action": "admin credentials",
    "Microsoft.Web/sites/functions/keys/write": "function and host keys",
    "Microsoft.DataFactory/factories/pipelines/createRun/action": "Data Factory pipelines",
    # r16-5: the same capabilities through other verbs
    "Microsoft.ManagedServices/registrationDefinitions/write": "ANY other tenant",
    "Microsoft.ManagedServices/registrationAssignments/write": "ANY other tenant",
    "Microsoft.KeyVault/vaults/deploy/action": "Key Vault references",
    "Microsoft.Cache/redis/accessPolicyAssignments/write": "Redis data access policies",
    "Microsoft.Web/connections/accessPolicies/Write": "Logic Apps API connection access",
    "Microsoft.DocumentDB/mongoClusters/users/write": "Mongo vCore database users",
    "Microsoft.Sql/servers/write": "SQL administrator password",
    "Microsoft.DBforPostgreSQL/flexibleServers/write": "SQL administrator password",
    "Microsoft.DBforMySQL/flexibleServers/write": "SQL administrator password",
}

# r16-5 look-alikes: reading the same resources (or defining, not assigning, a Redis policy) grants nothing
READ_ALIKES = [
    "Microsoft.ManagedServices/registrationDefinitions/read",
    "Microsoft.ManagedServices/registrationAssignments/read",
    "Microsoft.KeyVault/vaults/read",
    "Microsoft.Cache/redis/accessPolicyAssignments/read",
    "Microsoft.Web/connections/accessPolicies/Read",
    "Microsoft.DocumentDB/mongoClusters/users/read",
    "Microsoft.Sql/servers/read",
    "Microsoft.Sql/servers/databases/write",
    "Microsoft.DBforPostgreSQL/flexibleServers/read",
    "Microsoft.DBforMySQL/flexibleServers/read",
]


@pytest.mark.parametrize("operation", READ_ALIKES)
def test_a_custom_role_holding_only_a_read_look_alike_passes(pack, operation):
    role = definition("rd", [operation])
    assert azure_role_diagnostics(pack, role, assignment("ra", "04da6b54-80e4-46f7-96ec-b56ff0331ba9", role)) == []


def definition(name, actions, data_actions=()):
    props = {"roleName": name, "scope": RG, "assignableScopes": [RG],
             "permissions": [{"actions": list(actions), "notActions": [], "dataActions": list(data_actions),
                              "notDataActions": []}]}
    return StackResource(DEFINITION, name, urn(DEFINITION, name), props)


def assignment(name, role, *dependencies):
    props = {"scope": RG, "roleDefinitionId": role, "principalId": PRINCIPAL, "principalType": "ServicePrincipal"}
    return StackResource(ASSIGNMENT, name, urn(ASSIGNMENT, name), props, dependencies=[d.urn for d in dependencies])


def azure_role_diagnostics(pack, *resources):
    found = []
    for resource in resources:
        found += [(d.policy_name, d.enforcement_level, resource.name, d.message)
                  for d in pack.analyze(resource.type, resource.name, resource.urn, resource.properties)]
    found += [(d.policy_name, d.enforcement_level, d.urn.rsplit("::", 1)[-1], d.message)
              for d in pack.analyze_stack(list(resources))]
    return sorted(f for f in found if f[0] in ("AGID-AZ-010", "AGID-AZ-012", "AGID-AZ-013"))


@pytest.mark.parametrize("operation", sorted(TWINS))
def test_a_custom_role_holding_a_twin_blocks_and_so_does_its_assignment(pack, operation):
    role = definition("rd", [operation])
    found = azure_role_diagnostics(pack, role, assignment("ra", "04da6b54-80e4-46f7-96ec-b56ff0331ba9", role))
    assert [(p, lvl, n) for p, lvl, n, _ in found] == [("AGID-AZ-012", "mandatory", "rd"),
                                                        ("AGID-AZ-013", "mandatory", "ra")], found
    assert all(TWINS[operation] in m and operation.lower() in m.lower() for *_, m in found), found


@pytest.mark.parametrize("guid, name, words", [
    ("673868aa-7521-48a0-acc6-0f60742d39f5", "Data Factory Contributor", "Data Factory pipelines"),
    ("85cb6faf-e071-4c9b-8136-154b5a04f717", "Kubernetes Extension Contributor", "AKS cluster's own credential"),
])
def test_builtin_roles_holding_a_twin_block(pack, guid, name, words):
    role_id = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    [(policy, level, resource, message)] = azure_role_diagnostics(pack, assignment("ra", role_id))
    assert (policy, level, resource) == ("AGID-AZ-010", "mandatory", "ra")
    assert name in message and words in message, message


def test_read_only_look_alikes_pass(pack):
    reads = ["Microsoft.Web/sites/slots/config/Read", "Microsoft.ContainerService/managedClusters/accessProfiles/read",
             "Microsoft.KubernetesConfiguration/extensions/read", "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/read",
             "Microsoft.Kusto/Clusters/Databases/PrincipalAssignments/read", "Microsoft.Sql/servers/administrators/read",
             "Microsoft.ContainerRegistry/registries/tokens/read", "Microsoft.Storage/storageAccounts/localusers/read",
             "Microsoft.App/containerApps/read", "Microsoft.Cache/redisEnterprise/databases/read",
             "Microsoft.DataFactory/factories/pipelines/read", "Microsoft.Search/searchServices/listQueryKeys/action",
             "Microsoft.PortalServices/extensions/write"]
    role = definition("rd", reads)
    assert azure_role_diagnostics(pack, role, assignment("ra", "04da6b54-80e4-46f7-96ec-b56ff0331ba9", role)) == []


def test_the_precomputed_pattern_expansion_is_current_and_used():
    """Issue 17: capability_catalogue reads the patterns' operations from azure_capability_expansion.json (generated
    by `python -m agentid_components.azure_catalog`) instead of scanning the snapshot in every process. The file
    must be what expanding the patterns gives now, keyed by the two files' hashes; regenerate it when this fails."""
    from agentid_components import data_yaml

    stored = json.loads(azure_catalog.EXPANSION_FILE.read_text(encoding="utf-8"))
    assert stored["sha256"] == azure_catalog._expansion_key()
    assert stored["added"] == azure_catalog.expand_patterns(data_yaml.load(azure_catalog.CAPABILITIES_FILE))
    assert "Microsoft.KubernetesConfiguration/extensions/write" in stored["added"]["aks-run-command"]


def test_a_stale_or_broken_expansion_file_is_ignored_and_a_current_one_is_read(monkeypatch, tmp_path):
    from agentid_components import data_yaml

    raw = data_yaml.load(azure_catalog.CAPABILITIES_FILE)
    expected = azure_catalog.expand_patterns(raw)
    forged = {"aks-run-command": ["Microsoft.Forged/everything/write"]}
    path = tmp_path / "expansion.json"
    monkeypatch.setattr(azure_catalog, "EXPANSION_FILE", path)
    for content in ('{"sha256": {"azure_capabilities.yaml": "0"}, "added": %s}' % json.dumps(forged),
                    "not json", '["a list"]'):
        path.write_text(content, encoding="utf-8")
        assert azure_catalog._expanded_operations(raw) == expected
    path.unlink()
    assert azure_catalog._expanded_operations(raw) == expected
    # a current key: the file is read, the snapshot not scanned
    path.write_text(json.dumps({"sha256": azure_catalog._expansion_key(), "added": forged}), encoding="utf-8")
    monkeypatch.setattr(azure_catalog, "expand", lambda *args: pytest.fail("expanded although the file is current"))
    assert azure_catalog._expanded_operations(raw) == forged
