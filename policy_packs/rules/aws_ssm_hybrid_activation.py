"""AGID-AWS-068: no SSM hybrid activation: its activation code is a bearer credential for a role.

`ssm.Activation` returns an activation id and code. Whoever holds the pair registers any machine, anywhere, as a
managed node (`amazon-ssm-agent -register -code ... -id ...`), up to `registrationLimit` machines (default 1, at
most 1000) until `expirationDate` (at most 30 days, default 24 hours), and each registered machine then receives
temporary credentials of the activation's IAM role (`iamRole`) for as long as it stays registered, refreshed by
the agent: a static secret turned into lasting role credentials, like an access key (AGID-AWS-001), and kept in
the stack's state as the resource's `activationCode` output. With an existing role (OrganizationAccountAccessRole)
it is a credential for whatever that role may do (red11a r22). Every activation is flagged, with its role and limit
in the finding; register hybrid machines when they are set up, outside the stack, with a one-machine activation.
Sources: https://docs.aws.amazon.com/systems-manager/latest/userguide/hybrid-activation-managed-nodes.html,
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateActivation.html (RegistrationLimit 1-1000,
ExpirationDate up to 30 days).
"""

from __future__ import annotations

import math

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Violation

ACTIVATION = "aws:ssm/activation:Activation"


def check(resource: Resource, config):
    role, limit = resource.props.get("iamRole"), resource.props.get("registrationLimit")
    role_text = "a role computed at deployment" if is_unknown(role) or not isinstance(role, str) else f"role {role[:200]}"
    machines = (f"up to {int(limit)} machines" if isinstance(limit, (int, float)) and not isinstance(limit, bool)
                and math.isfinite(limit) else "machines (registrationLimit, default 1)")
    yield Violation(f"SSM activation {resource.name}: its activation id and code register {machines} anywhere as "
                    f"managed nodes that receive AWS credentials of {role_text} while they stay registered: a "
                    "bearer credential (kept in the stack's state as activationCode) turned into lasting role "
                    "credentials")


RULE = Rule(
    id="AGID-AWS-068",
    title="aws-no-ssm-hybrid-activation",
    severity="critical",
    category="static-credential",
    description="No SSM hybrid activation: its activation code registers machines anywhere with its role's "
                "credentials.",
    remediation="Register on-premises machines when they are set up, outside the stack, with an activation of "
                "registrationLimit 1 that expires within hours and a role limited to the SSM managed-node policy; "
                "or waive the activation with the reason and its owner.",
    url="https://docs.aws.amazon.com/systems-manager/latest/userguide/hybrid-activation-managed-nodes.html",
    check=check,
    resource_types=(ACTIVATION,),
)
