"""Send every resource through one policy pack over the analyzer protocol, as the engine does.

The pack is started as the engine starts it (`agentid.analyzer_client`), told
the stack's project and name through the same environment variables, configured
with the reconciled config (`pack_config`), then asked `Analyze` for each
resource as the program registers it (a few calls in flight, so the pack's gRPC
workers stay busy) and `AnalyzeStack` once for the whole stack.

Anything that is not a well-formed verdict fails closed with `PackError`: a pack
with no policies, a violation of a policy the pack did not declare, or a
violation about a resource that is not in the stack.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentid.analyzer_client import AnalyzerInfo, Diagnostic, PackError, PackProcess, PolicyInfo
from agentid.mock_provider import AUTONAME_KEY_CONFIG
from agentid.preview.pack_config import reconcile
from agentid.preview.program import Resource
from agentid_policy_packs.rules.pack_settings import ALL

if TYPE_CHECKING:
    from agentid.pack_fork import PreforkedPack

MANDATORY_LEVELS = ("mandatory", "remediate")  # the SDK reports `remediate` as mandatory when it still fails
IN_FLIGHT = 4  # pulumi_policy serves with 4 worker threads


@dataclass(frozen=True)
class Violation:
    pack: str
    policy: str
    description: str
    message: str
    enforcement_level: str
    severity: str  # low | medium | high | critical | ""
    urn: str  # "" for a stack-level violation that names no resource
    remediation: str
    url: str
    unknown: bool = False  # "cannot check until known": the policy could not read a value computed at preview
    waiver: Any = None  # waivers.Waiver that accepts this violation (then it no longer blocks)
    finding: str = ""  # its fingerprint (waivers.finding_fingerprint), set by the gate's verdict; "" before

    @property
    def mandatory(self) -> bool:
        """Blocks the gate: a mandatory (or remediate) level and no waiver accepting it."""
        return self.enforcement_level in MANDATORY_LEVELS and self.waiver is None


@dataclass(frozen=True)
class PackRun:
    name: str
    version: str
    directory: str
    policies: tuple[PolicyInfo, ...]
    config: dict[str, dict[str, Any]]
    violations: tuple[Violation, ...]


class PackSession:
    """One pack judging a stack whose resources arrive while the program still runs.

    The pack starts, answers `GetAnalyzerInfo` and is configured in the background;
    `submit` queues an `Analyze` (at most IN_FLIGHT at a time, each waiting until the
    pack is ready); `finish` collects every answer, sends `AnalyzeStack` and returns
    the verdict. `close` stops the pack and drops whatever is still queued.
    """

    def __init__(self, pack_dir: Path, *, env: dict[str, str], timeout: float,
                 config_for: Callable[[AnalyzerInfo], tuple[dict[str, dict[str, Any]], str]],
                 on_ready: Callable[[AnalyzerInfo], None] = lambda info: None,
                 on_resource_done: Callable[[], None] = lambda: None,
                 adjust_config: Callable[[AnalyzerInfo, dict], dict] = lambda info, config: config,
                 prepared: PreforkedPack | None = None, autoname_key: bytes | None = None) -> None:
        """`autoname_key`: the gate's per-run key its mocks draw autonames with (mock_provider.autoname), sent in
        every `Configure` (the pack-wide entry) and kept nowhere else: not in the run's config, which reports show."""
        self.pack_dir = pack_dir
        self._autoname_key = autoname_key
        self._prepared = prepared  # a child forked before the project was read (agentid.pack_fork), or None
        self.pack: PackProcess | None = None
        self._on_resource_done = on_resource_done
        self._pool = ThreadPoolExecutor(IN_FLIGHT + 1, thread_name_prefix=f"pack-{pack_dir.name}")
        self._adjust_config = adjust_config
        self._ready = self._pool.submit(self._prepare, env, timeout, config_for, on_ready)
        self._submitted: dict[str, Future] = {}
        self._closed = False
        self._lock = threading.Lock()

    def _prepare(self, env: dict[str, str], timeout: float, config_for: Callable, on_ready: Callable) -> tuple:
        pack = PackProcess.start(self.pack_dir, timeout=timeout, call_timeout=timeout, env=env,
                                 prepared=self._prepared)
        with self._lock:  # `close` may have run while the pack was starting: then nobody else will stop it
            if self._closed:
                pack.close()
                raise PackError(f"policy pack {self.pack_dir.name}: the preview ended before the pack was ready")
            self.pack = pack
        info = self.pack.info()
        if not info.policies:
            raise PackError(f"policy pack {info.name} ({self.pack_dir}) declares no policies: it cannot judge anything")
        config = self._adjust_config(info, reconcile(info, *config_for(info)))
        self.pack.configure(self._sent(config))
        on_ready(info)
        return info, config

    def wait_ready(self) -> None:
        """Block until the pack has started, loaded its data and been configured (PackError if it failed)."""
        self._ready.result()

    def reconfigure(self) -> None:
        """Send the trusted config again: `Configure` replaces the pack's whole config, so whatever another
        client of the pack's port set (an unsandboxed program can reach it) is gone. Before any `Analyze`."""
        _info, config = self._ready.result()
        self.pack.configure(self._sent(config))

    def _sent(self, config: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The config as `Configure` carries it: with the gate's autoname key in the pack-wide entry, over whatever
        the config said there (a pull request's stack file cannot choose it)."""
        if self._autoname_key is None:
            return config
        return {**config, ALL: {**config.get(ALL, {}), AUTONAME_KEY_CONFIG: self._autoname_key.hex()}}

    def submit(self, resource: Resource) -> None:
        if resource.urn not in self._submitted:
            self._submitted[resource.urn] = self._pool.submit(self._analyze, resource)

    def _analyze(self, resource: Resource) -> list[Diagnostic]:
        self._ready.result()
        found = self.pack.analyze(resource.type, resource.name, resource.urn, resource.inputs, parent=resource.parent,
                                  wire_properties=resource.wire_inputs, ignore_changes=resource.ignore_changes)
        self._on_resource_done()
        return found

    def finish(self, resources: Sequence[Resource], stack: Sequence[Resource] | None = None) -> PackRun:
        """Every resource's answer (analysing any that was not streamed), then `AnalyzeStack` on `stack` (the final
        state the engine sends: ProgramOutcome.judged_stack; default `resources`); the verdict."""
        stack = resources if stack is None else stack
        try:
            info, config = self._ready.result()
            for resource in resources:
                self.submit(resource)
            diagnostics: list[tuple[Diagnostic, str]] = []
            for resource in resources:
                diagnostics += [(d, resource.urn) for d in self._submitted[resource.urn].result()]
            diagnostics += [(d, "") for d in self.pack.analyze_stack(stack)]
        except PackError as error:
            raise _explained(self.pack, error) if self.pack else error from None
        known_urns = {r.urn for r in stack}
        version = _pack_version(self.pack_dir, info)
        violations = tuple(sorted(  # by URN, then policy: reports and alerts do not move between runs
            (_to_violation(info, diagnostic, subject, known_urns, version)
             for diagnostic, subject in diagnostics
             if diagnostic.enforcement_level != "disabled"),
            key=lambda v: (v.urn, v.policy, v.message)))
        return PackRun(info.name, version, str(self.pack_dir), info.policies, config, violations)

    def close(self) -> None:
        # Queued calls are dropped: each would wait out its deadline on a hung pack.
        with self._lock:
            self._closed = True
            pack = self.pack
        self._pool.shutdown(wait=False, cancel_futures=True)
        if pack is not None:
            pack.close()


def _explained(pack: PackProcess, error: PackError) -> PackError:
    """A call that failed because the pack died says so: the connection often drops before the exit is seen."""
    if "UNAVAILABLE" not in str(error):  # a deadline, a refusal or a crash already named as such
        return error
    try:
        code = pack.process.wait(timeout=10)  # a loaded CI machine can take seconds to reap it
    except Exception:  # noqa: BLE001 - still running: the error stands as it is
        return error
    return PackError(f"policy pack {pack.pack_dir.name} crashed (exit code {code}): {error}")


def _to_violation(info: AnalyzerInfo, diagnostic: Diagnostic, subject: str, known_urns: set[str],
                  version: str) -> Violation:
    try:
        policy = info.policy(diagnostic.policy_name)
    except KeyError:
        raise PackError(f"policy pack {info.name} reported a violation of {diagnostic.policy_name!r}, "
                        "a policy it does not declare") from None
    urn = diagnostic.urn or subject  # the engine attributes a resource policy's violation to the analysed resource
    if urn and urn not in known_urns:
        raise PackError(f"policy pack {info.name} reported {policy.name} against {urn}, which is not in the stack")
    if subject and urn != subject:
        raise PackError(f"policy pack {info.name} answered Analyze of {subject} with a violation of {urn}")
    description = diagnostic.description or policy.description
    # pulumi_policy sends "<description>\n<message>"; keep the message proper, as the Pulumi CLI shows it apart.
    message = diagnostic.message.removeprefix(description).strip() if description else diagnostic.message.strip()
    # pulumi_policy names itself 'K@v0.0.1' in "can't run policy" messages; the report's header names the pack's
    # declared version (PulumiPolicy.yaml), so the message says the same.
    message = message.replace(f"'{info.name}@v{info.version}'", f"'{info.name}@v{version}'")
    return Violation(
        pack=info.name,
        policy=policy.name,
        description=description,
        message=message or description,
        enforcement_level=diagnostic.enforcement_level,
        severity=diagnostic.severity or policy.severity,
        urn=urn,
        remediation=policy.remediation,
        url=policy.url,
        unknown=_is_unknown(diagnostic),
    )


# pulumi_policy's answer when a policy read a value unknown at preview (policy.py, UnknownValueError):
# "can't run policy 'P' from policy pack 'K@vV' during preview: ..."; it always sends it as advisory.
_UNKNOWN_PREFIX = "can't run policy '"
_UNKNOWN_MARK = "during preview:"


def _is_unknown(diagnostic: Diagnostic) -> bool:
    message = diagnostic.message.strip()
    return message.startswith(_UNKNOWN_PREFIX) and _UNKNOWN_MARK in message.split("\n", 1)[0]


def _pack_version(pack_dir: Path, info: AnalyzerInfo) -> str:
    """The version `pulumi` reports: PulumiPolicy.yaml's, else the analyzer's (Python packs always answer 0.0.1)."""
    from agentid_components import input_limits

    file = Path(pack_dir) / "PulumiPolicy.yaml"
    try:
        declared = input_limits.plain_yaml(input_limits.read_text(file, input_limits.STACK_FILE.max_bytes, "policy pack file"),
                                           str(file), input_limits.STACK_FILE) or {}
    except input_limits.InputRefused:
        declared = {}
    version = declared.get("version") if isinstance(declared, dict) else None
    return str(version) if version else info.version
