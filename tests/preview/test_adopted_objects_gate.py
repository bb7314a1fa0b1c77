"""`import_` and `ignore_changes` end to end through `agentid preview` (red17 r17-5).

An existing admin policy adopted with `import_` and `ignore_changes=["policy"]`, attached to the agent's role by
Output, passed as the harmless document the program declared: at `pulumi up` the engine adopts the existing object
and never writes the declared document. Each import is now the gate's own AGID-GATE-003 (analyzers are not told about
imports), and a judged input in ignore_changes is the pack's AGID-GEN-011 (the engine sends ignoreChanges).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD
from .test_deploy_runner_code_gate import mandatory, preview

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''
import json
import pulumi, pulumi_aws as aws
agent = aws.iam.Role("agent", assume_role_policy=json.dumps({{"Version": "2012-10-17", "Statement": [
    {{"Effect": "Allow", "Principal": {{"Service": "lambda.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}),
    tags={{"owner": "data-team"}})
ops = aws.iam.Policy("ops-admin", name="OpsAdmin", policy=json.dumps({{"Version": "2012-10-17", "Statement": [
    {{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-reports-dev/*"}}]}}),
    tags={{"owner": "data-team"}}, opts=pulumi.ResourceOptions({options}))
aws.iam.RolePolicyAttachment("agent-ops", role=agent.name, policy_arn=ops.arn)
'''
IMPORTED = 'import_="arn:aws:iam::111122223333:policy/OpsAdmin"'
IGNORED = 'ignore_changes=["policy", "tags"]'
WAIVER = ("waivers:\n  - rule: AGID-GATE-003\n    resource: urn:pulumi:dev::acme::aws:iam/policy:Policy::ops-admin\n"
          "    reason: OpsAdmin was reviewed as it is in the account (one statement, s3:GetObject)\n"
          "    approver: security@example.com\n    expires: {expires}\n")


def test_an_imported_policy_under_ignore_changes_blocks_twice(tmp_path: Path) -> None:
    code, violations, sarif = preview(tmp_path / "p", PROGRAM.format(options=f"{IMPORTED}, {IGNORED}"))
    assert code == 1
    assert mandatory(violations) == [("AGID-GATE-003", "ops-admin"), ("AGID-GEN-011", "ops-admin")]
    [adopted] = [v for v in violations if v["policy"] == "AGID-GATE-003"]
    assert "adopts the existing object 'arn:aws:iam::111122223333:policy/OpsAdmin' (import_)" in adopted["message"]
    [ignored] = [v for v in violations if v["policy"] == "AGID-GEN-011"]
    assert "ignores changes to 'policy'" in ignored["message"] and "'tags'" not in ignored["message"]
    assert "AGID-GATE-003" in [rule["id"] for run in sarif["runs"] for rule in run["tool"]["driver"]["rules"]]


def test_an_import_alone_blocks_until_waived_and_the_declared_policy_alone_passes(tmp_path: Path, today: dt.date) -> None:
    code, violations, _ = preview(tmp_path / "imported", PROGRAM.format(options=IMPORTED))
    assert (code, mandatory(violations)) == (1, [("AGID-GATE-003", "ops-admin")])
    waived = tmp_path / "waived"
    waived.mkdir()
    (waived / "waivers.yaml").write_text(WAIVER.format(expires=today + dt.timedelta(days=30)))
    code, violations, _ = preview(waived, PROGRAM.format(options=IMPORTED))
    assert (code, mandatory(violations)) == (0, [])
    assert [v["policy"] for v in violations if v["waiver"]] == ["AGID-GATE-003"]
    # the look-alike: a new policy, created with the document the program declares
    code, violations, _ = preview(tmp_path / "new", PROGRAM.format(options=""))
    assert (code, mandatory(violations)) == (0, [])


# --- aliases: the same adoption through ResourceOptions(aliases=...) (issue 11, red19 r19-10's class) ---

@pytest.mark.parametrize(("alias", "named"), [
    ('"urn:pulumi:prod::acme::aws:iam/policy:Policy::ops-admin"',
     "'urn:pulumi:prod::acme::aws:iam/policy:Policy::ops-admin'"),  # another stack's policy, by URN
    ('"urn:pulumi:dev::platform::aws:iam/policy:Policy::admin"',
     "'urn:pulumi:dev::platform::aws:iam/policy:Policy::admin'"),  # another project's
    ('"urn:pulumi:dev::acme::aws:iam/role:Role::deployer"',
     "'urn:pulumi:dev::acme::aws:iam/role:Role::deployer'"),  # another type's state
    ('pulumi.Alias(name="admin", stack="prod")', "\"alias(name='admin', stack='prod')\""),
    ('pulumi.Alias(project="platform")', "\"alias(project='platform')\""),
    ('pulumi.Alias(type_="aws:iam/role:Role", name="deployer")',
     "\"alias(name='deployer', type='aws:iam/role:Role')\""),  # another type's resource, by spec
    ('pulumi.Alias(parent="urn:pulumi:prod::acme::pulumi:pulumi:Stack::acme-prod", name="ops-admin")',
     "\"alias(name='ops-admin', parent='urn:pulumi:prod::acme::pulumi:pulumi:Stack::acme-prod')\""),
])
def test_an_alias_onto_another_stack_project_or_type_adopts_its_state(tmp_path: Path, alias: str, named: str) -> None:
    code, violations, _ = preview(tmp_path / "p", PROGRAM.format(options=f"aliases=[{alias}]"))
    assert (code, mandatory(violations)) == (1, [("AGID-GATE-003", "ops-admin")])
    [adopted] = [v for v in violations if v["policy"] == "AGID-GATE-003"]
    assert adopted["message"] == (
        f"[unparseable] aws:iam/policy:Policy 'ops-admin' takes over the state of {named} (aliases: another stack, "
        "project or type): at `pulumi up` the engine treats that existing object as this resource; what it already "
        "has is not what the rules judged"), adopted["message"]


@pytest.mark.parametrize("alias", [
    '"urn:pulumi:dev::acme::aws:iam/policy:Policy::old-ops"',  # a rename inside the stack, by URN
    'pulumi.Alias(name="old-ops")',
    'pulumi.Alias(name="old-ops", stack="dev", project="acme", type_="aws:iam/policy:Policy")',
])
def test_a_rename_inside_the_stack_keeps_its_own_object_and_passes(tmp_path: Path, alias: str) -> None:
    code, violations, _ = preview(tmp_path / "p", PROGRAM.format(options=f"aliases=[{alias}]"))
    assert (code, mandatory(violations)) == (0, [])
