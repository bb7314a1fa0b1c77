"""AGID-AWS-078 (stack): a service's own admin (the OpenSearch fine-grained access control master user) is an IAM role
or user the stack creates.

The AWS twin of AGID-AZ-068 (red22 r22-7): an OpenSearch / Elasticsearch domain with fine-grained access control
makes `advancedSecurityOptions.masterUserOptions.masterUserArn` its master user: all_access on every index and the
security plugin's admin, granted in the domain's settings, where no IAM policy rule looks. AGID-AWS-064 judges only
the ARN's account; `arn:aws:iam::<own account>:role/ci-runner`, a role the stack does not define, passed. The inputs
are data (analysis/azure_service_grants.yaml `aws_principals`, with sources). The ARN passes only when it is a role
or user of this stack: equal (case-insensitively) to its ARN as known (known_state: under the gate, the ARN its mocks
derive) with the domain created after it (iam_links.ordered_after, issue 11: a literal that does not wait for the
stack's role names the existing one), or, unknown at preview, proven that role's or user's Output
(iam_links.output_sources); otherwise "cannot check until known". Anything else, a wildcard or another principal, is
a violation.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown, values_at

from .azure_service_admin_grants import data
from .base import Resource, Rule, Unknown, Violation
from .iam_links import ROLE, USER, known_state, ordered_after, output_sources


def _stack_principal(holder: Resource, input_name: str, value, principals: list[Resource]) -> bool | None:
    """True: a stack role or user; False: not one; None: unknown and unproven."""
    if is_unknown(value):
        return bool(output_sources(holder, principals, ("arn",), input=input_name)) or None
    wanted = value.strip().lower() if isinstance(value, str) else None
    return any(isinstance(arn := known_state(p).get("arn"), str) and not is_unknown(arn)
               and arn.strip().lower() == wanted and ordered_after(holder, p) for p in principals)


def check(resources: list[Resource], config):
    table = data()["aws_principals"]
    principals = [r for r in resources if r.type in (ROLE, USER)]
    for resource in resources:
        for entry in table.get(resource.type, ()):
            input_name = entry["path"].split(".", 1)[0]
            for where, value in values_at(resource.props, entry["path"]):
                found = _stack_principal(resource, input_name, value, principals)
                if found is None:
                    yield Unknown(where, resource.urn)
                elif not found:
                    yield Violation(f"{resource.name} makes {str(value)[:200]} ({where}) {entry['grants']}; it is not a "
                                    "role or user this stack creates", resource.urn)


RULE = Rule(
    id="AGID-AWS-078",
    title="aws-service-admin-is-stack-principal",
    severity="critical",
    category="admin",
    description="An OpenSearch / Elasticsearch domain's fine-grained access control master user is an IAM role or user "
                "the stack creates.",
    remediation="Create the admin role in the stack (master_user_arn=role.arn) and give the agent a narrower "
                "OpenSearch role mapping; or leave the master user to the internal user database of an operator.",
    url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-master-user",
    check=check,
    stack=True,
    reads=tuple(sorted(data()["aws_principals"])),
)
