"""AGID-AWS-057 (stack): `pulumi up` runs no code the gate cannot judge, as an identity it cannot see.

Two resources run code the moment they are created, with an identity the stack's policies do not show:
  - `ssm.Association` applies an SSM document to instances: a command document (AWS-RunShellScript,
    AWS-RunPowerShellScript, AWS-RunRemoteScript, Ansible/Salt/Docker runners, or any document the stack or
    another account wrote) runs its commands on every targeted instance as root/SYSTEM with the instance's role
    (https://docs.aws.amazon.com/systems-manager/latest/userguide/state-manager-associations.html; Stratus Red
    Team aws.execution.ssm-send-command). AWS's inventory, patching and agent-update documents run no caller
    code and pass (data below); AWS-ConfigureAWSPackage passes only for AWS's own packages (issue 11: a customer's
    Distributor package is a document whose install script runs as root, rewritable with ssm:UpdateDocument).
  - `lambda_.Invocation` / `lambda_.LifecycleInvocation`-style invocations call a function during the deploy:
    a function the stack defines runs with its own role, which the pack judges; a function the stack does not
    define (`org-admin-automation`) runs with a role nobody here can read, on input the pull request chose
    (https://www.pulumi.com/registry/packages/aws/api-docs/lambda/invocation/).
  - red9b finding 3: any resource that makes AWS run code as an IAM role named in its inputs, at deploy or on a
    schedule, is "cannot check" when that role is not one the stack defines (a literal ARN such as
    OrganizationAccountAccessRole, an instance profile made elsewhere): an EC2 instance / launch template booting
    with an existing instance profile, an ECS task definition, Lambda function, CodeBuild project, Step Functions
    state machine or Glue job with an existing role that a starter of the stack runs (an Invocation, a Service,
    a schedule, an EventBridge target, an event source mapping, a webhook, a Glue trigger, a pipe). Which
    resources run code as which input, and what starts them, is data: analysis/aws_code_runners.yaml (sources
    there). A role the stack defines is judged by the other rules, so such a runner passes here.
    The data also covers Batch (compute environments; job definitions, whose JSON-text properties name the job
    role, run by a queue of the stack), EKS (clusters, node groups, Fargate profiles, pod identities, add-ons, and an
    access policy making a role the stack does not define cluster administrator), Lambda functions started by S3
    notifications, SNS subscriptions, resource-policy permissions, log subscriptions, Cognito triggers, IoT rules,
    API Gateway and AppSync; API Gateway AWS integrations and AppSync data sources (any AWS API as their role),
    CodePipeline, Amplify, App Runner, CloudFormation, Bedrock agents and AgentCore runtimes, gateways, code
    interpreters; and lists, with a reason, every other pulumi-aws resource that takes a role (`not_runners`,
    kept true against the installed SDK by tests/policy/test_aws_code_runners_data.py).
  - a literal role ARN names the stack's role of that name only at its path and in its account (_Identities):
    another account's `role/worker-role` is "cannot check"; while the stack's account is unknown (a real preview
    computes the role's ARN) the ARN's account must be in ownAccountIds.
  - an EventBridge Scheduler universal target (arn:aws:scheduler:::aws-sdk:SERVICE:ACTION) calls the API as the
    schedule's role: a role the stack does not define is "cannot check"; a write to IAM, STS, Organizations or
    IAM Identity Center is escalation with any role (it mints users, keys, roles, accounts); ssm:SendCommand /
    StartAutomationExecution there runs commands on instances like an association.
  - issue 11: a RUN_COMMAND maintenance window task runs its document on the window's targets like an association.
  - red9a 18, 19: an EventBridge target that is an SSM document (Run Command on instances, or an automation) is
    judged like an association; a Service Catalog LAUNCH constraint whose RoleArn the stack does not define
    launches its product's template as a role nobody here can read ("cannot check").
  - issue 11, inherited identities: a resource that runs code as the identity of ANOTHER object it names (an
    instance, Auto Scaling group, EC2 Fleet, Spot request or Spot Fleet from a launch template or configuration; an
    Image Builder image or pipeline on an infrastructure configuration; an ECS service, task set, schedule,
    EventBridge target or pipe running a task definition; a schedule, target, pipe, event source mapping, S3
    notification or SNS subscription invoking a function or state machine; a CodeBuild webhook, Glue trigger or Batch
    target starting a project, job or job definition) is "cannot check: runs code as the identity of existing
    <object>" when the stack does not define that object (a literal id, name or ARN, or a value no stack Output
    explains); the stack's object is judged as the runner it is. The inputs are data (`inherits` in
    analysis/aws_code_runners.yaml), followed by inherited_identity.py. A state machine the stack runs is read the
    same way: its definition's task states (Lambda, ECS RunTask, CodeBuild, Batch, Glue, nested executions, in
    Parallel branches and Map processors) name objects whose identity runs the code (`state_machine_tasks`).
Critical (mandatory): a deploy that runs unjudged code as another identity is the escalation the gate exists to
stop. A waiver names the association or invocation when the code is reviewed elsewhere.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml
from agentid_policy_packs.analysis.aws_accounts import OwnAccounts, invented_accounts
from agentid_policy_packs.analysis.values import is_unknown, values_at

from . import inherited_identity
from .base import Resource, Rule, Unknown, Violation
from .iam_links import ROLE, NameIndex, iam_arn_parts, known_account, output_sources
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

ASSOCIATION = "aws:ssm/association:Association"
INVOCATION = "aws:lambda/invocation:Invocation"
FUNCTION = "aws:lambda/function:Function"
SCHEDULE = "aws:scheduler/schedule:Schedule"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
RUNNERS_FILE = Path(__file__).resolve().parents[1] / "analysis" / "aws_code_runners.yaml"
# AWS-owned documents that inventory, patch or update agents: they run no command the caller supplies
# (https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-command-ssm-plugin-reference.html)
_NO_CALLER_CODE = frozenset({
    "aws-gathersoftwareinventory", "aws-updatessmagent", "aws-runpatchbaseline", "aws-runpatchbaselineassociation",
    "aws-refreshassociation", "amazoncloudwatch-managedagent",
})
# AWS-ConfigureAWSPackage installs the Distributor package its `name` parameter names, running the package's own
# install script as root (issue 11, awsesc3): AWS's packages only when the name carries a prefix AWS reserves for
# its own documents (aws, amazon, amzn: API_CreateDocument, Name), any other is a customer's package whose scripts
# anyone allowed ssm:UpdateDocument on it writes, and the gate cannot judge.
# https://docs.aws.amazon.com/systems-manager/latest/userguide/distributor.html,
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html
_PACKAGE_INSTALLER = "aws-configureawspackage"
_AWS_PACKAGE_PREFIXES = ("aws", "amazon", "amzn")


def _package_problem(parameters) -> str | None:
    """Why an AWS-ConfigureAWSPackage run installs code the gate cannot judge (None: only AWS's own packages).
    `parameters`: name -> value or list of values, as the association or task gives them."""
    if is_unknown(parameters):
        return "its parameters are computed during preview"
    name = parameters.get("name") if isinstance(parameters, dict) else None
    values = name if isinstance(name, list) else [name]
    if not values or any(is_unknown(v) or not isinstance(v, str) or not v.strip() for v in values):
        return "it names no package the gate can read (parameter `name`)"
    custom = [v for v in values if not v.strip().lower().startswith(_AWS_PACKAGE_PREFIXES) or ":" in v or "/" in v]
    if custom:
        return f"it installs package {custom[0][:200]}, not one of AWS's own (aws/amazon/amzn names): its install " \
               "script runs as root"
    return None


def _association(resource):
    document = resource.props.get("name")
    if is_unknown(document):
        yield Unknown("name", resource.urn)
    elif isinstance(document, str) and document.strip().lower() == _PACKAGE_INSTALLER:
        if problem := _package_problem(resource.props.get("parameters") or {}):
            yield Violation(f"{resource.name} applies SSM document {document.strip()} to instances at deploy time and "
                            f"{problem} with each targeted instance's role; the gate cannot judge the package's code "
                            "(install AWS's packages only, or waive this association)", resource.urn)
    elif not isinstance(document, str) or document.strip().lower() not in _NO_CALLER_CODE:
        shown = document if isinstance(document, str) else repr(document)
        yield Violation(f"{resource.name} applies SSM document {shown[:200]} to instances at deploy time: its "
                        "commands run as root with each targeted instance's role, and the gate cannot judge them; "
                        "run such code through a reviewed pipeline (or waive this association)", resource.urn)


MAINTENANCE_TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"


def _maintenance_task(resource):
    """A RUN_COMMAND maintenance window task sends its document's commands to the window's targets in every window,
    as an association does (issue 11: code on instances the stack does not define, as their roles).
    https://docs.aws.amazon.com/systems-manager/latest/userguide/maintenance-windows.html"""
    kind = resource.props.get("taskType")
    if is_unknown(kind):
        yield Unknown("taskType", resource.urn)
        return
    if not isinstance(kind, str) or kind.strip().upper() != "RUN_COMMAND":
        return
    document = resource.props.get("taskArn")
    if is_unknown(document):
        yield Unknown("taskArn", resource.urn)
        return
    name = document.rsplit("/", 1)[-1] if isinstance(document, str) else document
    if isinstance(name, str) and name.strip().lower() in _NO_CALLER_CODE:
        return
    if isinstance(name, str) and name.strip().lower() == _PACKAGE_INSTALLER:
        invocation = resource.props.get("taskInvocationParameters")
        run = invocation.get("runCommandParameters") if isinstance(invocation, dict) else None
        listed = run.get("parameters") if isinstance(run, dict) else None
        if is_unknown(invocation) or is_unknown(run) or is_unknown(listed):
            yield Unknown("taskInvocationParameters.runCommandParameters.parameters", resource.urn)
            return
        parameters = {p.get("name"): p.get("values") for p in listed if isinstance(p, dict)} \
            if isinstance(listed, list) else {}
        if (problem := _package_problem(parameters)) is None:
            return
        yield Violation(f"{resource.name} runs SSM document {str(document)[:200]} on its maintenance window's targets "
                        f"and {problem} with each targeted instance's role; the gate cannot judge the package's code "
                        "(install AWS's packages only, or waive this task)", resource.urn)
        return
    yield Violation(f"{resource.name} runs SSM document {str(document)[:200]} on its maintenance window's targets in "
                    "every window: its commands run as root with each targeted instance's role, and the gate cannot "
                    "judge them; run such code through a reviewed pipeline (or waive this task)", resource.urn)


EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
LAUNCH_CONSTRAINT = "aws:servicecatalog/constraint:Constraint"
# An EventBridge rule's target that is an SSM document sends its commands to instances (Run Command) or starts an
# automation with the target's role (red9a 19): the same as an association, on every event or schedule tick.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-ssm-run-command-target.html
_SSM_DOCUMENT_ARN = re.compile(r"^arn:aws[a-z-]*:ssm:[^:]*:[^:]*:(?:document|automation-definition)/(?P<name>[^:$]+)",
                               re.IGNORECASE)


def _event_target(resource):
    arn = resource.props.get("arn")
    if is_unknown(arn):
        if resource.props.get("runCommandTargets"):
            yield Unknown("arn", resource.urn)
        return
    match = _SSM_DOCUMENT_ARN.match(arn.strip()) if isinstance(arn, str) else None
    if match is None and not resource.props.get("runCommandTargets"):
        return
    document = match["name"] if match else str(arn)
    if document.strip().lower() in _NO_CALLER_CODE:
        return
    yield Violation(f"{resource.name} runs SSM document {document[:200]} on instances on every event of its rule: its "
                    "commands run as root with each targeted instance's role, and the gate cannot judge them; run "
                    "such code through a reviewed pipeline (or waive this target)", resource.urn)


def _launch_constraint(resource, identities):
    """A Service Catalog LAUNCH constraint: every launch of the product (the stack's ProvisionedProduct, or any
    portfolio user later) runs its CloudFormation template as `parameters.RoleArn` (red9a 18).
    https://docs.aws.amazon.com/servicecatalog/latest/adminguide/constraints-launch.html"""
    kind = resource.props.get("type")
    if not isinstance(kind, str) or kind.strip().upper() != "LAUNCH":
        if is_unknown(kind):
            yield Unknown("type", resource.urn)
        return
    parameters = resource.props.get("parameters")
    if is_unknown(parameters):
        yield Unknown("parameters", resource.urn)
        return
    try:
        document = json.loads(parameters) if isinstance(parameters, str) else parameters
    except ValueError:
        document = None
    if not isinstance(document, dict):
        yield Violation(f"{resource.name}: parameters is not the JSON object a LAUNCH constraint takes: cannot tell "
                        "which role launches the product", resource.urn)
        return
    role = document.get("RoleArn", document.get("LocalRoleName"))
    if role is None:
        return
    yield from _runner(resource, {"role": ["role"], "what": "launches its product's template"},
                       identities, props={"role": role})


def _invocation(resource, functions: list[Resource]):
    target = resource.props.get("functionName")
    if is_unknown(target):
        # an Output of a stack function is that function, as output_sources proves it: a depends_on a stack function
        # beside a constant behind another Output (an existing function's name) is not (issue 11)
        if output_sources(resource, functions, ("name", "arn", "id"), "functionName") is None:
            yield Unknown("functionName", resource.urn)
        return
    # a literal names a stack function only when the invocation is created after it (issue 11, a typed decoy: the
    # stack's function of an existing one's name fails to create, and an invocation not waiting for it runs the
    # existing one): iam_links.ordered_after
    if isinstance(target, str) and inherited_identity.resolve(resource, target, functions):
        return
    named_like = inherited_identity.resolve(resource, target, functions, ordered=False) \
        if isinstance(target, str) else []
    why = (f" (named like {named_like[0].name} of this stack, but it does not depend on it: were its create to fail "
           "(the name taken), this would invoke the existing one)") if named_like else ""
    yield Violation(f"{resource.name} invokes function {str(target)[:200]} at deploy time, which this stack does not "
                    f"define{why}: it runs with a role the gate cannot read, on input this change chose", resource.urn)


@cache
def _runners_data() -> dict[str, Any]:
    return data_yaml.load(RUNNERS_FILE)


class _Unreadable(str):
    """A JSON-text input (Batch containerProperties, ...) that does not parse: what it names cannot be read."""


def _step_into(item: Any) -> Any:
    """A JSON-text input (the provider takes Batch job properties as JSON strings) read as the object it holds."""
    if isinstance(item, str) and not is_unknown(item):
        try:
            return json.loads(item)
        except ValueError:
            return _Unreadable(item[:80])
    return item


def _at(value: Any, path: str) -> list[tuple[str, Any]]:
    """(path, value) of each value at a dotted input path (`a[].b` walks the list at a; a JSON-text step is
    parsed); absent ones left out, a step through JSON text that does not parse gives an _Unreadable value."""
    return values_at(value, path, step_into=_step_into, opaque=lambda item: isinstance(item, _Unreadable))


def _names_of(resource: Resource) -> set[str]:
    """The names a runner answers to: its physical name (name/family input) and its Pulumi name."""
    names = {resource.name}
    for key in ("name", "family"):
        value = resource.props.get(key)
        if isinstance(value, str) and not is_unknown(value):
            names.add(value)
    return names


def _start_paths(starter_type: str, runner_type: str) -> tuple[str, ...]:
    """The input paths by which a resource of `starter_type` names a runner of `runner_type` it starts: its
    `starters` names and the paths of its `inherits` entries whose kinds include the runner's type (an invoker of
    a function, a service running a task definition: red14 r14-14, each of them starts the stack's object too)."""
    data = _runners_data()
    paths = list(data["starters"].get(starter_type, {}).get("names", ()))
    for entry in data["inherits"].get(starter_type, ()):
        if runner_type in entry["kinds"] and not entry.get("carrier"):
            prefix = f"{entry['each']}." if "each" in entry else ""
            paths += [prefix + path for path in entry["paths"]]
    return tuple(dict.fromkeys(paths))


def _started(runner: Resource, starters: list[Resource]) -> bool:
    """Does a starter of the stack start `runner`: depend on it, name it (name or ARN, `:` / `/` separated), or
    start every runner of its type (a Batch job queue runs whatever job definition a SubmitJob names)?"""
    names = _names_of(runner)
    for starter in starters:
        spec = _runners_data()["starters"].get(starter.type, {})
        if runner.type in spec.get("every", ()) or runner.urn in starter.dependencies:
            return True
        for path in _start_paths(starter.type, runner.type):
            for _, reference in _at(dict(starter.props), path):
                if isinstance(reference, str) and names & set(re.split(r"[:/]", reference.strip())):
                    return True
    return False


def _applies(resource: Resource, spec: dict[str, Any]):
    """Does the runner's `when` hold (each input path: a value fully matching one of the patterns)? Yields
    Unknown for a value not known at preview; returns whether to judge the runner."""
    for path, patterns in spec.get("when", {}).items():
        values = _at(dict(resource.props), path)
        if any(is_unknown(value) for _, value in values):
            yield Unknown(path, resource.urn)
            return False
        if not any(isinstance(value, str) and re.fullmatch(pattern, value.strip(), re.IGNORECASE)
                   for _, value in values for pattern in patterns):
            return False
    return True


class _Identities:
    """The stack's roles and instance profiles, as a runner's input finds them (name, ARN or an Output of one).

    A literal ARN names a stack role only in the stack's account: its kind and path must be the role's
    (iam_links.NameIndex), and its account the role's real one, or, while that is not known (at preview the
    role's ARN is computed; the gate's mocks invent one), an account known to be the stack's own (ownAccountIds,
    analysis.aws_accounts). Otherwise `arn:aws:iam::999988887777:role/worker-role` would inherit the verdict of
    this stack's `worker-role` while AWS runs the code as another account's role of that name: it is "cannot
    check" like any role the stack does not define.
    """

    def __init__(self, resources: list[Resource], own: OwnAccounts) -> None:
        self.roles = NameIndex((r for r in resources if r.type == ROLE), exact_arns=True)
        self.profiles = NameIndex((r for r in resources if r.type == INSTANCE_PROFILE), exact_arns=True)
        self.own = own.including(invented_accounts())

    def _foreign(self, reference: Any, found: list[Resource]) -> str | None:
        """Why a literal ARN naming `found` by name may still be another account's (None when it is not)."""
        parts = iam_arn_parts(reference)
        if parts is None or any(known_account(r) for r in found):
            return None  # a name, or an ARN whose account is the resource's real one (NameIndex checked it)
        problem = self.own.problem(parts[0], reference.strip())
        return None if problem is None else f"named like {found[0].name} of this stack, but {problem}"

    def unseen_role(self, reference: Any, holder: Resource) -> str | None:
        """None when `reference` (an input of `holder`) is a role of the stack; else what it is (raises LookupError
        when unknown and no stack role provably explains it: iam_links.output_sources)."""
        found = self.roles.resolve_input(reference, holder)
        if found is None:
            raise LookupError
        if not found:
            return f"role {str(reference).strip()[:200]}"
        foreign = self._foreign(reference, found)
        return None if foreign is None else f"role {reference.strip()[:200]} ({foreign})"

    def unseen_profile_role(self, reference: Any, holder: Resource) -> str | None:
        profiles = self.profiles.resolve_input(reference, holder)
        if profiles is None:
            raise LookupError
        if not profiles:
            return f"instance profile {str(reference).strip()[:200]}"
        if (foreign := self._foreign(reference, profiles)) is not None:
            return f"instance profile {reference.strip()[:200]} ({foreign})"
        for profile in profiles:
            role = profile.props.get("role")
            if role is None:
                continue  # a profile without a role hands out no credentials
            if (why := self.unseen_role(role, profile)) is not None:
                return f"instance profile {profile.name} with {why}"
        return None


def _runner(resource: Resource, spec: dict[str, Any], identities: _Identities, props: dict | None = None):
    """A runner whose role (or instance profile's role) is not one of the stack's: cannot check. `props`: where the
    paths are read (default the resource's inputs)."""
    for kind, unseen in (("role", identities.unseen_role), ("profile", identities.unseen_profile_role)):
        for path in spec.get(kind, ()):
            for where, reference in _at(dict(resource.props if props is None else props), path):
                if isinstance(reference, _Unreadable):
                    yield Violation(f"{resource.name}: {where} is not the JSON AWS takes ({reference!r}...): cannot "
                                    "tell which role it runs as", resource.urn)
                    continue
                if isinstance(reference, str) and any(re.fullmatch(p, reference.strip())
                                                      for p in spec.get("not_roles", ())):
                    continue
                try:
                    why = unseen(reference, resource)
                except LookupError:
                    yield Unknown(where, resource.urn)
                    continue
                if why is not None:
                    yield Violation(f"{resource.name} {spec['what']} as {why} ({where}), which this stack does not "
                                    "define: cannot check what that identity may do, and AWS runs this code with its "
                                    "credentials at deploy time or on a schedule; define the role in this stack (its "
                                    "policies are then judged) or waive this resource", resource.urn)


def _universal_target(resource: Resource, identities: _Identities):
    """An EventBridge Scheduler universal target: one API call, made as the schedule's role."""
    target = resource.props.get("target")
    arn = target.get("arn") if isinstance(target, dict) else None
    if is_unknown(target) or is_unknown(arn):
        # an ARN known only at deployment may be a universal target: judged by its role, as one would be
        yield from _runner(resource, {"role": ["target.roleArn"], "what": "calls its target"}, identities)
        return
    data = _runners_data()
    match = re.match(data["universal_target"], arn.strip()) if isinstance(arn, str) else None
    if match is None:
        return  # a templated target (Lambda, SQS, ...) runs with its own identity, judged where it is defined
    service, action = match["service"], match["action"]
    if service == "ssm" and action.lower() in ("sendcommand", "startautomationexecution"):
        yield Violation(f"{resource.name} calls ssm:{action} through a Scheduler universal target: commands run as "
                        "root with each targeted instance's role on every tick, and the gate cannot judge them",
                        resource.urn)
        return
    if service in data["identity_services"] and not action.lower().startswith(tuple(data["read_action_prefixes"])):
        yield Violation(f"{resource.name} calls {service}:{action} through a Scheduler universal target: a write to "
                        "an identity service (users, keys, roles, accounts) made by AWS on a schedule, outside any "
                        "reviewed identity: escalation whatever the role", resource.urn)
        return
    yield from _runner(resource, {"role": ["target.roleArn"], "what": f"calls {service}:{action}"}, identities)


STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"


def _task_states(states: Any, where: str):
    """(where, state) of every state of an Amazon States Language `States` map, into Parallel branches and Map
    processors (Iterator, ItemProcessor)."""
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        here = f"{where}.States.{str(name).replace('.', '_')}"
        yield here, state
        for index, branch in enumerate(state.get("Branches") or ()):
            if isinstance(branch, dict):
                yield from _task_states(branch.get("States"), f"{here}.Branches[{index}]")
        for key in ("Iterator", "ItemProcessor"):
            if isinstance(state.get(key), dict):
                yield from _task_states(state[key].get("States"), f"{here}.{key}")


def _task_references(resource: Resource):
    """(path, value, task entry) of every object a state machine's task states name (state_machine_tasks), or an
    Unknown / Violation when the definition cannot be read."""
    definition = resource.props.get("definition")
    if definition is None or is_unknown(definition):
        if is_unknown(definition):
            yield Unknown("definition", resource.urn)
        return
    document = _step_into(definition)
    if isinstance(document, _Unreadable) or not isinstance(document, dict):
        yield Violation(f"{resource.name}: definition is not the Amazon States Language JSON Step Functions takes: "
                        "cannot tell which functions, tasks or jobs it runs", resource.urn, category="unparseable")
        return
    tasks = _runners_data()["state_machine_tasks"]
    for where, state in _task_states(document.get("States"), "definition"):
        target = state.get("Resource")
        if state.get("Type") != "Task" or not isinstance(target, str):
            continue
        task = next((t for t in tasks if re.match(t["resource"], target.strip(), re.IGNORECASE)), None)
        if task is None:
            continue
        if "parameter" not in task:
            yield f"{where}.Resource", target, task
            continue
        for block in ("Parameters", "Arguments"):
            value = state.get(block, {}).get(task["parameter"]) if isinstance(state.get(block), dict) else None
            if value is None or (isinstance(value, str) and value.strip().startswith("{%")):
                continue  # absent, or JSONata chosen at run time (bounded by the role)
            yield f"{where}.{block}.{task['parameter']}", value, task


def _renamed(by_input, name: str, key: str):
    """The propertyDependencies of input `name` as those of `key` (None when the engine sent none for it)."""
    return {key: by_input[name]} if by_input is not None and name in by_input else None


def _state_machine_tasks(resource: Resource, resources: list[Resource], own: OwnAccounts):
    """Issue 11: the objects a state machine's task states run (a function, task definition, project, job, another
    state machine), judged as inherited identities (analysis/aws_code_runners.yaml state_machine_tasks)."""
    for found in _task_references(resource):
        if not isinstance(found, tuple):
            yield found
            continue
        path, value, task = found
        key = path.replace(".", "/")  # one input, not a dotted walk
        holder = Resource(resource.type, resource.name, resource.urn, {key: value}, dependencies=resource.dependencies,
                          property_dependencies=_renamed(resource.property_dependencies, "definition", key))
        for outcome in inherited_identity.judge(holder, [{**task, "paths": [key]}], resources,
                                                _runners_data()["inherits"], outputs=inherited_identity.AWS_OUTPUTS,
                                                own=own):
            if isinstance(outcome, Violation):
                yield Violation(outcome.message.replace(key, path), outcome.urn, outcome.category)
            else:
                yield Unknown(path, outcome.urn)


def _run_by_state_machines(resources: list[Resource], starters: list[Resource]) -> set[str]:
    """URNs of the stack runners a started state machine's task states run (by name, ARN or Output), so that their
    own identity is judged like that of a runner any other starter runs."""
    started: set[str] = set()
    seen: set[str] = set()
    frontier = [r for r in resources if r.type == STATE_MACHINE and _started(r, starters)]
    while frontier:
        machine = frontier.pop()
        if machine.urn in seen:
            continue
        seen.add(machine.urn)
        for found in _task_references(machine):
            if not isinstance(found, tuple):
                continue
            _, value, task = found
            candidates = [r for r in resources if r.type in task["kinds"]]
            if isinstance(value, str) and not is_unknown(value):
                objects = inherited_identity.resolve(machine, value, candidates, ordered=False)
            else:
                objects = output_sources(machine, candidates, inherited_identity.AWS_OUTPUTS, input="definition") or []
            for obj in objects:
                started.add(obj.urn)
                if obj.type == STATE_MACHINE:
                    frontier.append(obj)
    return started


ALIAS = "aws:lambda/alias:Alias"


def _run_by_aliases(resources: list[Resource], starters: list[Resource]) -> set[str]:
    """URNs of the stack functions a started Lambda alias runs (an event source mapping, schedule or permission
    naming `fn:live` or depending on the alias starts the function behind it)."""
    started: set[str] = set()
    functions = [r for r in resources if r.type == FUNCTION]
    for alias in (r for r in resources if r.type == ALIAS and _started(r, starters)):
        target = alias.props.get("functionName")
        if isinstance(target, str) and not is_unknown(target):
            found = inherited_identity.resolve(alias, target, functions, ordered=False)
        else:
            found = output_sources(alias, functions, inherited_identity.AWS_OUTPUTS, input="functionName") or []
        started |= {function.urn for function in found}
    return started


def check(resources, config):
    functions = [r for r in resources if r.type == FUNCTION]
    data = _runners_data()
    identities = _Identities(resources, OwnAccounts.from_config(config))
    starters = [r for r in resources if r.type in data["starters"]
                or any(not entry.get("carrier") for entry in data["inherits"].get(r.type, ()))]
    by_machines = _run_by_state_machines(resources, starters) | _run_by_aliases(resources, starters)
    for resource in resources:
        if resource.type == ASSOCIATION:
            yield from _association(resource)
        elif resource.type == INVOCATION:
            yield from _invocation(resource, functions)
        elif resource.type == EVENT_TARGET:
            yield from _event_target(resource)
        elif resource.type == LAUNCH_CONSTRAINT:
            yield from _launch_constraint(resource, identities)
        elif resource.type == MAINTENANCE_TASK:
            yield from _maintenance_task(resource)
        if resource.type == SCHEDULE:
            yield from _universal_target(resource, identities)
        inherits = data["inherits"].get(resource.type)
        if inherits and not any(entry.get("carrier") for entry in inherits):
            yield from inherited_identity.judge(resource, inherits, resources, data["inherits"],
                                                outputs=inherited_identity.AWS_OUTPUTS, own=identities.own)
        spec = data["runners"].get(resource.type)
        if spec is not None and (spec["runs"] == "deploy" or resource.urn in by_machines
                                 or _started(resource, starters)):
            if (yield from _applies(resource, spec)):
                yield from _runner(resource, spec, identities)
                if resource.type == STATE_MACHINE:
                    yield from _state_machine_tasks(resource, resources, identities.own)


RULE = Rule(
    id="AGID-AWS-057",
    title="aws-no-deploy-time-exec",
    severity="critical",
    category="escalation",
    description="No SSM association runs caller code on instances, no deploy-time Lambda invocation calls a "
                "function the stack does not define, no instance, task, function, build, state machine or job the "
                "stack runs does so as a role the stack does not define or as the identity of an existing launch template, "
                "task definition, function or other object it names, and no Scheduler universal target writes to "
                "IAM, STS or Organizations.",
    remediation="Run commands through a reviewed pipeline or a document that takes no caller code; invoke only "
                "functions this stack defines; run code only as roles and instance profiles this stack defines "
                "(their policies are judged), from launch templates, task definitions and functions it defines; waive a reviewed association or runner by URN.",
    url="https://docs.aws.amazon.com/systems-manager/latest/userguide/state-manager-associations.html",
    check=check,
    stack=True,
    config=OWN_ACCOUNTS_CONFIG,
    config_schema=OWN_ACCOUNTS_SCHEMA,
    config_strictness=OWN_ACCOUNTS_STRICTNESS,
    reads=tuple(dict.fromkeys((ASSOCIATION, INVOCATION, FUNCTION, SCHEDULE, ROLE, INSTANCE_PROFILE, EVENT_TARGET,
                               LAUNCH_CONSTRAINT,
                               *_runners_data()["runners"], *_runners_data()["starters"],
                               *_runners_data()["inherits"],
                               *(kind for entries in _runners_data()["inherits"].values() for entry in entries
                                 for kind in entry["kinds"])))),
)
