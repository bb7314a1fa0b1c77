"""AGID-GCP-029 over gRPC: Firebase Security Rules that grant to everyone (red13 r13-13: `allow read, write: if true`
on every Firestore document passed). Each case has a ruleset that grants to everyone and a look-alike conditioned on
the requester; text the rule cannot read is "cannot check"."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.conftest import PACK
from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GCP-029"
RULESET = "gcp:firebaserules/ruleset:Ruleset"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
FIRESTORE = "rules_version = '2';\nservice cloud.firestore {{\n  match /databases/{{database}}/documents {{\n    {body}\n  }}\n}}\n"
STORAGE = "rules_version = '2';\nservice firebase.storage {{\n  match /b/{{bucket}}/o {{\n    {body}\n  }}\n}}\n"
OWNER = "allow read, write: if request.auth != null && request.auth.uid == resource.data.owner;"


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def ruleset(content, name="firestore.rules"):
    return {"project": "p1", "source": {"files": [{"name": name, "content": content}]}}


CASES = {
    "if-true": (FIRESTORE, "match /{d=**} { allow read, write: if true; }", "allow read, write: if true (always true)"),
    "no-condition": (FIRESTORE, "match /{d=**} { allow read; }", "allow read with no condition"),
    "or-true": (FIRESTORE, "match /{d=**} { allow get, list: if request.auth.uid == 'x' || (true); }",
                "(always true)"),
    "test-mode": (STORAGE, "match /{all=**} { allow read, write: if request.time < timestamp.date(2030, 1, 1); }",
                  "(reads nothing of who asks)"),
    "function-true": (FIRESTORE, "function open() { return true; }\n match /{d=**} { allow create: if open(); }",
                      "allow create: if open() (always true)"),
    "function-time": (FIRESTORE, "function early() { return request.time < timestamp.date(2030, 1, 1); }\n"
                                 " match /users/{u} { allow update, delete: if early(); }", "(reads nothing of who asks)"),
    "comment-hides-nothing": (FIRESTORE, "match /{d=**} { /* owner only */ allow read: if true; // TODO\n }",
                              "allow read: if true"),
    "unparseable": (FIRESTORE, "match /{d=**} { allow read: true; }", "cannot check the rules of firestore.rules"),
    "unclosed": (FIRESTORE, "match /{d=**} { allow read: if request.auth.uid == 'x; }", "cannot check the rules"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rules_granting_everyone_block_and_owner_rules_pass(pack, case):
    template, body, text = CASES[case]
    flagged = ruleset(template.format(body=body))
    look_alike = ruleset(template.format(body=f"match /{{d=**}} {{ {OWNER} allow write: if false; }}"))
    assert_flagged_and_look_alike(pack, case, RULESET, flagged, RULE, "mandatory", look_alike)
    [diag] = pack.analyze(RULESET, case, urn(RULESET, case), flagged)
    assert text in diag.message, diag.message


def test_a_ruleset_with_text_in_a_comment_or_string_only_passes(pack):
    content = FIRESTORE.format(body="// allow read, write: if true;\n match /{d=**} { allow read: if "
                                    "request.auth.token.email == 'allow write: if true;'; }")
    assert pack.analyze(RULESET, "c", urn(RULESET, "c"), ruleset(content)) == []


def test_unknown_content_is_cannot_check_until_known(pack):
    [diag] = pack.analyze(RULESET, "u", urn(RULESET, "u"), ruleset(UNKNOWN))
    assert diag.policy_name == RULE and "source.files[0].content" in diag.message
