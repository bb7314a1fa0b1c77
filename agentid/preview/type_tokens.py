"""Is a registered type token one the provider behind it actually has?

Under the gate no provider runs, so a custom resource registered with a misspelt or invented token of a
known package (`aws:iam/AccessKey:AccessKey`, `aws:iam:AccessKey`) would reach the packs, match no rule
(rules are keyed by exact token) and PASS, while the real engine fails on it, or a hostile provider
plugin maps it to whatever it likes. The gate therefore refuses (no verdict) a custom resource whose
package is one of the installed Pulumi provider SDKs but whose token that SDK does not have, and a
component resource that wears one of those providers' custom tokens (a component creates nothing: the
rules would judge a look-alike whose inputs the program chose).

Source of truth: each provider SDK's `_utilities.register(resource_modules=<JSON>)` literal in its
`__init__.py` (every type token it maps to a class; the same list `agentid_policy_packs.rules.coverage`
reads), plus, only when a token misses, the `pulumi.Alias(type_="...")` tokens of the SDK's resource
classes (old names, and azure-native's versioned tokens `azure-native:authorization/v20220401:...`).
Every SDK installed next to the gate is read (the program runs with the gate's interpreter), so the list
follows the installed versions. Packages no SDK is installed for are not checked here (AGID-GEN-002 names
their resources).

Kubernetes is open-ended: `apiextensions.CustomResource` registers `kubernetes:<apiVersion>:<kind>` for
any CRD (pulumi-kubernetes apiextensions/CustomResource.py). A token of an API group the SDK ships
(`core`, `rbac.authorization.k8s.io`, `apps`, ...; `kubernetes:v1:Secret` is the core group) must be one
of its tokens (`kubernetes:v1:Secret` creates a Secret no rule keyed on `kubernetes:core/v1:Secret`
sees); any other group is a CRD's and passes.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import pkgutil
import re
import threading
from dataclasses import dataclass
from pathlib import Path

_REGISTER = re.compile(r'resource_modules\s*=\s*"""(.*?)"""', re.S)
_ALIAS = re.compile(rb'Alias\(type_="([^"]+)"')
NOT_PROVIDERS = frozenset({"pulumi_policy"})  # pulumi_* distributions that are not provider SDKs
KUBERNETES = "kubernetes"


@dataclass(frozen=True)
class ProviderTokens:
    """The custom resource type tokens of the installed provider SDKs: package name -> tokens."""

    tokens: dict[str, frozenset[str]]
    roots: dict[str, Path]  # package name -> the SDK's directory (for the alias scan)

    def package_of(self, token: str) -> str | None:
        """The installed package a token claims, matched case-insensitively (`AWS:iam/...` claims aws)."""
        package = token.split(":", 1)[0]
        if package in self.tokens:
            return package
        return self._folded.get(package.lower())

    @property
    def _folded(self) -> dict[str, str]:
        return {name.lower(): name for name in self.tokens}


_lock = threading.Lock()
_cache: dict[str, object] = {}


def installed() -> ProviderTokens:
    """Every installed provider SDK's tokens, read once per process (~0.1 s a large SDK)."""
    with _lock:
        if "tokens" not in _cache:
            _cache["tokens"] = _read_installed()
        return _cache["tokens"]  # type: ignore[return-value]


def _read_installed() -> ProviderTokens:
    tokens: dict[str, set[str]] = {}
    roots: dict[str, Path] = {}
    for module in pkgutil.iter_modules():
        if not module.name.startswith("pulumi_") or module.name in NOT_PROVIDERS or not module.ispkg:
            continue
        spec = importlib.util.find_spec(module.name)
        if spec is None or spec.origin is None:
            continue
        try:
            text = Path(spec.origin).read_text(encoding="utf-8")
            found = _REGISTER.search(text)
            modules = json.loads(found.group(1)) if found else []
        except (OSError, ValueError):
            continue  # not a provider SDK we can read: its package then is not checked (GEN-002 still names it)
        for entry in modules:
            if isinstance(entry, dict) and isinstance(entry.get("pkg"), str):
                tokens.setdefault(entry["pkg"], set()).update(entry.get("classes", {}))
                roots.setdefault(entry["pkg"], Path(spec.origin).parent)
    return ProviderTokens({pkg: frozenset(found) for pkg, found in tokens.items()}, roots)


def _aliases(known: ProviderTokens, package: str) -> frozenset[str]:
    """The alias type tokens the package's resource classes declare (read on the first miss, then kept)."""
    key = f"aliases:{package}"
    with _lock:
        if key not in _cache:
            found: set[str] = set()
            root = known.roots.get(package)
            for file in sorted(root.rglob("*.py")) if root else ():
                try:
                    data = file.read_bytes()
                except OSError:
                    continue
                if b"Alias(type_" in data:
                    found.update(token.decode(errors="replace") for token in _ALIAS.findall(data))
            _cache[key] = frozenset(found)
        return _cache[key]  # type: ignore[return-value]


def unknown_token(token: str, custom: bool, known: ProviderTokens | None = None) -> str | None:
    """Why the gate refuses a registration of `token` (one phrase, with a suggestion), or None when it is fine.

    `custom`: a custom resource (created by a provider) rather than a component.
    """
    known = known or installed()
    package = known.package_of(token)
    if package is None:
        return None  # a package no installed SDK has (AGID-GEN-002), the engine's own, or the program's component
    tokens = known.tokens[package]
    if not custom:
        twin = token if token in tokens else _case_twin(token, tokens)
        if twin is None:
            return None  # the program's own component type that merely starts with a provider's name
        return (f"component resource with {package}'s custom resource type token {token}: a component creates "
                "nothing, so the rules would judge a look-alike; give the component a type token of your own "
                "(e.g. myorg:iam:AgentKey)")
    if token in tokens:
        return None
    if package == KUBERNETES and token.split(":", 1)[0] == KUBERNETES and not _shipped_group(token, tokens):
        return None  # a CustomResource of a CRD's API group
    # after the CRD test, which passes whatever the aliases are: the alias scan reads every file of the SDK (~0.04 s
    # CPU for pulumi_kubernetes' 800), which a stack with a custom resource (ClusterSPIFFEID) paid at every run
    if token in _aliases(known, package):
        return None
    suggestion = suggest(token, tokens)
    hint = f" (did you mean {suggestion}?)" if suggestion else f" (no {package} resource type looks like it)"
    return f"unknown type token {token}{hint}"


def _case_twin(token: str, tokens: frozenset[str]) -> str | None:
    folded = token.lower()
    return next((t for t in tokens if t.lower() == folded), None)


def _group(module: str) -> str:
    """The API group of a kubernetes token's module: `rbac.authorization.k8s.io/v1` -> rbac...; `v1` -> core."""
    return module.split("/", 1)[0].lower() if "/" in module else "core"


def _shipped_group(token: str, tokens: frozenset[str]) -> bool:
    parts = token.split(":")
    if len(parts) != 3:
        return True  # not the CRD shape `kubernetes:<apiVersion>:<kind>`: judged as a token of the SDK
    return _group(parts[1]) in _shipped_groups(tokens)


@functools.lru_cache(maxsize=8)
def _shipped_groups(tokens: frozenset[str]) -> frozenset[str]:
    """The API groups of a kubernetes SDK's tokens: derived once, not at every CRD registration (issue 17: the set was
    built anew from every kubernetes token each time, ~1.25 ms a ClusterSPIFFEID, 0.25 s of the gate at 1,000 agents)."""
    return frozenset(_group(t.split(":")[1]) for t in tokens if t.count(":") == 2)


def suggest(token: str, tokens: frozenset[str]) -> str | None:
    """The package's token most like `token`: same token in another case, else the same resource name in the
    closest module (`aws:iam:AccessKey` -> aws:iam/accessKey:AccessKey), else the closest spelling."""
    twin = _case_twin(token, tokens)
    if twin:
        return twin
    name = token.rsplit(":", 1)[-1].lower()
    same_name = [t for t in tokens if t.rsplit(":", 1)[-1].lower() == name]
    if same_name:
        return max(sorted(same_name), key=lambda t: difflib.SequenceMatcher(None, t.lower(), token.lower()).ratio())
    close = difflib.get_close_matches(token, sorted(tokens), n=1, cutoff=0.75)
    return close[0] if close else None
