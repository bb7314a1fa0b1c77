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
