"""End to end (`agentid preview`): grants to other accounts, where `ownAccountIds` comes from, and what the gate
cannot judge.

red1 finding 8: a bucket policy granting another account's root passed `agentid preview` (exit 0) because
`ownAccountIds` was unset. The pull request's stack file must not be able to declare the attacker's account
"own" (the judged input controlling the judge): only the base branch's waiver file may, and the report shows
the config the gate used. The shipped workflow hands `pulumi preview/up --policy-pack` that same config.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import AGENT_GUARD, REPO, run_cli
from .test_gate_integrity import GUARD, by_policy, carry_pack_config, git, write_settings, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

ATTACKER, OURS = "999988887777", "111122223333"
BUCKET_GRANT = '''aws.s3.BucketPolicy("share", bucket=bucket.id, policy=json.dumps({{"Version": "2012-10-17",
    "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{account}:root"}},
                    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}}]}}))'''
# The stack's own role reads the stack's own secret: both ARNs come from the program's resources (Outputs).
OWN_ROLE_READS_SECRET = '''
role = aws.iam.Role("reader", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}))
secret = aws.secretsmanager.Secret("token")
aws.secretsmanager.SecretPolicy("token", secret_arn=secret.arn, policy=role.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": arn},
                                            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})))
'''


def foreign_account_findings(run) -> list[tuple[str, bool, str]]:
    return [(v["resourceName"], v["mandatory"], v["message"]) for v in by_policy(run.json("out.json"), "AGID-AWS-050")]


def test_a_bucket_shared_with_another_account_fails_and_the_stacks_own_grant_passes(project: Path) -> None:
    write_small(project, BUCKET_GRANT.format(account=ATTACKER) + "\n" + OWN_ROLE_READS_SECRET)
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout
    [(name, mandatory, message)] = foreign_account_findings(run)
    assert (name, mandatory) == ("share", True)
    assert f"cannot tell whether account {ATTACKER} is yours: list it in ownAccountIds" in message
    assert "none listed (a grant to any account is flagged: cannot tell)" in run.stdout
    # without the bucket grant, the secret read by the stack's own role passes: its account is the secret's
    write_small(project, OWN_ROLE_READS_SECRET)
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 0, run.stdout
    assert foreign_account_findings(run) == []


def test_the_stack_file_cannot_declare_the_attackers_account_own_but_the_base_branch_can(project: Path) -> None:
    write_small(project, BUCKET_GRANT.format(account=ATTACKER))
    git(project, "init", "-q", "-b", "main")
    write_settings(project, {"agent-guard": {"AGID-AWS-050": {"ownAccountIds": [OURS]}}})
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    carry_pack_config(project, f'AGID-AWS-050: {{ownAccountIds: ["{OURS}", "{ATTACKER}"]}}\n')
    run = run_cli(project, *GUARD, "--waivers-from-ref", "main", "--json", "out.json")
    assert run.code == 1, run.stdout
    [(_, mandatory, message)] = foreign_account_findings(run)
    assert mandatory and f"account {ATTACKER} is a foreign account (the stack's own: {OURS})" in message
    document = run.json("out.json")
    # the report shows the config the gate judged with, and what it refused
    assert document["policyPacks"][0]["config"]["AGID-AWS-050"]["ownAccountIds"] == [OURS]
    assert any(note.startswith("agent-guard/AGID-AWS-050: config asks for ownAccountIds=") for note in
               document["enforcementFloor"])
    assert "Enforcement floor" in run.stdout
    assert "Own accounts (ownAccountIds the packs judged with):" in run.stdout
    assert f"agent-guard: {OURS} (AGID-AWS-050)" in run.stdout

    # A grant to an account the base branch lists passes.
    write_small(project, BUCKET_GRANT.format(account=OURS))
    run = run_cli(project, *GUARD, "--waivers-from-ref", "main", "--json", "out.json")
    assert run.code == 0, run.stdout


def test_the_workflows_pulumi_policy_run_gets_the_config_the_gate_used(project: Path) -> None:
    """The deploy job's step builds --policy-pack-config from the gate's report, never from the stack file."""
    write_small(project, BUCKET_GRANT.format(account=OURS))
    write_settings(project, {"agent-guard": {"AGID-AWS-050": {"ownAccountIds": [OURS]}}})
    carry_pack_config(project, f'AGID-AWS-050: {{ownAccountIds: ["{OURS}", "{ATTACKER}"]}}\nAGID-AWS-001: disabled\n')
    assert run_cli(project, *GUARD, "--json", "gate.json").code == 0
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "agent-identity.yml").read_text())
    [step] = [s for s in workflow["jobs"]["deploy"]["steps"] if s.get("name") == "Policy pack config the gate judged with"]
    script = step["run"].split("<<'EOF'\n", 1)[1].rsplit("EOF", 1)[0]
    subprocess.run(["python3", "-c", script], cwd=project, check=True, timeout=60)
    config = json.loads((project / "agent-guard.config.json").read_text())
    assert config["AGID-AWS-050"]["ownAccountIds"] == [OURS]
    assert config["AGID-AWS-001"]["enforcementLevel"] == "mandatory"
    gate = next(s for s in workflow["jobs"]["deploy"]["steps"] if s.get("name", "").startswith("Gate again"))
    assert "--json gate.json" in gate["run"]
    assert not any("agentid:policyPackConfig" in str(s.get("run", "")) for s in workflow["jobs"]["deploy"]["steps"])


def test_a_component_named_like_an_identity_module_passes_and_an_unknown_package_blocks(project: Path) -> None:
    write_small(project, '''
class AgentRole(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("acme:iam:AgentRole", name)
        aws.iam.Role(f"{name}-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}),
            opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


AgentRole("ops")
pulumi.CustomResource("cloudflare:index/apiToken:ApiToken", "ci-token", {"name": "ci"})
''')
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout  # an API token of a package no rule knows blocks until reviewed
    document = run.json("out.json")
    assert by_policy(document, "AGID-GEN-001") == []
    [unknown] = by_policy(document, "AGID-GEN-002")
    assert (unknown["resourceName"], unknown["mandatory"]) == ("ci-token", True)
    assert "package 'cloudflare'" in unknown["message"]


# The mocks invent every ARN in one account (agentid.mock_engine.MOCK_ACCOUNT): the stack's own secret's ARN is one.
MOCK_ROOT_READS_SECRET = '''
secret = aws.secretsmanager.Secret("token")
aws.secretsmanager.SecretPolicy("token", secret_arn=secret.arn, policy=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
'''


def test_the_mock_account_written_as_a_literal_principal_is_not_own(project: Path) -> None:
    # A real preview sees the secret's ARN unknown and flags the literal root; the gate's mock ARN must not vouch for it.
    write_small(project, MOCK_ROOT_READS_SECRET)
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout
    [(name, mandatory, message)] = foreign_account_findings(run)
    assert (name, mandatory) == ("token", True)
    assert message.endswith("allows arn:aws:iam::123456789012:root secretsmanager:GetSecretValue: cannot tell whether "
                            "account 123456789012 is yours: list it in ownAccountIds")


MEMBER_ACCOUNT = 'aws.organizations.Account("sandbox", name="agents-sandbox", email="{email}")'


def test_a_member_accounts_root_mailbox_counts_as_own_only_at_a_domain_the_gate_lists(project: Path) -> None:
    """red20 r20-7: a member account whose root e-mail is at an outside domain passed; that mailbox resets the root
    password. `--own-email-domain` is the gate's list (AGID-AWS-075); the stack file cannot add to it."""
    write_small(project, MEMBER_ACCOUNT.format(email="aws-root@evil.example"))
    run = run_cli(project, *GUARD, "--own-email-domain", "acme.example", "--json", "out.json")
    assert run.code == 1, run.stdout
    [finding] = by_policy(run.json("out.json"), "AGID-AWS-075")
    assert finding["mandatory"] and "at evil.example, not one of ownEmailDomains (acme.example)" in finding["message"]
    carry_pack_config(project, "all:\n  ownEmailDomains: [evil.example]\n")
    assert run_cli(project, *GUARD, "--own-email-domain", "acme.example").code == 1
    write_small(project, MEMBER_ACCOUNT.format(email="aws-root+sandbox@aws.acme.example"))
    run = run_cli(project, *GUARD, "--own-email-domain", "acme.example")
    assert run.code == 0 and "ownEmailDomains: " in run.stdout, run.stdout
    bad = run_cli(project, *GUARD, "--own-email-domain", "root@acme.example")
    assert bad.code == 2 and "--own-email-domain 'root@acme.example'" in bad.stdout + bad.stderr
