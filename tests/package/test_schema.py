"""GetSchema: the package schema `pulumi package add` generates TypeScript/Go/C#/YAML SDKs from.

The expectations are derived from the spec's pydantic models, not written out:
whatever the spec accepts, the schema offers, with the same required keys and
descriptions, in the schema's camelCase.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, Union

import pytest
from pydantic import BaseModel

from agentid_components import package, package_codegen, platform_spec, spec
from agentid_components.aws.fleet import AwsSettings
from agentid_components.azure.fleet import AzureSettings
from tests.package.conftest import FLEET

PREFIX = "agentid:index:"


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda match: match.group(1).upper(), name)


def _models(root: type[BaseModel], seen: dict[str, type[BaseModel]] | None = None) -> dict[str, type[BaseModel]]:
    """Every spec model `root` is made of, by name."""
    seen = {} if seen is None else seen
    seen[root.__name__] = root
    for field in root.model_fields.values():
        for inner in _leaf_types(field.annotation):
            if isinstance(inner, type) and issubclass(inner, BaseModel) and inner.__name__ not in seen:
                _models(inner, seen)
    return seen


def _leaf_types(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (Union, types.UnionType, list, dict, typing.Annotated) and args:
        return [leaf for arg in args for leaf in _leaf_types(arg)]
    return [annotation]


@pytest.fixture(scope="module")
def schema(provider) -> dict[str, Any]:
    return provider.schema()


def test_the_package_is_agentid_with_its_two_components(schema):
    assert schema["name"] == "agentid"
    assert schema["version"] == package.importlib.metadata.version("agent-identity-kit")
    assert list(schema["resources"]) == [FLEET, "agentid:index:Platform"]
    assert schema["resources"]["agentid:index:Platform"]["isComponent"] is True
    fleet = schema["resources"][FLEET]
    assert fleet["isComponent"] is True
    assert fleet["description"].startswith("Every agent of a stack compiled into its own cloud identities")


def test_fleet_inputs_are_plain_and_typed(schema):
    inputs = schema["resources"][FLEET]["inputProperties"]
    assert inputs["agents"]["type"] == "array"
    assert inputs["agents"]["items"]["$ref"] == f"#/types/{PREFIX}Agent"
    assert inputs["agentsFile"]["type"] == inputs["baseDirectory"]["type"] == "string"
    assert inputs["aws"]["$ref"] == f"#/types/{PREFIX}AwsSettings"
    assert inputs["azure"]["$ref"] == f"#/types/{PREFIX}AzureSettings"
    # The agents decide which resources exist, so no input may be an unknown Output at preview.
    assert all(prop.get("plain") is True for prop in inputs.values())
    assert schema["resources"][FLEET]["requiredInputs"] == []  # exactly one of agents / agentsFile, checked at Construct


def test_fleet_outputs(schema):
    outputs = schema["resources"][FLEET]["properties"]
    assert set(outputs) == {"inventory"}  # no secret output: Cognito client secrets stay in Secrets Manager
    assert outputs["inventory"]["type"] == "object"
    assert outputs["inventory"]["additionalProperties"]["$ref"] == "pulumi.json#/Any"
    assert schema["resources"][FLEET]["required"] == ["inventory"]
    assert "owner" in outputs["inventory"]["description"]


def test_every_spec_model_is_a_schema_type_field_for_field(schema):
    models = {**_models(spec.Agent), **_models(platform_spec.PlatformSpec)}
    assert {"Agent", "Tool", "AwsGrant", "AzureGrant", "OAuthGrant", "TrustBinding", "GitHubActionsTrust",
            "KubernetesTrust", "SpiffeTrust", "AzureHostedTrust", "PlatformSpec", "PlatformApi",
            "PlatformTrustDomain"} <= set(models)
    # The Platform's args are the PlatformSpec itself: its fields are the component's inputs.
    schema = {**schema, "types": {**schema["types"], PREFIX + "PlatformSpec": {
        "type": "object", "description": platform_spec.PlatformSpec.__doc__.strip(),
        "properties": schema["resources"][PREFIX + "Platform"]["inputProperties"],
        "required": schema["resources"][PREFIX + "Platform"]["requiredInputs"]}}}
    for name, model in models.items():
        declared = schema["types"][PREFIX + name]
        assert declared["type"] == "object"
        assert declared["description"] == model.__doc__.strip().splitlines()[0]
        assert list(declared["properties"]) == [_camel(field) for field in model.model_fields], name
        assert sorted(declared.get("required", [])) == sorted(
            _camel(field_name) for field_name, field in model.model_fields.items() if field.is_required()), name
        for field_name, field in model.model_fields.items():
            prop = declared["properties"][_camel(field_name)]
            assert prop["description"].startswith((field.description or "each: ").rstrip(".")), (name, field_name)


@pytest.mark.parametrize(("type_name", "prop", "expected"), [
    ("Agent", "maxCredentialMinutes", {"type": "integer"}),
    ("Agent", "reviewBy", {"type": "string"}),
    ("Agent", "tools", {"type": "array", "items": {"$ref": f"#/types/{PREFIX}Tool"}}),
    ("Agent", "trust", {"type": "array", "items": {"$ref": f"#/types/{PREFIX}TrustBinding"}}),
    ("Tool", "aws", {"$ref": f"#/types/{PREFIX}AwsGrant"}),
    ("AwsGrant", "actions", {"type": "array", "items": {"type": "string"}}),
    ("AwsGrant", "conditions", {"type": "object", "additionalProperties": {
        "type": "object", "additionalProperties": {"$ref": "pulumi.json#/Any"}}}),
    ("AzureGrant", "dataActions", {"type": "array", "items": {"type": "string"}}),
    ("OAuthGrant", "provider", {"$ref": f"#/types/{PREFIX}OAuthGrantProvider"}),
    ("TrustBinding", "githubActions", {"$ref": f"#/types/{PREFIX}GitHubActionsTrust"}),
    ("PlatformApi", "providers", {"type": "array", "items": {"type": "string"}}),  # see package_codegen.type_of
    ("PlatformTrustDomain", "acmPcaArn", {"type": "string"}),
    ("KubernetesTrust", "serviceAccount", {"type": "string"}),
])
def test_property_types(schema, type_name, prop, expected):
    declared = schema["types"][PREFIX + type_name]["properties"][prop]

    def shape(value: dict[str, Any]) -> dict[str, Any]:
        return {key: shape(item) if isinstance(item, dict) else item for key, item in value.items()
                if key in {"type", "$ref", "items", "additionalProperties"}}

    assert shape(declared) == expected


def test_the_oauth_provider_is_an_enum_of_the_spec_literal(schema):
    enum = schema["types"][PREFIX + "OAuthGrantProvider"]
    literal = typing.get_args(spec.OAuthGrant.model_fields["provider"].annotation)
    assert enum["type"] == "string"
    assert [member["value"] for member in enum["enum"]] == list(literal) == ["cognito", "entra", "oidc"]


def test_settings_types_cover_every_settings_field(schema):
    """A setting the Python components read but the package cannot pass would be unreachable from TypeScript."""
    for settings, type_name, local_only in [(AwsSettings, "AwsSettings", {"agents_dir"}),
                                            (AzureSettings, "AzureSettings", {"spec_dir"})]:
        fields = {field.name for field in dataclasses.fields(settings)} - local_only
        assert set(schema["types"][PREFIX + type_name]["properties"]) == {_camel(f) for f in fields}, type_name
        assert all(prop["description"] for prop in schema["types"][PREFIX + type_name]["properties"].values())


def test_every_type_and_property_is_described(schema):
    for type_name, declared in schema["types"].items():
        assert declared.get("description"), type_name
        for prop_name, prop in declared.get("properties", {}).items():
            assert prop.get("description"), f"{type_name}.{prop_name}"


def test_package_types_are_generated_from_the_current_spec():
    assert package_codegen.TARGET.read_text(encoding="utf-8") == package_codegen.render(), (
        "spec models changed: run `python -m agentid_components.package_codegen`")


def test_the_engine_handshake_before_construct(provider):
    """What the engine asks a provider before Construct: its version, and that it takes secrets and outputs."""
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import provider_pb2

    info = provider.stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
    assert info.version == package.importlib.metadata.version("agent-identity-kit")
    configured = provider.stub.Configure(provider_pb2.ConfigureRequest(), timeout=30)
    assert (configured.acceptSecrets, configured.acceptOutputs, configured.acceptResources) == (True, True, True)
