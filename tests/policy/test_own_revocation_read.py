"""The AWS components give every agent role `iam:GetRolePolicy` on its own ARN (components/aws/revocation_read.py): a
read of what the role already holds. No rule may call it escalation or a broad grant; its look-alike that WRITES the
role's own policy (PutRolePolicy on itself) must still be flagged."""

from __future__ import annotations

import json

from agentid_components.aws import revocation_read
from agentid_policy_packs.rules.base import Violation, run_resource_rule, run_stack_rule
from agentid_policy_packs.rules.registry import RULES
from tests.policy.ruletools import ACCOUNT, GOOD_TAGS, resource

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/agent-triage-dev"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                   "token.actions.githubusercontent.com:sub": "repo:acme/triage:ref:refs/heads/main"}}}]}


OWNERS = {"AGID-GEN-006": {"trustedRepositoryOwners": ["acme"]}}  # TRUST's GitHub owner, as the gate would list it


def stack(document: dict) -> list:
    boundary = {"Version": "2012-10-17", "Statement": document["Statement"]}
    return [
        resource("aws:iam/role:Role", {"name": "agent-triage-dev", "arn": ROLE_ARN, "assumeRolePolicy": json.dumps(TRUST),
                                       "permissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/agent-triage-dev-boundary",
                                       "maxSessionDuration": 3600, "tags": GOOD_TAGS}, name="triage-role"),
        resource("aws:iam/rolePolicy:RolePolicy", {"name": "agentid-read-revocation-record", "role": "agent-triage-dev",
                                                   "policy": json.dumps(document)}, name="triage-revocation-read"),
        resource("aws:iam/policy:Policy", {"name": "agent-triage-dev-boundary", "policy": json.dumps(boundary),
                                           "arn": f"arn:aws:iam::{ACCOUNT}:policy/agent-triage-dev-boundary", "tags": GOOD_TAGS},
                 name="triage-boundary"),
    ]


def findings_on_the_policies(document: dict) -> list[tuple[str, str]]:
    resources = stack(document)
    found = []
    for rule in RULES:
        outcomes = (run_stack_rule(rule, resources) if rule.stack else
                    [o for r in resources for o in run_resource_rule(rule, r, OWNERS.get(rule.id))])
        found += [(rule.id, o.message) for o in outcomes if isinstance(o, Violation)]
    return found


def test_reading_its_own_revocation_record_is_no_finding():
    assert findings_on_the_policies(revocation_read.read_policy(ROLE_ARN)) == []


def test_writing_its_own_policy_is_still_escalation():
    write = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": ROLE_ARN}]}
    assert findings_on_the_policies(write), "PutRolePolicy on the role itself grants the role anything"
