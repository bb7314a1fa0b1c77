"""`secret_scan.scanning`: detect-secrets' default settings entered once for many scans (issue 17: entering them per
string rebuilt its plugin caches, half of each scan's cost), with the same answers as a scan on its own."""

from __future__ import annotations

import contextlib

from agentid_policy_packs.rules import literal_credential_anywhere, secret_scan
from agentid_policy_packs.rules.base import Resource

VALUES = [("DB_PASSWORD", "hunter2-Correct-Horse-9"), ("key", "AKIA" + "IOSFODNN7EXAMPLE"),  # AWS documentation example, split
          ("token", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"), ("name", "agent-7-reader"),
          ("url", "https://user:s3cr3t-pa55@example.com/x"), ("description", "reads the orders table")]


def _fresh(key: str, value: str) -> tuple[str, ...]:
    secret_scan.secret_kinds.cache_clear()
    return secret_scan.secret_kinds(key, value)


def test_a_batch_answers_as_single_scans_and_enters_the_settings_once(monkeypatch):
    alone = [_fresh(key, value) for key, value in VALUES]
    assert alone[0] and alone[1] and alone[2] and not alone[3] and not alone[5]  # the look-alikes pass

    import detect_secrets.settings as settings

    entered = []
    original = settings.default_settings

    @contextlib.contextmanager
    def counted():
        entered.append(1)
        with original() as inside:
            yield inside

    monkeypatch.setattr(settings, "default_settings", counted)
    with secret_scan.scanning():
        batched = [_fresh(key, value) for key, value in VALUES]
    assert batched == alone and len(entered) == 1
    assert [_fresh(key, value) for key, value in VALUES] == alone and len(entered) == 1 + len(VALUES)


def test_the_stack_rule_scans_a_stack_with_the_settings_entered_once(monkeypatch):
    calls = []
    original = secret_scan.scanning

    @contextlib.contextmanager
    def counted():
        calls.append(secret_scan._ENTERED[0])  # whether the settings were in force already
        with original():
            yield

    monkeypatch.setattr(secret_scan, "scanning", counted)
    secret_scan.secret_kinds.cache_clear()
    resources = [Resource("aws:iam/role:Role", f"f{i}", f"urn:f{i}", {"tags": {key: f"{value}{i}"}})
                 for i, (key, value) in enumerate(VALUES)]
    outcomes = list(literal_credential_anywhere.check(resources, literal_credential_anywhere.RULE.config))
    assert calls[0] is False and len(calls) > 3 and all(calls[1:])  # one entry, every scan inside it
    assert not secret_scan._ENTERED[0]
    assert {o.urn for o in outcomes} >= {"urn:f0", "urn:f1", "urn:f2"} and "urn:f3" not in {o.urn for o in outcomes}
