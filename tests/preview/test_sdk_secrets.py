"""agentid/preview/sdk_secrets.yaml: derived from the installed SDKs, complete, and what AGID-GATE-001 judges with.

The read types are the SDK classes that declare `additional_secret_outputs`; the invokes are those whose result type
has a secret-named property (credential_invokes.yaml's secret_field_pattern). Every such invoke is judged, or excluded
in `not_secret` with a reason: nothing is left to a hand list that a provider upgrade silently outgrows.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from agentid.preview import credential_invokes, sdk_secrets

INSTALLED = all(importlib.util.find_spec(p) for p in sdk_secrets.PACKAGES)


@pytest.mark.skipif(not INSTALLED, reason="not every provider SDK is installed")
def test_the_file_is_the_derivation_from_the_installed_sdks():
    """Refresh with `python -m agentid.preview.sdk_secrets` after a provider upgrade."""
    assert credential_invokes._sdk() == sdk_secrets.derived()


@pytest.mark.skipif(not INSTALLED, reason="not every provider SDK is installed")
def test_every_invoke_returning_a_secret_named_property_is_judged_or_excluded_with_a_reason():
    data = credential_invokes._data()
    derived = sdk_secrets.derived()["invokes"]
    unjudged = [t for t in derived if credential_invokes.what_it_does(t) is None
                and t not in data["not_secret"] and t not in data["argument_reads"]]
    assert unjudged == []
    # every exclusion names a derived token (a stale or misspelt one would hide nothing and mislead) with a reason
    assert sorted(set(data["not_secret"]) - set(derived)) == []
    assert all(isinstance(reason, str) and len(reason) > 20 for reason in data["not_secret"].values())
    for token in data["not_secret"]:
        assert credential_invokes.what_it_does(token) is None, token


def test_argument_reads_name_real_invokes_and_their_arguments():
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None:
        pytest.skip("pulumi_aws is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    sources = {"aws:ssm/getParameter:getParameter": "ssm/get_parameter.py",
               "aws:ec2/getInstance:getInstance": "ec2/get_instance.py",
               "aws:ssm/getParametersByPath:getParametersByPath": "ssm/get_parameters_by_path.py"}
    assert set(credential_invokes._data()["argument_reads"]) == set(sources)
    for token, file in sources.items():
        text = (root / file).read_text(encoding="utf-8")
        rule = credential_invokes._data()["argument_reads"][token]
        assert f"invoke('{token}'" in text and f"__args__['{rule['argument']}']" in text


@pytest.mark.parametrize(("args", "read"), [
    ({"name": "/prod/api-key"}, True),  # withDecryption defaults to true
    ({"name": "/prod/api-key", "withDecryption": True}, True),
    ({"name": "/prod/api-key", "withDecryption": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}, True),  # unknown: fail closed
    ({"name": "/prod/api-key", "withDecryption": False}, False),
    ({"name": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"}, False),  # public parameter
    ({"name": "arn:aws:ssm:eu-west-1::parameter/aws/service/ecs/optimized-ami/amazon-linux-2/recommended"}, False),
    ({"name": "arn:aws:ssm:eu-west-1:111122223333:parameter/aws/service/x"}, True),  # an account's own parameter
])
def test_ssm_get_parameter_is_judged_by_its_decryption_argument(args, read):
    assert bool(credential_invokes.argument_read("aws:ssm/getParameter:getParameter", args)) is read


def test_ec2_get_instance_is_a_read_only_with_get_password_data():
    token = "aws:ec2/getInstance:getInstance"
    assert credential_invokes.argument_read(token, {"instanceId": "i-1"}) is None
    assert credential_invokes.argument_read(token, {"getPasswordData": True}) == f"{token} (getPasswordData)"
    assert "administrator password" in credential_invokes.what_it_does(f"{token} (getPasswordData)")
    assert credential_invokes.what_it_does(token) is None


@pytest.mark.parametrize(("type_token", "fields"), [
    ("kubernetes:core/v1:Secret", ["data", "stringData"]),
    ("aws:ssm/parameter:Parameter", ["value", "valueWo"]),
    ("aws:secretsmanager/secretVersion:SecretVersion", ["secretBinary", "secretString", "secretStringWo"]),
    ("gcp:secretmanager/secretVersion:SecretVersion", ["secretData", "secretDataWo"]),
    ("azuread:index/applicationPassword:ApplicationPassword", ["value"]),
    ("aws:iam/role:Role", None), ("aws:ec2/vpc:Vpc", None), ("kubernetes:core/v1:ConfigMap", None),
    ("gcp:secretmanager/secret:Secret", None),
])
def test_read_types_are_the_sdk_classes_declaring_secret_outputs(type_token, fields):
    assert credential_invokes.secret_fields_of_read(type_token) == fields


def test_findings_name_each_secret_read_on_its_urn():
    reads = [("aws:iam/role:Role", "ops", "urn:pulumi:dev::p::aws:iam/role:Role::ops"),
             ("kubernetes:core/v1:Secret", "t", "urn:pulumi:dev::p::kubernetes:core/v1:Secret::t"),
             ("kubernetes:core/v1:Secret", "t", "urn:pulumi:dev::p::kubernetes:core/v1:Secret::t")]
    run = credential_invokes.findings([], "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", "0.1.0", reads=reads)
    [violation] = run.violations
    assert (violation.policy, violation.urn, violation.mandatory) == (
        "AGID-GATE-001", "urn:pulumi:dev::p::kubernetes:core/v1:Secret::t", True)
    assert credential_invokes.findings([], "urn", "0.1.0", reads=reads[:1]) is None
    stack_reference = ("pulumi:pulumi:StackReference", "net", "urn:pulumi:dev::p::pulumi:pulumi:StackReference::net")
    assert credential_invokes.findings([], "urn", "0.1.0", reads=[stack_reference]) is None
    [unknown] = credential_invokes.findings(
        [], "urn", "0.1.0", reads=[("onepassword:index/item:Item", "db", "urn:pulumi:dev::p::onepassword:index/item:Item::db")]
    ).violations
    assert "cannot check" in unknown.message and unknown.urn.endswith("::db")


@pytest.mark.parametrize(("token", "secret"), [
    # a secret nested in the result's output types
    ("gcp:storage/getBucketObjectContents:getBucketObjectContents", "bucket_objects.content"),
    ("aws:lb/getListener:getListener", "default_actions.authenticate_oidcs.client_secret"),
    ("aws:sesv2/getEmailIdentity:getEmailIdentity", "dkim_signing_attributes.domain_signing_private_key"),
    ("azure-native:containerregistry:listTaskRunDetails", "run_result.update_trigger_token"),
    # look-alikes: a CORS flag, references to Secret Manager secrets, an ARM GET
    ("aws:apigatewayv2/getApi:getApi", None), ("gcp:cloudrunv2/getService:getService", None),
    ("azuread:index/getApplication:getApplication", None), ("azure-native:network:getApplicationGateway", None),
])
def test_secrets_nested_in_an_invokes_result_are_derived(token, secret):
    does = credential_invokes.what_it_does(token)
    assert (secret in does) if secret else does is None, does


@pytest.mark.parametrize("token", ["vault:generic/getSecret:getSecret", "onepassword:index/getItem:getItem",
                                   "github:index/getActionsSecrets:getActionsSecrets"])
def test_an_invoke_of_a_package_whose_sdk_was_not_derived_cannot_be_checked(token):
    assert credential_invokes.what_it_does(token).startswith("cannot be checked: the gate did not derive")


def test_invokes_of_derived_packages_without_secrets_and_the_engines_own_pass():
    for token in ("kubernetes:yaml:decode", "kubernetes:helm:template", "aws:index/getRegion:getRegion",
                  "pulumi:pulumi:getResource"):
        assert credential_invokes.what_it_does(token) is None, token
