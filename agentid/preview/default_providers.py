"""The default providers `pulumi up` registers from stack config, for the gate to judge.

For a resource with no explicit provider the Pulumi engine registers a default provider resource,
`pulumi:providers:<package>`, whose inputs are the stack's `<package>:<key>` config values
(https://www.pulumi.com/docs/concepts/resources/providers/#default-providers). The gate's monitor only
sees what the program registers, so a static key in Pulumi.<stack>.yaml (`aws:accessKey`) would never
reach the pack. This builds those provider resources for packages whose config holds a credential key
(agentid_policy_packs.rules.provider_static_credentials names them), so AGID-PRV-001 judges them the
same way under `agentid preview` and under `pulumi up --policy-pack`.
"""

from __future__ import annotations

from agentid.preview.program import Resource
from agentid_policy_packs.rules.provider_static_credentials import CREDENTIAL_CONFIG_KEYS

NAME = "default"


def default_providers(project: str, stack: str, config: dict[str, str]) -> list[Resource]:
    """One `pulumi:providers:<package>` Resource (inputs: that package's config keys, unqualified) per package
    whose stack config sets one of its credential inputs (or a kubeconfig); [] when none does."""
    by_package: dict[str, dict[str, str]] = {}
    for qualified, value in config.items():
        package, sep, key = qualified.partition(":")
        if sep and package in CREDENTIAL_CONFIG_KEYS:
            by_package.setdefault(package, {})[key] = value
    resources = []
    for package, inputs in sorted(by_package.items()):
        if not any(inputs.get(key) not in (None, "") for key in CREDENTIAL_CONFIG_KEYS[package]):
            continue
        type_ = f"pulumi:providers:{package}"
        resources.append(Resource(urn=f"urn:pulumi:{stack}::{project}::{type_}::{NAME}", type=type_, name=NAME,
                                  inputs=inputs, parent=None, custom=True))
    return resources
