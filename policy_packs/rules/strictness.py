"""Which way a rule setting is stricter, so a pull request's config may tighten a rule but never loosen it.

Issue 11 ("Integrity"): stack-file settings may add strictness, never remove it. Each
property of a rule's `config` declares its direction in `Rule.config_strictness`:

  "lower"     a number where smaller is stricter (e.g. `maxLifetimeMinutes`)
  "higher"    a number where larger is stricter
  "subset"    a list where fewer items is stricter (e.g. `ownAccountIds`: accounts exempt from a check)
  "superset"  a list where more items is stricter (e.g. required tags)
  True/False  a boolean whose strict value is this one

The pack publishes the direction inside the property's JSON schema under `KEYWORD`
(JSON Schema ignores unknown keywords), so `agentid preview` learns it from
`GetAnalyzerInfo` like the rest of the schema, for any pack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KEYWORD = "x-agentid-stricter"
KINDS = ("lower", "higher", "subset", "superset")


def check_declaration(rule_id: str, config: Mapping[str, Any], strictness: Mapping[str, Any]) -> None:
    """Raise ValueError unless every config property declares a direction that fits its default's type."""
    missing = sorted(set(config) - set(strictness))
    if missing:
        raise ValueError(f"{rule_id}: config property {', '.join(missing)} declares no strictness "
                         f"(config_strictness: one of {', '.join(KINDS)}, or the strict boolean value)")
    for key, kind in strictness.items():
        if key not in config:
            raise ValueError(f"{rule_id}: config_strictness names {key!r}, which is not a config property")
        default = config[key]
        fits = (isinstance(default, bool) and isinstance(kind, bool)) or \
               (isinstance(default, (int, float)) and not isinstance(default, bool) and kind in ("lower", "higher")) or \
               (isinstance(default, list) and kind in ("subset", "superset"))
        if not fits:
            raise ValueError(f"{rule_id}: config_strictness {key}={kind!r} does not fit a default of "
                             f"{type(default).__name__}")


def at_least_as_strict(kind: Any, value: Any, baseline: Any) -> bool:
    """Whether `value` is as strict as `baseline` or stricter; False when it cannot tell (fail closed).

    An undeclared direction (`kind` None, e.g. a pack that publishes none) allows only the baseline itself.
    """
    if value == baseline:
        return True
    if isinstance(kind, bool):
        return value is kind
    if kind in ("lower", "higher") and _is_number(value) and _is_number(baseline):
        return value <= baseline if kind == "lower" else value >= baseline
    if kind in ("subset", "superset") and isinstance(value, list) and isinstance(baseline, list):
        try:
            chosen, base = set(value), set(baseline)
        except TypeError:  # unhashable items: not a list of plain values, so not comparable
            return False
        return chosen <= base if kind == "subset" else chosen >= base
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
