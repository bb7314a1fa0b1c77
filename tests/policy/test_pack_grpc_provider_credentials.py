"""AGID-PRV-001 over gRPC: provider resources (`pulumi:providers:<package>`) holding long-lived credentials."""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc import urn

SECRET = "not-a-real-secret-0123456789"  # any non-empty value is a configured credential


def flagged(pack, type_, props) -> list[str]:
    return [d.message for d in pack.analyze(type_, "p", urn(type_, "p"), props)
            if d.policy_name == "AGID-PRV-001" and d.enforcement_level == "mandatory"]


@pytest.mark.parametrize(("type_", "props", "keys"), [
    ("pulumi:providers:aws", {"region": "eu-west-1", "accessKey": "AKIA" + "IOSFODNN7EXAMPLE", "secretKey": SECRET},
     "accessKey, secretKey"),
    ("pulumi:providers:azure-native", {"clientId": "c", "tenantId": "t", "clientSecret": SECRET}, "clientSecret"),
    ("pulumi:providers:azure", {"clientCertificate": "MIIB", "clientCertificatePassword": SECRET},
     "clientCertificate, clientCertificatePassword"),
    ("pulumi:providers:azuread", {"clientSecret": SECRET}, "clientSecret"),
    ("pulumi:providers:gcp", {"project": "p", "credentials": '{"type": "service_account", "private_key": "x"}'},
     "credentials"),
])
def test_static_credentials_on_providers_block(pack, type_, props, keys):
    [message] = flagged(pack, type_, props)
    assert f"({keys})" in message


@pytest.mark.parametrize(("type_", "props"), [
    ("pulumi:providers:aws", {"region": "eu-west-1", "profile": "deployer", "token": ""}),
    ("pulumi:providers:aws", {"assumeRoleWithWebIdentity": '{"roleArn": "arn:aws:iam::123456789012:role/d"}'}),
    ("pulumi:providers:azure-native", {"useOidc": "true", "clientId": "c", "tenantId": "t", "clientSecret": ""}),
    ("pulumi:providers:gcp", {"project": "p", "accessToken": "ya29.short-lived"}),
    ("pulumi:providers:kubernetes", {"kubeconfig": "~/.kube/config"}),
])
def test_oidc_and_keyless_providers_pass(pack, type_, props):
    assert flagged(pack, type_, props) == []
