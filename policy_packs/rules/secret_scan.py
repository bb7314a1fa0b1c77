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
from functools import lru_cache

_LOCK = threading.Lock()  # detect-secrets keeps its settings in a process-wide singleton
_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")
# A reference names where a secret is kept, not the secret: an ARN (a Secrets Manager secret, an SSM
# parameter, a KMS key) is the documented way to hand a secret to Lambda or ECS.
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:\S+$")
MAX_SCANNED = 64 * 1024  # characters: a longer value is scanned in its first 64 KiB


@lru_cache(maxsize=1)
def _plugins_by_type() -> dict[str, object]:
    from detect_secrets.settings import get_plugins

    return {plugin.secret_type: plugin for plugin in get_plugins()}


def _scan(line: str) -> list[str]:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    with _LOCK, default_settings():
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
