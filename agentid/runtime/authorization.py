"""Per-call authorization with Cedar: may this agent use this tool on this target, in this context, now?

The policy set is generated from the spec (one `permit` per tool) plus any
Cedar files the user adds; it is evaluated with `cedarpy` before every
credential is handed out. The request (Cedar's PARC model):

- principal `Agent::"NAME"`, action `Action::"TOOL"`;
- resource `Target::"ID"` for the call's target (an S3 object ARN, a table
  ARN, an API URL, `MCP_URL#TOOL_NAME` for an MCP tool), with attribute `id`;
  `Tool::"TOOL"` when the caller names no target (the credential for the tool
  as a whole: the session policy or the token's scopes still bound it);
- context `{trace_id, on_behalf_of, time (epoch s), hour (0-23 UTC)}` plus
  the caller's own string/integer/bool keys, whole (call_context refuses what it cannot pass whole). Every key the kit defines is always
  present (empty when unknown), so a user's `forbid ... when { context.on_behalf_of == ...}`
  never errors (Cedar skips a policy whose condition errors: a forbid would be lost).

Generated permits: an AWS tool permits `Target`s whose id matches one of its
resource ARNs (IAM's `*` becomes Cedar's `like` wildcard; IAM's `?` becomes `*`,
broader but only here: the session policy keeps the exact match); an OAuth/MCP
tool permits targets under its audience URL. Anything not permitted is denied
(Cedar's default), and only `Decision.Allow` allows: an evaluation error denies.

Decisions are cached only for equal inputs, so a cached decision never
outlives the facts it was made on. "Equal" is judged on what the policies can
see: principal, action, target, and the context keys some policy reads
(`context.KEY` or `context has KEY`, found in the policies' JSON form when the
authorizer is built). The generated permits read no context, so a new trace id
(or a new second of `time`) does not make Cedar run again; a user policy that
reads `context.trace_id` makes every trace its own decision, and one that uses
`context` otherwise (a whole-record comparison) keys the cache on every key.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

_CACHE_SIZE = 4096
# Caller-supplied context: bounded, scalar only (it is a cache key and a Cedar record). A value outside these limits
# is REFUSED (ContextError), never cut or dropped: a user's forbid reading the key would silently stop firing.
MAX_CONTEXT_KEYS = 32
MAX_CONTEXT_KEY_CHARS = 64
MAX_CONTEXT_CHARS = 1024
KIT_CONTEXT_KEYS = ("trace_id", "time", "hour")  # the kit's own facts: a caller cannot set them
_LONG = (-(2**63), 2**63 - 1)  # Cedar's Long


class ContextError(ValueError):
    """A caller's Cedar context the broker will not evaluate (names the key and the limit); the call is refused."""


class PolicyError(ValueError):
    """A Cedar file or generated policy set that does not parse (names the file)."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...]  # ids of the policies that decided (permit ids on allow, forbid ids on deny)
    errors: tuple[str, ...]
    cached: bool = False

    @property
    def label(self) -> str:
        return "allow" if self.allowed else "deny"


_CEDAR_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}


def _cedar_escape(value: str) -> str:
    """Cedar string-literal escapes (the Cedar grammar: backslash, quote, n, r, t, 0 and u{HEX} escapes)."""
    out = []
    for char in value:
        if char in _CEDAR_ESCAPES:
            out.append(_CEDAR_ESCAPES[char])
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            out.append("\\u{%x}" % ord(char))
        else:
            out.append(char)
    return "".join(out)


def _cedar_string(value: str) -> str:
    return '"' + _cedar_escape(value) + '"'


def _like_pattern(pattern: str) -> str:
    """An IAM ARN pattern as a Cedar `like` literal: `*` and `?` are wildcards, everything else literal."""
    return _cedar_string(pattern.replace("?", "*"))


def target_patterns(tool: Any) -> list[str]:
    """The target ids a spec tool may touch, as IAM-style patterns (`*` and `?` wildcards): its AWS resource ARNs,
    its OAuth audience URL (and everything under it), its Azure scope, its GCP resource (and everything under
    it), or its model provider's API. Both Cedar dialects (the kit's and AgentCore's) are written from these."""
    if tool.aws is not None:
        return list(tool.aws.resources)
    if tool.oauth is not None:  # the URL, paths under it, and `URL#TOOL` (an MCP tool); never `URL.evil.example`
        base = tool.oauth.audience.replace("*", "").rstrip("/")
        return [base, base + "/*", base + "#*"]
    if tool.azure is not None:  # the scope and resources under it; never a sibling named like it (`rg` vs `rg-other`)
        return [tool.azure.scope.rstrip("/"), tool.azure.scope.rstrip("/") + "/*"]
    if getattr(tool, "gcp", None) is not None:  # the bucket itself and the objects in it (//storage.../buckets/B/objects/K)
        return [tool.gcp.resource, tool.gcp.resource + "/*"]
    if tool.llm is not None:  # Anthropic / OpenAI (Bedrock and Azure OpenAI compile to aws / azure): the provider API
        from agentid.runtime.model_hop import PROVIDERS

        return [PROVIDERS[tool.llm.provider][1] + "/*"]
    return []


def target_condition(attribute: str, tool: Any) -> str:
    """`ATTRIBUTE like P1 || ATTRIBUTE like P2 ...` for the tool's target patterns; `false` when it has none."""
    return " || ".join(f"{attribute} like {_like_pattern(p)}" for p in target_patterns(tool)) or "false"


def generate_policies(agents: Iterable[Any]) -> str:
    """Cedar text for validated spec agents (`agentid_components.spec.Agent`): one annotated permit per tool."""
    lines: list[str] = []
    for agent in agents:
        for tool in agent.tools:
            head = (
                f"@id({_cedar_string(agent.name + '.' + tool.name)})\n"
                f"permit (principal == Agent::{_cedar_string(agent.name)}, action == Action::{_cedar_string(tool.name)}, resource)"
            )
            condition = target_condition("resource.id", tool)
            lines.append(
                f"{head}\nwhen {{ resource == Tool::{_cedar_string(tool.name)} || (resource is Target && ({condition})) }};\n"
            )
    return "\n".join(lines)


class Authorizer:
    """Evaluates the policy set; thread-safe; keeps an LRU of decisions keyed by the whole request."""

    def __init__(self, policies: str, *, source: str = "generated policies"):
        import cedarpy

        try:
            self._policies = cedarpy.PolicySet.from_str(policies)
        except ValueError as error:
            raise PolicyError(f"{source}: Cedar policies do not parse: {str(error).splitlines()[0]}") from None
        self.text = policies
        # Cedar names policies policy0, policy1, ... in text order; show the @id annotation where there is one
        static = json.loads(cedarpy.policies_to_json_str(policies)).get("staticPolicies", {})
        self._names = {pid: (body.get("annotations") or {}).get("id", pid) for pid, body in static.items()}
        # The context keys any policy can see (None: the context as a whole); the decision cache keys on these only
        self.context_keys = context_keys_read(policies)
        self._cache: OrderedDict[tuple, Decision] = OrderedDict()
        self._entities: OrderedDict[str | None, Any] = OrderedDict()  # target -> cedarpy.Entities
        self._lock = threading.Lock()
        self.evaluations = 0

    @classmethod
    def from_spec(cls, agents: Iterable[Any], extra_files: Iterable[str | Path] = (), base_dir: str | Path | None = None) -> "Authorizer":
        """Generated permits, each agent's `cedar_policies` files (relative to `base_dir`, the spec's folder), and `extra_files`."""
        agents = list(agents)
        files = [Path(base_dir or ".") / name for agent in agents for name in getattr(agent, "cedar_policies", None) or ()]
        files += [Path(p) for p in extra_files]
        parts = [generate_policies(agents)]
        for path in files:
            from agentid_components import input_limits  # loaded when used: the runtime library imports no kit module up front

            try:  # the limits the spec's loader applies to the same files (they come with a pull request)
                text = input_limits.read_text(path, input_limits.CERTIFICATE_BYTES, "Cedar file")
            except input_limits.InputRefused as refused:
                raise PolicyError(str(refused)) from None
            try:
                import cedarpy

                cedarpy.PolicySet.from_str(text)
            except ValueError as error:
                raise PolicyError(f"{path}: Cedar policies do not parse: {str(error).splitlines()[0]}") from None
            parts.append(f"// from {path.name}\n{text}")
        return cls("\n".join(parts), source=", ".join(str(p) for p in files) or "generated policies")

    def decide(self, agent: str, tool: str, target: str | None, context: Mapping[str, Any]) -> Decision:
        import cedarpy

        full_context = dict(context)
        seen = self.context_keys
        key = (agent, tool, target, tuple(sorted((k, repr(v)) for k, v in full_context.items() if seen is None or k in seen)))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return Decision(hit.allowed, hit.reasons, hit.errors, cached=True)
        resource = {"type": "Target", "id": target} if target is not None else {"type": "Tool", "id": tool}
        request = {
            "principal": {"type": "Agent", "id": agent},
            "action": {"type": "Action", "id": tool},
            "resource": resource,
            "context": full_context,
        }
        try:
            result = cedarpy.is_authorized(request, self._policies, self._entities_of(target))
            decision = Decision(
                allowed=result.decision == cedarpy.Decision.Allow,
                reasons=tuple(self._names.get(r, r) for r in result.diagnostics.reasons),
                errors=tuple(str(e) for e in result.diagnostics.errors),
            )
        except Exception as error:  # noqa: BLE001 - a request Cedar cannot evaluate is denied, never allowed
            decision = Decision(False, (), (f"{type(error).__name__}: {error}",))
        self.evaluations += 1
        with self._lock:
            self._cache[key] = decision
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return decision

    def _entities_of(self, target: str | None) -> Any:
        """The request's entity graph (the Target and its `id`), parsed by cedarpy once per target and reused: a
        decision that runs Cedar again for the same target (a new context) skips the JSON and its parsing."""
        import cedarpy

        with self._lock:
            handle = self._entities.get(target)
            if handle is not None:
                self._entities.move_to_end(target)
                return handle
        uid = {"type": "Target", "id": target}
        entities = [{"uid": uid, "attrs": {"id": target}, "parents": []}] if target is not None else []
        handle = cedarpy.Entities.from_json_str(json.dumps(entities))
        with self._lock:
            self._entities[target] = handle
            if len(self._entities) > _CACHE_SIZE:
                self._entities.popitem(last=False)
        return handle


def context_keys_read(policies: str) -> frozenset[str] | None:
    """The context keys the policies read (`context.KEY`, `context["KEY"]`, `context has KEY`), from Cedar's JSON
    policy format (its `.` and `has` operators on `{"Var": "context"}`); None when `context` is used any other way
    (compared or passed whole) or the text cannot be converted: then every key counts."""
    import cedarpy

    try:
        tree = json.loads(cedarpy.policies_to_json_str(policies))
    except (ValueError, TypeError):
        return None
    return attributes_read(tree, "context")


def attributes_read(tree: Any, variable: str) -> frozenset[str] | None:
    """The attributes of Cedar variable `variable` (principal, action, resource, context) read anywhere in `tree`
    (Cedar's JSON policy format, or any part of it); None when the variable is used whole (compared, passed)."""
    keys: set[str] = set()
    whole = False
    stack: list[Any] = [tree]
    var = {"Var": variable}
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node == var:
                whole = True
                continue
            for operator, operand in node.items():
                if operator in (".", "has") and isinstance(operand, dict) and operand.get("left") == var:
                    if not isinstance(operand.get("attr"), str):
                        whole = True
                    keys.add(str(operand.get("attr")))
                else:
                    stack.append(operand)
    return None if whole else frozenset(keys)


def call_context(trace_id: str, extra: Mapping[str, Any] | None, wall_now: float) -> dict[str, Any]:
    """The Cedar context of one call: the kit's keys (always present) and the caller's keys, whole.

    The caller's keys: at most MAX_CONTEXT_KEYS, each a string of 1..MAX_CONTEXT_KEY_CHARS characters other than
    the kit's own (KIT_CONTEXT_KEYS; `on_behalf_of` is the caller's to set), each value a string of at most
    MAX_CONTEXT_CHARS characters, a boolean, or an integer in Cedar's Long range. Anything else (a longer string,
    a list, a record, a float, a 33rd key) raises ContextError naming the key and the limit: the call is refused
    rather than evaluated on a context cut short, where a forbid reading the missing part would not fire.
    """
    from agentid.runtime.broker import _shown  # a caller's key in a message: quoted, escaped, clipped

    moment = dt.datetime.fromtimestamp(wall_now, dt.timezone.utc)
    context: dict[str, Any] = {"trace_id": trace_id, "on_behalf_of": "", "time": int(wall_now), "hour": moment.hour}
    given = dict(extra or {})
    if len(given) > MAX_CONTEXT_KEYS:
        raise ContextError(f"the call's context has {len(given)} keys; at most {MAX_CONTEXT_KEYS} are evaluated, and "
                           "the broker refuses rather than drop some")
    for key, value in given.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_CONTEXT_KEY_CHARS:
            raise ContextError(f"context key {_shown(key)} must be a string of 1..{MAX_CONTEXT_KEY_CHARS} characters")
        if key in KIT_CONTEXT_KEYS:
            raise ContextError(f"context key {_shown(key)} is the kit's own ({', '.join(KIT_CONTEXT_KEYS)}): a caller "
                               "cannot set it")
        if isinstance(value, str):
            if len(value) > MAX_CONTEXT_CHARS:
                raise ContextError(f"context key {_shown(key)}: a string of {len(value)} characters; at most "
                                   f"{MAX_CONTEXT_CHARS} are evaluated, and the broker refuses rather than cut it")
        elif isinstance(value, bool) or (isinstance(value, int) and _LONG[0] <= value <= _LONG[1]):
            pass
        else:
            kind = "an integer outside Cedar's Long range" if isinstance(value, int) else f"a {type(value).__name__}"
            raise ContextError(f"context key {_shown(key)}: {kind} is not evaluated (values: strings of at most "
                               f"{MAX_CONTEXT_CHARS} characters, booleans, integers in -2^63..2^63-1)")
        context[key] = value
    return context

