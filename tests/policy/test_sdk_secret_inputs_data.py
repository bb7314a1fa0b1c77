"""policy_packs/analysis/sdk_secret_inputs.yaml is the derivation from the installed SDKs, and its hand-kept parts
name real inputs: a provider upgrade that marks a new input secret fails here until the file is refreshed
(`python -m agentid_policy_packs.analysis.sdk_secret_inputs`), and then AGID-GCP-034 / AGID-AZ-025 read it."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from agentid_policy_packs.analysis import sdk_secret_inputs
from agentid_policy_packs.rules import gcp_literal_secret

INSTALLED = all(importlib.util.find_spec(p) for p in sdk_secret_inputs.PACKAGES)


@pytest.mark.skipif(not INSTALLED, reason="not every provider SDK is installed")
def test_the_file_is_the_derivation_from_the_installed_sdks() -> None:
    data = sdk_secret_inputs._data()
    derived = sdk_secret_inputs.document()
    assert data["secret_inputs"] == derived["secret_inputs"]
    assert data["nested_secret_inputs"] == derived["nested_secret_inputs"]
    assert data["sdk_versions"] == derived["sdk_versions"]


def test_the_derivation_finds_the_r20_4_fields() -> None:  # the derivation can fail: it finds what red20 found
    derived = sdk_secret_inputs.derive("pulumi_gcp")
    assert derived["gcp:sql/user:User"] == ["password", "passwordWo"]
    assert derived["gcp:alloydb/user:User"] == ["password", "passwordWo"]
    assert "gcp:projects/apiKey:ApiKey" not in derived  # keyString is an output only: no input to judge


def test_hand_kept_entries_name_derived_inputs_with_a_reason() -> None:
    data = sdk_secret_inputs._data()
    marked = {f"{token}.{name}" for section in ("secret_inputs", "nested_secret_inputs")
              for token, names in data[section].items() for name in names}
    assert sorted(set(data["not_read"]) - marked) == []
    assert all(isinstance(reason, str) and len(reason) > 20 for reason in data["not_read"].values())
    assert sorted(set(data["members"]) - marked) == []


def test_every_gcp_input_marked_secret_is_read_or_excused() -> None:
    data = sdk_secret_inputs._data()
    for token, names in data["secret_inputs"].items():
        if token.startswith("gcp:"):
            read = set(sdk_secret_inputs.table().get(token, ()))
            assert all(n in read or f"{token}.{n}" in data["not_read"] for n in names), token
            if read:
                assert token in gcp_literal_secret.RULE.resource_types


@pytest.mark.parametrize("key", sorted(sdk_secret_inputs._data()["members"]))
def test_members_are_inputs_of_the_object(key: str) -> None:
    token, name = key.rsplit(".", 1)
    members = sdk_secret_inputs._data()["members"][key]
    if members == ["*"]:
        return  # a map: any member name
    provider, module, kind = token.split(":")
    package = {"gcp": "pulumi_gcp", "azuread": "pulumi_azuread"}[provider]
    args = getattr(importlib.import_module(f"{package}.{module.split('/')[0]}"), f"{kind}Args")
    prop = next(p for n, p in vars(args).items() if isinstance(p, property)
                and getattr(p.fget, "_pulumi_name", n) == name)
    nested = str(prop.fget.__annotations__.get("return"))
    cls_name = nested.split("'")[1] if "'" in nested else nested
    cls = getattr(importlib.import_module(f"{package}.{module.split('/')[0]}._inputs"), cls_name.split("[")[-1])
    names = {getattr(p.fget, "_pulumi_name", n) for n, p in vars(cls).items() if isinstance(p, property)}
    assert set(members) <= names, (key, members, names)


def test_every_azure_input_in_the_table_is_read_by_az_025() -> None:
    from agentid_policy_packs.rules import azure_literal_secret  # noqa: PLC0415

    azure = [t for t in sdk_secret_inputs.table() if t.startswith(("azure-native:", "azuread:"))]
    assert "azure-native:cosmosdb:MongoDBResourceMongoUserDefinition" in azure  # red20 r20-4
    assert sorted(set(azure) - set(azure_literal_secret.RULE.resource_types)) == []


def test_azure_names_that_only_name_a_secret_are_not_derived() -> None:
    derived = sdk_secret_inputs.derive_by_name()
    assert "clientSecretSettingName" not in derived["azure-native:web:WebAppAuthSettings"]
    assert "clientSecret" in derived["azure-native:web:WebAppAuthSettings"]


def test_nested_credentials_are_derived_and_references_are_not() -> None:
    gcp = sdk_secret_inputs.derive_nested_by_name("pulumi_gcp")
    assert gcp["gcp:alloydb/cluster:Cluster"] == ["initialUser.password"]
    assert "postgresqlProfile.password" in gcp["gcp:datastream/connectionProfile:ConnectionProfile"]
    assert "postgresqlProfile.secretManagerStoredPassword" not in gcp["gcp:datastream/connectionProfile:ConnectionProfile"]
    assert "gcp:cloudrunv2/service:Service" not in gcp  # secretKeyRef.secret names a Secret Manager secret
    azure = sdk_secret_inputs.derive_nested_by_name("pulumi_azure_native")
    assert azure["azure-native:containerinstance:ContainerGroup"] == ["imageRegistryCredentials[].password"]


def test_top_level_credentials_the_gcp_schema_does_not_mark_are_in_the_table() -> None:
    table = sdk_secret_inputs.table()
    assert table["gcp:identityplatform/oauthIdpConfig:OauthIdpConfig"] == ("clientSecret",)
    assert "secret" not in table["gcp:secretmanager/secretVersion:SecretVersion"]  # the secret's name, a reference
