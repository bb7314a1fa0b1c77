"""Child resources named as Pulumi documents them, so every kit component can be used many times in one stack.

A resource's URN holds the *types* of its parents and its own name, never a parent's name
(https://www.pulumi.com/docs/iac/concepts/resources/names/#urns). Children named only by what they are
("aws", "github-actions", "<agent>") therefore got the same URN under two AgentFleets, and the second
fleet failed as a duplicate URN. Pulumi's convention, followed here: a component names each child
`<component's name>-<child>` (https://www.pulumi.com/docs/iac/concepts/components/#naming), so children are
as unique as the components the user names.

Stacks deployed before the convention hold the old, unprefixed names. The first component of each type in
a program (`first_of_type`) gives its children their old names as aliases (`ChildNames.options`), so the
engine updates those resources in place instead of replacing them (a replaced IAM role or managed identity
breaks every workload trusting it). Only the first: two resources may not alias one old URN (the engine
refuses "Two resources aliased to the same"). Grandchildren named `<child's name>-<x>` need no alias of
their own: Pulumi derives theirs from their parent's alias (`pulumi.runtime.resource.inherited_child_alias`).
"""

from __future__ import annotations

import weakref
from typing import Any

import pulumi

# Component types already seen in the running program, per resource monitor (one a deployment; the mocks and the
# gate make one per run). A monitor that cannot be weakly referenced remembers nothing: every component is "first".
_seen: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()


def first_of_type(type_token: str) -> bool:
    """True for the first component of `type_token` (e.g. "agentid:index:AgentFleet") in the running program."""
    monitor = pulumi.runtime.settings.get_monitor()
    if monitor is None:
        return True
    try:
        seen = _seen.setdefault(monitor, set())
    except TypeError:
        return True
    if type_token in seen:
        return False
    seen.add(type_token)
    return True


class ChildNames:
    """How one component names its children: `name("role")` -> "<component>-role", `options(...)` parented to it.

    `legacy`: the component keeps its children's pre-convention names as aliases (see the module docstring).
    """

    def __init__(self, component: pulumi.Resource, name: str, legacy: bool) -> None:
        self.component = component
        self.prefix = name
        self.legacy = legacy

    def name(self, local: str) -> str:
        """The child's logical name: the component's name, a dash, `local`."""
        return f"{self.prefix}-{local}"

    def options(self, old_name: str | None = None, **options: Any) -> pulumi.ResourceOptions:
        """Options of a child: parented to the component (which passes on its providers, protect and aliases);
        in legacy mode `old_name` (the child's name before the convention) becomes an alias."""
        aliases = [pulumi.Alias(name=old_name)] if self.legacy and old_name is not None else None
        return pulumi.ResourceOptions(parent=self.component, aliases=aliases, **options)


def invoke_options(component: pulumi.Resource) -> pulumi.InvokeOptions:
    """Options of a data-source call made for `component`: through the provider the component got (explicit
    `provider=` / `providers=`, or inherited), so `get_caller_identity` answers for the fleet's own account and
    region, not the default provider's."""
    return pulumi.InvokeOptions(parent=component)


def passing_depends_on(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions | None:
    """`opts` for a component whose `depends_on` must hold for every descendant, not just the component.

    Pulumi waits for a component's `depends_on` before registering the component itself, but its children are
    registered independently (a child's own options say what it waits for): a fleet declared after the user's
    OIDC provider or network would create its roles at once. A transformation (inherited by every descendant,
    https://www.pulumi.com/docs/iac/concepts/options/transformations/) adds the dependencies to each.
    """
    if opts is None or not opts.depends_on:
        return opts
    depends_on = opts.depends_on

    def wait_too(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(depends_on=depends_on)))

    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[wait_too]))
