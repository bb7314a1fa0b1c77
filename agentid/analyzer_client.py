"""Run a CrossGuard policy pack the way the Pulumi engine does, and talk to it over gRPC.

The engine starts a Python pack as `python -u -m pulumi.policy <engine-address> <pack-dir>`
(working directory: the pack), reads the analyzer's port from the first stdout
line, and then speaks the analyzer protocol (`pulumirpc.Analyzer`):
`GetAnalyzerInfo`, `Configure` (the whole per-policy config map),
`Analyze` (one resource, resource policies) and `AnalyzeStack` (every resource,
stack policies). We do exactly that, so `agentid preview` and the tests judge a
stack with the same pack, the same process and the same wire format a real
`pulumi preview --policy-pack` would use. The engine address points at a
minimal `pulumirpc.Engine` server of ours that records the pack's log messages.

    with PackProcess.start("policy_packs/agent_guard") as pack:
        pack.info()
        pack.configure({"AGID-AWS-LIFE-001": {"enforcementLevel": "advisory", "maxLifetimeMinutes": 30}})
        pack.analyze("aws:iam/accessKey:AccessKey", "key", urn, {"user": "bob"})
        pack.analyze_stack([StackResource(...), ...])

Any crash, hang or malformed answer of the pack raises `PackError` with the
pack's stderr tail; the process is always stopped (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

if TYPE_CHECKING:
    from agentid.pack_fork import PreforkedPack

# The engine dials an analyzer with a 400 MB message limit (pulumi sdk/go/common/util/rpcutil: maxRPCMessageSize), as
# the policy SDK serves one; gRPC's 4 MB default refused a pack's answer of ~20,000 findings, which the engine takes.
MAX_MESSAGE_BYTES = 400 * 1024 * 1024
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                   ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]

ENFORCEMENT_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
_LEVEL_VALUES = {text: value for value, text in ENFORCEMENT_LEVELS.items()}
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_POLICY_TYPES = {
    analyzer_pb2.POLICY_TYPE_UNKNOWN: "",
    analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
    analyzer_pb2.POLICY_TYPE_STACK: "stack",
}


class PackError(RuntimeError):
    """The pack could not be started, crashed, hung or answered something that is not the protocol."""


@dataclass(frozen=True)
class Diagnostic:
    """One violation reported by a pack."""

    policy_name: str
    policy_pack_name: str
    description: str
    message: str
    enforcement_level: str  # advisory | mandatory | remediate | disabled
    urn: str
    severity: str = ""  # low | medium | high | critical | "" (unspecified)


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    enforcement_level: str
    policy_type: str  # resource | stack
    severity: str
    remediation: str
    url: str
    config_schema: dict[str, Any]


@dataclass(frozen=True)
class AnalyzerInfo:
    name: str
    version: str
    supports_config: bool
    policies: tuple[PolicyInfo, ...]

    def policy(self, name: str) -> PolicyInfo:
        for policy in self.policies:
            if policy.name == name:
                return policy
        raise KeyError(f"policy pack {self.name} has no policy {name!r}")


@dataclass
class StackResource:
    """A resource as `AnalyzeStack` sends it (inputs camelCased, as the engine sees them)."""

    type: str
    name: str
    urn: str
    properties: Mapping[str, Any]
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    custom: bool = True  # False for a component resource: the engine sends it without a provider
    provider: str | None = None  # URN of its explicit provider (a `pulumi:providers:*` resource of the same request)
    # input name -> URNs whose Outputs flowed into it (the engine's propertyDependencies); None: not sent
    property_dependencies: Mapping[str, list[str]] | None = None
    ignore_changes: list[str] = field(default_factory=list)  # the resource options' ignoreChanges


class _RecordingEngine(engine_pb2_grpc.EngineServicer):
    """The part of `pulumirpc.Engine` a policy pack may call: it logs."""

    def __init__(self) -> None:
        self.logs: list[tuple[int, str]] = []
        self._root = ""

    def Log(self, request, context):  # noqa: N802 - gRPC method name
        self.logs.append((request.severity, request.message))
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn=self._root)

    def SetRootResource(self, request, context):  # noqa: N802
        self._root = request.urn
        return engine_pb2.SetRootResourceResponse()


def to_struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    """Resource inputs as a protobuf Struct; values that are not JSON become strings."""
    plain = json.loads(json.dumps(dict(properties), default=str))
    struct = struct_pb2.Struct()
    struct.update(plain)
    return struct


def _set_properties(target: struct_pb2.Struct, properties: Mapping[str, Any], wire: bytes | None) -> None:
    """Fill a request's property Struct: from its serialized form when the caller has it (native parsing),
    else by encoding `properties`."""
    if wire is not None:
        target.MergeFromString(wire)
    else:
        target.CopyFrom(to_struct(properties))


def _options(parent: str | None, ignore_changes: Iterable[str] = ()) -> analyzer_pb2.AnalyzerResourceOptions:
    """The options the engine sends with a resource: its parent and `ignoreChanges` (the inputs whose declared
    value is not applied to an existing object: AGID-GEN-011 reads them)."""
    return analyzer_pb2.AnalyzerResourceOptions(parent=parent or "", ignoreChanges=list(ignore_changes))


def _provider(resource: Any, providers: Mapping[str, Any] | None = None) -> analyzer_pb2.AnalyzerProviderResource | None:
    """The provider the engine sends with a custom resource: its explicit provider (`provider`, a URN of one of
    `providers`, sent with its properties) or its package's default provider; None for a component (`custom`
    False) and for a provider itself (pulumi/pkg/resource/deploy/step_generator.go, AnalyzeResources)."""
    if not getattr(resource, "custom", True) or resource.type.startswith("pulumi:providers:"):
        return None
    explicit = (providers or {}).get(getattr(resource, "provider", None) or "")
    if explicit is not None:
        return analyzer_pb2.AnalyzerProviderResource(type=explicit.type, name=explicit.name, urn=explicit.urn,
                                                     properties=to_struct(explicit.properties or {}))
    package = resource.type.split(":", 1)[0]
    stack_project = resource.urn.split("::", 2)[:2] if resource.urn.startswith("urn:pulumi:") else ["urn:pulumi:stack", "project"]
    type_ = f"pulumi:providers:{package}"
    urn = "::".join([*stack_project, type_, "default"])
    # the default provider the stack's config made (agentid.preview.default_providers), with its inputs: the engine
    # sends a default provider's properties (its package's config: a GCP resource with no `project` is created in
    # the provider's), not an empty shell
    default = (providers or {}).get(urn)
    properties = to_struct(default.properties or {}) if default is not None else None
    return analyzer_pb2.AnalyzerProviderResource(type=type_, name="default", urn=urn, properties=properties)


class PackProcess:
    """A running policy pack and a gRPC channel to it. Use `PackProcess.start(...)` as a context manager."""

    def __init__(self, pack_dir: Path, process: subprocess.Popen, channel: grpc.Channel, engine_server: grpc.Server,
                 engine: _RecordingEngine, stderr_file: Any, call_timeout: float) -> None:
        self.pack_dir = pack_dir
        self.process = process
        self._channel = channel
        self._stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        self._engine_server = engine_server
        self.engine = engine
        self._stderr = stderr_file
        self.call_timeout = call_timeout
        self._info: AnalyzerInfo | None = None

    # --- life cycle -----------------------------------------------------------

    @classmethod
    def start(cls, pack_dir: str | Path, *, timeout: float = 30.0, call_timeout: float = 30.0,
              python: str | None = None, env: Mapping[str, str] | None = None,
              prepared: PreforkedPack | None = None) -> PackProcess:
        """Start the pack as the engine does and wait (at most `timeout` s) for its port.

        `prepared`: a child forked from the gate before it read the project (`agentid.pack_fork.prefork`), made
        that same process (`python -u -m pulumi.policy ADDR DIR`, same environment and directory) without a new
        interpreter importing pulumi, gRPC and protobuf again; only for the gate's own interpreter."""
        pack_dir = Path(pack_dir).resolve()
        if prepared is not None and python not in (None, sys.executable):
            prepared.discard()
            prepared = None
        if not (pack_dir / "PulumiPolicy.yaml").is_file():
            if prepared is not None:
                prepared.discard()
            raise PackError(f"{pack_dir} is not a policy pack (no PulumiPolicy.yaml)")
        engine = _RecordingEngine()
        engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(engine, engine_server)
        engine_port = engine_server.add_insecure_port("127.0.0.1:0")
        engine_server.start()
        command = [python or sys.executable, "-u", "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", str(pack_dir)]
        try:
            if prepared is not None:
                stderr_file = prepared.stderr_file
                process = prepared.launch(command[4:], cwd=pack_dir, env={**os.environ, **(env or {})})
            else:
                stderr_file = tempfile.TemporaryFile()
                process = subprocess.Popen(
                    command, cwd=pack_dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr_file,
                    env={**os.environ, **(env or {})},
                )
        except OSError as error:
            engine_server.stop(0)
            raise PackError(f"cannot start {' '.join(command)}: {error}") from error
        pack = None
        try:
            port = _read_port(process, timeout, stderr_file)
            channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=CHANNEL_OPTIONS)
            pack = cls(pack_dir, process, channel, engine_server, engine, stderr_file, call_timeout)
            threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
            try:
                grpc.channel_ready_future(channel).result(timeout=max(1.0, timeout))
            except grpc.FutureTimeoutError:
                raise PackError(f"policy pack {pack_dir.name} printed port {port} but does not accept connections"
                                + _tail(stderr_file)) from None
            return pack
        except BaseException:
            if pack is not None:
                pack.close()
            else:
                _stop(process)
                engine_server.stop(0)
                stderr_file.close()
            raise

    def close(self) -> None:
        """Stop the pack with SIGTERM (SIGKILL after 5 s) and release everything."""
        self._channel.close()
        _stop(self.process)
        self._engine_server.stop(0)
        self._stderr.close()

    def __enter__(self) -> PackProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    # --- the analyzer protocol ------------------------------------------------

    def info(self) -> AnalyzerInfo:
        """`GetAnalyzerInfo`: the pack's name, version and policies with their default levels."""
        raw = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        if not raw.name:
            raise PackError(f"policy pack {self.pack_dir.name} answered GetAnalyzerInfo without a name")
        policies = tuple(
            PolicyInfo(
                name=p.name,
                description=p.description,
                enforcement_level=_level_text(p.enforcementLevel),
                policy_type=_POLICY_TYPES.get(p.policy_type, ""),
                severity=SEVERITIES.get(p.severity, ""),
                remediation=p.remediation_steps,
                url=p.url,
                config_schema=_struct_to_dict(p.configSchema.properties),
            )
            for p in raw.policies
        )
        self._info = AnalyzerInfo(raw.name, raw.version, raw.supportsConfig, policies)
        return self._info

    def configure(self, config: Mapping[str, str | Mapping[str, Any]]) -> None:
        """`Configure`: replace the pack's whole config map.

        `config` maps a policy name to an enforcement level ("advisory", ...) or
        to a dict of properties, optionally with "enforcementLevel". Like the
        engine, a policy configured without a level keeps its default level.
        """
        info = self._info or self.info()
        defaults = {p.name: p.enforcement_level for p in info.policies}
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy_name, value in config.items():
            properties = {} if isinstance(value, str) else dict(value)
            level = value if isinstance(value, str) else properties.pop("enforcementLevel", None)
            level = level or defaults.get(policy_name, "advisory")
            if level not in _LEVEL_VALUES:
                raise ValueError(f"{policy_name}: enforcement level must be one of {sorted(_LEVEL_VALUES)}, not {level!r}")
            entry = analyzer_pb2.PolicyConfig(enforcementLevel=_LEVEL_VALUES[level])
            entry.properties.update(json.loads(json.dumps(properties, default=str)))
            request.policyConfig[policy_name].CopyFrom(entry)
        self._call("Configure", request)

    def analyze(self, type_: str, name: str, urn: str, properties: Mapping[str, Any],
                *, parent: str | None = None, wire_properties: bytes | None = None,
                ignore_changes: Iterable[str] = ()) -> list[Diagnostic]:
        """`Analyze`: run the resource policies on one resource.

        `wire_properties`: `properties` already serialized as a protobuf Struct (the gate forwards what the
        program sent, `agentid.preview.monitor.wire`); sent as they are instead of encoding `properties`.
        """
        request = analyzer_pb2.AnalyzeRequest(type=type_, name=name, urn=urn, options=_options(parent, ignore_changes))
        _set_properties(request.properties, properties, wire_properties)
        return self._diagnostics(self._call("Analyze", request))

    def analyze_stack(self, resources: Iterable[Any]) -> list[Diagnostic]:
        """`AnalyzeStack`: run the stack policies on every resource.

        Each resource is a `StackResource` or anything with `type`, `name`,
        `urn`, `parent` and `inputs` (such as `mock_engine.RegisteredResource`); one with
        `wire_inputs` (serialized Struct bytes, see `analyze`) is sent those.
        """
        request = analyzer_pb2.AnalyzeStackRequest()
        resources = list(resources)
        providers = {r.urn: r for r in resources if r.type.startswith("pulumi:providers:")}
        for resource in resources:
            properties = getattr(resource, "properties", None)
            if properties is None:
                properties = getattr(resource, "inputs", {})
            parent = getattr(resource, "parent", None) or ""
            analyzed = analyzer_pb2.AnalyzerResource(
                type=resource.type, name=resource.name, urn=resource.urn,
                options=_options(parent, getattr(resource, "ignore_changes", None) or ()), parent=parent,
                dependencies=list(getattr(resource, "dependencies", []) or []),
                provider=_provider(resource, providers),
            )
            _set_properties(analyzed.properties, properties, getattr(resource, "wire_inputs", None))
            for key, urns in (getattr(resource, "property_dependencies", None) or {}).items():
                analyzed.propertyDependencies[key].urns.extend(urns)
            request.resources.append(analyzed)
        return self._diagnostics(self._call("AnalyzeStack", request))

    def plugin_version(self) -> str:
        return self._call("GetPluginInfo", empty_pb2.Empty()).version

    # --- plumbing -------------------------------------------------------------

    def _call(self, method: str, request: Any) -> Any:
        if self.process.poll() is not None:
            raise PackError(f"policy pack {self.pack_dir.name} has exited (code {self.process.returncode})"
                            + _tail(self._stderr))
        try:
            return getattr(self._stub, method)(request, timeout=self.call_timeout)
        except grpc.RpcError as error:
            code = error.code() if hasattr(error, "code") else None
            if self.process.poll() is not None:
                raise PackError(f"policy pack {self.pack_dir.name} crashed during {method} "
                                f"(exit code {self.process.returncode})" + _tail(self._stderr)) from None
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise PackError(f"policy pack {self.pack_dir.name} did not answer {method} within "
                                f"{self.call_timeout:g} s" + _tail(self._stderr)) from None
            details = error.details() if hasattr(error, "details") else str(error)
            raise PackError(f"policy pack {self.pack_dir.name} failed {method}: {code}: {details}"
                            + _tail(self._stderr)) from None

    def _diagnostics(self, response: Any) -> list[Diagnostic]:
        return [
            Diagnostic(
                policy_name=d.policyName,
                policy_pack_name=d.policyPackName,
                description=d.description,
                message=d.message,
                enforcement_level=_level_text(d.enforcementLevel),
                urn=d.urn,
                severity=SEVERITIES.get(d.severity, ""),
            )
            for d in response.diagnostics
        ]


def _level_text(value: int) -> str:
    if value not in ENFORCEMENT_LEVELS:
        raise PackError(f"policy pack answered an unknown enforcement level {value}")
    return ENFORCEMENT_LEVELS[value]


def _struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    from google.protobuf import json_format

    return json_format.MessageToDict(struct)


def _read_port(process: subprocess.Popen, timeout: float, stderr_file: Any) -> int:
    """The first stdout line, which must be the analyzer's port, read within `timeout` s."""
    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    line = b""
    fd = process.stdout.fileno()
    try:
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PackError(f"policy pack did not print its port within {timeout:g} s" + _tail(stderr_file))
            if not selector.select(remaining):
                continue
            chunk = os.read(fd, 1)  # byte by byte: never swallow what follows the port line
            if not chunk:
                process.wait(timeout=5)
                raise PackError(f"policy pack exited (code {process.returncode}) before printing its port"
                                + _tail(stderr_file))
            line += chunk
    finally:
        selector.close()
    text = line.decode(errors="replace").strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise PackError(f"policy pack printed {text[:80]!r} where its port should be (nothing may print to stdout "
                        "before the port)" + _tail(stderr_file))
    return int(text)


def _drain(stream: Any) -> None:
    """Keep reading the pack's stdout so a chatty rule can never block on a full pipe."""
    try:
        while stream.read(65536):
            pass
    except (OSError, ValueError):
        pass


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout:
        try:
            process.stdout.close()
        except OSError:
            pass


def _tail(stderr_file: Any, limit: int = 2000) -> str:
    try:
        stderr_file.seek(0)
        text = stderr_file.read().decode(errors="replace").strip()
    except (OSError, ValueError):
        return ""
    return f"\n--- pack stderr (last {limit} chars) ---\n{text[-limit:]}" if text else ""


__all__ = ["AnalyzerInfo", "Diagnostic", "PackError", "PackProcess", "PolicyInfo", "StackResource", "to_struct"]
