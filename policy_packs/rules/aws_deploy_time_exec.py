"""AGID-AWS-057 (stack): `pulumi up` runs no code the gate cannot judge, as an identity it cannot see.

Two resources run code the moment they are created, with an identity the stack's policies do not show:
  - `ssm.Association` applies an SSM document to instances: a command document (AWS-RunShellScript,
    AWS-RunPowerShellScript, AWS-RunRemoteScript, Ansible/Salt/Docker runners, or any document the stack or
    another account wrote) runs its commands on every targeted instance as root/SYSTEM with the instance's role
    (https://docs.aws.amazon.com/systems-manager/latest/userguide/state-manager-associations.html; Stratus Red
    Team aws.execution.ssm-send-command). AWS's inventory, patching and agent-update documents run no caller
    code and pass (data below).
  - `lambda_.Invocation` / `lambda_.LifecycleInvocation`-style invocations call a function during the deploy:
    a function the stack defines runs with its own role, which the pack judges; a function the stack does not
    define (`org-admin-automation`) runs with a role nobody here can read, on input the pull request chose
    (https://www.pulumi.com/registry/packages/aws/api-docs/lambda/invocation/).
Critical (mandatory): a deploy that runs unjudged code as another identity is the escalation the gate exists to
stop. A waiver names the association or invocation when the code is reviewed elsewhere.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Rule, Unknown, Violation

ASSOCIATION = "aws:ssm/association:Association"
INVOCATION = "aws:lambda/invocation:Invocation"
FUNCTION = "aws:lambda/function:Function"
# AWS-owned documents that inventory, patch or update agents: they run no command the caller supplies
# (https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-command-ssm-plugin-reference.html)
_NO_CALLER_CODE = frozenset({
    "aws-gathersoftwareinventory", "aws-updatessmagent", "aws-runpatchbaseline", "aws-runpatchbaselineassociation",
    "aws-configureawspackage", "aws-refreshassociation", "amazoncloudwatch-managedagent",
})


def _association(resource):
    document = resource.props.get("name")
    if is_unknown(document):
        yield Unknown("name", resource.urn)
    elif not isinstance(document, str) or document.strip().lower() not in _NO_CALLER_CODE:
        shown = document if isinstance(document, str) else repr(document)
        yield Violation(f"{resource.name} applies SSM document {shown[:200]} to instances at deploy time: its "
                        "commands run as root with each targeted instance's role, and the gate cannot judge them; "
                        "run such code through a reviewed pipeline (or waive this association)", resource.urn)


def _functions(resources) -> tuple[set[str], set[str]]:
    """(names, URNs) of the functions the stack defines: a function's `name` input, else its resource name."""
    names, urns = set(), set()
    for resource in resources:
        if resource.type == FUNCTION:
            urns.add(resource.urn)
            name = resource.props.get("name")
            names.add(name if isinstance(name, str) and not is_unknown(name) else resource.name)
    return names, urns


def _invocation(resource, names: set[str], urns: set[str]):
    target = resource.props.get("functionName")
    if is_unknown(target):
        if not urns & set(resource.dependencies):  # an Output of a stack function is that function
            yield Unknown("functionName", resource.urn)
        return
    name = target.rsplit(":function:", 1)[-1].split(":", 1)[0] if isinstance(target, str) else None
    if name not in names:
        yield Violation(f"{resource.name} invokes function {str(target)[:200]} at deploy time, which this stack does not "
                        "define: it runs with a role the gate cannot read, on input this change chose", resource.urn)


def check(resources, config):
    names, urns = _functions(resources)
    for resource in resources:
        if resource.type == ASSOCIATION:
            yield from _association(resource)
        elif resource.type == INVOCATION:
            yield from _invocation(resource, names, urns)


RULE = Rule(
    id="AGID-AWS-057",
    title="aws-no-deploy-time-exec",
    severity="critical",
    category="escalation",
    description="No SSM association runs caller code on instances, and no deploy-time Lambda invocation calls a "
                "function the stack does not define.",
    remediation="Run commands through a reviewed pipeline or a document that takes no caller code; invoke only "
                "functions this stack defines (their roles are judged); waive a reviewed association by URN.",
    url="https://docs.aws.amazon.com/systems-manager/latest/userguide/state-manager-associations.html",
    check=check,
    stack=True,
    reads=(ASSOCIATION, INVOCATION, FUNCTION),
)
