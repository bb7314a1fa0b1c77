"""The SDK inputs that decide a forged output (agentid.mock_provider._sdk_inputs, AGID-GEN-007 and iam_links) are
read from the generated resource file without importing the provider module (issue 17: the pack imported
`pulumi_azure_native.authorization`, GCP and azuread modules at every run, ~0.7 s of its CPU for the mixed fleet).
The source read must give exactly what importing the `*Args` class gives, for every class of the modules the kit's
stacks use, and fall back to importing (never to a guess) when a file does not have the generated shape."""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest

from agentid import mock_provider

# modules of the five providers the kit's components and the red-team cases use; every class in them is compared
MODULES = {
    "pulumi_azure_native": ("pulumi_azure_native.authorization", "pulumi_azure_native.managedidentity"),
    "pulumi_azuread": ("pulumi_azuread",),
    "pulumi_aws": ("pulumi_aws.iam", "pulumi_aws.cognito", "pulumi_aws.lambda_"),
    "pulumi_gcp": ("pulumi_gcp.projects", "pulumi_gcp.serviceaccount", "pulumi_gcp.storage", "pulumi_gcp.bigquery"),
}
# the types of the bench's mixed fleet that carry an input named like a computed output (the pack reads them at
# every run): these must be answered from source
FLEET_TYPES = (
    "azure-native:authorization:RoleAssignment",
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    "azuread:index/servicePrincipal:ServicePrincipal",
    "gcp:bigquery/datasetIamMember:DatasetIamMember",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:storage/bucketIAMMember:BucketIAMMember",
)


def _imported(origin: str, fqn: str, cls_name: str) -> frozenset[str]:
    module = importlib.import_module(fqn)  # `<Name>InitArgs` where `<Name>Args` is a type of the module
    args = getattr(module, cls_name + "InitArgs", None) or getattr(module, cls_name + "Args")
    return frozenset(getattr(member.fget, "_pulumi_name", name)
                     for name, member in vars(args).items() if isinstance(member, property))


@pytest.mark.parametrize("package", sorted(MODULES))
def test_source_read_equals_the_imported_args_class(package):
    origin = importlib.util.find_spec(package).origin
    register = mock_provider._sdk_register(origin)
    compared = fell_back = 0
    for token, (fqn, cls_name) in sorted(register.items()):
        if fqn not in MODULES[package]:
            continue
        from_source = mock_provider._args_in_source(origin, fqn, cls_name)
        if from_source is None:
            fell_back += 1
            continue
        assert from_source == _imported(origin, fqn, cls_name), token
        compared += 1
    assert compared >= 20 and fell_back <= compared // 10, (compared, fell_back)


@pytest.mark.parametrize("token", FLEET_TYPES)
def test_fleet_types_are_read_from_source(token):
    package = "pulumi_" + token.split(":", 1)[0].replace("-", "_")
    origin = importlib.util.find_spec(package).origin
    fqn, cls_name = mock_provider._sdk_register(origin)[token]
    from_source = mock_provider._args_in_source(origin, fqn, cls_name)
    assert from_source is not None and from_source == _imported(origin, fqn, cls_name)


KEYS = ("arn", "clientId", "principalId", "member", "id")
# the SDK inputs among KEYS: RoleAssignment's principalId, ServicePrincipal's clientId, the IAM members' member;
# everything else is forged (`id` always)
NOT_FORGED = {FLEET_TYPES[0]: {"principalId"}, FLEET_TYPES[2]: {"clientId"}, **{token: {"member"} for token in FLEET_TYPES[3:]}}


def test_the_pack_imports_no_provider_module_to_judge_forged_outputs():
    code = textwrap.dedent(f"""
        import json, sys
        from agentid.mock_provider import forged_output
        verdicts = [[forged_output(token, key) for key in {KEYS!r}] for token in {FLEET_TYPES!r}]
        print(json.dumps([sorted(name for name in sys.modules if name.startswith("pulumi_")), verdicts]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    modules, verdicts = json.loads(out)
    assert modules == []
    assert verdicts == [[key not in NOT_FORGED.get(token, set()) for key in KEYS] for token in FLEET_TYPES]


def _generated(tmp_path, body: str) -> tuple[str, str, str]:
    package = tmp_path / "pulumi_fake"
    (package / "mod").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "mod" / "__init__.py").write_text("")
    (package / "mod" / "thing_role.py").write_text(textwrap.dedent(body))
    return str(package / "__init__.py"), "pulumi_fake.mod", "ThingRole"


def test_generated_shape_is_read(tmp_path):
    origin, fqn, cls_name = _generated(tmp_path, '''
        class ThingRoleArgs:
            """Inputs."""
            def __init__(__self__, *, role_arn=None): ...
            @_builtins.property
            @pulumi.getter(name="roleArn")
            def role_arn(self): ...
            @role_arn.setter
            def role_arn(self, value): ...
            @_builtins.property
            @pulumi.getter
            @_utilities.deprecated("""old""")
            def email(self): ...
        class ThingRole(pulumi.CustomResource):
            pass
    ''')
    assert mock_provider._args_in_source(origin, fqn, cls_name) == frozenset({"roleArn", "email"})


@pytest.mark.parametrize("body", [
    "class ThingRoleArgs(Base):\n    @property\n    def arn(self): ...\n",  # a base class may add inputs
    "class ThingRoleArgs:\n    @property\n    @custom\n    def arn(self): ...\n",  # an unknown decorator
    "class ThingRoleArgs:\n    @property\n    @pulumi.getter(name=NAME)\n    def arn(self): ...\n",  # computed name
    "class ThingRoleArgs:\n    @other.setter\n    def arn(self, value): ...\n",  # a setter of another property
    "class ThingRoleArgs:\n    x = 1\nclass ThingRoleArgs:\n    pass\n",  # defined twice
    "class Other:\n    pass\n",  # no such class
])
def test_other_shapes_are_imported_not_guessed(tmp_path, body):
    origin, fqn, cls_name = _generated(tmp_path, body)
    assert mock_provider._args_in_source(origin, fqn, cls_name) is None


def test_a_resource_whose_args_name_is_a_type_reads_its_init_args():
    """Pulumi's Python codegen names a resource's inputs class `<Name>InitArgs` where `<Name>Args` is a type of the
    module (compute.SshPublicKeyArgs: keyData, path); the resource's own inputs were read from that type."""
    inputs = mock_provider._sdk_inputs("azure-native:compute:SshPublicKey")
    assert {"resourceGroupName", "sshPublicKeyName", "publicKey"} <= inputs and "keyData" not in inputs
    assert mock_provider.azure_name_input("azure-native:compute:SshPublicKey") == ("sshPublicKeyName", "random")


@pytest.mark.parametrize(("type_", "expected"), [
    ("azure-native:managedidentity:UserAssignedIdentity", ("resourceName", "random")),  # .../userAssignedIdentities/{x}
    ("azure-native:resources:ResourceGroup", ("resourceGroupName", "random")),
    ("azure-native:managedidentity:FederatedIdentityCredential", ("federatedIdentityCredentialResourceName", "copy")),
    ("azure-native:redis:AccessPolicy", ("accessPolicyName", "copy")),  # a child of the cache
    ("azure-native:authorization:RoleAssignment", ("roleAssignmentName", "uuid")),
    ("azure-native:authorization:PolicyAssignment", ("policyAssignmentName", "random")),  # {scope}/providers/...
    ("azure-native:authorization:ManagementLockAtResourceLevel", ("lockName", "random")),  # under any resource
    ("azure-native:resources:Resource", ("resourceName", "random")),
])
def test_azure_name_inputs_and_autonaming_strategies_follow_the_provider(type_, expected):
    """pulumi-azure-native AutoNamer: the path's last parameter; a GUID where uuid-formatted, the logical name + 8 hex
    directly under a provider namespace (or a resource group), the logical name for a child resource."""
    assert mock_provider.azure_name_input(type_) == expected
    name = mock_provider.autoname(type_, "agent-id", {})
    assert {"random": len(name) == 16 and name.startswith("agent-id"), "copy": name == "agent-id",
            "uuid": len(name) == 36}[expected[1]], name
    assert mock_provider.autoname(type_, "agent-id", {expected[0]: "given"}) is None


def test_the_sdk_file_is_read_once_a_type_however_many_resources_ask(monkeypatch):
    """Every registration asks for its type's SDK inputs (forged outputs, autonaming), in the gate's monitor, the
    program child and the packs. Read afresh each time (a531a3e moved the cache off `_sdk_inputs`), the generated
    file was opened and parsed again per resource and per input named like a computed output: 500 Azure agents'
    program child spent several seconds there (issue 17)."""
    calls = []
    read = mock_provider._args_in_source

    def counting(origin, fqn, cls_name):
        calls.append(cls_name)
        return read(origin, fqn, cls_name)

    getattr(mock_provider._sdk_inputs, "cache_clear", lambda: None)()
    monkeypatch.setattr(mock_provider, "_args_in_source", counting)
    types = {
        "azure-native:authorization:RoleAssignment": {"principalId": "p", "roleAssignmentName": "g", "scope": "/s"},
        "azuread:index/servicePrincipal:ServicePrincipal": {"clientId": "c"},
        "azure-native:managedidentity:UserAssignedIdentity": {"resourceGroupName": "rg"},
    }
    for index in range(50):
        for token, inputs in types.items():
            _, state = mock_provider.mock_outputs(token, f"r{index}", dict(inputs))
            assert mock_provider.forged_output(token, "arn") is True
    assert sorted(calls) == ["RoleAssignment", "ServicePrincipal", "UserAssignedIdentity"]
    assert state["tenantId"] == mock_provider.MOCK_TENANT


def test_answering_registrations_reads_no_file_once_each_type_was_seen(monkeypatch):
    """The kind of fault above, whatever function does it: once a type has been answered, answering more resources
    of that type (the mock outputs, forged-output checks, autonaming of every provider the kit's fleets use) opens no
    file: the SDK facts are read once a type and a package."""
    import builtins

    tokens = {
        "azure-native:authorization:RoleDefinition": {"roleName": "r", "scope": "/s", "permissions": []},
        "azure-native:authorization:RoleAssignment": {"principalId": "p", "scope": "/s"},
        "azure-native:managedidentity:UserAssignedIdentity": {"resourceGroupName": "rg", "tenantId": "forged"},
        "azure-native:managedidentity:FederatedIdentityCredential": {"resourceName": "id", "subject": "s"},
        "azuread:index/application:Application": {"displayName": "a", "objectId": "forged"},
        "azuread:index/servicePrincipal:ServicePrincipal": {"clientId": "c"},
        "aws:iam/role:Role": {"assumeRolePolicy": "{}", "arn": "forged"},
        "aws:s3/bucket:Bucket": {},
        "gcp:serviceaccount/account:Account": {"accountId": "sa", "email": "forged"},
        "gcp:projects/iAMMember:IAMMember": {"member": "user:a@example.com", "role": "roles/viewer"},
    }

    def answer_all(index: int) -> None:
        for token, inputs in tokens.items():
            for key in ("arn", "clientId", "objectId", "tenantId", "email", "member", "id"):
                mock_provider.forged_output(token, key)
            mock_provider.mock_outputs(token, f"r{index}", dict(inputs))

    answer_all(0)  # each type seen once: its SDK facts read
    opened = []

    def counting_open(*args, **kwargs):
        opened.append(args[0] if args else kwargs.get("file"))
        return builtins.open(*args, **kwargs)

    monkeypatch.setattr(mock_provider, "open", counting_open, raising=False)
    for index in range(1, 30):
        answer_all(index)
    assert opened == []
