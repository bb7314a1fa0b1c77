"""End to end (`agentid preview`): outside review red9b's findings 3-6 (/work/tools/red9brepro: b_aws, c_k8s, c_gcp)
block, and their look-alikes pass. Each bypass below exited 0 with "Violations: none" before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")


def mandatory(project: Path, program: str, *options: str) -> tuple[int, set[tuple[str, str]]]:
    write_small(project, program)
    run = run_cli(project, *GUARD, *options, "--json", "out.json")
    assert run.code in (0, 1), run.stdout
    return run.code, {(v["resourceName"], v["policy"]) for v in run.json("out.json")["violations"] if v["mandatory"]}


# --- 5, 6: GCP permissions that run code as someone else; a WIF condition whose pin a conditional unbinds -------

GCP_BYPASSES = '''
import pulumi_gcp as gcp
def custom(name, permissions):
    role = gcp.projects.IAMCustomRole(name, project="acme-dev", role_id=name.replace("-", "_"), title=name,
                                      permissions=permissions)
    gcp.projects.IAMMember(name + "-m", project="acme-dev", role=role.name, member="group:devs@acme.example")
custom("gke-daemonsets", ["container.daemonSets.create", "container.daemonSets.update"])
custom("gke-csr", ["container.certificateSigningRequests.approve"])
custom("dm-update", ["deploymentmanager.deployments.update"])
gcp.projects.IAMMember("patch-exec", project="acme-dev", role="roles/osconfig.patchJobExecutor",
                       member="group:devs@acme.example")
pool = gcp.iam.WorkloadIdentityPool("pool", workload_identity_pool_id="github", project="acme-dev")
gcp.iam.WorkloadIdentityPoolProvider("gh", project="acme-dev", workload_identity_pool_id=pool.workload_identity_pool_id,
    workload_identity_pool_provider_id="github",
    attribute_mapping={"google.subject": "assertion.sub"},
    attribute_condition=("assertion.repository_owner != '' ? true : false && "
                         "assertion.sub == 'repo:acme/app:ref:refs/heads/main'"),
    oidc={"issuer_uri": "https://token.actions.githubusercontent.com"})
'''
GCP_LOOK_ALIKES = '''
import pulumi_gcp as gcp
role = gcp.projects.IAMCustomRole("gke-read", project="acme-dev", role_id="gke_read", title="gke read",
                                  permissions=["container.daemonSets.get", "container.certificateSigningRequests.get",
                                               "deploymentmanager.deployments.get"])
gcp.projects.IAMMember("gke-read-m", project="acme-dev", role=role.name, member="group:devs@acme.example")
gcp.projects.IAMMember("patch-view", project="acme-dev", role="roles/osconfig.patchJobViewer",
                       member="group:devs@acme.example")
pool = gcp.iam.WorkloadIdentityPool("pool", workload_identity_pool_id="github", project="acme-dev")
gcp.iam.WorkloadIdentityPoolProvider("gh", project="acme-dev", workload_identity_pool_id=pool.workload_identity_pool_id,
    workload_identity_pool_provider_id="github",
    attribute_mapping={"google.subject": "assertion.sub"},
    attribute_condition="assertion.sub == 'repo:acme/app:ref:refs/heads/main' && assertion.repository_owner == 'acme'",
    oidc={"issuer_uri": "https://token.actions.githubusercontent.com"})
'''


def test_gcp_code_as_others_and_unbound_pins_block_look_alikes_pass(project: Path) -> None:
    code, found = mandatory(project, GCP_BYPASSES)
    assert code == 1
    assert {("gke-daemonsets-m", "AGID-GCP-007"), ("gke-csr-m", "AGID-GCP-007"), ("dm-update-m", "AGID-GCP-007"),
            ("patch-exec", "AGID-GCP-005"), ("gh", "AGID-GCP-004")} <= found, found
    # AGID-GEN-006 (the repository owner) and AGID-GCP-024 (a group of the organisation's own domain)
    # and acme-dev, where the look-alikes are made, is the organisation's project (AGID-GCP-035)
    code, found = mandatory(project, GCP_LOOK_ALIKES, "--trusted-repository-owner", "acme",
                            "--own-gcp-domain", "acme.example", "--own-gcp-project", "acme-dev")
    assert (code, found) == (0, set())


# --- 4: Kubernetes ClusterRole aggregation into or from built-in roles ----------------------------------------

K8S_HEADER = '''
import pulumi_kubernetes as k8s
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs as Meta, ObjectMetaPatchArgs as MetaP, LabelSelectorArgs as Sel
from pulumi_kubernetes.rbac.v1 import ClusterRole, ClusterRolePatch, AggregationRuleArgs as Agg, PolicyRuleArgs as R
TO_VIEW = {"rbac.authorization.k8s.io/aggregate-to-view": "true"}
'''
K8S_BYPASSES = K8S_HEADER + '''
ALL_DEFAULTS = Agg(cluster_role_selectors=[Sel(match_labels={"kubernetes.io/bootstrapping": "rbac-defaults"})])
ClusterRolePatch("ca-label", metadata=MetaP(name="cluster-admin", labels=TO_VIEW))
ClusterRole("helper", metadata=Meta(name="metrics-helper", labels=TO_VIEW), aggregation_rule=ALL_DEFAULTS)
ClusterRolePatch("basic", metadata=MetaP(name="system:basic-user"), aggregation_rule=ALL_DEFAULTS)
'''
K8S_LOOK_ALIKES = K8S_HEADER + '''
ClusterRole("widgets-view", metadata=Meta(name="widgets-view", labels=TO_VIEW),
            rules=[R(api_groups=["example.com"], resources=["widgets"], verbs=["get", "list", "watch"])])
ClusterRole("monitoring", metadata=Meta(name="monitoring"), aggregation_rule=Agg(cluster_role_selectors=[
    Sel(match_labels={"acme.example/aggregate-to-monitoring": "true"})]))
'''


def test_k8s_aggregation_into_built_in_roles_blocks_look_alikes_pass(project: Path) -> None:
    code, found = mandatory(project, K8S_BYPASSES)
    assert code == 1
    assert {("ca-label", "AGID-K8S-005"), ("helper", "AGID-K8S-005"), ("basic", "AGID-K8S-005")} <= found, found
    code, found = mandatory(project, K8S_LOOK_ALIKES)
    assert (code, found) == (0, set())


# --- 3: AWS code run at deploy time as a role the stack does not define ---------------------------------------

AWS_ADMIN = '"arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"'
AWS_BYPASSES = f'''
fn = aws.lambda_.Function("f", role={AWS_ADMIN}, runtime="python3.12", handler="index.handler",
    code=pulumi.AssetArchive({{"index.py": pulumi.StringAsset("def handler(e, c):\\n    return 1\\n")}}))
aws.lambda_.Invocation("go", function_name=fn.name, input=json.dumps({{}}))
aws.ec2.Instance("worker", ami="ami-0123456789abcdef0", instance_type="t3.micro",
                 iam_instance_profile="OrganizationAccountAccessProfile", user_data="#!/bin/sh\\necho hi\\n")
aws.scheduler.Schedule("s", schedule_expression="rate(1 minute)", flexible_time_window={{"mode": "OFF"}},
    target={{"arn": "arn:aws:scheduler:::aws-sdk:iam:createAccessKey", "role_arn": {AWS_ADMIN},
             "input": json.dumps({{"UserName": "breakglass"}})}})
'''
AWS_LOOK_ALIKES = '''
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"}}]})
role = aws.iam.Role("fn-role", assume_role_policy=trust)
fn = aws.lambda_.Function("f", role=role.arn, runtime="python3.12", handler="index.handler",
    code=pulumi.AssetArchive({"index.py": pulumi.StringAsset("def handler(e, c):\\n    return 1\\n")}))
aws.lambda_.Invocation("go", function_name=fn.name, input=json.dumps({}))
aws.ec2.Instance("worker", ami="ami-0123456789abcdef0", instance_type="t3.micro", user_data="#!/bin/sh\\necho hi\\n")
'''


def test_aws_code_run_as_an_unseen_role_blocks_look_alikes_pass(project: Path) -> None:
    code, found = mandatory(project, AWS_BYPASSES)
    assert code == 1
    assert {("f", "AGID-AWS-057"), ("worker", "AGID-AWS-057"), ("s", "AGID-AWS-057")} <= found, found
    code, found = mandatory(project, AWS_LOOK_ALIKES)
    assert (code, found) == (0, set()), found
