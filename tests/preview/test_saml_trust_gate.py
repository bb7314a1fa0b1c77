"""SAML IdP trust end to end (AGID-GEN-003): an Okta entityID (`http://www.okta.com/exk...`, not https) that the
gate lists in the base branch's waivers.yaml passes `agentid preview` with its pinned signing certificate, and the
same provider whose metadata carries another certificate (the pull request swapped the key) blocks.

Before, every non-https entityID was "cannot be trusted" and could not be listed at all (trustedIssuers holds https
URLs only): the only way through was a waiver.
"""

from __future__ import annotations

import pytest

from tests.policy.saml_fixtures import certificate, metadata, sha256

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, write_settings, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

OKTA = "http://www.okta.com/exk1abcdEFGH23456789"


def saml(project, cert: str) -> None:
    write_small(project, f'''
import pulumi_aws as aws
aws.iam.SamlProvider("okta", saml_metadata_document={metadata(OKTA, cert)!r})
''')
    write_settings(project, {"agent-guard": {"AGID-GEN-003": {
        "trustedSamlEntityIds": [f"{OKTA} sha256:{sha256(certificate('rsa2048', 'okta'))}"]}}})


def test_a_listed_okta_idp_passes_with_its_pinned_certificate_and_blocks_with_another(project) -> None:
    saml(project, certificate("rsa2048", "okta"))
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 0, run.stdout
    assert by_policy(run.json("out.json"), "AGID-GEN-003") == []
    saml(project, certificate("rsa2048", "attacker"))
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout
    [found] = by_policy(run.json("out.json"), "AGID-GEN-003")
    assert found["resourceName"] == "okta" and found["mandatory"]
    assert "which is not one the gate pinned for that IdP" in found["message"]
