"""AGID-K8S-004 over gRPC: literal credentials in Kubernetes Secrets, and the look-alikes that must pass.

Test values are built at run time from pieces (no key-shaped literal sits in the tree).
"""

from __future__ import annotations

import base64

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

SECRET, SECRET_LIST, SECRET_PATCH = "kubernetes:core/v1:Secret", "kubernetes:core/v1:SecretList", \
    "kubernetes:core/v1:SecretPatch"
SIG, SIG_VALUE = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
PLACEHOLDER = "[secret: not decrypted by agentid preview]"
META = {"metadata": {"name": "model-creds", "namespace": "agents"}}


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


DOCKER = '{"auths": {"registry.example.com": {"auth": "' + b64("ci:" + "s3cr3t-" + "pw") + '"}}}'
# (case id, type, flagged props, fragment of the message, look-alike props)
CASES = [
    ("string-data-token", SECRET, {**META, "stringData": {"GITHUB_TOKEN": TOKEN}}, "stringData['GITHUB_TOKEN']",
     {**META, "stringData": {"GITHUB_TOKEN": UNKNOWN, "GITHUB_API": "https://api.github.com"}}),
    ("data-base64-token", SECRET, {**META, "data": {"token": b64(TOKEN)}}, "data['token']",
     {**META, "data": {"region": b64("eu-west-1"), "token": b64(PLACEHOLDER)}}),
    ("keyword", SECRET, {**META, "stringData": {"DB_PASSWORD": "Tr0ub4dor&3"}}, "stringData['DB_PASSWORD']",
     {**META, "stringData": {"DB_PASSWORD": PLACEHOLDER, "DB_HOST": "db.agents.svc"}}),
    ("basic-auth-by-type", SECRET, {**META, "type": "kubernetes.io/basic-auth",
                                    "stringData": {"username": "agent", "password": "x" + "yz"}},
     "kubernetes.io/basic-auth defines 'password'",
     {**META, "type": "kubernetes.io/basic-auth", "stringData": {"username": "agent", "password": UNKNOWN}}),
    ("docker-config-by-type", SECRET, {**META, "type": "kubernetes.io/dockerconfigjson",
                                       "data": {".dockerconfigjson": b64(DOCKER)}}, "defines '.dockerconfigjson'",
     {**META, "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": UNKNOWN}}),
    ("engine-marked-literal", SECRET, {**META, "stringData": {SIG: SIG_VALUE, "value": {"api-key": TOKEN}}},
     "stringData['api-key']", {**META, "stringData": {SIG: SIG_VALUE, "value": {"api-key": UNKNOWN}}}),
    ("patch", SECRET_PATCH, {**META, "stringData": {"GITHUB_TOKEN": TOKEN}}, "stringData['GITHUB_TOKEN']",
     {**META, "stringData": {"note": "rotated weekly"}}),
    ("list-item", SECRET_LIST, {"items": [{**META, "stringData": {"a": "b"}}, {**META, "data": {"t": b64(TOKEN)}}]},
     "list-item items[1]: data['t']", {"items": [{**META, "stringData": {"a": "b"}}]}),
]


@pytest.mark.parametrize("case,type_,flagged,fragment,look_alike", CASES, ids=[c[0] for c in CASES])
def test_flagged_case_and_look_alike(pack, case, type_, flagged, fragment, look_alike):
    diags = pack.analyze(type_, case, urn(type_, case), flagged)
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [("AGID-K8S-004", "mandatory")], \
        [d.message for d in diags]
    assert fragment in diags[0].message and "literal" in diags[0].message and TOKEN not in diags[0].message
    assert pack.analyze(type_, case, urn(type_, case), look_alike) == []


@pytest.mark.parametrize("props,fragment", [
    ({**META, "data": {"t": "not base64!"}}, "data['t'] is not base64"),
    ({**META, "data": {"keystore.p12": b64(bytes([0x30, 0x82, 0xff, 0xfe, 0x00]))}}, "data['keystore.p12'] decodes to binary data"),
    ({**META, "stringData": ["GITHUB_TOKEN=x"]}, "stringData is a list"),
    ({**META, "stringData": {"n": 42.0}}, "stringData['n'] is a float"),
])
def test_unscannable_values_fail_closed(pack, props, fragment):
    [diag] = pack.analyze(SECRET, "bad", urn(SECRET, "bad"), props)
    assert diag.policy_name == "AGID-K8S-004" and f"bad: {fragment}" in diag.message and "cannot be judged" in \
        diag.message


def test_unknown_type_still_scans_and_says_so(pack):
    diags = pack.analyze(SECRET, "t", urn(SECRET, "t"), {**META, "type": UNKNOWN, "stringData": {"GITHUB_TOKEN": TOKEN}})
    assert any("stringData['GITHUB_TOKEN'] holds a literal secret" in d.message for d in diags)
    assert any("cannot check until known: type" in d.message for d in diags)
