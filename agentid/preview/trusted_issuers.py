"""The OIDC issuers the gate operator runs and trusts: `agentid preview --trusted-issuer URL` (repeatable).

A federated identity credential or a Workload Identity Federation provider that trusts an issuer neither a
platform runs nor the operator lists is a mandatory violation (AGID-GEN-003): whoever serves that issuer's keys
signs the trusted subject. Issuers the operator runs (a SPIRE OIDC discovery provider, a self-managed cluster)
are the GATE's setting, never the judged stack's: this option, or `trustedIssuers` in the base branch's
waivers.yaml `policyPackConfig` (read like waivers, with --waivers-from-ref). Both add to the trusted baseline of
every policy whose config schema has `trustedIssuers`; a pull request's own config (stack file,
--policy-pack-config) may only shorten that list (strictness "subset", runner.enforce_floor).

An issuer is an https URL (OpenID Connect Discovery 1.0 section 4, RFC 8414 section 2): anything else is a
ConfigError naming the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from agentid.preview.stack_config import ConfigError

KEY = "trustedIssuers"
MAX_LENGTH = 2048


def checked(issuers: Sequence[str]) -> tuple[str, ...]:
    """The issuers without a trailing '/', in order, once each; ConfigError for a value that is not an https URL."""
    kept: list[str] = []
    for issuer in issuers:
        parts = urlsplit(issuer) if isinstance(issuer, str) and len(issuer) <= MAX_LENGTH else None
        if parts is None or parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment \
                or any(c.isspace() for c in issuer) or parts.username is not None:
            raise ConfigError(f"--trusted-issuer {str(issuer)[:200]!r}: an OIDC issuer is an https URL with a host "
                              "and no query or fragment, e.g. https://oidc.example.org")
        normal = issuer.rstrip("/")
        if normal not in kept:
            kept.append(normal)
    return tuple(kept)


def add_to(policies: Iterable[Any], config: dict[str, dict[str, Any]], issuers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """`config` (the trusted baseline) with `issuers` added to the list of every policy whose schema has
    `trustedIssuers` (its own list, from the waiver file, comes first)."""
    if not issuers:
        return config
    updated = dict(config)
    for policy in policies:
        if KEY not in (policy.config_schema or {}):
            continue
        entry = dict(updated.get(policy.name, {}))
        listed = entry.get(KEY, [])
        if not isinstance(listed, list):  # the waiver file's own value is wrong: reconcile reports it, as that file's
            continue
        entry[KEY] = list(dict.fromkeys([*listed, *issuers]))
        updated[policy.name] = entry
    return updated
