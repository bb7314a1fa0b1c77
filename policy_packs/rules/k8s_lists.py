"""Kubernetes `<Kind>List` resources are judged item by item, by the rules of `<Kind>`.

pulumi-kubernetes registers a typed list resource for every kind, e.g.
`kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBindingList` or `kubernetes:core/v1:SecretList`,
whose input `items` holds objects of that kind (the Kubernetes API's `<Kind>List`, a `metav1.List`
of one kind: https://kubernetes.io/docs/reference/using-api/api-concepts/#collections). Creating one
creates each item, so a ClusterRoleBinding to cluster-admin inside a ClusterRoleBindingList is the same
grant as one declared alone: a rule keyed by the item's type token must see it.

How this is wired (so a rule written for `<Kind>` needs nothing more):
  - `Rule.__post_init__` adds `<Kind>List` to every rule's `resource_types` (and stack rules' `reads`)
    for each Kubernetes kind it judges (`with_lists`);
  - `run_resource_rule` runs the rule on each item of a list (`judge_items`): outcomes carry the item's
    place, `<list name> items[<i>]`, and unknowns their path `items[<i>].<path>`;
  - `run_stack_rule` hands stack rules the items in place of the list (`expand`), each item a Resource
    with the list's URN, so a finding about an item is reported on the list that creates it.
A list whose `items` is unknown at preview is "cannot check until known"; one whose `items` (or an
item) is not of the list shape is a violation ("cannot check"), never a pass.

The other ways manifests reach a cluster, and what the pack sees of them:
  - `kubernetes.yaml.ConfigFile` / `ConfigGroup` (v1, in the program's SDK) parse the YAML in the
    program and register each object (a `kind: List` or `<Kind>List` document is unpacked item by item,
    pulumi_kubernetes/yaml/yaml.py `_parse_yaml_object`) as its own resource: judged as such.
  - `kubernetes:yaml/v2:ConfigFile` / `ConfigGroup` and `kubernetes:helm.sh/v4:Chart` are components the
    provider expands (Construct): the provider registers every child through the engine, which sends each
    to the pack's Analyze, so the children are judged as such under `pulumi preview`; `agentid preview`
    refuses remote components (agentid/preview/monitor.py), so they cannot pass the gate unseen.
  - `kubernetes:helm.sh/v3:Release` installs a chart through Helm inside the provider: its objects are
    never registered as Pulumi resources, so AGID-GEN-001 blocks the Release itself (unjudgeable_resources.py).
Pure: no Pulumi.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown


def list_type(item_type: str) -> str | None:
    """The typed list token of a Kubernetes kind's token (None for other providers, lists and patches).

    list_type("kubernetes:core/v1:Secret") == "kubernetes:core/v1:SecretList"
    """
    if not item_type.startswith("kubernetes:") or item_type.endswith(("List", "Patch")) or item_type.count(":") != 2:
        return None
    return item_type + "List"


def with_lists(types: Iterable[str]) -> tuple[str, ...]:
    """`types` followed by the list token of each Kubernetes kind in it (order kept, no duplicates)."""
    types = tuple(types)
    lists = (list_type(token) for token in types)
    return tuple(dict.fromkeys((*types, *(token for token in lists if token))))


def item_type(type_token: str) -> str | None:
    """The kind token a list token holds items of (None when `type_token` is no Kubernetes list)."""
    if type_token.startswith("kubernetes:") and type_token.endswith("List") and type_token.count(":") == 2:
        return type_token[: -len("List")]
    return None


class ItemsProblem(Exception):
    """`items` of a list cannot be read: `unknown` says whether it is only not known yet (preview)."""

    def __init__(self, path: str, unknown: bool, what: str = ""):
        super().__init__(path)
        self.path, self.unknown, self.what = path, unknown, what


def items(props: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(index, item inputs) of a list resource's `items`; raises ItemsProblem at the first unreadable part.

    An absent `items` is an empty list (the API's default). Items arrive as the engine sends them
    (camelCased objects); `apiVersion`/`kind` inside an item are ignored: the list's type fixes the kind.
    """
    value = props.get("items")
    if value is None:
        return
    if is_unknown(value):
        raise ItemsProblem("items", unknown=True)
    if not isinstance(value, list):
        raise ItemsProblem("items", unknown=False, what=f"a {type(value).__name__}, not a list of objects")
    for index, item in enumerate(value):
        if is_unknown(item):
            raise ItemsProblem(f"items[{index}]", unknown=True)
        if not isinstance(item, Mapping):
            raise ItemsProblem(f"items[{index}]", unknown=False, what=f"a {type(item).__name__}, not an object")
        yield index, item


def item_name(list_name: str, index: int) -> str:
    return f"{list_name} items[{index}]"
