"""AGID-AWS-070: an identity reads no credential of the account on every resource (mandatory).

secretsmanager:GetSecretValue, ssm:GetParameter(s)/GetParametersByPath/GetParameterHistory (SecureString values,
WithDecryption), kms:Decrypt, lambda:GetFunction(Configuration) (environment variables), ec2:GetPasswordData,
codebuild:BatchGetProjects, glue:GetConnection(s), rds-db:connect, redshift:GetClusterCredentials,
cognito-idp:AdminInitiateAuth, ecs:DescribeTaskDefinition, ... (analysis/aws_credential_reads.yaml, each with
its API reference) granted on every resource of their type and bounded by no condition on the target: the agent
reads every secret of the account, which is credential access, not a broad read. Before, the named actions were
AGID-AWS-012's star-resource and the read wildcards (`ssm:Get*`, ReadOnlyAccess's `lambda:Get*`) its broad-read,
both advisory. An attached AWS managed policy is judged by its snapshot document as if inline (AmazonSSMReadOnly
Access, AWSSecretsManagerClientReadOnlyAccess, ReadOnlyAccess, AWSLambda_ReadOnlyAccess, ...). Bounded grants (a
named secret, `parameter/app/*`, an aws:ResourceTag condition, kms:ViaService) pass here and stay with the
advisory rules. Set semantics, exclusions and what is left to AGID-AWS-010/011/013: analysis.aws_credential_reads.
"""

from agentid_policy_packs.analysis.aws_credential_reads import credential_read_findings

from .base import Resource, Rule
from .identity_policy import JUDGED_POLICY_TYPES, judge_identity_policies


def check(resource: Resource, config):
    yield from judge_identity_policies(resource, lambda doc, _: credential_read_findings(doc), ("credential-read",),
                                       managed=True)


RULE = Rule(
    id="AGID-AWS-070",
    title="aws-no-unbounded-credential-reads",
    severity="high",
    category="unbounded-resource",
    description="No identity policy or attached AWS managed policy reads credentials on every resource "
                "(GetSecretValue, GetParameter with decryption, kms:Decrypt, function and task environments, "
                "database tokens) without a bound on the target.",
    remediation="Name the secret, parameter path, key, function or database user ARNs the tool reads, or bound the "
                "statement with an aws:ResourceTag (or kms:ViaService) condition; replace read-only managed policies "
                "with the agent spec's per-tool grants.",
    url="https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html",
    check=check,
    resource_types=JUDGED_POLICY_TYPES,
    enforcement="mandatory",
)
