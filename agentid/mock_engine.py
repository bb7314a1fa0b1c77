"""Run a Pulumi program or component under Pulumi's mock runtime and record what it registers.

This is Pulumi's own unit-test runtime (`pulumi.runtime.set_mocks`): no CLI, no
provider plugins, no cloud. Every resource the program registers is recorded
with its type token, name, inputs (camelCased, as the engine sees them),
parent and URN, and every stack output is resolved. Tests assert on the
record; `agentid preview` sends it through the policy packs.

Mock outputs are the inputs plus the few computed attributes our components
read (ARNs, principal and client ids), derived deterministically from names.
"""

from __future__ import annotations

import contextlib
import gc
import os
import runpy
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

# The mock provider's constants and answers live in their own module (the gate's program child loads it by path).
from agentid.mock_provider import (MOCK_ACCOUNT, MOCK_GCP_PROJECT_NUMBER, MOCK_REGION,  # noqa: F401
                                   MOCK_SUBSCRIPTION, MOCK_TENANT, UNKNOWN, mock_outputs, name_uuid)


@dataclass
class RegisteredResource:
    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    parent: str | None  # parent URN; None for children of the stack
    custom: bool
    id: str | None
    outputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)  # URNs it waits for: explicit depends_on and input dependencies
    source_position: tuple[str, int] | None = None  # (file URI, line) of the code that declared it, as the SDK reports
    provider: str | None = None  # the provider reference ("URN::ID") a custom resource is managed by; None: the default
    aliases: list[str] = field(default_factory=list)  # each alias as its URN, or as the old name an alias spec gives
    protect: bool = False


@dataclass
class ProgramRun:
    project: str
    stack: str
    resources: list[RegisteredResource]
    outputs: dict[str, Any]
    calls: list[tuple[str, str | None]] = field(default_factory=list)  # (invoke token, provider reference) in order

    def of_type(self, type_token: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str, type_token: str | None = None) -> RegisteredResource:
        found = [r for r in self.resources if r.name == name and (type_token is None or r.type == type_token)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name!r}" + (f" of type {type_token}" if type_token else ""))
        return found[0]

    def children_of(self, parent: RegisteredResource) -> list[RegisteredResource]:
        return [r for r in self.resources if r.parent == parent.urn]


def mock_call(token: str, args: dict[str, Any]) -> dict[str, Any]:
    """What a mock provider answers an invoke (data source) with: the caller's account, region and tenant; the
    policy JSON of aws:iam/getPolicyDocument (agentid.aws_policy_document), as the provider computes it locally."""
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {"accountId": MOCK_ACCOUNT, "arn": f"arn:aws:iam::{MOCK_ACCOUNT}:user/mock", "userId": "MOCK"}
    if token == "aws:index/getRegion:getRegion":
        return {"name": MOCK_REGION, "region": MOCK_REGION, "id": MOCK_REGION}
    if token == "aws:iam/getSessionContext:getSessionContext":  # the caller is a user in the mocks: its own ARN
        return {"arn": args.get("arn"), "issuerArn": args.get("arn"), "issuerId": "MOCK", "issuerName": "mock"}
    if token == "aws:index/getPartition:getPartition":
        return {"partition": "aws", "dnsSuffix": "amazonaws.com"}
    if token == "azure-native:authorization:getClientConfig":
        return {"clientId": name_uuid("deployer"), "objectId": name_uuid("deployer-object"),
                "subscriptionId": MOCK_SUBSCRIPTION, "tenantId": MOCK_TENANT}
    if token == "aws:iam/getPolicy:getPolicy":
        return _aws_managed_policy(args)
    if token == "gcp:serviceaccount/getAccount:getAccount":
        return _gcp_service_account(args)
    if token == "aws:iam/getPolicyDocument:getPolicyDocument":  # rendered in the provider, no AWS call: known
        from agentid.aws_policy_document import render  # imports this module's UNKNOWN
        return render(_sentinel_unknowns(args)) or {}  # {} = unknown outputs, as when it cannot be rendered
    return {}


def _aws_managed_policy(args: dict[str, Any]) -> dict[str, Any]:
    """aws.iam.get_policy(arn=... | name=...) of an AWS managed policy: its ARN and document are public facts (the
    pack's snapshot), so the lookup is known and the attachment judged by its document; AdministratorAccess
    attached by lookup was "cannot check until known" and passed without --strict-unknowns. Anything else
    (a customer-managed policy, a name the snapshot lacks) stays unknown, as at a preview without the account."""
    import json

    from agentid_policy_packs.analysis.managed_policies import managed_policy_arns, managed_policy_document

    arn, name = args.get("arn"), args.get("name")
    if not isinstance(arn, str) and isinstance(name, str) and name:
        matches = [a for a in managed_policy_arns() if a.rsplit("/", 1)[1].lower() == name.lower()]
        prefix = args.get("pathPrefix")
        if isinstance(prefix, str) and prefix:
            matches = [a for a in matches if ("/" + a.split(":policy/", 1)[1]).startswith(prefix)]
        arn = matches[0] if len(matches) == 1 else None
    document = managed_policy_document(arn) if isinstance(arn, str) else None
    if document is None:
        return {}
    canonical = arn.strip()  # the partition the program asked for
    path_and_name = canonical.split(":policy/", 1)[1]
    path = "/" + path_and_name.rsplit("/", 1)[0] + "/" if "/" in path_and_name else "/"
    return {"arn": canonical, "id": canonical, "name": path_and_name.rsplit("/", 1)[-1], "path": path,
            "policy": json.dumps(document), "description": "", "policyId": "", "attachmentCount": 0, "tags": {}}


def _gcp_service_account(args: dict[str, Any]) -> dict[str, Any]:
    """gcp.serviceaccount.get_account(account_id=...) of an existing account, as the provider answers it at preview:
    its e-mail, `name` and member. `accountId` is an account id (in `project`, else the provider's), an e-mail or
    `projects/P/serviceAccounts/EMAIL` (pulumi-gcp getAccount docs). Answering nothing left `email` None, so a
    workflow naming the looked-up account looked like one naming no account and passed (AGID-GCP-019); a numeric
    unique id cannot be turned into an e-mail without the account: its e-mail is unknown."""
    reference = args.get("accountId")
    if not isinstance(reference, str) or not reference.strip():
        return {}
    project = args.get("project") or "mock-project"
    path_project, _, email = reference.strip().rpartition("/serviceAccounts/")
    if path_project.startswith("projects/") and path_project != "projects/-":
        project = path_project.removeprefix("projects/")
    if email.isdigit():
        return {"uniqueId": email, "email": UNKNOWN, "name": UNKNOWN, "member": UNKNOWN}
    if "@" not in email:
        email = f"{email}@{project}.iam.gserviceaccount.com"
    return {"accountId": email.partition("@")[0], "email": email, "name": f"projects/{project}/serviceAccounts/{email}",
            "member": f"serviceAccount:{email}", "uniqueId": str(int(name_uuid("sa", email).replace("-", "")[:15], 16)),
            "displayName": "", "disabled": False}


def _sentinel_unknowns(value: Any) -> Any:
    """The SDK's Unknown objects as the engine's sentinel string, as the gate's monitor records them (JSON-able)."""
    if isinstance(value, dict):
        return {key: _sentinel_unknowns(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_sentinel_unknowns(item) for item in value]
    if type(value).__name__ == "Unknown" and type(value).__module__.startswith("pulumi"):
        return UNKNOWN
    return value


class _RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.local = threading.local()
        self.calls: list[tuple[str, str | None]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        inputs = _sentinel_unknowns(args.inputs)
        resource_id, state = mock_outputs(args.typ, args.name, inputs)
        self.local.last = (inputs, resource_id, state)
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        self.calls.append((args.token, args.provider or None))
        return mock_call(args.token, args.args), []  # the failures must be a list: MockMonitor.Invoke iterates it


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, keeping every registration with its parent."""

    def __init__(self, mocks: _RecordingMocks, on_register: Callable[[RegisteredResource], None] | None = None):
        super().__init__(mocks)
        self.recording_mocks = mocks
        self.registered: list[RegisteredResource] = []
        self.lock = threading.Lock()
        self.on_register = on_register

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs, resource_id, state = self.recording_mocks.local.last
        record = RegisteredResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            inputs=inputs,
            parent=None if _is_stack_urn(request.parent) else request.parent,
            custom=bool(request.custom),
            id=resource_id if request.custom else None,
            outputs=state,
            dependencies=list(request.dependencies),
            source_position=(request.sourcePosition.uri, request.sourcePosition.line)
            if request.sourcePosition.uri else None,
            provider=request.provider or None,
            aliases=[alias.urn or alias.spec.name for alias in request.aliases if alias.urn or alias.spec.name],
            protect=bool(request.protect),
        )
        with self.lock:
            self.registered.append(record)
            if self.on_register is not None:
                self.on_register(record)
        return response


def _is_stack_urn(urn: str) -> bool:
    return not urn or urn.split("::")[2:3] == ["pulumi:pulumi:Stack"]


def run_program(
    program: Callable[[], Any],
    *,
    project: str = "agent-identity-kit",
    stack: str = "dev",
    config: dict[str, str] | None = None,
    on_register: Callable[[RegisteredResource], None] | None = None,
    front: Callable[[Any], Any] | None = None,
) -> ProgramRun:
    """Run `program` (a function that declares resources) under mocks; raise what it raises.

    `on_register` is called with each resource as it registers (one call at a time), so a
    caller can start judging resources while the program still runs. `front`, given the recording
    monitor, returns the monitor the SDK talks to (bench/bench_azure_components.py puts the gate's
    program-child monitor, `sdk_speedups.BatchingMonitor`, in front of it; registrations it answers
    itself are then not recorded here).
    """
    mocks = _RecordingMocks()
    recording = _RecordingMonitor(mocks, on_register)
    monitor = front(recording) if front is not None else recording
    pulumi_settings.reset_options()
    pulumi_settings.ROOT.set(None)
    _set_config(project, config or {})
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
    root = pulumi_settings.get_root_resource()

    async def resolve_outputs() -> dict[str, Any]:
        outputs = getattr(root, "outputs", {}) or {}
        return {key: await _resolved(value) for key, value in outputs.items()}

    with few_collections():
        _sync_await(run_pulumi_func(program))
        outputs = _sync_await(resolve_outputs())
        _sync_await(run_pulumi_func(lambda: None))  # settle anything the outputs started
    return ProgramRun(project, stack, list(recording.registered), outputs, list(mocks.calls))


# Objects a run may allocate between two young-generation collections (CPython's default: 700).
PROGRAM_GC_THRESHOLD = 50_000


@contextlib.contextmanager
def few_collections():
    """Run with the cyclic garbage collector tuned for a program run: ~40% less CPU, same memory.

    A run allocates hundreds of thousands of long-lived objects (an Output, a future and a task
    per resource property) that all survive; CPython's default thresholds re-scan them, and every
    imported SDK module (pulumi_azure_native alone is large), over and over as the heap grows.
    Freezing what exists before the run (imports, the test process) keeps collections off it, and a
    higher young-generation threshold makes them rare. Collection stays on; both are undone after.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(PROGRAM_GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


@contextlib.contextmanager
def no_collections():
    """Run with the cyclic garbage collector off, for a process that keeps what it allocates until the end.

    The gate keeps every registration and every pack answer until the verdict and makes no cycles
    worth collecting meanwhile (issue 17: at 1,000 agents the gate's peak was 245 MB with the collector
    off, 249 MB with `few_collections`, which still spent 13 collections, 2.2 s, re-scanning them).
    Freezing what exists keeps collections off the imports; both are undone after. What the run
    allocated is frozen too before the collector is back on: re-enabled with everything since in the
    youngest generation, the next allocation started a collection over all of it (0.13-0.17 s of the
    gate's CPU at 200 agents, the one collection the benchmark counted). Unfrozen, it joins the oldest
    generation, which is collected in the normal course.
    """
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # the run's objects leave the young generations (and their counts reset) before enabling
        if enabled:
            gc.enable()
        gc.unfreeze()


async def _resolved(value: Any) -> Any:
    """`await Output.from_input(value).future()`, without lifting every leaf of a plain result into an Output.

    An exported Output of a big dict (the inventory) resolves as is; only plain containers that
    still hold Outputs (rare) go through Pulumi's deep unwrapping.
    """
    if isinstance(value, pulumi.Output):
        value = await value.future()
    if _holds_output(value):
        value = await pulumi.Output.from_input(value).future()
    return value


def _holds_output(value: Any) -> bool:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, dict):
        return any(_holds_output(child) for child in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_output(child) for child in value)
    return False


def run_program_dir(program_dir: str | Path, **kwargs: Any) -> ProgramRun:
    """Run a program directory (its `__main__.py`) the way the Python language host does."""
    program_dir = Path(program_dir).resolve()
    sys.path.insert(0, str(program_dir))
    cwd = os.getcwd()
    try:
        os.chdir(program_dir)
        return run_program(lambda: runpy.run_path(str(program_dir), run_name="__main__"), **kwargs)
    finally:
        os.chdir(cwd)
        sys.path.remove(str(program_dir))


def _set_config(project: str, config: dict[str, str]) -> None:
    """Install stack config the way the language host does (keys `ns:key`, bare keys go to the project)."""
    pulumi.runtime.set_all_config({key if ":" in key else f"{project}:{key}": value for key, value in config.items()})
