"""The default providers `pulumi up` registers from stack config, for the gate to judge.

For a resource with no explicit provider the Pulumi engine registers a default provider resource,
`pulumi:providers:<package>`, whose inputs are the stack's `<package>:<key>` config values
(https://www.pulumi.com/docs/concepts/resources/providers/#default-providers). The gate's monitor only
sees what the program registers, so a static key in Pulumi.<stack>.yaml (`aws:accessKey`) would never
reach the pack. This builds those provider resources for packages whose config holds a credential key
(agentid_policy_packs.rules.provider_static_credentials names them) or a key that makes the provider run a command
(`aws:sharedConfigFiles`, `kubernetes:kubeconfig`, `gcp:credentials`: provider_command_credentials), or an endpoint
the provider sends its credentials to (`aws:endpoints`, `azure-native:metadataHost`, `gcp:<service>CustomEndpoint`:
provider_endpoints), so AGID-PRV-001/002/003 judge them the same way under `agentid preview` and under
`pulumi up --policy-pack`; and for a key the provider creates resources with when they leave it out (`gcp:project`),
sent with each resource that has no explicit provider as the engine sends its default provider
(agentid.analyzer_client), so a service account with no `project` is judged in that project (gcp_own).
Likewise `azure-native:subscriptionId`, the subscription the default provider deploys into (AGID-AZ-067).

The key lives in a file, not in the program: each provider's source position is the line of its first
credential key (`aws:accessKey`) in the stack file, else in the project file (project-level `config:`),
so a violation points at `Pulumi.<stack>.yaml:LINE`, never at the program's first line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from agentid.mock_provider import PROVIDER_DEFAULTS
from agentid.preview.program import Resource
from agentid_components import input_limits
from agentid_policy_packs.analysis import provider_inputs
from agentid_policy_packs.rules.azure_deploy_subscription import DEPLOY_CONFIG_KEYS
from agentid_policy_packs.rules.provider_command_credentials import COMMAND_CONFIG_KEYS
from agentid_policy_packs.rules.provider_endpoints import ENDPOINT_CONFIG_KEYS, endpoint_key
from agentid_policy_packs.rules.provider_static_credentials import CREDENTIAL_CONFIG_KEYS
from agentid_policy_packs.rules.provider_target_identity import TARGET_CONFIG_KEYS

NAME = "default"
# package -> the config keys whose presence makes the gate build its default provider (first one = its position)
# Also a key the provider creates resources with when they leave it out (`gcp:project`: mock_provider.PROVIDER_DEFAULTS):
# the packs judge such a resource by its provider's value (a GCP service account's project: gcp_own), which the
# engine sends as the default provider's properties
JUDGED_CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    package: tuple(dict.fromkeys((*CREDENTIAL_CONFIG_KEYS.get(package, ()), *COMMAND_CONFIG_KEYS.get(package, ()),
                                  *ENDPOINT_CONFIG_KEYS.get(package, ()), *TARGET_CONFIG_KEYS.get(package, ()),
                                  *PROVIDER_DEFAULTS.get(package, ()), *DEPLOY_CONFIG_KEYS.get(package, ()))))
    for package in (*CREDENTIAL_CONFIG_KEYS, *COMMAND_CONFIG_KEYS, *ENDPOINT_CONFIG_KEYS, *TARGET_CONFIG_KEYS,
                    *PROVIDER_DEFAULTS, *DEPLOY_CONFIG_KEYS)}


def _judged(package: str, key: str) -> bool:
    """Whether the `<package>:<key>` config makes the gate build (and AGID-PRV-* judge) the default provider: a key
    AGID-PRV-001..004 read, or one AGID-PRV-005 must see (not classified in analysis/provider_inputs.yaml, unjudged,
    or a struct whose members it checks)."""
    return key in JUDGED_CONFIG_KEYS.get(package, ()) or endpoint_key(package, key) or \
        provider_inputs.judges_default_provider(package, key)


def default_providers(project: str, stack: str, config: dict[str, str],
                      config_files: Sequence[Path] = ()) -> list[Resource]:
    """One `pulumi:providers:<package>` Resource (inputs: that package's config keys, unqualified) per package
    whose stack config sets one of its credential inputs, a kubeconfig or a shared config file; [] when none does. `config_files`
    (the stack file, then the project file) are searched for the key's line, the resource's source position."""
    by_package: dict[str, dict[str, str]] = {}
    for qualified, value in config.items():
        package, sep, key = qualified.partition(":")
        if sep and (package in JUDGED_CONFIG_KEYS or package in provider_inputs.packages()):
            by_package.setdefault(package, {})[key] = value
    resources = []
    for package, inputs in sorted(by_package.items()):
        keys = [f"{package}:{key}" for key, value in inputs.items() if _judged(package, key) and value not in (None, "")]
        if not keys:
            continue
        type_ = f"pulumi:providers:{package}"
        source_file, source_line = _key_position(keys, config_files)
        resources.append(Resource(urn=f"urn:pulumi:{stack}::{project}::{type_}::{NAME}", type=type_, name=NAME,
                                  inputs=inputs, parent=None, custom=True, source_file=source_file,
                                  source_line=source_line))
    return resources


def _key_position(keys: Sequence[str], files: Sequence[Path]) -> tuple[str | None, int]:
    """(file, 1-based line) of the first of `keys` written as a mapping key in one of `files`; (None, 0) if none."""
    pattern = re.compile(r"^[ \t]*[\"']?(?:" + "|".join(re.escape(k) for k in keys) + r")[\"']?[ \t]*:", re.MULTILINE)
    for file in files:
        try:  # the pull request's file: read within the stack file's limits (a FIFO in its place must not hang)
            text = input_limits.read_text(file, input_limits.STACK_FILE.max_bytes, "Pulumi file")
        except (input_limits.InputRefused, OSError):
            continue
        match = pattern.search(text)
        if match:
            return str(file), text.count("\n", 0, match.start()) + 1
    return None, 0
