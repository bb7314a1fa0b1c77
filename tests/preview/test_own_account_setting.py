"""End to end (`agentid preview`): the stack's own accounts given ONCE (issue 11 item 6).

Every rule that tells an own account from a foreign one (AGID-AWS-032, -033, -042, -044, -047 ... -050, -052)
took its own `ownAccountIds`. The gate's `--own-account ID` (repeatable) and the pack-wide `all: {ownAccountIds}`
entry now reach every one of them. The list is the gate's: a pull request's stack file cannot add to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli
from .test_gate_integrity import GUARD, by_policy, carry_pack_config, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

OURS, SIBLING, ATTACKER = "111122223333", "444455556666", "999988887777"
# a role another account may assume (AGID-AWS-032), and a bucket shared with that account (AGID-AWS-050)
SHARED_WITH = '''
aws.iam.Role("partner", assume_role_policy=json.dumps({{"Version": "2012-10-17", "Statement": [
    {{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{account}:root"}}, "Action": "sts:AssumeRole"}}]}}))
aws.s3.BucketPolicy("share", bucket=bucket.id, policy=json.dumps({{"Version": "2012-10-17",
    "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{account}:root"}},
                    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}}]}}))
'''
ACCOUNT_RULES = ("AGID-AWS-032", "AGID-AWS-050")


def account_findings(run) -> list[tuple[str, str, bool]]:
    document = run.json("out.json")
    return sorted((v["policy"], v["resourceName"], v["mandatory"]) for rule in ACCOUNT_RULES
                  for v in by_policy(document, rule))


def test_one_own_account_option_reaches_every_rule_that_tells_accounts_apart(project: Path) -> None:
    write_small(project, SHARED_WITH.format(account=SIBLING))
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout
    assert account_findings(run) == [("AGID-AWS-032", "partner", True), ("AGID-AWS-050", "share", True)]

    run = run_cli(project, *GUARD, "--own-account", OURS, "--own-account", SIBLING, "--json", "out.json")
    assert run.code == 0, run.stdout + run.stderr
    assert account_findings(run) == []
    config = run.json("out.json")["policyPacks"][0]["config"]
    takes = [name for name, entry in config.items() if "ownAccountIds" in entry]
    assert {"AGID-AWS-032", "AGID-AWS-033", "AGID-AWS-042", "AGID-AWS-044", "AGID-AWS-047", "AGID-AWS-050",
            "AGID-AWS-052"} <= set(takes)
    assert all(config[name]["ownAccountIds"] == [OURS, SIBLING] for name in takes)
    assert f"agent-guard: {OURS}, {SIBLING} (AGID-AWS-032, AGID-AWS-033" in run.stdout.replace("\n", " ")


def test_the_stack_file_cannot_add_to_the_gates_own_accounts(project: Path) -> None:
    write_small(project, SHARED_WITH.format(account=ATTACKER))
    carry_pack_config(project, f'all: {{ownAccountIds: ["{OURS}", "{ATTACKER}"]}}\n')
    run = run_cli(project, *GUARD, "--own-account", OURS, "--json", "out.json")
    assert run.code == 1, run.stdout
    assert account_findings(run) == [("AGID-AWS-032", "partner", True), ("AGID-AWS-050", "share", True)]
    document = run.json("out.json")
    assert document["policyPacks"][0]["config"]["AGID-AWS-050"]["ownAccountIds"] == [OURS]
    assert any(note.startswith("agent-guard/AGID-AWS-050: config asks for ownAccountIds=") for note in
               document["enforcementFloor"])


def test_bad_own_account_values_are_one_line_errors(project: Path) -> None:
    write_small(project, SHARED_WITH.format(account=OURS))
    run = run_cli(project, *GUARD, "--own-account", "11112222333")
    assert run.code == 2
    assert "--own-account '11112222333': not an AWS account id (12 digits, e.g. 111122223333)" in run.stdout + run.stderr
    carry_pack_config(project, 'all: {ownAccountId: ["111122223333"]}\n')
    run = run_cli(project, *GUARD, "--own-account", OURS)
    assert run.code == 2
    assert "all: ownAccountId is not a pack-wide setting of agent-guard" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
