"""Is a string a literal secret? Asked of Yelp's detect-secrets detectors, not of our own regexes.

A value is scanned as the line `KEY = "VALUE"`, so the keyword detector sees the name it is stored
under (an environment variable `DB_PASSWORD`, a field that by definition holds a secret) and the
pattern detectors (AWS keys, GitHub/Slack/Stripe/OpenAI tokens, private keys, JWTs, basic-auth
URLs, ...) see the value. detect-secrets' ad-hoc `scan_line` also reports high-entropy strings
below the plugin's entropy limit (it is meant for humans asking "why not?"); those are dropped
here, as a file scan would drop them. Source: https://github.com/Yelp/detect-secrets
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from agentid_policy_packs.analysis.values import is_unknown

from .base import Violation
from .engine_secrets import is_engine_secret

_LOCK = threading.RLock()  # detect-secrets keeps its settings in a process-wide singleton
_ENTERED = [False]  # its default settings are in force (`scanning`), under _LOCK
_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")
# A reference names where a secret is kept, not the secret: an ARN (a Secrets Manager secret, an SSM
# parameter, a KMS key) is the documented way to hand a secret to Lambda or ECS.
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:\S+$")
MAX_SCANNED = 64 * 1024  # characters: a longer value is scanned in its first 64 KiB


USERINFO_KIND = "URL userinfo password"
_URL_WITH_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s@]+:[^/\s@]+@")
_TEMPLATE = re.compile(r"^(?:\$\{.*\}|\{\{.*\}\}|\{[A-Za-z_]+\}|%[A-Za-z_(]+.*|\*+|<[^>]*>|x+)$", re.IGNORECASE)


def _userinfo_password(value: str) -> bool:
    """Whether a URL in `value` carries a literal password in its userinfo (`postgres://admin:S3cr3t!@db/app`,
    RFC 3986 section 3.2.1 deprecates it: "the password ... is deprecated"): detect-secrets' Basic Auth detector
    misses passwords with characters such as `!` (red14 r14-4). A template placeholder (`${DB_PASSWORD}`,
    `{password}`, `<password>`, `***`) is not a password."""
    import urllib.parse

    for match in _URL_WITH_USERINFO.finditer(value[:MAX_SCANNED]):
        try:
            password = urllib.parse.urlsplit(value[match.start():].split()[0]).password
        except ValueError:
            continue
        if password and not _TEMPLATE.match(urllib.parse.unquote(password)):
            return True
    return False


@lru_cache(maxsize=1)
def _plugins_by_type() -> dict[str, object]:
    from detect_secrets.settings import get_plugins

    return {plugin.secret_type: plugin for plugin in get_plugins()}


@contextmanager
def scanning() -> Iterator[None]:
    """detect-secrets' default settings in force (this thread holding the lock) for every scan inside: a caller that
    asks about many strings enters them once. Entering them clears and rebuilds detect-secrets' plugin and filter
    caches (its `transient_settings`), ~0.37 ms, half of a scan's cost when done per string (issue 17: AGID-GEN-004
    scans every string of the stack). Do not yield from inside it: collect, leave, then yield."""
    with _LOCK:
        if _ENTERED[0]:
            yield
            return
        from detect_secrets.settings import default_settings

        with default_settings():
            _ENTERED[0] = True
            try:
                yield
            finally:
                _ENTERED[0] = False


def _scan(line: str) -> list[str]:
    from detect_secrets.core.scan import scan_line

    with scanning():
        plugins = _plugins_by_type()
        found = []
        for secret in scan_line(line):
            plugin = plugins.get(secret.type)
            limit = getattr(plugin, "entropy_limit", None)
            if limit is not None and plugin.calculate_shannon_entropy(secret.secret_value or "") <= limit:
                continue
            found.append(secret.type)
        return sorted(set(found))


@lru_cache(maxsize=2048)
def secret_kinds(key: str, value: str) -> tuple[str, ...]:
    """The detect-secrets secret types found in `value` stored under `key` (empty: not a secret).

    A JSON object value (a Secrets Manager secret string often is one) is scanned member by member,
    each under its own key. Never returns or logs the value itself.
    """
    value = value[:MAX_SCANNED]
    if _ARN.match(value.strip()):
        return ()
    try:
        decoded = json.loads(value) if value.lstrip().startswith("{") else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        kinds: set[str] = set()
        for member, item in decoded.items():
            if isinstance(item, str):
                kinds.update(secret_kinds(str(member), item))
        return tuple(sorted(kinds))
    name = _IDENTIFIER.sub("_", key).strip("_") or "value"
    kinds = set()
    for line in value.splitlines() or [value]:
        kinds.update(_scan(f"{name} = {json.dumps(line)}"))
    if "Basic Auth Credentials" not in kinds and _userinfo_password(value):
        kinds.add(USERINFO_KIND)
    return tuple(sorted(kinds))


def literal_secret_message(name: str, path: str, key: str, value: str, remedy: str) -> str | None:
    """The finding for a literal secret in input `path` of resource `name` (None when none is found).

    Names the detect-secrets types, never the value. Shared by AGID-AWS-007 and AGID-AZ-025.
    """
    kinds = secret_kinds(key, value)
    if not kinds:
        return None
    return (f"{name}: {path} holds a literal secret (detect-secrets: {', '.join(kinds)}): it is in the program's "
            f"source and every state file and preview; {remedy}")


class SecretByType:
    """A value the field's type says is a secret (a password field, a Data Factory SecureString): a literal
    whenever it is a non-empty string, whether or not a detector recognises it."""

    def __init__(self, value) -> None:
        self.value = value


class Unreadable:
    """A candidate input that is not the shape the provider takes, so whether it holds a secret cannot be judged."""

    def __init__(self, shape: str) -> None:
        self.shape = shape  # what it is, as a message phrase: "not a JSON list of container definitions"


def literal_secret_findings(resource, candidates, remedy: str, placeholder: str):
    """The violations of a literal-secret rule (AGID-AWS-007, AGID-AZ-025) over `candidates`.

    `candidates` are (path, key it is stored under, value or SecretByType(value)). Skipped: absent and unknown values, the
    `placeholder` `agentid preview` sends for an encrypted config secret, and values the engine marked
    secret (engine_secrets). An Unreadable value or a non-string fails closed (a violation naming the path).
    """
    for path, key, value in candidates:
        by_type = isinstance(value, SecretByType)
        value = value.value if by_type else value
        if value is None or is_unknown(value) or value == placeholder or is_engine_secret(value):
            continue
        if isinstance(value, Unreadable) or not isinstance(value, str):
            shape = value.shape if isinstance(value, Unreadable) else f"{type(value).__name__}, not a string"
            yield Violation(f"{resource.name}: {path} is {shape}, so whether it holds a literal secret cannot be "
                            "judged")
            continue
        if by_type:
            if value.strip():
                yield Violation(f"{resource.name}: {path} holds a literal secret (the field is a secret by type): it "
                                f"is in the program's source and every state file and preview; {remedy}")
            continue
        message = literal_secret_message(resource.name, path, key, value, remedy)
        if message:
            yield Violation(message)
