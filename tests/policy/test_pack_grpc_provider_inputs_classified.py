"""AGID-PRV-005 over gRPC: a provider setting the gate does not classify (analysis/provider_inputs.yaml), or one it
classifies as unjudged, is "cannot check"; the same provider with only classified settings passes."""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import assert_flagged_and_look_alike

RULE = "AGID-PRV-005"


@pytest.fixture(autouse=True)
def _configured(pack):
    pack.configure({"all": {"ownAccountIds": ["111122223333"], "ownGcpProjects": ["acme-dev"]}})
    yield
    pack.configure({})


@pytest.mark.parametrize("case,package,flagged,look_alike,said", [
    # an input no installed provider has (a newer provider's, or invented): the provider may still read it
    ("aws-new-input", "aws", {"region": "eu-west-1", "credentialProcess": "sh -c id"}, {"region": "eu-west-1"},
     "credentialProcess is not an input the gate knows"),
    # a real input no rule reads: the instance metadata endpoint the provider takes its credentials from
    ("aws-imds", "aws", {"ec2MetadataServiceEndpoint": "http://169.254.170.2.evil.example"},
     {"ec2MetadataServiceEndpointMode": "IPv4"}, "ec2MetadataServiceEndpoint is not judged"),
    # a member of a struct input, in either spelling, in JSON text as the SDK sends it
    ("aws-assume-member", "aws", {"assumeRoles": json.dumps([{"roleArn": "arn:aws:iam::111122223333:role/d",
                                                              "webIdentityToken": "eyJ"}])},
     {"assumeRoles": json.dumps([{"role_arn": "arn:aws:iam::111122223333:role/d", "session_name": "ci"}])},
     "assumeRoles[0].webIdentityToken is not an input the gate knows"),
    ("gcp-external-member", "gcp", {"externalCredentials": {"audience": "//iam", "credentialSource": "/proc/self/cwd/t"}},
     {"externalCredentials": {"audience": "//iam", "service_account_email": "d@acme-dev.iam.gserviceaccount.com"}},
     "externalCredentials.credentialSource is not an input the gate knows"),
    ("helm-member", "kubernetes", {"helmReleaseSettings": json.dumps({"pluginsDir": "./plugins"})},
     {"helmReleaseSettings": json.dumps({"driver": "secret"})}, "helmReleaseSettings.pluginsDir"),
    # what the engine adds: the version it resolved passes, a download URL is a binary the gate never saw
    ("download-url", "gcp", {"project": "acme-dev", "version": "9.0.0", "pluginDownloadURL": "https://evil.example/p"},
     {"project": "acme-dev", "version": "10.2.0", "pluginChecksums": {"linux-amd64": "ab"}}, "pluginDownloadURL is not judged"),
    ("azure-new", "azure-native", {"clientAssertion": "eyJ"}, {"useOidc": "true", "location": "westeurope"},
     "clientAssertion"),
    ("azuread-new", "azuread", {"clientSecretFile": "/tmp/s"}, {"useCli": "true"}, "clientSecretFile"),
    ("k8s-unreadable-struct", "kubernetes", {"kubeClientSettings": "[1]"}, {"kubeClientSettings": {"qps": 5}},
     "kubeClientSettings[0] cannot be read"),
])
def test_an_unclassified_provider_setting_cannot_be_checked(pack, case, package, flagged, look_alike, said):
    assert_flagged_and_look_alike(pack, case, f"pulumi:providers:{package}", flagged, RULE, "mandatory", look_alike)
    type_ = f"pulumi:providers:{package}"
    [diag] = pack.analyze(type_, case, f"urn:pulumi:t::p::{type_}::{case}", flagged)
    assert said in diag.message and "cannot check" in diag.message, diag.message


def test_every_custom_endpoint_of_gcp_is_classified_by_its_pattern(pack):
    type_ = "pulumi:providers:gcp"
    found = [d for d in pack.analyze(type_, "g", f"urn:pulumi:t::p::{type_}::g",
                                     {"computeCustomEndpoint": "https://compute.googleapis.com/compute/v1/"})
             if d.policy_name == RULE]
    assert found == []
