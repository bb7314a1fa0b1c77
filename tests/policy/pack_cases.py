"""The shape every coverage case of the pack takes over gRPC: a flagged resource and its look-alike."""

from __future__ import annotations

from typing import Any

from agentid.analyzer_client import StackResource
from tests.policy.test_pack_grpc import urn


def assert_flagged_and_look_alike(pack, case: str, type_: str, flagged: dict[str, Any], rule_id: str, level: str,
                                  look_alike: dict[str, Any], alike_type: str | None = None) -> None:
    """`flagged` gets exactly one diagnostic, of `rule_id` at `level`, naming the resource (`case`);
    `look_alike` (of `alike_type`, default the same type) gets none at all."""
    diags = pack.analyze(type_, case, urn(type_, case), flagged)
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(rule_id, level)], [d.message for d in diags]
    assert case in diags[0].message
    alike_type = alike_type or type_
    assert pack.analyze(alike_type, case, urn(alike_type, case), look_alike) == []


def stack_findings(pack, rule_id: str, resources, level: str | None = None) -> list[tuple[str, str]]:
    """(resource name, message) of each diagnostic of `rule_id` (only at `level`, when given) the pack gives the
    stack `resources` (StackResource, or (type, name, props) tuples), sorted."""
    stack = [r if isinstance(r, StackResource) else StackResource(r[0], r[1], urn(r[0], r[1]), r[2]) for r in resources]
    return sorted((d.urn.rsplit("::", 1)[-1], d.message) for d in pack.analyze_stack(stack)
                  if d.policy_name == rule_id and (level is None or d.enforcement_level == level))


def flagged_names(pack, rule_id: str, resource, level: str | None = None) -> list[str]:
    """Names `rule_id` flags (at `level`, when given) when the pack judges the one `resource` ((type, name, props))
    the way the engine does: its resource policies (`Analyze`) and its stack policies (`AnalyzeStack`)."""
    type_, name, props = resource
    diags = [*pack.analyze(type_, name, urn(type_, name), props),
             *pack.analyze_stack([StackResource(type_, name, urn(type_, name), props)])]
    return [d.urn.rsplit("::", 1)[-1] if d.urn else name for d in diags
            if d.policy_name == rule_id and (level is None or d.enforcement_level == level)]


def analyzed(pack, type_: str, name: str, urn_: str, props: dict[str, Any]) -> list:
    """Every diagnostic the pack gives the one resource as the engine asks: its resource policies (`Analyze`), then
    the stack policies on a stack of that resource alone (`AnalyzeStack`): for rules that judge a resource by the
    rest of the stack (the Kubernetes role rules read the bindings: a lone role is judged as bound cluster-wide)."""
    return [*pack.analyze(type_, name, urn_, props),
            *pack.analyze_stack([StackResource(type_, name, urn_, props)])]
