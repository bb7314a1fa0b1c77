"""The OIDC issuers the gate operator runs and trusts: `agentid preview --trusted-issuer URL` (repeatable).

A federated identity credential or a Workload Identity Federation provider that trusts an issuer neither a
platform runs nor the operator lists is a mandatory violation (AGID-GEN-003): whoever serves that issuer's keys
signs the trusted subject. Issuers the operator runs (a SPIRE OIDC discovery provider, a self-managed cluster)
are the GATE's setting, never the judged stack's: this option, or `trustedIssuers` in the base branch's
waivers.yaml `policyPackConfig` (read like waivers, with --waivers-from-ref). Both add to the trusted baseline of
every policy whose config schema has `trustedIssuers`; a pull request's own config (stack file,
--policy-pack-config) may only shorten that list (strictness "subset", runner.enforce_floor).

An issuer is an https URL (OpenID Connect Discovery 1.0 section 4, RFC 8414 section 2) meaning one host, port and path
to every parser: the rules the agent file's issuers obey (agentid_components.https_url, e.g. no backslash, userinfo,
dot segment, '%' in the host, loopback or metadata address). Anything else is a ConfigError naming the flag, the
value and the rule it breaks, as for the same list in the waiver file (pack_config, format "https-url").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from agentid_components import https_url

from agentid.preview.stack_config import ConfigError

KEY = "trustedIssuers"
MAX_LENGTH = 2048


def checked(issuers: Sequence[str]) -> tuple[str, ...]:
    """The issuers without a trailing '/', in order, once each; ConfigError for a value that is not an https URL."""
    kept: list[str] = []
    for issuer in issuers:
        why = ("is not a string of at most 2048 characters" if not isinstance(issuer, str) or len(issuer) > MAX_LENGTH
               else https_url.problem(issuer.rstrip("/") or issuer))
        if why:
            raise ConfigError(f"--trusted-issuer {str(issuer)[:200]!r} {why} (an OIDC issuer such as https://oidc.example.org)")
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
