"""The kit's stack configuration: one namespace, one list of keys, and settings that may be Outputs.

Every key lives in the namespace `agent-identity-kit:` whatever the consuming
project is called (Pulumi reads `pulumi.Config("agent-identity-kit")` from
any project, as it reads `aws:region`). `KEYS` is the one list: the README's
table is generated from it (`docs/refresh_readme.py`) and `stray_keys` warns
about a kit key written under another namespace (the project's own, a typo),
which the kit would otherwise silently ignore.

Settings that name an existing resource accept `pulumi.Input[str]`: a plain
string is checked at once, an Output (a StackReference output, another
resource's attribute) when its value is known (`checked`), and a bad value
fails the program with one line naming the key and what would be valid.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Callable

import pulumi

NAMESPACE = "agent-identity-kit"


@dataclass(frozen=True)
class ConfigKey:
    name: str
    shape: str  # what the value looks like
    description: str


KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("agentsFile", "path", "the agent file, relative to the program directory (default agents/<stack>.yaml); "
              "its directory resolves relative certificate and CA bundle paths"),
    ConfigKey("platform", "object", "(the platform stack only) what every agent stack of an account and tenant shares: "
              "github_actions, apis (audience, scopes, providers), spiffe_trust_domains, cognito_domain; see "
              "stacks/Pulumi.platform.yaml"),
    ConfigKey("platformStack", "stack name", "StackReference (org/project/stack) of the platform stack whose outputs "
              "name the shared resources below (none is then created by this stack)"),
    ConfigKey("nameSuffix", "0-24 of a-z 0-9 -", "goes into every physical name (roles, identities, role definitions and "
              "their GUIDs, trust anchors, Cognito clients, Entra apps); default: the stack name, folded; '' = none"),
    ConfigKey("awsGithubOidcProviderArn", "ARN", "reference this GitHub OIDC provider (one per account) instead of "
              "creating one"),
    ConfigKey("awsKubernetesOidcProviderArns", "{issuer URL: ARN}", "IRSA issuers whose OIDC provider exists"),
    ConfigKey("awsRolesAnywhereTrustAnchorArns", "{trust domain: ARN}", "SPIFFE trust domains whose Roles Anywhere "
              "trust anchor exists (otherwise the stack creates one per trust domain)"),
    ConfigKey("awsCognitoUserPoolId", "pool id", "reference this user pool instead of creating one (needs "
              "awsCognitoDomain)"),
    ConfigKey("awsCognitoDomain", "prefix or host", "prefix of the domain to create, or the referenced pool's domain "
              "(a prefix, or a custom domain such as auth.example.com)"),
    ConfigKey("awsCognitoResourceServers", "{audience: identifier}", "audiences whose resource server exists in the "
              "referenced pool (otherwise the stack creates it)"),
    ConfigKey("awsPermissionsBoundaryArn", "ARN", "use this managed policy as every agent role's boundary instead of "
              "one per agent from its tools"),
    ConfigKey("azureResourceGroup", "name", "existing resource group of the managed identities (required with Azure "
              "tools)"),
    ConfigKey("azureLocation", "region", "region of the managed identities (default: azure-native:location)"),
    ConfigKey("gcpProject", "project id", "project holding the agents' service accounts, custom roles and Workload "
              "Identity pools (default gcp:project; required when an agent has gcp tools)"),
    ConfigKey("gcpPoolPrefix", "prefix", "prefix of the Workload Identity pool ids PREFIX-github, -k8s, -spiffe (two "
              "default agents); the pool ids also carry nameSuffix"),
    ConfigKey("kubernetesIssuer", "URL", "the stack's cluster OIDC issuer: kubernetes bindings on it get a generated "
              "ServiceAccount (components/workload)"),
    ConfigKey("spireTrustDomain", "trust domain", "the stack's SPIRE trust domain: spiffe bindings in it get a "
              "ClusterSPIFFEID (components/workload)"),
    ConfigKey("kubernetesContext", "context", "kubeconfig context of the cluster the workload objects go to"),
    ConfigKey("spireClassName", "class", "SPIRE controller class name of the generated ClusterSPIFFEIDs"),
    ConfigKey("azureApiApplications", "{audience: {clientId, servicePrincipalObjectId, appRoleIds: {scope: id}}}",
              "audiences whose Entra API application exists (otherwise the stack creates it; its identifier URI is "
              "unique per tenant)"),
)
KEY_NAMES = frozenset(key.name for key in KEYS)


class SettingError(pulumi.RunError):
    """A kit setting is not valid; Pulumi prints the one-line message without a traceback."""


def config() -> pulumi.Config:
    """The kit's config, in its own namespace whatever the project is called."""
    return pulumi.Config(NAMESPACE)


def name_suffix(configured: str | None, error: type[SettingError] = SettingError) -> str:
    """The name suffix in force (see `naming`): `configured` (config `nameSuffix`) checked, else the stack's."""
    from agentid_components import naming

    try:
        if configured is not None:
            return naming.check_suffix(configured)
        return naming.stack_suffix(pulumi.get_stack())
    except naming.NameSuffixError as problem:
        raise error(f"config {NAMESPACE}:{problem}") from None


# --- keys in the wrong place -----------------------------------------------------------


def stray_keys(qualified_keys: Iterable[str]) -> list[str]:
    """One line per config key the kit would ignore although it looks like one of its keys.

    `qualified_keys`: `namespace:key` as Pulumi holds them. Flagged: a kit key (any case) in another
    namespace, and a key of the kit's namespace that is not a kit key (with the nearest kit key).
    """
    lower = {name.lower(): name for name in KEY_NAMES}
    lines = []
    for qualified in sorted(set(qualified_keys)):
        namespace, _, key = qualified.rpartition(":")
        if namespace == NAMESPACE:
            if key not in KEY_NAMES:
                near = lower.get(key.lower()) or next(iter(difflib.get_close_matches(key, sorted(KEY_NAMES), 1)), None)
                hint = f"did you mean {NAMESPACE}:{near}?" if near else f"kit keys: {', '.join(sorted(KEY_NAMES))}"
                lines.append(f"config key '{qualified}' is not a key of the agent identity kit and is ignored: {hint}")
        elif key.lower() in lower and namespace not in ("", "agentid"):
            lines.append(
                f"config key '{qualified}' is ignored: the agent identity kit reads "
                f"'{NAMESPACE}:{lower[key.lower()]}' (one namespace whatever the project is called)"
            )
    return lines


_warned: set[str] = set()


def warn_stray_keys() -> None:
    """Log `stray_keys` of the running program's config as warnings, each once per process."""
    for line in stray_keys(_program_config_keys()):
        if line not in _warned:
            _warned.add(line)
            pulumi.log.warn(line)


def _program_config_keys() -> set[str]:
    """The config keys the language host gave the program (set_all_config, or the PULUMI_CONFIG environment)."""
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get())
    try:
        keys |= set(json.loads(os.environ.get("PULUMI_CONFIG") or "{}"))
    except (ValueError, TypeError):
        pass
    return {key for key in keys if isinstance(key, str)}


# --- values that may be Outputs -----------------------------------------------------------


def checked(
    key: str, value: pulumi.Input[str] | None, check: Callable[[str], None], error: type[SettingError] = SettingError
) -> pulumi.Input[str] | None:
    """`value` checked now when it is a string, when known when it is an Output (the Output then carries
    the failure to whatever uses it). `check(value)` raises SettingError naming `key`."""
    if value is None:
        return None
    if isinstance(value, pulumi.Output):
        return value.apply(lambda known: _checked_now(key, known, check, error))
    return _checked_now(key, value, check, error)


def _checked_now(key: str, value: Any, check: Callable[[str], None], error: type[SettingError] = SettingError) -> str:
    if not isinstance(value, str) or not value:
        raise error(f"config {key} must be a non-empty string, got {type(value).__name__} {value!r:.80}")
    check(value)
    return value


def pattern_check(
    key: str, pattern: re.Pattern[str], example: str, error: type[SettingError] = SettingError
) -> Callable[[str], None]:
    """A check that `value` matches `pattern`, raising `error` with the key and an example of a valid value."""

    def check(value: str) -> None:
        if not pattern.match(value):
            raise error(f"config {key} = '{value[:200]}' is not valid: expected e.g. {example}")

    return check


def entry(
    key: str, mapping: Mapping[str, Any] | pulumi.Output | None, item: str, check: Callable[[str], None] | None = None
) -> pulumi.Input | None:
    """`mapping[item]`, or None when a plain mapping has no such entry (the stack then creates the resource).

    A mapping that is one Output (a StackReference output) must hold every item asked for: a missing
    one fails, when the value is known, naming the key, the item and what the mapping holds.
    """
    if mapping is None:
        return None
    if isinstance(mapping, pulumi.Output):
        return mapping.apply(lambda known: _entry_now(key, known, item, check))
    if not isinstance(mapping, Mapping):
        raise SettingError(f"config {key} must be an object {{{item!r}: ...}}, got {type(mapping).__name__}")
    if item not in mapping:
        return None
    return _entry_now(key, mapping, item, check)


def _entry_now(key: str, mapping: Any, item: str, check: Callable[[str], None] | None) -> Any:
    """`mapping[item]` (an Output entry checked when known), or SettingError naming `key` and what it holds."""
    if not isinstance(mapping, Mapping):
        raise SettingError(f"config {key} must be an object keyed by {item!r} and its peers, got {type(mapping).__name__}")
    if item not in mapping:
        held = ", ".join(sorted(map(str, mapping))[:20]) or "nothing"
        raise SettingError(f"config {key} has no entry for '{item}' (it holds: {held})")
    value = mapping[item]
    if check is None:
        return value
    return checked(f"{key}[{item}]", value, check)


def config_object(cfg: pulumi.Config, key: str) -> dict[str, Any] | None:
    """A structured config value that must be a JSON object; SettingError otherwise."""
    try:
        value = cfg.get_object(key)
    except (ValueError, TypeError, pulumi.ConfigTypeError):
        raise SettingError(f"config {NAMESPACE}:{key} must be a JSON object") from None
    if value is not None and not isinstance(value, dict):
        raise SettingError(f"config {NAMESPACE}:{key} must be an object, got {type(value).__name__}")
    return value


def render() -> str:
    """The README's table of config keys (docs/refresh_readme.py), from `KEYS`."""
    lines = ["| key (`agent-identity-kit:`) | value | meaning |", "|---|---|---|"]
    for key in KEYS:
        lines.append(f"| `{key.name}` | {key.shape.replace('|', '/')} | {key.description} |")
    return "\n".join(lines) + "\n"
