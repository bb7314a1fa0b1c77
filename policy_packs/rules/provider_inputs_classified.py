"""AGID-PRV-005: every provider setting a program or stack file gives is one the gate knows (issue 11, red19).

AGID-PRV-001..004 read a provider's settings (an explicit `pulumi:providers:<package>` resource, or the default
provider the engine builds from the stack's `<package>:*` config) key by key; a key none of them reads passed
silently, so a new credential source, token or endpoint input (gcp `externalCredentials`, azure `oidcToken`, aws
`ec2MetadataServiceEndpoint`) was never judged. Every input of the installed providers (aws, azure-native, azuread,
gcp, kubernetes), and the members of their struct inputs (aws assumeRoles / assumeRoleWithWebIdentity, gcp
externalCredentials, kubernetes helmReleaseSettings), is classified in analysis/provider_inputs.yaml: judged by a
named rule, harmless with a reason, or unjudged. This rule blocks ("cannot check") a set input that is unclassified
(an input of a newer provider, a misspelt or invented key the provider may still read) or unjudged, and a struct
input it cannot read. tests/policy/test_provider_inputs_data.py walks the SDKs, so a provider upgrade adding an
input fails until it is classified.
Source: https://www.pulumi.com/docs/iac/concepts/resources/providers/ and each provider's registry page (in the data).
A value unknown at preview of an unclassified input is still a finding: its key alone is unknown to the gate.
"""

from __future__ import annotations

import json
from typing import Any

from agentid_policy_packs.analysis import provider_inputs
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

PROVIDER_TYPES = tuple(f"pulumi:providers:{package}" for package in provider_inputs.packages())


def _struct(value: Any) -> Any:
    """A struct input as the provider takes it: JSON text (stack config; the SDK sends nested provider inputs so) or
    the value itself."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _members(package: str, key: str, value: Any):
    """(problem or Unknown) for the members of struct input `key`."""
    value = _struct(value)
    if is_unknown(value):
        yield Unknown(key)
        return
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        where = f"{key}[{index}]" if isinstance(value, list) else key
        if is_unknown(item):
            yield Unknown(where)
            continue
        if not isinstance(item, dict):
            yield f"{where} cannot be read as a mapping"
            continue
        for name, member_value in item.items():
            if member_value in (None, "") or not isinstance(name, str):
                continue
            entry = provider_inputs.member(package, key, name)
            if entry is None:
                yield f"{where}.{name} is not an input the gate knows"
            elif provider_inputs.kind(entry) == "unjudged":
                yield f"{where}.{name} is not judged: {entry['unjudged']}"


def check(resource: Resource, config):
    package = resource.type.removeprefix("pulumi:providers:")
    problems = []
    for key, value in resource.props.items():
        if value in (None, "") or key.startswith("__"):
            continue
        entry = provider_inputs.classification(package, key)
        if entry is None:
            problems.append(f"{key} is not an input the gate knows")
        elif provider_inputs.kind(entry) == "unjudged":
            problems.append(f"{key} is not judged: {entry['unjudged']}")
        elif provider_inputs.has_members(package, key):
            for found in _members(package, key, value):
                if isinstance(found, Unknown):
                    yield found
                else:
                    problems.append(found)
    if problems:
        yield Violation(f"{resource.type} {resource.name}: {'; '.join(problems)} (cannot check): a provider setting "
                        "no rule reads may change who the provider signs in as, where it sends its credentials or "
                        "what it runs on the deploy runner (analysis/provider_inputs.yaml)")


RULE = Rule(
    id="AGID-PRV-005",
    title="provider-inputs-classified",
    severity="high",
    category="unparseable",
    description="Every setting of a provider (explicit or from stack config) is one the gate classifies "
                "(analysis/provider_inputs.yaml: judged by a named rule or harmless); an unknown or unjudged "
                "setting cannot be checked.",
    remediation="Remove the setting, or classify the provider input in policy_packs/analysis/provider_inputs.yaml "
                "(judged by a rule that reads it, or harmless with its reason); waive a reviewed provider by URN.",
    url="https://www.pulumi.com/docs/iac/concepts/resources/providers/",
    check=check,
    resource_types=PROVIDER_TYPES,
    enforcement="mandatory",
)
