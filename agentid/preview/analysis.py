"""Send every resource through one policy pack over the analyzer protocol, as the engine does.

The pack is started as the engine starts it (`agentid.analyzer_client`), told
the stack's project and name through the same environment variables, configured
with the reconciled config (`pack_config`), then asked `Analyze` for each
resource (a few calls in flight, so the pack's gRPC workers stay busy) and
`AnalyzeStack` once for the whole stack.

Anything that is not a well-formed verdict fails closed with `PackError`: a pack
with no policies, a violation of a policy the pack did not declare, or a
violation about a resource that is not in the stack.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentid.analyzer_client import AnalyzerInfo, Diagnostic, PackError, PackProcess, PolicyInfo
from agentid.preview.pack_config import reconcile
from agentid.preview.program import Resource

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

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level in MANDATORY_LEVELS


@dataclass(frozen=True)
class PackRun:
    name: str
    version: str
    directory: str
    policies: tuple[PolicyInfo, ...]
    config: dict[str, dict[str, Any]]
    violations: tuple[Violation, ...]


def start_pack(pack_dir: Path, *, env: dict[str, str], timeout: float) -> PackProcess:
    """Start a pack as the engine does; `timeout` bounds the start and every later call."""
    return PackProcess.start(pack_dir, timeout=timeout, call_timeout=timeout, env=env)


def analyze_with_pack(
    pack: PackProcess,
    resources: Sequence[Resource],
    *,
    config_for: Callable[[AnalyzerInfo], tuple[dict[str, dict[str, Any]], str]],
    on_pack_started: Callable[[AnalyzerInfo], None] = lambda info: None,
    on_resource_done: Callable[[], None] = lambda: None,
) -> PackRun:
    """Run a started pack over the stack; raise PackError (or ConfigError for its config) if no verdict can be had."""
    try:
        info = pack.info()
        if not info.policies:
            raise PackError(f"policy pack {info.name} ({pack.pack_dir}) declares no policies: it cannot judge anything")
        config = reconcile(info, *config_for(info))
        pack.configure(config)
        on_pack_started(info)

        def analyze_one(resource: Resource) -> list[Diagnostic]:
            found = pack.analyze(resource.type, resource.name, resource.urn, resource.inputs, parent=resource.parent)
            on_resource_done()
            return found

        diagnostics: list[tuple[Diagnostic, str]] = []
        pool = ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="analyze")
        try:
            for resource, found in zip(resources, pool.map(analyze_one, resources)):
                diagnostics += [(d, resource.urn) for d in found]
        finally:  # on a failure, drop the queued calls: each would wait out its deadline on a hung pack
            pool.shutdown(wait=False, cancel_futures=True)
        diagnostics += [(d, "") for d in pack.analyze_stack(resources)]
    except PackError as error:
        raise _explained(pack, error) from None

    known_urns = {r.urn for r in resources}
    violations = tuple(
        _to_violation(info, diagnostic, subject, known_urns)
        for diagnostic, subject in diagnostics
        if diagnostic.enforcement_level != "disabled"
    )
    return PackRun(info.name, info.version, str(pack.pack_dir), info.policies, config, violations)


def _explained(pack: PackProcess, error: PackError) -> PackError:
    """A call that failed because the pack died says so: the connection often drops before the exit is seen."""
    if "UNAVAILABLE" not in str(error):  # a deadline, a refusal or a crash already named as such
        return error
    try:
        code = pack.process.wait(timeout=2)
    except Exception:  # noqa: BLE001 - still running: the error stands as it is
        return error
    return PackError(f"policy pack {pack.pack_dir.name} crashed (exit code {code}): {error}")


def _to_violation(info: AnalyzerInfo, diagnostic: Diagnostic, subject: str, known_urns: set[str]) -> Violation:
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
    )
