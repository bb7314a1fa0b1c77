"""The engine's side of a Pulumi program run, served by the gate itself: `ResourceMonitor` and `Engine` over gRPC.

The Pulumi engine serves these two services and the language host runs the
program against them (pulumi/proto/pulumi/resource.proto, engine.proto). The
gate does the same from its own process: the program, in a child interpreter,
can only *call* them, so the list of what it registered, its stack outputs and
whether it ran to the end (the SDK's `SignalAndWaitForShutdown` after the stack's
outputs) belong to the gate. Nothing the program writes to a file or prints can
add to, remove from or vouch for that list.

Answers are a preview's under mocks: a new resource's outputs are its inputs
plus the computed attributes `agentid.mock_provider.mock_outputs` derives (ids,
ARNs, principal ids), unknown inputs stay unknown; invokes get
`mock_engine.mock_call`'s answers; a `StackReference` read is answered by the
`stack_references` callable (`agentid.preview.references`: the referenced stack's
own preview outputs); without one, or when it cannot answer, the read fails and
so does the run (never an empty stack's outputs).

Inputs are kept as the engine hands them to an analyzer at preview: plain JSON,
secrets unwrapped, a value unknown at preview as Pulumi's unknown sentinel
(agentid_policy_packs.analysis.values), a resource reference as its id (custom) or URN.
Transforms the engine would run through the program's callback server (resource
`transforms`, `register_stack_transform`, invoke transforms) are refused: the gate
would judge inputs the deployment then changes; so are resource and error hooks
(code the engine runs at `pulumi up` with the deployer's credentials). Old-style `transformations` run inside the
SDK before registration and are judged as registered.

Registrations arrive one call each (`RegisterResource`) or, from the gate's own
language host, in batches the program's child answered itself with the same code
(`RegisterResources`, `sdk_speedups.BatchingMonitor`: one round trip per ~128
instead of one each). Both are checked and recorded alike, as the engine would:
a URN the gate computes (a batch's claimed URN must be it), registered once, under
a parent already registered or read. Every URN a request names a resource by (parent,
dependencies, propertyDependencies, provider, deletedWith, ...: `urn_references`) must
be one this monitor issued earlier in the run, else no verdict: the packs trace inputs
to their sources by these URNs, so a made-up one would be made-up provenance.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, resource_pb2, resource_pb2_grpc

from agentid.mock_engine import mock_call
from agentid.mock_provider import is_autonamed, mock_outputs, provider_defaults, provider_reference_urn, read_outputs
from agentid.preview import credential_invokes, kubernetes_manifests, sdk_speedups, sdk_versions, type_tokens
# The encoding and decoding of property values live in their own module (the program's child loads it by path).
from agentid.preview.property_values import (OUTPUT_VALUE_SIG, RESOURCE_REFERENCE_SIG, SECRET_SIG,  # noqa: F401
                                             SIGNATURE_KEY, UNKNOWN, decode, output_state, plain, struct_to_dict,
                                             rewritten, rewritten_value, secret_value, value_json)

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
# The features the gate serves (resource.proto SupportsFeatureRequest ids); `outputValues` is not one:
# the SDK then sends an unknown Output as the plain unknown sentinel, as to an engine at preview.
FEATURES = frozenset({"secrets", "resourceReferences", "aliasSpecs", "deletedWith", "parameterization"})
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # one registration's inputs; larger is refused, not buffered without bound
# Components of pulumi-kubernetes whose children the kubernetes provider renders through an invoke the gate's mocks
# cannot answer (`kubernetes:helm:template`, `kubernetes:kustomize:directory`: the helm binary or kustomize behind
# them): under the gate they register no child, so a PASS would cover resources
# nobody saw. Token -> what renders the children.
# yaml.ConfigFile / ConfigGroup (v1) are not here: their SDK reads the files itself and asks the provider only to
# split the YAML into objects (`kubernetes:yaml:decode`), which the gate answers (kubernetes_manifests.decode), so
# their children register as typed resources and are judged.
UNRENDERED_COMPONENTS = {
    "kubernetes:helm.sh/v3:Chart": "helm template (the helm binary, run by the kubernetes provider)",
    "kubernetes:helm.sh/v2:Chart": "helm template (the helm binary, run by the kubernetes provider)",
    "kubernetes:kustomize:Directory": "kustomize (run by the kubernetes provider)",
}


@dataclass
class Registration:
    """One resource the program registered, as the engine recorded it."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    parent: str | None  # None for the stack's direct children
    custom: bool
    id: str | None
    dependencies: list[str] = field(default_factory=list)
    source_file: str | None = None  # the SDK's source position (a file:// URI's path)
    source_line: int = 0
    shown_inputs: dict[str, Any] | None = None  # the inputs with secrets as "[secret]"; None: no secret in them
    wire_inputs: bytes | None = None  # the inputs' Struct as sent, when it is already what an analyzer sees (`wire`)
    provider: str | None = None  # URN of the explicit provider (`ResourceOptions(provider=...)`); None: the default
    # input name -> URNs whose Outputs flowed into it, as the SDK sent them (the engine forwards them to analyzers:
    # a `depends_on` is in `dependencies` only, so packs tell an input's source from a bare dependency, issue 11)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # `ResourceOptions(import_=ID)`: at `pulumi up` the engine adopts the existing object ID instead of creating one
    # (AGID-GATE-003); None: not imported
    import_id: str | None = None
    # `ResourceOptions(ignore_changes=[...])`: inputs whose declared value the engine does not apply to an existing
    # (or adopted) object; the engine sends them to analyzers in AnalyzerResourceOptions (AGID-GEN-011)
    ignore_changes: list[str] = field(default_factory=list)
    # `ResourceOptions(aliases=[...])` naming another stack's, project's or type's resource: at `pulumi up` the engine
    # takes that state over as this resource's (AGID-GATE-003); each as the alias's URN or spec
    adopted_aliases: list[str] = field(default_factory=list)


# The request fields the gate has reviewed (pulumi/proto/pulumi/resource.proto), per request type: each is judged
# (inputs, links, provider, import, ignoreChanges), refused below or elsewhere (hooks, transforms, remote, plugin
# downloads, environment mappings, state migrations), or changes nothing a rule judges (protection, timeouts, secret
# marking, replacement behaviour, source positions). A field a newer SDK sets that is not here stops the run until it
# is reviewed: red18 r18-1 and r18-5 were fields nobody read (`envVarMappings` swapped the provider's credentials,
# CA bundle and proxy from the deploy job's environment; `pluginDownloadURL` made `pulumi up` download and run a
# provider binary from the pull request's URL).
_COMMON_FIELDS = frozenset({"type", "name", "parent", "provider", "version", "acceptSecrets", "acceptResources",
                            "additionalSecretOutputs", "sourcePosition", "stackTrace", "parentStackTraceHandle",
                            "packageRef", "accepts_byte_string", "dependencies"})
REVIEWED_FIELDS = {
    "RegisterResourceRequest": _COMMON_FIELDS | {
        "custom", "object", "protect", "propertyDependencies", "deleteBeforeReplace", "deleteBeforeReplaceDefined",
        "ignoreChanges", "aliasURNs", "aliases", "aliasSpecs", "importId", "customTimeouts", "supportsPartialValues",
        "remote", "providers", "replaceOnChanges", "retainOnDelete", "deletedWith", "replace_with",
        "replacement_trigger", "transforms", "supportsResultReporting", "hooks", "hideDiffs", "snippetId"},
    "ReadResourceRequest": _COMMON_FIELDS | {"id", "properties"},
    "ResourceInvokeRequest": _COMMON_FIELDS | {"tok", "args", "dependsOn", "accept_output_values"},
    "ResourceCallRequest": _COMMON_FIELDS | {"tok", "args", "argDependencies", "accept_output_values"},
}
REVIEWED_FIELDS["RegisterResourceOutputsRequest"] = frozenset({"urn", "outputs"})
OPTIONS_DOCS = "https://www.pulumi.com/docs/iac/concepts/options/"
# Why each reviewed field is safe to accept: what the gate does with it, or why it cannot change what `pulumi up`
# deploys beyond what the packs judge (resource options: OPTIONS_DOCS; the fields: pulumi/proto/pulumi/resource.proto).
# test_a_request_field_the_gate_has_not_reviewed_fails_closed requires one for every reviewed field.
FIELD_REASONS = {
    "type": "judged: the type token is checked against the installed SDKs (type_tokens) and sent to the packs",
    "name": "judged: part of the URN the gate computes and the packs see",
    "parent": "judged: must name the stack or a resource already registered or read (else refused); part of the URN; a parent's "
              "provider is inherited by the SDK before the request is sent",
    "custom": "judged: custom resources are sent to the packs as provider resources, components as components",
    "object": "judged: the inputs the packs judge", "properties": "judged: a read's inputs (ReadResource), mocked",
    "id": "judged: the object a read names (AGID-GATE-001 for secret-holding types, read outputs placed by it)",
    "args": "judged: an invoke's or call's arguments (AGID-GATE-001, credential_invokes)",
    "tok": "judged: an invoke's or call's token (AGID-GATE-001; an unknown package has no SDK)",
    "provider": "judged: an explicit provider reference (URN::ID) is sent with the resource, its inputs are the "
                "defaults the mocks and AGID-PRV-* read",
    "providers": "a component's provider map: the SDK resolves each child's provider from it before the child's "
                 "request, which carries its own `provider` (judged); a remote component is refused",
    "version": "judged: a release other than the SDK installed in the program's environment is refused "
               "(sdk_versions, red19 r19-10)",
    "packageRef": "judged where registered: RegisterPackage refuses download URLs, parameterization and checksums",
    "dependencies": "judged: sent to the packs as the resource's dependencies (depends_on); each URN must be one "
                    "the gate issued in this run (else refused, red23 r20-3)",
    "propertyDependencies": "judged: sent to the packs (which Outputs flowed into which input); each URN must be one "
                            "the gate issued in this run (else refused, red23 r20-3)",
    "dependsOn": "an invoke's dependencies: ordering only, no input", "argDependencies": "a call's argument "
                 "dependencies: ordering only, no input",
    "importId": "judged: AGID-GATE-003 (adopting an existing object)",
    "ignoreChanges": "judged: AGID-GEN-011 (declared values the engine does not apply)",
    "aliases": "judged: an alias naming another stack, project or type is AGID-GATE-003 (adopting that state)",
    "aliasURNs": "judged: as aliases (the SDK's older form)", "aliasSpecs": "a flag: the SDK sends aliases as specs",
    "remote": "judged: a remote (multi-language) component is refused", "transforms": "judged: refused when set",
    "hooks": "judged: refused when any hook is bound",
    "protect": "blocks deletion by the engine: deploys nothing more than the inputs judged",
    "retainOnDelete": "the resource is declared and judged as it is now; its effect comes when a later change deletes "
                      "it: the engine then leaves the object in the cloud. The gate judges programs, not state, so "
                      "that later removal is not judged by any pack (documented limit, docs/preview.md)",
    "deletedWith": "as retainOnDelete: only skips the engine's delete when the named resource is deleted too; the "
                   "resource itself is judged as declared (documented limit, docs/preview.md)",
    "deleteBeforeReplace": "the order of a replacement: the new object is the inputs judged",
    "deleteBeforeReplaceDefined": "whether deleteBeforeReplace was given", "replaceOnChanges": "forces replacement "
                                  "instead of update: the new object is the inputs judged",
    "replace_with": "replaces this resource when the named ones are replaced: the new object is the inputs judged",
    "replacement_trigger": "a value whose change forces replacement: the new object is the inputs judged",
    "customTimeouts": "how long the engine waits on the provider: nothing deployed changes",
    "additionalSecretOutputs": "marks outputs secret in state: nothing deployed changes (the packs see secrets "
                               "unwrapped)",
    "acceptSecrets": "a capability of the SDK (answers may hold secrets)", "acceptResources": "a capability of the "
                     "SDK (answers may hold resource references)",
    "accepts_byte_string": "a capability of the SDK (binary values)", "accept_output_values": "a capability of the "
                           "SDK (answers as output values)",
    "supportsPartialValues": "a capability of the SDK (partially known outputs)", "supportsResultReporting": "a "
                             "capability of the SDK (result reporting)",
    "sourcePosition": "where the program declared it: shown in findings only", "stackTrace": "diagnostics only",
    "parentStackTraceHandle": "diagnostics only", "snippetId": "diagnostics only (the CLI's source snippets)",
    "hideDiffs": "what `pulumi preview` prints of a diff: nothing deployed changes",
    "urn": "judged: outputs only for the stack or a registered component (a custom resource is refused, r19-4)",
    "outputs": "judged: the stack's outputs (AGID-GEN-004 ...) and a component's own outputs",
}
# Fields the gate refuses when set, and why: what they make `pulumi up` run is no input any rule can judge
REFUSED_FIELDS = {
    "pluginDownloadURL": "names a plugin download URL: `pulumi up` would download a provider binary from it and run "
                         "it with the deployer's credentials",
    "pluginChecksums": "pins plugin checksums: a plugin the deployment downloads, which the gate cannot judge",
    "envVarMappings": "maps environment variables into its provider (env_var_mappings): the provider would take its "
                      "credentials, endpoints, CA bundle or proxy from variables of the deploy job that no input shows",
    "state_migrations": "declares state migrations: code the engine calls back at `pulumi up`",
}


def urn_references(request) -> list[tuple[str, str]]:
    """Every (field, URN) a RegisterResource / ReadResource / Invoke / Call request names a resource by: parent,
    dependencies, propertyDependencies, provider / providers (a reference's "URN::ID"), deletedWith, replace_with,
    an invoke's dependsOn, a call's argDependencies. Aliases are not here: they name state of an earlier URN, which
    need not be registered (judged in `_foreign_aliases`)."""
    fields = {field.name for field in request.DESCRIPTOR.fields}
    found: list[tuple[str, str]] = []

    def add(name: str, urns: Any) -> None:
        found.extend((name, urn) for urn in urns if urn)

    if "parent" in fields:
        add("parent", [request.parent])
    for name in ("dependencies", "dependsOn", "replace_with"):
        if name in fields:
            add(name, list(getattr(request, name)))
    for name in ("propertyDependencies", "argDependencies"):
        if name in fields:
            for key, value in sorted(getattr(request, name).items()):
                add(f"{name}[{key!r}]", list(value.urns))
    if "deletedWith" in fields:
        add("deletedWith", [request.deletedWith])
    if "provider" in fields:
        add("provider", [provider_reference_urn(request.provider)])
    if "providers" in fields:
        for package, reference in sorted(request.providers.items()):
            add(f"providers[{package!r}]", [provider_reference_urn(reference)])
    return found


def unreviewed_fields(request) -> list[str]:
    """Why `request` (a RegisterResource / ReadResource / Invoke / Call request) cannot be judged: each field it sets
    that the gate refuses, or has not reviewed (fail closed on a newer SDK's field); [] when none."""
    kind = type(request).__name__
    reviewed = REVIEWED_FIELDS.get(kind, frozenset())
    problems = []
    for field, _ in request.ListFields():
        if field.name in REFUSED_FIELDS:
            problems.append(f"sets {field.name}: it {REFUSED_FIELDS[field.name]}")
        elif field.name not in reviewed:
            problems.append(f"sets {field.name}, a {kind} field this gate has not reviewed (what it changes at "
                            "`pulumi up` cannot be judged)")
    return problems


class ProgramRefused(Exception):
    """The program asked for something the gate will not do (a transform it cannot judge)."""


class GateMonitor(resource_pb2_grpc.ResourceMonitorServicer, engine_pb2_grpc.EngineServicer):
    """The ResourceMonitor and Engine services for one program run."""

    def __init__(self, project: str, stack: str, *,
                 on_register: Callable[[Registration], None] | None = None,
                 stack_references: Callable[[str], Any] | None = None, forward_wire: bool = True,
                 root: str | None = None, config: dict[str, Any] | None = None,
                 autoname_key: bytes | None = None, sdk_versions: Mapping[str, str] | None = None) -> None:
        """`config`: the stack config (keys `package:key`): a default provider's inputs (`mock_provider.provider_defaults`).
        `stack_references(name)` returns a `references.ReferencedStack` or raises `references.UnresolvedReference`.
        `forward_wire`: keep each registration's inputs as sent (`Registration.wire_inputs`) for the packs.
        `root`: the project's directory; refusals name the program's files relative to it.
        `autoname_key`: the key the mocks draw autonames with (mock_provider.autoname; the gate's per-run secret,
        which only this process and the packs hold); None: the deterministic scheme.
        `sdk_versions`: package -> the version its SDK installed in the program's environment sends
        (`sdk_versions.installed`): a request asking for another provider release is refused; None: not checked."""
        self.project, self.stack = project, stack
        self.sdk_versions = dict(sdk_versions) if sdk_versions is not None else None
        self.root = root
        # the providers' type tokens are read while the program starts, not on its first registration
        threading.Thread(target=type_tokens.installed, name="gate-type-tokens", daemon=True).start()
        self.forward_wire = forward_wire
        self._autoname_key = autoname_key
        self.on_register = on_register
        self.stack_references = stack_references
        self.registered: list[Registration] = []
        self.outputs: dict[str, Any] = {}
        self.output_values: dict[str, Any] = {}  # the outputs with secrets' values, for stacks that reference this one
        self.secret_output_names: tuple[str, ...] = ()
        # The outputs as the program sent them (secrets still wrapped): what the engine gives AnalyzeStack as the
        # stack resource's properties, and a component's registered outputs as its own (`register_outputs`)
        self.stack_outputs_wire: bytes = b""
        self.component_outputs: dict[str, bytes] = {}
        self.stack_urn: str | None = None
        self.stack_outputs_registered = False
        self.shutdown_signalled = False
        self.errors: list[str] = []  # error diagnostics the program logged, and what the gate refused
        self.refusals: list[str] = []  # what the gate refused: the run's cause, whatever the program then raised
        self.warnings: list[str] = []
        self.invokes: list[str] = []  # every invoke's token, in call order: some mint credentials (credential_invokes)
        # every ReadResource (Resource.get) as (type, name, URN): a read of a secret-holding type is AGID-GATE-001
        self.reads: list[tuple[str, str, str]] = []
        self._qualified: dict[str, str] = {}  # URN -> qualified type, for children's URNs
        self._registered_urns: set[str] = set()
        self._custom_urns: set[str] = set()  # custom resources and providers: their state is the provider's
        self._read_urns: set[str] = set()  # ReadResource's: a read resource may parent others
        self.config = dict(config or {})
        self._provider_inputs: dict[str, dict[str, Any]] = {}  # explicit provider URN -> its inputs
        self._lock = threading.Lock()
        self._closed = False

    # --- ResourceMonitor ---

    def SupportsFeature(self, request, context):  # noqa: N802 - gRPC method names
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id in FEATURES)

    def GetDeploymentInfo(self, request, context):  # noqa: N802
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "the SDK then probes SupportsFeature")

    def RegisterResource(self, request, context):  # noqa: N802
        urn, state = self._register(request, context)
        if state is None:  # the stack
            return resource_pb2.RegisterResourceResponse(urn=urn)
        resource_id, outputs = state
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id if request.custom else "",
                                                     object=output_state(request.object, outputs[0], outputs[1]))

    def RegisterResources(self, batch: bytes, context) -> bytes:  # noqa: N802
        """Registrations the program's child answered itself (`sdk_speedups.BatchingMonitor`), in their order.

        Each is checked and recorded exactly as `RegisterResource` records it; the child's answer is only
        a claim: its URN must be the one the gate computes, so a parent it names is one the gate recorded.
        A refusal aborts the batch (the run then fails, as on the plain path)."""
        try:
            entries = sdk_speedups.read_batch(batch)
        except ValueError as error:
            self._refuse(context, f"the program sent an unreadable batch of registrations ({error})")
        for kind, claimed_urn, message in entries:
            if kind == sdk_speedups.OUTPUTS:
                self.RegisterResourceOutputs(resource_pb2.RegisterResourceOutputsRequest.FromString(message), context)
                continue
            request = resource_pb2.RegisterResourceRequest.FromString(message)
            if request.type == STACK_TYPE and not request.parent:
                self._refuse(context, "the program registered its stack inside a batch (the stack registers first)")
            if self._autoname_key is not None and is_autonamed(request.type, request.name, decode(request.object)):
                # its name is drawn with the gate's key, which the child does not hold (BatchingMonitor sends it
                # alone): an answer the child gave itself would not be the name the packs judge against
                self._refuse(context, f"resource {request.name}: an autonamed {request.type} answered inside a batch "
                                      "(the gate names it)")
            self._register(request, context, claimed_urn)
        return b""

    def _register(self, request, context, claimed_urn: str | None = None) -> tuple[str, tuple | None]:
        """Check and record one registration: its URN and (id, (inputs, mock state)); (URN, None) for the stack.
        `claimed_urn`: the URN the program's child answered with (a batch), refused unless it is the engine's."""
        urn = self._urn(request.parent, request.type, request.name)
        if claimed_urn is not None and urn != claimed_urn:
            self._refuse(context, f"resource {request.name}: the program answered its registration with URN "
                                  f"{claimed_urn!r}, the engine's is {urn!r}")
        self._refuse_unreviewed(request, context, f"{request.type} {request.name!r}")
        if request.type == STACK_TYPE and not request.parent:
            with self._lock:
                self.stack_urn = urn
            return urn, None
        hooks = request.hooks
        bound = [f"{kind.name}: {', '.join(getattr(hooks, kind.name))}" for kind in hooks.DESCRIPTOR.fields
                 if getattr(hooks, kind.name)]
        if bound:
            self._refuse(context, f"{request.type} {request.name!r} binds resource hooks ({'; '.join(bound)}): code "
                                  "the engine runs at `pulumi up` with the deployer's credentials, which the gate "
                                  "cannot judge")
        if len(request.transforms):
            self._refuse(context, f"{request.type} {request.name!r} declares `transforms`: the engine would run them "
                                  "after the gate judged the inputs; use `transformations` (run before registration)")
        if request.type in UNRENDERED_COMPONENTS and not request.custom:
            self._refuse(context, f"{request.type} {request.name!r}: its children are rendered by "
                                  f"{UNRENDERED_COMPONENTS[request.type]}, which the gate does not run, so they cannot "
                                  "be judged; declare the objects as typed resources (e.g. "
                                  "kubernetes.rbac.v1.ClusterRole) or run `pulumi preview --policy-pack`")
        if request.remote:
            # a multi-language component's provider builds its children at `pulumi up`; the gate runs no provider,
            # so they would never be judged: no verdict rather than a PASS on resources nobody saw
            self._refuse(context, f"{request.type} {request.name!r} is a remote (multi-language) component: the gate "
                                  "cannot build its children to judge them; run `pulumi preview --policy-pack`")
        bogus = type_tokens.unknown_token(request.type, bool(request.custom))
        if bogus:
            self._refuse(context, f"{self._where(request.sourcePosition)}resource {request.name}: {bogus}")
        inputs = decode(request.object)
        serialized = request.object.SerializeToString()
        resource_id, state = mock_outputs(request.type, request.name, inputs, self._defaults(request),
                                          self._autoname_key)
        record = Registration(
            urn=urn, type=request.type, name=request.name, inputs=inputs, shown_inputs=shown(request.object, serialized),
            # secrets stay wrapped for the packs, as the engine sends them: a config secret whose marking the
            # program removed (Output.unsecret) is then told from one kept secret (AGID-GEN-004, red14 r14-15)
            wire_inputs=(wire(serialized) if self.forward_wire else None) or _with_secrets(request.object, serialized),
            parent=None if self._is_stack(request.parent) else request.parent, custom=bool(request.custom),
            id=resource_id if request.custom else None, dependencies=list(request.dependencies),
            property_dependencies={key: list(value.urns) for key, value in request.propertyDependencies.items()},
            import_id=request.importId or None if request.custom else None,
            ignore_changes=list(request.ignoreChanges),
            adopted_aliases=self._foreign_aliases(request),
            # the engine's provider reference is "URN::ID"; the packs get the provider resource (its namespace,
            # upsertExistingObjects, ... decide what a Kubernetes object is) as `pulumi up` sends it
            provider=request.provider.rpartition("::")[0] or None if request.custom and request.provider else None,
            **_source(request.sourcePosition),
        )
        with self._lock:
            if self._closed:
                context.abort(grpc.StatusCode.UNAVAILABLE, "the gate has stopped listening")
            if self.shutdown_signalled:
                self._refuse_locked(context, self._after_shutdown(request.sourcePosition, request.type, request.name))
            # As the engine: one resource a URN, and a parent is a resource it already knows.
            if urn in self._registered_urns:
                self._refuse_locked(context, f"{self._where(request.sourcePosition)}duplicate resource URN {urn!r}; "
                                             "give the resource a unique name")
            self._refuse_unissued_locked(request, context, f"resource {request.name} ({request.type})")
            self._registered_urns.add(urn)
            if request.custom:
                self._custom_urns.add(urn)
            if request.type.startswith(PROVIDER_PREFIX):
                self._provider_inputs[urn] = inputs
            self.registered.append(record)
            if self.on_register is not None:
                self.on_register(record)
        return urn, (resource_id, (inputs, state))

    def _foreign_aliases(self, request) -> list[str]:
        """The aliases of `request` that name a resource of another stack, project or type (or that the gate cannot
        read): at `pulumi up` the engine treats the existing state they name as this resource's
        (https://www.pulumi.com/docs/iac/concepts/options/aliases/). A rename or re-parent within the stack, same
        type, keeps the stack's own resource and is not listed."""
        foreign = []
        urns = list(request.aliasURNs) + [alias.urn for alias in request.aliases if alias.WhichOneof("alias") == "urn"]
        for urn in urns:
            parts = urn.split("::", 3)
            if len(parts) != 4 or not parts[0].startswith("urn:pulumi:") or parts[0][len("urn:pulumi:"):] != self.stack \
                    or parts[1] != self.project or parts[2].rsplit("$", 1)[-1] != request.type:
                foreign.append(urn[:300])
        for alias in request.aliases:
            if alias.WhichOneof("alias") != "spec":
                continue
            spec = alias.spec
            parent = spec.parentUrn.split("::", 2) if spec.parentUrn else None  # "": the resource's own parent
            # a type-only alias is what the SDK classes declare for their own renamed tokens (every azure-native
            # class has several): not judged here (docs/preview.md); a type change with anything else is the program's
            own_fields = spec.name or spec.stack or spec.project or spec.parentUrn
            if (spec.stack and spec.stack != self.stack) or (spec.project and spec.project != self.project) \
                    or (spec.type and spec.type != request.type and own_fields) \
                    or (parent is not None and (len(parent) < 3 or parent[0] != f"urn:pulumi:{self.stack}"
                                                or parent[1] != self.project)):
                described = ", ".join(f"{key}={value!r}" for key, value in (
                    ("name", spec.name), ("type", spec.type), ("stack", spec.stack), ("project", spec.project),
                    ("parent", spec.parentUrn)) if value)
                foreign.append(f"alias({described})"[:300])
        return foreign

    def _defaults(self, request) -> dict[str, Any]:
        """The provider inputs the resource falls back on: its explicit provider's, else the stack config's."""
        with self._lock:
            return provider_defaults(request.type, provider_reference_urn(request.provider), self._provider_inputs,
                                     self.config)

    def RegisterResourceOutputs(self, request, context):  # noqa: N802
        problems = unreviewed_fields(request)
        if problems:
            self._refuse(context, f"outputs of {request.urn!r} " + "; ".join(problems))
        with self._lock:
            if request.urn and request.urn == self.stack_urn:
                # As `pulumi stack output --json` prints them: an output holding a secret is "[secret]".
                # Each output read and walked once: the kit's inventory output holds every agent (issue 17).
                outputs = sorted(struct_to_dict(request.outputs).items())
                self.secret_output_names = tuple(key for key, value in outputs if _holds_secret(value))
                self.output_values = {key: _whole_numbers(plain(value)) for key, value in outputs}
                self.outputs = {key: SECRET_OUTPUT if key in self.secret_output_names else self.output_values[key]
                                for key, _ in outputs}
                self.stack_outputs_registered = True
                self.stack_outputs_wire = request.outputs.SerializeToString()
            elif request.urn in self._custom_urns:
                # Only components and the stack register outputs (the SDK calls it for nothing else). Outputs over
                # a custom resource would replace, for every stack rule, the inputs the deployment applies (red19
                # r19-4: a foreign-account grant judged as the harmless policy the program registered after it).
                self._refuse_locked(context, f"the program registered outputs for the custom resource {request.urn!r}"
                                             "; only a component resource or the stack registers outputs")
            elif request.urn in self._registered_urns:
                self.component_outputs[request.urn] = request.outputs.SerializeToString()
            else:
                self._refuse_locked(context, f"the program registered outputs for {request.urn!r}, a resource it "
                                             "never registered")
        return empty_pb2.Empty()

    def ReadResource(self, request, context):  # noqa: N802
        self._refuse_unreviewed(request, context, f"{request.type} {request.name!r} (read)")
        urn = self._urn(request.parent, request.type, request.name)
        with self._lock:
            if self.shutdown_signalled:
                self._refuse_locked(context, self._after_shutdown(request.sourcePosition, request.type, request.name))
            self._refuse_unissued_locked(request, context, f"resource {request.name} ({request.type}, read)")
            self._read_urns.add(urn)
            self.reads.append((request.type, request.name, urn))
        inputs = decode(request.properties)
        if request.type == STACK_REFERENCE_TYPE:
            read = str(inputs.get("name") or request.id)
            if request.name != read:
                # packs see a StackReference only as the URN in a resource's dependencies, whose name is the
                # resource's: a trusted stack's name on a read of another (StackReference(OWN, stack_name=X))
                # would pass X's outputs off as the trusted stack's (AGID-AZ-066 ownStacks)
                self._refuse(context, f"the program reads stack {read[:200]!r} through a StackReference named "
                                      f"{request.name[:200]!r}: name the StackReference after the stack it reads "
                                      "(pulumi.StackReference(NAME)), as packs know it only by that name")
            state = self._stack_reference(read, context)
        else:
            state = read_outputs(request.type, request.name, request.id, inputs, self._defaults(request))
        return resource_pb2.ReadResourceResponse(urn=urn, properties=_struct(state))

    def Invoke(self, request, context):  # noqa: N802
        # an invoke whose arguments make it a secret read (ssm getParameter withDecryption) is kept with them
        argued = credential_invokes.argument_read(request.tok, decode(request.args))
        with self._lock:
            self.invokes.append(argued or request.tok)
            self._refuse_unissued_locked(request, context, f"invoke {request.tok}")
        self._refuse_unreviewed(request, context, f"invoke {request.tok}")
        if request.tok == kubernetes_manifests.DECODE:
            try:
                result = kubernetes_manifests.decode(decode(request.args))
            except kubernetes_manifests.ManifestRefused as refused:
                self._refuse(context, str(refused))
            return resource_pb2.ResourceInvokeResponse(**{"return": _struct(result)})
        result = mock_call(request.tok, decode(request.args))
        return resource_pb2.ResourceInvokeResponse(**{"return": _struct(result)})

    def Call(self, request, context):  # noqa: N802
        self._refuse_unreviewed(request, context, f"call {request.tok}")
        with self._lock:
            self._refuse_unissued_locked(request, context, f"call {request.tok}")
        return provider_pb2.CallResponse(**{"return": _struct({})})

    def RegisterStackTransform(self, request, context):  # noqa: N802
        self._refuse(context, "the program registers a stack transform: the engine would run it after the gate "
                              "judged the inputs; use `pulumi.runtime.register_stack_transformation`")

    # Transforms of invokes, resource hooks and error hooks are program code the engine calls back at `pulumi up`
    # (through the program's callback server): an invoke transform changes what a data source returns (a policy
    # document the gate judged as s3:GetObject becomes */*), a hook runs with the deployer's credentials around
    # each operation (creating an admin user and its key after a bucket is created), an error hook decides
    # retries. The gate cannot judge what they will do, and the SDK only registers them when the monitor says it
    # supports them, which this one does not (FEATURES), so a registration here means the program forced the SDK:
    # no verdict (red9b 2, 3b), like stack transforms. https://www.pulumi.com/docs/iac/concepts/options/hooks/
    def RegisterStackInvokeTransform(self, request, context):  # noqa: N802
        self._refuse(context, "the program registers an invoke transform: the engine would change what invokes "
                              "(data sources such as policy documents) return after the gate judged them")

    def RegisterResourceHook(self, request, context):  # noqa: N802
        self._refuse(context, f"the program registers resource hook {request.name!r}: code the engine runs at "
                              "`pulumi up` with the deployer's credentials, which the gate cannot judge")

    def RegisterErrorHook(self, request, context):  # noqa: N802
        self._refuse(context, f"the program registers error hook {request.name!r}: code the engine runs at "
                              "`pulumi up` with the deployer's credentials, which the gate cannot judge")

    def RegisterPackage(self, request, context):  # noqa: N802
        # A package with its own download URL is a provider binary `pulumi up` fetches from there; a parameterized
        # package (a bridged Terraform provider, ...) serves tokens that look like another package's: neither is
        # the provider the rules judge (red18 r18-5: `register_package(..., download_url)` + packageRef passed)
        if request.download_url or request.HasField("parameterization") or request.checksums:
            what = "a download URL" if request.download_url else "a parameterization" \
                if request.HasField("parameterization") else "plugin checksums"
            self._refuse(context, f"the program registers package {request.name}@{request.version} with {what}: "
                                  "`pulumi up` would run a provider the gate cannot judge")
        # a packageRef to it makes `pulumi up` run that release: as a request's `version` (red19 r19-10)
        other = sdk_versions.override(f"{request.name}:index", request.version, self.sdk_versions)
        if other:
            self._refuse(context, f"the program registers package {request.name}@{request.version}: it {other}")
        return resource_pb2.RegisterPackageResponse(ref=f"{request.name}@{request.version}")

    def SignalAndWaitForShutdown(self, request, context):  # noqa: N802
        with self._lock:
            self.shutdown_signalled = True
        return empty_pb2.Empty()

    def _stack_reference(self, name: str, context) -> dict[str, Any]:
        """The StackReference's state as the engine reads it: its outputs, secret ones wrapped, and their names."""
        from agentid.preview.references import UnresolvedReference

        if self.stack_references is None:
            self._refuse(context, f"the program reads stack reference {name!r} and this run has no stacks to answer it")
        try:
            referenced = self.stack_references(name)
        except UnresolvedReference as error:
            self._refuse(context, str(error))
        secret = set(referenced.secret_output_names)
        outputs = {key: {SIGNATURE_KEY: SECRET_SIG, "value": value} if key in secret else value
                   for key, value in referenced.outputs.items()}
        return {"name": name, "outputs": outputs, "secretOutputNames": sorted(secret)}

    # --- Engine ---

    def Log(self, request, context):  # noqa: N802
        if request.severity == engine_pb2.ERROR:
            with self._lock:
                self.errors.append(request.message.strip())
        elif request.severity == engine_pb2.WARNING:
            with self._lock:
                self.warnings.append(request.message.strip())
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn=self.stack_urn or "")

    def SetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.SetRootResourceResponse()

    def StartDebugging(self, request, context):  # noqa: N802
        return empty_pb2.Empty()

    def RequirePulumiVersion(self, request, context):  # noqa: N802
        return empty_pb2.Empty()

    # --- the gate's side ---

    def close(self) -> list[Registration]:
        """Stop accepting registrations; what was registered until now is the record."""
        with self._lock:
            self._closed = True
            return list(self.registered)

    def _urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's URN: `urn:pulumi:STACK::PROJECT::QUALIFIED-TYPE::NAME`, the parent's type chain before ours."""
        qualified = type_
        if parent and not self._is_stack(parent):
            parent_type = self._qualified.get(parent) or parent.split("::")[2]
            qualified = f"{parent_type}${type_}"
        urn = f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"
        self._qualified[urn] = qualified
        return urn

    def _where(self, position: Any) -> str:
        """`FILE:LINE: ` of the program's code that registered a resource (relative to the project), or ""."""
        source = _source(position)
        if not source:
            return ""
        file = source["source_file"]
        if self.root and os.path.isabs(file) and os.path.commonpath([self.root, file]) == os.path.normpath(self.root):
            file = os.path.relpath(file, self.root)
        return f"{file}:{source['source_line']}: "

    def _after_shutdown(self, position: Any, type_: str, name: str) -> str:
        """Why a registration or read after the SDK's `SignalAndWaitForShutdown` gets no verdict.

        The engine's resource monitor (pulumi/pulumi pkg/resource/deploy/source_eval.go, `resmon`) ends its
        source iterator when that call arrives (`finChan <- nil`: "no more events"); a `RegisterResource` after it
        waits on an event channel nobody reads until the monitor is cancelled (codes.Unavailable). So `pulumi up`
        would hang on, or drop, what the gate is asked to judge here: refused, never silently recorded or lost.
        The SDK sends the signal after the program's body, its outstanding RPCs and outputs; what still registers
        then comes from an atexit hook, a thread, a signal handler or a forked process."""
        return (f"{self._where(position)}{type_} {name!r} was registered after the program told the engine it had "
                "finished (SignalAndWaitForShutdown), e.g. from an atexit hook, a thread, a signal handler or a "
                "forked process: Pulumi's engine takes no registration then (`pulumi up` would hang on it or drop "
                "it), so there is no verdict; register every resource before the program returns")

    def _is_stack(self, urn: str) -> bool:
        return not urn or urn == self.stack_urn or urn.split("::")[2:3] == [STACK_TYPE]

    def _refuse_unreviewed(self, request, context, what: str) -> None:
        problems = unreviewed_fields(request)
        # a component's version picks no plugin (a remote one is refused): only providers' requests are compared
        if not problems and (not isinstance(request, resource_pb2.RegisterResourceRequest) or request.custom):
            token = request.tok if isinstance(request, (resource_pb2.ResourceInvokeRequest,
                                                        resource_pb2.ResourceCallRequest)) else request.type
            other = sdk_versions.override(token, request.version, self.sdk_versions)
            if other:
                problems = [other]
        if problems:
            self._refuse(context, f"{what} " + "; ".join(problems))

    def _refuse_unissued_locked(self, request, context, what: str) -> None:
        """Refuse `request` when a URN it names a resource by (`urn_references`) is none this monitor answered
        earlier in the run: a registered resource (custom, component, provider), a read one (Resource.get, a
        StackReference) or the stack. The SDK sends a URN only once the registration or read that issued it
        returned (it awaits the resource's `urn` Output), and a batch is recorded in its order, so an honest
        program never names one the gate has not recorded. A Resource object the program built without
        registering it (its `urn` an Output of any string) would otherwise hand the packs made-up provenance: an
        input "from" a StackReference of an own stack the run never read (AGID-AZ-066 ownStacks), an Output of a
        project the stack creates (AGID-GCP-035), a link or an ordering the deployment does not have (red23
        r20-3). Call with the lock held."""
        issued = self._registered_urns | self._read_urns | ({self.stack_urn} if self.stack_urn else set())
        unknown = [(name, urn) for name, urn in urn_references(request) if urn not in issued]
        if unknown:
            listed = "; ".join(f"{name} {urn[:300]!r}" for name, urn in unknown[:5])
            self._refuse_locked(context, f"{self._where(request.sourcePosition)}{what} names a resource this run "
                                         f"never registered or read ({listed}): a URN the program made up (a "
                                         "Resource object it never registered) is no provenance the gate can judge")

    def _refuse(self, context, reason: str) -> None:
        with self._lock:
            self._refuse_locked(context, reason)

    def _refuse_locked(self, context, reason: str) -> None:
        self.errors.append(reason)
        self.refusals.append(reason)
        context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"agentid preview: {reason}")


class MonitorServer:
    """A gRPC server for one GateMonitor; `address` is what the program's settings point at.

    `listen` is a gRPC address: `unix:/path/monitor.sock` for a program in the sandbox (a unix-domain
    socket is a file: bind-mounted into the program's view, it crosses the network namespace that keeps
    the packs' TCP ports out of reach), default loopback TCP on a free port.
    """

    def __init__(self, monitor: GateMonitor, listen: str = "127.0.0.1:0", workers: int = 4) -> None:
        self.monitor = monitor
        options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES), ("grpc.so_reuseport", 0)]
        self.server = grpc.server(futures.ThreadPoolExecutor(workers, thread_name_prefix="gate-monitor"),
                                  options=options)
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, self.server)
        engine_pb2_grpc.add_EngineServicer_to_server(monitor, self.server)
        # The batches of registrations the program's child answered itself (raw bytes: sdk_speedups.read_batch).
        service, method = sdk_speedups.BATCH_METHOD.strip("/").split("/")
        self.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
            service, {method: grpc.unary_unary_rpc_method_handler(monitor.RegisterResources)})])
        port = self.server.add_insecure_port(listen)
        if not port:
            raise OSError(f"the gate cannot listen on {listen}")
        self.address = listen if listen.startswith("unix:") else f"{listen.rsplit(':', 1)[0]}:{port}"

    def __enter__(self) -> MonitorServer:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.monitor.close()
        self.server.stop(grace=None)


# stack_config.SECRET_PLACEHOLDER's text, found whatever its case (an apply may have upper-cased it)
CONFIG_SECRET = b"not decrypted by agentid preview"


def _with_secrets(message: struct_pb2.Struct, serialized: bytes) -> bytes | None:
    """The inputs for the packs when a secret in them holds a `secure:` stack value's placeholder: that secret stays
    wrapped, as the engine sends a config secret (marked), so the placeholder WITHOUT the mark (Output.unsecret) is
    told from it (AGID-GEN-004); every other secret is unwrapped as `decode` reads it (the gate decrypts nothing,
    so any other secret value is one the program wrote: judged as the literal it is). None: `decode`'s reading."""
    if CONFIG_SECRET not in serialized.lower() or (_SECRET_BYTES not in serialized and _OUTPUT_VALUE_BYTES not in serialized):
        return None
    return rewritten(message, _config_secrets_kept).SerializeToString()


def _config_secrets_kept(value: struct_pb2.Value, fields: Any, signature: str) -> struct_pb2.Value:
    if signature not in (SECRET_SIG, OUTPUT_VALUE_SIG):  # a resource reference: as `plain` reads it
        return struct_pb2.Value(string_value=str(plain(value_json(value))))
    secret = signature == SECRET_SIG or ("secret" in fields and fields["secret"].bool_value)
    inner = fields["value"] if "value" in fields else struct_pb2.Value(string_value=UNKNOWN)
    plain_inner = rewritten_value(inner, _config_secrets_kept) if signature == SECRET_SIG or "value" in fields else inner
    if secret and CONFIG_SECRET in inner.SerializeToString().lower():
        return secret_value(plain_inner)
    return plain_inner


def wire(serialized: bytes) -> bytes | None:
    """A serialized property map that an analyzer may be sent as it is, or None when it must be decoded first.

    Without Pulumi's signature key anywhere in it (no secret, resource reference or output value: nearly
    every registration), `decode` changes nothing, so the message the program sent is the one the pack
    gets: forwarding its bytes spares the gate encoding the decoded inputs again for `Analyze` and for
    `AnalyzeStack` (`analyzer_client.to_struct`). The search is on bytes: a map key is stored as its UTF-8
    bytes, so a signature is never missed; a string value that merely contains it only costs the decode.
    """
    return None if _SIGNATURE_BYTES in serialized else serialized


def shown(message: struct_pb2.Struct, serialized: bytes | None = None) -> dict[str, Any] | None:
    """The property map as reports may show it: a secret (wherever it is nested) as "[secret]", else as `decode`
    reads it; None when the map holds no secret (then `decode`'s result is the one to show).

    Secrets are found by their signature in the message's bytes first, so maps without one (nearly all)
    cost one substring search.
    """
    serialized = message.SerializeToString() if serialized is None else serialized
    if _SECRET_BYTES not in serialized and _OUTPUT_VALUE_BYTES not in serialized:
        return None
    return {key: _shown(_value_raw(value)) for key, value in message.fields.items()}


_SIGNATURE_BYTES = SIGNATURE_KEY.encode()
_SECRET_BYTES = SECRET_SIG.encode()
_OUTPUT_VALUE_BYTES = OUTPUT_VALUE_SIG.encode()


def _value_raw(value: struct_pb2.Value) -> Any:
    """A `Value` as JSON-like data, signatures kept (secrets still wrapped)."""
    return value_json(value)


def _shown(value: Any) -> Any:
    if isinstance(value, dict):
        signature = value.get(SIGNATURE_KEY)
        if signature == SECRET_SIG or (signature == OUTPUT_VALUE_SIG and value.get("secret") is True):
            return SECRET_OUTPUT
        if signature == OUTPUT_VALUE_SIG:
            return _shown(value["value"]) if "value" in value else plain(value)
        if signature == RESOURCE_REFERENCE_SIG:
            return plain(value)
        if signature is not None:  # an asset or archive: its fields shown, the signature kept (plain keeps it too)
            return {key: item if key == SIGNATURE_KEY else _shown(item) for key, item in value.items()}
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


SECRET_OUTPUT = "[secret]"


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(SIGNATURE_KEY) == SECRET_SIG or any(_holds_secret(item) for item in value.values())
    return isinstance(value, list) and any(_holds_secret(item) for item in value)


def _whole_numbers(value: Any) -> Any:
    """Integral numbers as ints (protobuf carries every number as a double), as `pulumi stack output --json` shows them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def _source(position: Any) -> dict[str, Any]:
    uri = position.uri if position is not None else ""
    if not uri.startswith("file://"):
        return {}
    from urllib.parse import unquote, urlparse

    return {"source_file": unquote(urlparse(uri).path), "source_line": position.line}
