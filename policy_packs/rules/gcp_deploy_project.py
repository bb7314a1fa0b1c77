"""AGID-GCP-035 (stack): the stack creates its Google Cloud resources in the organisation's own projects.

A GCP resource is created in its `project` input, else in its provider's `project` (an explicit `gcp.Provider`, or
the default provider the engine builds from the stack's `gcp:project`;
https://www.pulumi.com/registry/packages/gcp/installation-configuration/). A pull request that points either at
another project deploys there with the deployer's own identity, which the project's owner can simply grant a role:
a Secret Manager secret holding the stack's config secret, a bucket object, a dataset all land in a project the
organisation does not hold (red19 r19-5; AWS's counterpart, a provider assuming a role in another account, is
AGID-PRV-004's). A project is the organisation's when the gate lists it in `ownGcpProjects` (id or number; pack-wide,
a pull request may only shorten the list) or the stack creates it (`gcp.organizations.Project`) under one of
`ownGcpOrganizations`. Nothing listed is "cannot tell" (a violation), as for every other own list. Judged: every
gcp provider's `project` and every GCP resource's own `project` input; a project unknown at preview is reported
unless an Output of an own project the stack creates flowed into it.
"""

from __future__ import annotations

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .gcp_own import CONFIG, CONFIG_SCHEMA, STRICTNESS

PROVIDER = "pulumi:providers:gcp"
PROJECT = "gcp:organizations/project:Project"


def _folded(value: str) -> str:
    return value.strip().lower().removeprefix("projects/")


def _listed(config, key: str) -> frozenset[str]:
    value = config.get(key) if hasattr(config, "get") else None
    return frozenset(_folded(v).removeprefix("organizations/") for v in value or () if isinstance(v, str))


class _OwnProjects:
    def __init__(self, resources: list[Resource], config) -> None:
        self.listed = _listed(config, "ownGcpProjects")
        organizations = _listed(config, "ownGcpOrganizations")
        self.created: dict[str, str] = {}  # project id the stack creates under an own organization -> its URN
        for resource in resources:
            if resource.type != PROJECT:
                continue
            project, org = resource.props.get("projectId"), resource.props.get("orgId")
            if isinstance(project, str) and not is_unknown(project) and isinstance(org, str) \
                    and not is_unknown(org) and _folded(org).removeprefix("organizations/") in organizations:
                self.created[_folded(project)] = resource.urn

    def problem(self, project: str) -> str | None:
        folded = _folded(project)
        if folded in self.listed or folded in self.created:
            return None
        if not self.listed:
            return f"project {project}: the gate lists no own projects (ownGcpProjects), so it cannot tell whose it is"
        return f"project {project} is not one of ownGcpProjects ({', '.join(sorted(self.listed))})"


def _judge(resource: Resource, own: _OwnProjects, what: str):
    key = "projectId" if resource.type == PROJECT else "project"
    project = resource.props.get(key)
    if project is None or project == "":
        return
    if is_unknown(project):
        sources = (resource.property_dependencies or {}).get(key, ())
        if not (sources and all(urn in own.created.values() for urn in sources)):
            yield Unknown(f"{resource.name}.{key}", resource.urn)
        return
    if not isinstance(project, str):
        yield Violation(f"{resource.name}: cannot check: {key} is not a project id", resource.urn)
        return
    problem = own.problem(project)
    if problem:
        yield Violation(f"{resource.name} {what} {problem}: the deployer's identity would write into a project "
                        "the organisation may not hold", resource.urn)


def check(resources: list[Resource], config):
    judged = [r for r in resources if r.type == PROVIDER or r.type.startswith("gcp:")]
    if not judged:
        return
    own = _OwnProjects(resources, config)
    for resource in judged:
        if resource.type == PROVIDER:
            yield from _judge(resource, own, "deploys every resource without a project of its own into")
        elif resource.type == PROJECT:
            if _folded(str(resource.props.get("projectId") or "")) not in own.created:
                yield from _judge(resource, own, "creates")
        else:
            yield from _judge(resource, own, "is created in")


RULE = Rule(
    id="AGID-GCP-035",
    title="gcp-resources-in-own-projects",
    severity="high",
    category="public-access",
    enforcement="mandatory",
    description="Google Cloud resources, and every gcp provider's default project, are in projects the gate lists as "
                "the organisation's (ownGcpProjects) or the stack creates under an own organization.",
    remediation="Deploy into your own projects and list them with agentid preview --own-gcp-project (or the base "
                "branch's waivers.yaml policyPackConfig all: ownGcpProjects); a reviewed deployment into a partner "
                "project needs a waiver naming the resource.",
    url="https://www.pulumi.com/registry/packages/gcp/installation-configuration/",
    check=check,
    stack=True,
    reads=(PROVIDER,),
    config=CONFIG,
    config_schema=CONFIG_SCHEMA,
    config_strictness=STRICTNESS,
)
