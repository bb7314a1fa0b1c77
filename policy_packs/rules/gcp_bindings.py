"""Shared walk of a Google Cloud IAM resource's bindings for the GCP rules: outcomes for unknown and unreadable
values (fail closed), the bindings otherwise."""

from __future__ import annotations

from collections.abc import Iterator

from agentid_policy_packs.analysis.gcp_iam import Binding, NotYetKnown, Unreadable, bindings

from .base import Resource, Unknown, Violation


def readable_bindings(resource: Resource) -> tuple[list[Binding], list[Unknown | Violation]]:
    """(bindings, outcomes): an Unknown when a value is computed during preview, a Violation when it is unreadable."""
    try:
        return bindings(dict(resource.props)), []
    except NotYetKnown as unknown:
        return [], [Unknown(unknown.path)]
    except Unreadable as error:
        return [], [Violation(f"{resource.type.rsplit(':', 1)[-1]} {resource.name}: cannot check: {error}")]


def each_binding(resource: Resource) -> Iterator[Binding | Unknown | Violation]:
    found, outcomes = readable_bindings(resource)
    yield from outcomes
    yield from found
