"""Where an agent's Cognito client secret lives: AWS Secrets Manager, readable by the agent's role alone.

Cognito's client-credentials grant authenticates a client with a secret only
(no private_key_jwt), so the kit cannot avoid the secret; it keeps it out of
stack outputs, agent code and agent config instead. The components write the
secret Cognito generated into one Secrets Manager secret per agent; the
inventory carries the secret's ARN (never the value); at issuance the broker
reads it with the agent's own role, narrowed to `secretsmanager:GetSecretValue`
on that ARN (agentid.runtime.broker).

Who may read it (each piece is needed, none is enough alone):
  - the role's inline policy `agentid-oauth-client-secret` allows GetSecretValue
    on exactly this secret's ARN, and the role's permissions boundary allows it
    too (a boundary caps what identity policies grant);
  - the secret's resource policy allows the role and denies GetSecretValue to
    every other principal (`aws:PrincipalArn` not the role), so an account
    administrator's `secretsmanager:*` does not read it. The one exception is
    the principal that deploys the stack: the provider reads the version back
    after writing it and on `pulumi refresh` (Terraform's
    aws_secretsmanager_secret_version read calls GetSecretValue), so it is
    named in the Deny's exception list too.
Pure: no Pulumi import. Sources: Secrets Manager resource-based policies
(https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html),
`aws:PrincipalArn` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
"""

from __future__ import annotations

READ_ACTION = "secretsmanager:GetSecretValue"
INLINE_POLICY_NAME = "agentid-oauth-client-secret"  # the role's inline policy that reads the secret
STATEMENT_SID = "ReadOwnOAuthClientSecret"


def secret_name(agent: str, suffix: str = "") -> str:
    """The secret's name (Secrets Manager appends `-` and 6 random characters to form the ARN); `suffix`: the
    stack's name suffix (`naming`), so two stacks in one account and region name two secrets. Names are 1-512
    of [A-Za-z0-9/_+=.@-] (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html)."""
    return f"agentid/{agent}-{suffix}/oauth-client-secret" if suffix else f"agentid/{agent}/oauth-client-secret"


def read_statement(secret_arn: str) -> dict:
    """The one IAM statement that reads the secret: GetSecretValue on its exact ARN."""
    return {"Sid": STATEMENT_SID, "Effect": "Allow", "Action": READ_ACTION, "Resource": secret_arn}


def read_policy(secret_arn: str) -> dict:
    """The role's inline policy, and the session policy the broker reads the secret with."""
    return {"Version": "2012-10-17", "Statement": [read_statement(secret_arn)]}


def resource_policy(role_arn: str, deployer_arn: str | None) -> dict:
    """The secret's resource policy: the agent's role reads it; every other principal is denied (but the deployer).

    `deployer_arn` is the IAM ARN of the principal running `pulumi up` (for an
    assumed role, the role's ARN: what `aws:PrincipalArn` holds for its sessions).
    """
    readers = [role_arn] + ([deployer_arn] if deployer_arn and deployer_arn != role_arn else [])
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AgentRoleReads", "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": READ_ACTION, "Resource": "*"},
            {
                "Sid": "NobodyElseReads",
                "Effect": "Deny",
                "Principal": "*",
                "Action": READ_ACTION,
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalArn": readers}},
            },
        ],
    }
