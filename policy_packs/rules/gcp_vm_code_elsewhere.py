"""AGID-GCP-020 (stack): the stack runs no code, and opens no root login, on Compute Engine VMs it does not define.

Every VM runs as its service account (the Compute Engine default account is Editor of the project) and its
metadata server hands that account's tokens to any root process. So code as root on VMs the stack does not define
is code as accounts the pack cannot see - the Google twin of AWS-057's SSM associations - through:
  - metadata the guest environment acts on (startup/shutdown/specialize scripts and their -url forms, ssh-keys /
    sshKeys, windows-keys, user-data, gce-container-declaration; enable-oslogin not true, serial-port-enable not
    false, block-project-ssh-keys not true), set project-wide (compute.ProjectMetadata / ProjectMetadataItem), for a
    zone (compute.InstanceSettings) or on VMs of a managed instance group the stack does not define
    (Per/RegionPer/BulkPerInstanceConfig);
  - VM Manager (OS Config): a PatchDeployment with pre/post step scripts; an OsPolicyAssignment (or a
    V2PolicyOrchestrator rolling one out over a project, folder or organization) with exec or file resources,
    packages installed from a file source, or repositories; GuestPolicies with recipes or package repositories.
Metadata keys that run nothing (`team`, `enable-oslogin: TRUE`), a patch deployment without scripts, OS policies that
install packages by name from the VM's own repositories, and per-instance configs of a group the stack defines
(or names by an output: its own) pass. The keys, switches and OS Config kinds are data with their sources
(analysis/gcp_vm_code.yaml). Keys are compared without case; booleans are read as the guest agent reads them
(Go strconv.ParseBool), so only a documented safe value is safe. A value unknown at preview is "cannot check until
known"; a shape the pack cannot read is a violation naming the path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation
from .stack_inputs import Stop, judged, objects, stop

_DATA_FILE = Path(__file__).resolve().parent.parent / "analysis" / "gcp_vm_code.yaml"


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    from agentid_components import data_yaml  # noqa: PLC0415 - only this rule needs the file

    return data_yaml.load(_DATA_FILE)


@lru_cache(maxsize=1)
def _code_keys() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(pattern, re.IGNORECASE), why) for pattern, why in _data()["code_keys"].items()]


def metadata_findings(key: str, value: Any) -> str | None:
    """What metadata `key` = `value` does on a VM when it runs code or opens a login, else None. `value` may be the
    unknown sentinel: a code key runs whatever it holds; a switch whose value is unknown raises LookupError."""
    for pattern, why in _code_keys():
        if pattern.fullmatch(key.strip()):
            return why
    data = _data()
    switch = data["switches"].get(key.strip().lower())
    if switch is None:
        return None
    if is_unknown(value):
        raise LookupError(key)
    safe_values = data["parse_bool"]["truthy" if switch["safe"] else "falsy"]
    if isinstance(value, bool):
        value = "true" if value else "false"
    return None if isinstance(value, str) and value.strip() in safe_values else f"{value!r}: {switch['unsafe']}"


def _judge_map(resource: Resource, path: str, metadata: Any, reach: str) -> Iterator[Violation]:
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise stop(resource, path, metadata, "a map of metadata keys")
    for key, value in metadata.items():
        try:
            found = metadata_findings(str(key), value)
        except LookupError:
            raise Stop(Unknown(f"{path}.{key}", resource.urn)) from None
        if found:
            yield Violation(f"{resource.name} sets metadata {key!r} on {reach}: {found}; the VMs run as service "
                            "accounts the stack does not define (the default compute account is Editor), whose "
                            "tokens root reads from the metadata server", resource.urn)


def _metadata(resource: Resource, carrier: dict[str, Any], managers: set[str]) -> Iterator[Violation]:
    props = resource.props
    manager_input = carrier.get("manager")
    reach = carrier["reach"]
    if manager_input:
        manager = props.get(manager_input)
        if is_unknown(manager):
            return  # named by an output: a group of this stack
        if not isinstance(manager, str):
            raise stop(resource, manager_input, manager, "an instance group manager name")
        if manager.strip().rsplit("/", 1)[-1].lower() in managers:
            return
        reach = f"{reach} the stack does not define ({manager})"
    if "key" in carrier:
        key = props.get(carrier["key"])
        if is_unknown(key) or not isinstance(key, str):
            raise stop(resource, carrier["key"], key, "a metadata key")
        yield from _judge_map(resource, "value", {key: props.get(carrier["value"])}, reach)
        return
    holders: list[tuple[str, Any]] = [("", props)]
    if "each" in carrier:
        items = props.get(carrier["each"])
        if items is not None and not isinstance(items, list):
            raise stop(resource, carrier["each"], items, "a list")
        holders = [(f"{carrier['each']}[{index}].", item) for index, item in enumerate(items or [])]
    for prefix, holder in holders:
        metadata = value_at(holder, carrier["map"])
        yield from _judge_map(resource, prefix + carrier["map"], metadata, reach)


def _os_policy_resources(resource: Resource, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, OS policy resource) of each osPolicies[].resourceGroups[].resources[] under `path`."""
    for policy_path, policy in objects_at(resource, path, value_at(resource.props, path)):
        groups = f"{policy_path}.resourceGroups"
        for group_path, group in objects_at(resource, groups, policy.get("resourceGroups")):
            yield from objects_at(resource, f"{group_path}.resources", group.get("resources"))


def objects_at(resource: Resource, path: str, value: Any) -> list[tuple[str, dict[str, Any]]]:
    """(path, object) of each item of the list `value` at `path` (absent: none)."""
    return [(f"{path}[{index}]", item) for index, item in enumerate(objects(resource, path, value))]


def _set(value: Any) -> bool:
    """Is an input present with content (an object, list or text)? The unknown sentinel counts: it will be set."""
    return value not in (None, "", [], {}) and value is not False


def _os_config(resource: Resource) -> Iterator[Violation]:
    data = _data()
    if resource.type in data["patch_deployments"]:
        for path in data["patch_deployments"][resource.type]["steps"]:
            if _set(value_at(resource.props, path)):
                yield Violation(f"{resource.name} sets {path}: the patch deployment runs that script as root on "
                                "every VM its instance filter selects (VMs the stack does not define, running as "
                                "their service accounts)", resource.urn)
        return
    if resource.type in data["os_policy_holders"]:
        path = data["os_policy_holders"][resource.type]["os_policies"]
        for item_path, item in _os_policy_resources(resource, path):
            for code_path, why in data["os_policy_code"].items():
                if _set(value_at(item, code_path)):
                    yield Violation(f"{resource.name} {item_path}.{code_path} {why} (VMs the stack does not define, "
                                    "running as their service accounts)", resource.urn)
        return
    for field, why in data["guest_policies"][resource.type]["code"].items():
        if _set(resource.props.get(field)):
            yield Violation(f"{resource.name} sets {field}: it {why} on every VM the policy assigns (VMs the stack "
                            "does not define, running as their service accounts)", resource.urn)


def check(resources: list[Resource], config):
    data = _data()
    managers = {name.strip().lower() for resource in resources if resource.type in data["instance_group_managers"]
                if isinstance(name := resource.props.get("name"), str)}
    for resource in resources:
        carrier = data["metadata_carriers"].get(resource.type)
        if carrier is None and resource.type not in _os_config_types():
            continue
        yield from judged(_metadata(resource, carrier, managers) if carrier is not None else _os_config(resource))


@lru_cache(maxsize=1)
def _os_config_types() -> frozenset[str]:
    data = _data()
    return frozenset((*data["patch_deployments"], *data["os_policy_holders"], *data["guest_policies"]))


def _reads() -> tuple[str, ...]:
    data = _data()
    return (*data["metadata_carriers"], *_os_config_types(), *data["instance_group_managers"])


RULE = Rule(
    id="AGID-GCP-020",
    title="gcp-no-code-on-unseen-vms",
    severity="critical",
    category="escalation",
    description="No project or zone metadata, per-instance config of a group the stack does not define, or VM "
                "Manager (OS Config) policy runs scripts, adds SSH/Windows logins or turns OS Login off on VMs the "
                "stack does not define.",
    remediation="Put startup scripts and keys on the stack's own VMs (compute.Instance metadata, running as a "
                "service account the stack defines), keep enable-oslogin TRUE, and run VM Manager scripts from "
                "outside the agent's stack.",
    url="https://cloud.google.com/compute/docs/metadata/predefined-metadata-keys",
    check=check,
    stack=True,
    reads=_reads(),
)
