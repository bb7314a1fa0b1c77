"""Where policy documents live in resource inputs, as the engine sends them (camelCase).

Shared by the rules that read policies, so every rule agrees on which fields
hold identity policies, trust policies and resource policies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policy_packs.analysis.values import is_unknown, unknown_path

from .base import Resource

# type token -> input holding one identity policy (attached to a principal)
IDENTITY_POLICY_FIELDS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
ROLE = "aws:iam/role:Role"
KMS_KEY = "aws:kms/key:Key"
IDENTITY_POLICY_TYPES = (*IDENTITY_POLICY_FIELDS, ROLE)


@dataclass(frozen=True)
class Document:
    """One policy document found in a resource's inputs."""

    path: str  # e.g. "policy", "inlinePolicies[1].policy"
    value: Any  # the raw JSON string or object; never unknown
    label: str  # how messages name it


@dataclass(frozen=True)
class Pending:
    """A document (or part of one) that is not known yet."""

    path: str


def identity_policies(resource: Resource) -> Iterator[Document | Pending]:
    """The identity policies a resource declares: a policy resource's document or a role's inline policies."""
    props = resource.props
    if resource.type in IDENTITY_POLICY_FIELDS:
        field = IDENTITY_POLICY_FIELDS[resource.type]
        yield from _document(props.get(field), field, field)
    elif resource.type == ROLE:
        inline = props.get("inlinePolicies")
        if is_unknown(inline):
            yield Pending("inlinePolicies")
            return
        if not isinstance(inline, list):
            return
        for index, entry in enumerate(inline):
            path = f"inlinePolicies[{index}]"
            if is_unknown(entry):
                yield Pending(path)
            elif isinstance(entry, dict) and entry.get("policy") is not None:
                name = entry.get("name")
                label = f"inline policy {name}" if isinstance(name, str) and not is_unknown(name) else path
                yield from _document(entry.get("policy"), f"{path}.policy", label)


def trust_policy(resource: Resource) -> Iterator[Document | Pending]:
    if resource.type == ROLE:
        yield from _document(resource.props.get("assumeRolePolicy"), "assumeRolePolicy", "assumeRolePolicy",
                             required=True)


def key_policy(resource: Resource) -> Iterator[Document | Pending]:
    if resource.type == KMS_KEY and resource.props.get("policy") is not None:
        yield from _document(resource.props.get("policy"), "policy", "key policy")


def _document(value: Any, path: str, label: str, *, required: bool = True) -> Iterator[Document | Pending]:
    if value is None:
        if required:
            yield Pending(path)
        return
    pending = unknown_path(value)
    if pending is not None:
        yield Pending(f"{path}.{pending}" if pending else path)
        return
    yield Document(path, value, label)
