"""The Azure side of a fleet: per-stack shared Entra resource applications and one identity per agent.

Usage in a stack program:

    settings = AzureSettings.from_config(spec_dir=Path(loaded.file).parent)
    azure = AzureAgents("azure", loaded.inventory.agents, settings)
    pulumi.export("azure", azure.inventory)

Everything is planned and checked first (`plan.plan_fleet`): bad input raises
`AzureCompileError` before a single resource, the component included, registers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from agentid_components import naming
from agentid_components import settings as kit_settings
from agentid_components.child_names import ChildNames, first_of_type, passing_depends_on
from agentid_components.azure.entra import ResourceAppRef, create_resource_app
from agentid_components.azure.identity import AzureAgentIdentity
from agentid_components.azure.plan import AzureCompileError, FleetPlan, ResourceApp, check_resource_group_name, plan_fleet
from agentid_components.outputs import resolve_nested
from agentid_components.spec import Agent

CONFIG_NAMESPACE = kit_settings.NAMESPACE
TYPE_TOKEN = "agentid:azure:AgentFleet"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_API_APP_FIELDS = {"client_id": "clientId", "service_principal_object_id": "servicePrincipalObjectId",
                   "app_role_ids": "appRoleIds"}
_API_APP_SHAPE = "{clientId: GUID, servicePrincipalObjectId: GUID, appRoleIds: {scope: GUID}}"


class AzureSettingError(kit_settings.SettingError):
    """Bad Azure settings; Pulumi prints the one-line message without a traceback."""


@dataclass(frozen=True)
class AzureSettings:
    """Where the agents' Azure identities live, and the shared Entra API applications they use.

    resource_group: existing resource group holding the managed identities (config `azureResourceGroup`;
        required as soon as one agent has Azure tools). A `pulumi.Input[str]`: an Output is checked when known.
    location: Azure region of the identities (config `azureLocation`; default: the azure-native
        provider's `azure-native:location`). A `pulumi.Input[str]`.
    api_applications: audience -> existing Entra API application (config `azureApiApplications`), each
        {clientId, servicePrincipalObjectId, appRoleIds: {scope: app role id}} (appRoleIds may be left out
        when the application was made by the kit's platform stack: the kit's own ids then apply). A plain
        mapping references only its audiences (the others are created); one Output of a mapping (a
        StackReference output) must hold every audience the agents use.
    name_suffix: part of every physical name (config `nameSuffix`; default: the stack name, see `naming`).
    spec_dir: directory the agent file's relative paths (client certificates) are resolved from.
    """

    resource_group: pulumi.Input[str] | None = None
    location: pulumi.Input[str] | None = None
    api_applications: Mapping[str, Any] | pulumi.Output = field(default_factory=dict)
    name_suffix: str | None = None
    spec_dir: Path = Path(".")

    def __post_init__(self) -> None:
        if self.api_applications is None:
            object.__setattr__(self, "api_applications", {})
        elif not isinstance(self.api_applications, (Mapping, pulumi.Output)):
            raise AzureSettingError(f"config azureApiApplications must be an object {_API_APP_SHAPE} per audience")
        self.suffix  # noqa: B018 - a bad suffix fails here, before anything registers

    @property
    def suffix(self) -> str:
        """The name suffix in force: `name_suffix`, or the stack's (`naming.stack_suffix`)."""
        return kit_settings.name_suffix(self.name_suffix, AzureSettingError)

    def api_application(self, app: ResourceApp) -> ResourceAppRef | None:
        """The existing application of `app.audience`, its values checked (now or when known); None: create it."""
        key = "azureApiApplications"
        found = kit_settings.entry(key, self.api_applications, app.audience)
        if found is None:
            return None
        where = f"{key}[{app.audience}]"
        if isinstance(found, pulumi.Output):
            checked = found.apply(lambda known: _api_application(where, known, app))
            return ResourceAppRef(
                app.audience,
                checked.apply(lambda known: known["clientId"]),
                checked.apply(lambda known: known["servicePrincipalObjectId"]),
                {scope: checked.apply(lambda known, s=scope: known["appRoleIds"][s]) for scope in app.roles},
            )
        known = _api_application(where, found, app)
        return ResourceAppRef(app.audience, known["clientId"], known["servicePrincipalObjectId"], dict(known["appRoleIds"]))

    @classmethod
    def from_config(cls, config: pulumi.Config | None = None, spec_dir: str | Path = ".") -> "AzureSettings":
        """The settings from the stack config (namespace `agent-identity-kit:` whatever the project's name;
        a kit key found elsewhere is warned about)."""
        kit_settings.warn_stray_keys()
        config = config or kit_settings.config()
        return cls(
            resource_group=config.get("azureResourceGroup"),
            location=config.get("azureLocation"),
            api_applications=kit_settings.config_object(config, "azureApiApplications") or {},
            name_suffix=config.get("nameSuffix"),
            spec_dir=Path(spec_dir),
        )


def _resource_group(value: str) -> None:
    try:
        check_resource_group_name(value)
    except AzureCompileError as error:
        raise AzureSettingError(str(error)) from None


def _api_application(where: str, value: Any, app: ResourceApp) -> dict[str, Any]:
    """An existing API application's reference, checked: GUIDs, and an app role id for every scope agents ask."""
    if not isinstance(value, Mapping):
        raise AzureSettingError(f"config {where} must be an object {_API_APP_SHAPE}")
    value = {_API_APP_FIELDS.get(name, name): item for name, item in value.items()}  # the package's snake_case too
    unknown = sorted(set(value) - {"clientId", "servicePrincipalObjectId", "appRoleIds"})
    if unknown:
        raise AzureSettingError(f"config {where} has unknown field(s) {', '.join(unknown)}: expected {_API_APP_SHAPE}")
    for name in ("clientId", "servicePrincipalObjectId"):
        if not isinstance(value.get(name), str) or not _GUID.match(value[name]):
            raise AzureSettingError(f"config {where}.{name} = {value.get(name)!r:.80} is not valid: expected a GUID")
    role_ids = value.get("appRoleIds")
    if role_ids is None:  # made by the kit (platform stack): the kit's deterministic ids
        role_ids = dict(app.roles)
    if not isinstance(role_ids, Mapping):
        raise AzureSettingError(f"config {where}.appRoleIds must be an object {{scope: GUID}}")
    missing = [scope for scope in app.roles if scope not in role_ids]
    if missing:
        raise AzureSettingError(
            f"config {where}.appRoleIds has no app role for scope(s) {', '.join(missing)} that agents ask for "
            f"(it has: {', '.join(sorted(map(str, role_ids))) or 'none'})"
        )
    for scope in app.roles:
        if not isinstance(role_ids[scope], str) or not _GUID.match(role_ids[scope]):
            raise AzureSettingError(f"config {where}.appRoleIds[{scope}] = {role_ids[scope]!r:.80} is not a GUID")
    return {**value, "appRoleIds": {scope: role_ids[scope] for scope in app.roles}}


class AzureAgents(pulumi.ComponentResource):
    """One `AzureAgentIdentity` per agent with Azure tools, plus the Entra applications of their OAuth audiences."""

    identities: dict[str, AzureAgentIdentity]

    def __init__(
        self,
        name: str,
        agents: list[Agent],
        settings: AzureSettings,
        opts: pulumi.ResourceOptions | None = None,
        plans: FleetPlan | None = None,
        legacy: bool | None = None,
    ) -> None:
        """`plans`: what `AzureAgents.check(agents, settings)` returned, if the caller already checked them.
        `legacy`: give the children their names from before Pulumi's naming convention as aliases (`child_names`); default:
        only the first component of this type in the program does."""
        plan = plans if plans is not None else self.check(agents, settings)
        super().__init__(TYPE_TOKEN, name, None, passing_depends_on(opts))
        names = ChildNames(self, name, legacy=first_of_type(TYPE_TOKEN) if legacy is None else legacy)
        resource_apps = {
            audience: settings.api_application(app) or create_resource_app(app, names)
            for audience, app in plan.resource_apps.items()
        }
        self.identities = {
            agent_plan.agent.name: AzureAgentIdentity(agent_plan, resource_apps, names.options(agent_plan.agent.name),
                                                      name=names.name(agent_plan.agent.name), legacy=names.legacy)
            for agent_plan in plan.agents
        }
        # The inventory is the caller's to export; registering it here would serialize it a second time.
        self.register_outputs({"agents": list(self.identities)})

    @staticmethod
    def check(agents: list[Agent], settings: AzureSettings) -> FleetPlan:
        """Plan and check every agent without registering anything; raise `AzureCompileError`.

        The constructor runs this first; a parent component can call it before registering itself.
        """
        resource_group = settings.resource_group
        if isinstance(resource_group, pulumi.Output):  # checked only here, where Azure agents use it
            resource_group = kit_settings.checked("azureResourceGroup", resource_group, _resource_group, AzureSettingError)
        return plan_fleet(agents, resource_group, settings.location, settings.spec_dir, suffix=settings.suffix)

    @functools.cached_property
    def inventory(self) -> pulumi.Output[dict[str, dict[str, Any]]]:
        """Agent -> inventory entry, built on first use: one Output over every agent's Azure ids."""
        identities = self.identities
        return resolve_nested({agent: identity.ids for agent, identity in identities.items()}).apply(
            lambda ids: {agent: identities[agent].inventory_entry(ids[agent]) for agent in identities}
        )
