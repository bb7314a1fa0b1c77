"""Every input of the installed providers and what judges it (analysis/provider_inputs.yaml), for AGID-PRV-005 and
the default providers the gate builds from stack config (agentid/preview/default_providers.py)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml

DATA = Path(__file__).resolve().parent / "provider_inputs.yaml"
KINDS = ("judged", "harmless", "unjudged")


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


def packages() -> dict[str, dict[str, Any]]:
    return _data()["packages"]


def engine_inputs() -> dict[str, dict[str, Any]]:
    """Inputs the engine adds to every provider resource (version, pluginDownloadURL, ...)."""
    return _data()["engine"]


def kind(entry: dict[str, Any]) -> str:
    """judged | harmless | unjudged: the one classification an entry carries."""
    [found] = [key for key in KINDS if key in entry]
    return found


def classification(package: str, key: str) -> dict[str, Any] | None:
    """The entry classifying the provider input `key` of `package`, None when nothing classifies it (or the package
    is not one whose inputs are classified)."""
    spec = packages().get(package)
    if spec is None:
        return None
    if key in spec["inputs"]:
        return spec["inputs"][key]
    if key in engine_inputs():
        return engine_inputs()[key]
    for pattern in spec.get("patterns", ()):
        if key.endswith(pattern["suffix"]):
            return pattern
    return None


def member(package: str, key: str, name: str) -> dict[str, Any] | None:
    """The entry classifying member `name` of the struct input `key` (Pulumi or Terraform spelling, any case)."""
    members = packages()[package].get("members", {}).get(key)
    if members is None:
        return None
    wanted = name.replace("_", "").lower()
    return next((entry for member_name, entry in members["inputs"].items()
                 if member_name.lower() == wanted), None)


def has_members(package: str, key: str) -> bool:
    return key in packages().get(package, {}).get("members", {})


def judges_default_provider(package: str, key: str) -> bool:
    """Whether `<package>:<key>` stack config makes the gate build the default provider for AGID-PRV-005: a key of a
    classified package that is unclassified or unjudged (a harmless or judged key needs no AGID-PRV-005)."""
    if package not in packages():
        return False
    entry = classification(package, key)
    return entry is None or kind(entry) == "unjudged" or (entry is not None and has_members(package, key))
