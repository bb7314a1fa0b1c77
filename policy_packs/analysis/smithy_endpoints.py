"""The endpoint URLs a Smithy model (JSON AST) sends its requests to, for an AgentCore gateway target built from it.

A Smithy service picks its endpoint with its endpoint rule set (trait `smithy.rules#endpointRuleSet`, or the
decision-diagram form `smithy.rules#endpointBdd`): rules whose `endpoint.url` is a string template or a reference
(https://smithy.io/2.0/additional-specs/rules-engine/specification.html). A template's `{name}` is a parameter of the
rule set or a value a condition assigned (`assign`). AgentCore Gateway validates the Region of AWS services and warns
that a host or domain parameter lets a request, and the gateway's credential, go anywhere
(https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-building-smithy-targets.html, "Security best
practices for endpoint configuration"). So a URL is judged with:
  - `{Region}` (a parameter with builtIn `AWS::Region`) and values of the `aws.partition` function (DNS suffixes of
    AWS partitions) filled in with AWS's own values;
  - an endpoint that is only the SDK's endpoint override (a parameter with builtIn `SDK::Endpoint` and no default,
    or a value parsed from it) left out: the gateway, not the model, would choose it;
  - any other `{name}` (a parameter an operation's input or a client setting may fill, a parameter default, a
    value assigned by another function) in the scheme or host: no URL that can be judged.
`endpoint_urls(text)` returns (URL, where) pairs or raises ValueError with a one-line reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .openapi_servers import parse

RULE_TRAITS = ("smithy.rules#endpointRuleSet", "smithy.rules#endpointBdd")
_TEMPLATE = re.compile(r"\{([^{}]*)\}")
# what a safe name stands for when the URL is judged (an AWS region, an AWS partition's DNS suffix)
_REGION, _SUFFIX = "us-east-1", "amazonaws.com"


def _load(text: str) -> Mapping[str, Any]:
    if not text.lstrip().startswith("{"):
        raise ValueError("not a Smithy JSON AST model (the IDL text form is not read)")
    model = parse(text, "the model")  # input limits; a member named twice is refused
    if not isinstance(model, Mapping) or not isinstance(model.get("shapes", {}), Mapping):
        raise ValueError("not a Smithy JSON AST model with a `shapes` map")
    return model


def _walk(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every object inside `value`, walked without recursion (a deep tree cannot exhaust the stack)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _kinds(rules: Mapping[str, Any]) -> dict[str, str]:
    """name -> "safe" (region, partition data), "override" (the SDK endpoint override) or "open" (anything else)."""
    kinds: dict[str, str] = {}
    parameters = rules.get("parameters")
    if isinstance(parameters, Mapping):
        for name, spec in parameters.items():
            spec = spec if isinstance(spec, Mapping) else {}
            built_in = spec.get("builtIn")
            if built_in == "AWS::Region":
                kinds[str(name)] = "safe"
            elif built_in == "SDK::Endpoint" and "default" not in spec:
                kinds[str(name)] = "override"
            else:
                kinds[str(name)] = "open"
    for item in _walk(rules):
        assigned = item.get("assign")
        if not isinstance(assigned, str):
            continue
        function = item.get("fn")
        refs = [ref["ref"] for ref in _walk(item.get("argv")) if isinstance(ref.get("ref"), str)]
        if function == "aws.partition":
            kind = "safe"
        elif refs and all(kinds.get(ref) == "override" for ref in refs):
            kind = "override"  # parseURL(Endpoint) and the like
        else:
            kind = "open"
        if kinds.get(assigned) not in (None, kind):
            kind = "open"  # one name assigned from different sources: the least known wins
        kinds[assigned] = kind
    return kinds


def _judged_url(url: Any, kinds: Mapping[str, str]) -> str | None:
    """The URL to judge (safe names filled in), None for the SDK endpoint override; ValueError when it cannot be."""
    if isinstance(url, Mapping) and isinstance(url.get("ref"), str):
        if kinds.get(url["ref"]) == "override":
            return None
        raise ValueError(f"an endpoint is the value of {url['ref'][:60]!r}, which the model does not fix")
    if not isinstance(url, str):
        raise ValueError("an endpoint URL is neither a string template nor a reference")
    names = _TEMPLATE.findall(url)
    roots = {name: name.split("#", 1)[0] for name in names}
    if names and all(kinds.get(root) == "override" for root in roots.values()):
        return None
    authority_end = url.find("/", url.find("://") + 3) if "://" in url else len(url)
    authority = url if authority_end < 0 else url[:authority_end]

    def fill(match: re.Match) -> str:
        name = match.group(1)
        kind = kinds.get(roots.get(name, name))
        if kind == "safe":
            return _REGION if "#" not in name else _SUFFIX
        if match.start() < len(authority) or kind == "override":
            raise ValueError(f"the endpoint {url[:120]!r} builds its scheme or host from {{{name[:60]}}}, a value "
                             "the model does not fix")
        return "x"  # a path segment: the host is what a credential goes to

    return _TEMPLATE.sub(fill, url)


def endpoint_urls(text: str) -> list[tuple[str, str]]:
    """(URL, where) of every endpoint of every endpoint rule set in the Smithy model `text`."""
    model = _load(text)
    found = []
    for shape_id, shape in (model.get("shapes") or {}).items():
        traits = shape.get("traits") if isinstance(shape, Mapping) else None
        if not isinstance(traits, Mapping):
            continue
        for trait in RULE_TRAITS:
            rules = traits.get(trait)
            if rules is None:
                continue
            if not isinstance(rules, Mapping):
                raise ValueError(f"{str(shape_id)[:80]}'s {trait} is not an object")
            kinds = _kinds(rules)
            where = f"{str(shape_id)[:80]} {trait}"
            for item in _walk(rules):
                endpoint = item.get("endpoint")
                if isinstance(endpoint, Mapping) and "url" in endpoint:
                    try:
                        url = _judged_url(endpoint["url"], kinds)
                    except ValueError as error:
                        raise ValueError(f"{where}: {error}") from None
                    if url is not None:
                        found.append((url, where))
    return found
