"""`agentid preview` end to end on red7a's Google Cloud cases (findings 8, 10, 11 and the public spellings), each of
which passed the gate with exit 0: a harmless IAMCustomRole 'deployer' beside a literal binding of the project's
existing 'deployer' role, roles/dataproc.editor and roles/run.jobsExecutorWithOverrides on the project, the agent's
service account added to a group the stack does not define, and a bucket readable by domain:gmail.com /
principalSet://goog/public:all. The look-alike program passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

G = "group:devs@acme.example"
BYPASSES = f'''
import pulumi_gcp as gcp
gcp.projects.IAMCustomRole("decoy", project="acme-dev", role_id="deployer", title="d", permissions=["storage.buckets.get"])
gcp.projects.IAMMember("literal", project="acme-dev", role="projects/acme-dev/roles/deployer", member="{G}")
gcp.projects.IAMMember("dataproc", project="acme-dev", role="roles/dataproc.editor", member="{G}")
gcp.projects.IAMMember("overrides", project="acme-dev", role="roles/run.jobsExecutorWithOverrides", member="{G}")
sa = gcp.serviceaccount.Account("agent", account_id="agent-x", display_name="agent x")
gcp.cloudidentity.GroupMembership("joins", group="groups/01abcdefgh",
    roles=[gcp.cloudidentity.GroupMembershipRoleArgs(name="MEMBER")],
    preferred_member_key=gcp.cloudidentity.GroupMembershipPreferredMemberKeyArgs(id=sa.email))
gcp.storage.BucketIAMMember("gmail", bucket="acme-reports", role="roles/storage.objectViewer", member="domain:gmail.com")
gcp.storage.BucketIAMMember("public-all", bucket="acme-reports", role="roles/storage.objectViewer",
                            member="principalSet://goog/public:all")
'''
LOOK_ALIKES = f'''
import pulumi_gcp as gcp
role = gcp.projects.IAMCustomRole("own", project="acme-dev", role_id="reader", title="r",
                                  permissions=["storage.buckets.get"])
gcp.projects.IAMMember("linked", project="acme-dev", role=role.name, member="{G}")
gcp.projects.IAMMember("dataproc", project="acme-dev", role="roles/dataproc.viewer", member="{G}")
gcp.projects.IAMMember("run", project="acme-dev", role="roles/run.invoker", member="{G}")
gcp.cloudidentity.GroupMembership("person", group="groups/01abcdefgh",
    roles=[gcp.cloudidentity.GroupMembershipRoleArgs(name="MEMBER")],
    preferred_member_key=gcp.cloudidentity.GroupMembershipPreferredMemberKeyArgs(id="dev@acme.example"))
gcp.storage.BucketIAMMember("domain", bucket="acme-reports", role="roles/storage.objectViewer", member="domain:acme.example")
'''
EXPECTED = {("literal", "AGID-GCP-011"), ("dataproc", "AGID-GCP-005"), ("overrides", "AGID-GCP-005"),
            ("joins", "AGID-GCP-016"), ("gmail", "AGID-GCP-003"), ("public-all", "AGID-GCP-003")}


def test_gcp_bypasses_block_and_look_alikes_pass(project: Path) -> None:
    write_small(project, BYPASSES)
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout
    found = {(v["resourceName"], v["policy"]) for v in run.json("out.json")["violations"] if v["mandatory"]}
    assert EXPECTED <= found, found
    [joins] = [v["message"] for v in run.json("out.json")["violations"] if v["policy"] == "AGID-GCP-016"]
    assert "joins adds agent-x@" in joins and "to group 'groups/01abcdefgh', which this stack does not define" in joins
    write_small(project, LOOK_ALIKES)
    # dev@acme.example joining a group is the organisation's own only when the gate says so (AGID-GCP-028: with no
    # domain listed, "cannot tell")
    # acme-dev is the organisation's project (AGID-GCP-035 judges where the grants are made)
    run = run_cli(project, *GUARD, "--own-gcp-domain", "acme.example", "--own-gcp-project", "acme-dev", "--json", "out.json")
    assert run.code == 0, run.stdout
    assert [v for v in run.json("out.json")["violations"] if v["mandatory"]] == []
