"""AGID-GEN-007: an input named like an output the provider computes (a forged output) blocks.

The link proofs of the pack (iam_links.known_state, output_sources, gcp_own, inherited_identity, AGID-AZ-063/064)
trust a stack resource's outputs: its `id`, ARN, client / object / principal id, e-mail, self link. Under the gate
those come from the mocks' derivation; a raw `pulumi.CustomResource("aws:lambda/function:Function", "decoy",
{"arn": <an existing admin function>})` put the output in an INPUT, and the mock used to echo it, so a foreign object
"was the stack's" (red14 r14-5: AGID-AWS-057, AGID-AZ-063 and AGID-AZ-064 bypassed). The typed SDK classes refuse such
an input; the generic CustomResource (or a transform editing props) does not. known_state no longer trusts such an
input; this rule reports it, so a program that tries is refused rather than silently judged. Only under the gate
(`agentid preview`, which names its mock accounts to the pack): there every resource is new and its props are the
program's inputs; elsewhere the engine may send a deployed resource's outputs, which are the provider's.

An input is forged when it is `id` or `urn` (the engine's), or one of agentid.mock_provider.COMPUTED_OUTPUTS that the
type's SDK `*Args` class does not accept (source: the installed provider SDK, read through its resource_modules
register; a type whose SDK cannot be read accepts none: fail closed). `azuread.ServicePrincipal(client_id=...)` and
`gcp.projects.IAMMember(member=...)` are inputs of their SDKs and pass.
"""

from __future__ import annotations

from agentid.mock_provider import forged_output
from agentid_policy_packs.analysis.aws_accounts import invented_accounts

from .base import Rule, Violation


def check(resources, config):
    if not invented_accounts():
        return  # outside the gate the engine may send deployed outputs (`pulumi up`, an update's preview): not inputs
    for resource in resources:
        if not resource.custom or resource.type.startswith("pulumi:"):
            continue
        forged = sorted(key for key in resource.props if forged_output(resource.type, key))
        if forged:
            yield Violation(f"{resource.name} ({resource.type}) sets {', '.join(forged)} as input(s), but the provider "
                            f"computes them (no such input in the type's SDK): the gate never takes an output from an "
                            f"input; a raw CustomResource claiming an existing object's id is how a foreign object is "
                            f"passed off as the stack's", resource.urn)


RULE = Rule(
    id="AGID-GEN-007",
    title="forged-provider-outputs",
    severity="high",
    category="unparseable",
    enforcement="mandatory",
    description="A resource whose inputs carry an output the provider computes (id, urn, or an ARN, client, object "
                "or principal id, e-mail, self link its SDK has no input for) blocks: the output is never taken "
                "from the input.",
    remediation="Use the provider SDK's typed resource class and drop the input; to refer to an existing object, "
                "name it by its literal id where the rule asks for one, or read it with the SDK's get function.",
    url="https://www.pulumi.com/docs/iac/concepts/resources/properties/",
    check=check,
    stack=True,
)
