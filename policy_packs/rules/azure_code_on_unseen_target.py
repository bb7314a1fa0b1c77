"""AGID-AZ-059 (stack): code the stack puts on a machine, app or cluster goes only to targets the stack defines.

A hybrid runbook worker (`automation.HybridRunbookWorker`: the Automation account's runbooks then run on the machine
as Local System / root), an App Service or Container Apps source control (the repository's code runs in the app),
function files, update-deployment pre/post runbooks, a namespace-scoped GitOps configuration, a guest configuration
package, a VM / Arc extension: each runs code ON a target with the target's managed identities, its app settings and
secrets and, for a domain controller or a jump box, everything it is logged on to. When the stack defines the
target, the pack judges what those identities hold; when it names an existing one (`dc01`, a production web app)
it cannot: "cannot check", fail closed (red11a r16: a hybrid worker on an existing dc01 and a source control from a
foreign repository on an existing app passed). Issue 11 (inherited identities): resources that START code with the
identity of what they name are runners too: an Automation job schedule or webhook (a runbook, as the account's
managed identities), a Data Factory pipeline or trigger (the factory's managed identity and linked services), a
Machine Learning job or schedule (the workspace's compute identities): on an account, factory or workspace the stack
does not define, "cannot check: runs code as the identity of existing <kind>". Code no gate can judge whatever the target (run commands, script
extensions, custom guest configuration packages, cluster-scope Flux) is AGID-AZ-042's and not repeated here.

A target is the stack's when a resource of one of the runner's target kinds (analysis/azure_code_runners.yaml) has
that name: its name input (`vmName`, `name`, `resourceName`, ...), never its Pulumi name where azure-native does not
name it so (a top-level target without its name input is `<logical name><8 random hex>`: iam_links.azure_name; under
the gate as its mocks autoname it), compared without case with the runner's input or the last segment of an ARM id,
when both are known strings in the same resource group, and only for a runner created after it (ordered_after). A target unknown at preview is the stack's only as iam_links.output_sources proves it: the runner
depends on stack resources of its target kinds and on nothing else, and their name input or id is not known either.
A `depends_on` a stack VM or app next to a constant behind another resource's Output (`bucket.arn.apply(lambda _:
"dc01")`), or through a chain of other resources, proves nothing: "cannot check until known" (issue 11).
Sources: see analysis/azure_code_runners.yaml; https://learn.microsoft.com/en-us/azure/automation/automation-hybrid-runbook-worker,
https://learn.microsoft.com/en-us/azure/app-service/deploy-continuous-deployment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from agentid_policy_packs.analysis import azure_code_runners as code
from agentid_policy_packs.analysis.values import is_unknown

from .base import Outcome, Resource, Rule, Unknown, Violation
from .iam_links import azure_name, ordered_after, output_sources

# /subscriptions/S/resourceGroups/RG/providers/NS/TYPE/NAME[/...]
_ARM_ID = re.compile(r"^/subscriptions/[^/]+/resourcegroups/(?P<group>[^/]+)/providers/[^/]+/[^/]+/(?P<name>[^/]+)",
                     re.IGNORECASE)


def _own_name(target: Resource) -> str | None:
    """The target's Azure name (iam_links.azure_name of its name input); None without one known (issue 11:
    azure-native autonames it `<logical name><8 random hex>`, so a literal equal to the logical name names an
    EXISTING target; under the gate its mocks autoname it so, and an Output of its name arrives as that name)."""
    name = azure_name(target, code.targets().get(target.type) or None)
    return name if isinstance(name, str) and name and not is_unknown(name) else None


def _is_stack_target(value: str, group: object, candidates: list[Resource], holder: Resource) -> bool:
    """Does the literal `value` name a stack target `holder` is created after? (ordered_after, issue 11: a stack
    target of an existing one's name fails to create, and a holder that does not wait for it runs code on the
    existing one.)"""
    match = _ARM_ID.match(value.strip())
    name, group = (match["name"], match["group"]) if match else (value.strip().rstrip("/").rsplit("/", 1)[-1], group)
    for target in candidates:
        own_group = target.props.get("resourceGroupName")
        own_name = _own_name(target)
        if own_name is None or name.lower() != own_name.lower() or not ordered_after(holder, target):
            continue
        if isinstance(group, str) and isinstance(own_group, str) and not is_unknown(group) \
                and not is_unknown(own_group) and group.lower() != own_group.lower():
            continue
        return True
    return False


def _outputs(target: Resource) -> tuple[str, ...]:
    """The outputs of a target an input naming it holds when it is one of its Outputs: its name input, its ARM id."""
    return (code.targets().get(target.type, "name"), "id")


def _noun(kinds: tuple[str, ...]) -> str:
    """`azure-native:automation:AutomationAccount` -> `AutomationAccount` (or a list of them) for messages."""
    return " or ".join(dict.fromkeys(kind.rsplit(":", 1)[-1] for kind in kinds)) or "target"


def _judge(resource: Resource, stack: list[Resource]) -> Iterator[Outcome]:
    if code.unjudged(resource.type, resource.props) is not False or not code.runners()[resource.type].get("by_target", True):
        return  # AGID-AZ-042's (flagged or waiting for an unknown input there), or no code of the stack's
    carries = code.puts_code(resource.type, resource.props)
    if carries is code.UNKNOWN_INPUT:
        yield Unknown("code inputs", resource.urn)
        return
    if not carries:
        return
    kinds = code.target_kinds(resource.type)
    candidates = [other for other in stack if other.type in kinds]
    entry = code.runners()[resource.type]
    named = code.target_values(resource.type, resource.props)
    if not named:
        yield Violation(f"{resource.name} runs {entry['what']} on a target it does not name in a form the pack reads "
                        "(cannot check)", resource.urn)
        return
    for path, value in named:
        if is_unknown(value):
            if output_sources(resource, candidates, _outputs, re.split(r"[.\[]", path, maxsplit=1)[0]) is None:
                yield Unknown(f"{resource.name}.{path}", resource.urn)
        elif not isinstance(value, str) or not _is_stack_target(value, resource.props.get("resourceGroupName"),
                                                                 candidates, resource):
            yield Violation(f"{resource.name} runs {entry['what']} on {str(value)[:200]!r} ({path}), which this stack "
                            "does not define: cannot check: runs code as the identity of existing "
                            f"{_noun(kinds)} (the code acts with its managed identities and secrets, which cannot be "
                            "read here)", resource.urn)


def check(resources: list[Resource], config):
    runners = code.runners()
    for resource in resources:
        if resource.type in runners and "target" in runners[resource.type]:
            yield from _judge(resource, resources)


RULE = Rule(
    id="AGID-AZ-059",
    title="azure-code-on-own-targets",
    severity="critical",
    category="escalation",
    description="Code the stack puts on machines, apps or clusters (hybrid runbook workers, source control, function "
                "files, update runbooks, GitOps, guest configuration, extensions) or starts in Automation accounts, "
                "data factories and ML workspaces (job schedules, webhooks, pipelines, triggers, jobs) goes only to "
                "targets the stack defines, so the identities it runs with are judged.",
    remediation="Define the machine, app or cluster in this stack (its identity and roles are then judged) or run the "
                "code on a target the stack creates for it; do not turn existing machines (domain controllers, jump "
                "boxes) or apps into runners.",
    url="https://learn.microsoft.com/en-us/azure/automation/automation-hybrid-runbook-worker",
    check=check,
    stack=True,
    reads=tuple(t for t, entry in code.runners().items()
                if "target" in entry and entry.get("by_target", True) and entry.get("unjudged") != "always")
          + tuple(code.targets()),
)
