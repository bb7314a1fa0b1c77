"""End to end (`agentid preview`): the GCP gate bypasses an outside reviewer found (red4, issue 11) block, and
their look-alikes pass. Each of these programs exited 0 before: public Cloud Storage ACLs, an admin role on one
bucket, Cloud Functions developer on the project, a workforce provider trusting any user of its IdP, an API key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

OIDC = '''oidc={"issuer_uri": "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0", "client_id": "c",
                  "web_sso_config": {"response_type": "CODE",
                                     "assertion_claims_behavior": "MERGE_USER_INFO_OVER_ID_TOKEN_CLAIMS"}}'''
BYPASSES = f'''
import pulumi_gcp as gcp
gcp.storage.BucketAccessControl("public-entity", bucket="b1", entity="allUsers", role="READER")
gcp.storage.BucketACL("public-list", bucket="b1", role_entities=["OWNER:project-owners-1", "READER:allUsers"])
gcp.storage.ObjectACL("public-canned", bucket="b1", object="o", predefined_acl="publicRead")
gcp.storage.BucketIAMMember("bucket-admin", bucket="b1", role="roles/storage.admin", member="user:dev@example.com")
gcp.projects.IAMMember("functions-dev", project="acme-p1", role="roles/cloudfunctions.developer",
                       member="user:dev@example.com")
gcp.iam.WorkforcePoolProvider("any-user", location="global", workforce_pool_id="p", provider_id="e",
                              attribute_mapping={{"google.subject": "assertion.sub"}}, {OIDC})
gcp.iam.WorkforcePoolProvider("evil-idp", location="global", workforce_pool_id="p", provider_id="x",
                              attribute_condition="assertion.sub == 'u-123'",
                              attribute_mapping={{"google.subject": "assertion.sub"}},
                              oidc={{"issuer_uri": "https://evil.example.net", "client_id": "c"}})
gcp.projects.ApiKey("key", name="k", restrictions={{"api_targets": [{{"service": "generativelanguage.googleapis.com"}}]}})
'''
LOOK_ALIKES = f'''
import pulumi_gcp as gcp
gcp.storage.BucketAccessControl("public-entity", bucket="b1", entity="project-viewers-1", role="READER")
gcp.storage.BucketACL("public-list", bucket="b1", role_entities=["OWNER:project-owners-1", "READER:project-viewers-1"])
gcp.storage.ObjectACL("public-canned", bucket="b1", object="o", predefined_acl="projectPrivate")
gcp.storage.BucketIAMMember("bucket-admin", bucket="b1", role="roles/storage.objectViewer", member="user:dev@example.com")
gcp.projects.IAMMember("functions-dev", project="acme-p1", role="roles/cloudfunctions.invoker", member="user:dev@example.com")
gcp.iam.WorkforcePoolProvider("any-user", location="global", workforce_pool_id="p", provider_id="e",
                              attribute_condition="assertion.sub == 'u-123'",
                              attribute_mapping={{"google.subject": "assertion.sub"}}, {OIDC})
'''
EXPECTED = {("public-entity", "AGID-GCP-014"), ("public-list", "AGID-GCP-014"), ("public-canned", "AGID-GCP-014"),
            ("bucket-admin", "AGID-GCP-013"), ("functions-dev", "AGID-GCP-005"), ("any-user", "AGID-GCP-004"),
            ("key", "AGID-GCP-015"), ("evil-idp", "AGID-GEN-003")}


# dev@example.com is the organisation's: without the gate saying so, its privileged grants would also be "cannot tell
# whether this user is the organisation's" (AGID-GCP-024)
OWN_DOMAIN = ("--own-gcp-domain", "example.com")
# acme-p1 is the organisation's project: the grants are judged, not where they are made (AGID-GCP-035 would flag a
# project the gate does not list)
OWN_PROJECT = ("--own-gcp-project", "acme-p1")


def test_gcp_bypasses_block_and_look_alikes_pass(project: Path) -> None:
    write_small(project, BYPASSES)
    run = run_cli(project, *GUARD, *OWN_DOMAIN, *OWN_PROJECT, "--json", "out.json")
    assert run.code == 1, run.stdout
    found = {(v["resourceName"], v["policy"]) for v in run.json("out.json")["violations"] if v["mandatory"]}
    assert found == EXPECTED, found
    write_small(project, LOOK_ALIKES)
    run = run_cli(project, *GUARD, *OWN_DOMAIN, *OWN_PROJECT, "--json", "out.json")
    assert run.code == 0, run.stdout
    assert [v for v in run.json("out.json")["violations"] if v["mandatory"]] == []


def test_a_privileged_grant_to_an_unlisted_domain_cannot_be_told_inside(project: Path) -> None:
    write_small(project, BYPASSES)
    run = run_cli(project, *GUARD, *OWN_PROJECT, "--json", "out.json")
    found = {(v["resourceName"], v["policy"]) for v in run.json("out.json")["violations"] if v["mandatory"]}
    assert found == EXPECTED | {("bucket-admin", "AGID-GCP-024"), ("functions-dev", "AGID-GCP-024")}, found
