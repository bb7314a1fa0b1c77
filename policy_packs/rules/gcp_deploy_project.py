"""AGID-GCP-035 (stack): the stack creates its Google Cloud resources in the organisation's own projects.

A GCP resource is created in its `project` input, else in its provider's `project` (an explicit `gcp.Provider`, or
the default provider the engine builds from the stack's `gcp:project`;
https://www.pulumi.com/registry/packages/gcp/installation-configuration/). A pull request that points either at
another project deploys there with the deployer's own identity, which the project's owner can simply grant a role:
a Secret Manager secret holding the stack's config secret, a bucket object, a dataset all land in a project the
organisation does not hold (red19 r19-5; AWS's counterpart, a provider assuming a role in another account, is
AGID-PRV-004's). A project is the organisation's when the gate lists it in `ownGcpProjects` (id or number; pack-wide,
a pull request may only shorten the list) or the stack creates it (`gcp.organizations.Project`) under one of
`ownGcpOrganizations`, and then only for a value that is an Output of that Project resource (the engine's
propertyDependencies of the input name it): project ids are global, so a literal id equal to the created project's
`project_id` may be an existing project of the pull request's author, written to before the Project's create fails
with ALREADY_EXISTS (red23 r20-8). Nothing listed is "cannot tell" (a violation), as for every other own list.
Judged: every gcp provider's `project`, every GCP resource's own `project` input, and every input that names the
resource's parent (analysis/gcp_parent_inputs.yaml, derived from the installed SDK's import-id formats: a
SecretVersion's `secret`, a CryptoKey's `key_ring`, an IAM member's `secret_id` / `repository` / `crypto_key_id`):
a `projects/P/...` value there (or the documented short `P/...` form) creates the resource in P whatever its
`project` says (red23 r20-2); a bare name is in the resource's own project, judged by `project`. A value unknown at
preview is reported unless it is an Output of own projects the stack creates or (a parent) of GCP resources of this
stack, which are judged here themselves. A bucket a child names (a bucket object's `bucket`) says nothing of its
project: AGID-GCP-033 judges where an object's content goes.
"""

from __future__ import annotations

import re

from agentid_policy_packs.analysis.gcp_parent_inputs import parent_inputs, project_first
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .gcp_own import CONFIG, CONFIG_SCHEMA, STRICTNESS, created_projects, vouched

PROVIDER = "pulumi:providers:gcp"
PROJECT = "gcp:organizations/project:Project"
_ACCOUNT_PROJECT = re.compile(r"/serviceAccounts/[^/@]+@(?P<project>[a-z0-9-]+)\.iam\.gserviceaccount\.com$")
_PARENT_ID = re.compile(r"^(?://[a-z0-9.-]+\.googleapis\.com/)?projects/(?P<project>[^/]+)(?:/|$)")


def _folded(value: str) -> str:
    return value.strip().lower().removeprefix("projects/")


def _listed(config, key: str) -> frozenset[str]:
    value = config.get(key) if hasattr(config, "get") else None
    return frozenset(_folded(v).removeprefix("organizations/") for v in value or () if isinstance(v, str))


class _OwnProjects:
    def __init__(self, resources: list[Resource], config) -> None:
        self.listed = _listed(config, "ownGcpProjects")
        self.created = created_projects(resources, config)  # project id -> URN of the Project creating it

    def problem(self, project: str, sources=()) -> str | None:
        """Why `project` is not own; `sources`: the URNs the value's input depends on (a created project vouches
        only for its own Output: red23 r20-8)."""
        folded = _folded(project)
        if folded in self.listed or vouched(self.created, folded, sources):
            return None
        if folded in self.created:
            return (f"project {project} is not one of ownGcpProjects, and it is not an Output of the Project this "
                    "stack creates with that id (a literal id may name an existing project of anyone's: project "
                    "ids are global)")
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
    problem = own.problem(project, (resource.property_dependencies or {}).get(key, ()))
    if problem:
        yield Violation(f"{resource.name} {what} {problem}: the deployer's identity would write into a project "
                        "the organisation may not hold", resource.urn)


def _parent_project(resource: Resource, key: str, value: str) -> str | None:
    """The project a parent input's value names (`projects/P/...`, or the documented short form), else None (a bare
    name: the resource's own project)."""
    value = value.strip()
    if (match := _PARENT_ID.match(value)):
        if match["project"] == "-" and (account := _ACCOUNT_PROJECT.search(value)):
            return account["project"]  # projects/-/serviceAccounts/NAME@P.iam.gserviceaccount.com: the account's P
        return match["project"]
    segments = project_first().get(resource.type, {}).get(key)
    parts = value.split("/")
    return parts[0] if segments and len(parts) == segments and all(parts) else None


def _judge_parents(resource: Resource, own: _OwnProjects, stack_urns: frozenset[str]):
    for key in parent_inputs().get(resource.type, ()):
        value = resource.props.get(key)
        if value is None or value == "":
            continue
        sources = tuple((resource.property_dependencies or {}).get(key, ()))
        if is_unknown(value):
            # an Output of this stack's GCP resources (each judged here) or of a project it creates
            if not (sources and all(urn in stack_urns for urn in sources)):
                yield Unknown(f"{resource.name}.{key}", resource.urn)
            continue
        if not isinstance(value, str):
            yield Violation(f"{resource.name}: cannot check: {key} is not a resource name", resource.urn)
            continue
        project = _parent_project(resource, key, value)
        if project is None:
            continue
        problem = own.problem(project, sources)
        if problem:
            yield Violation(f"{resource.name} is created under {value.strip()[:200]} ({key}), in {problem}: the "
                            "deployer's identity would write into a project the organisation may not hold",
                            resource.urn)


def check(resources: list[Resource], config):
    judged = [r for r in resources if r.type == PROVIDER or r.type.startswith("gcp:")]
    if not judged:
        return
    own = _OwnProjects(resources, config)
    stack_urns = frozenset(r.urn for r in judged if r.type != PROVIDER)
    for resource in judged:
        if resource.type == PROVIDER:
            yield from _judge(resource, own, "deploys every resource without a project of its own into")
        elif resource.type == PROJECT:
            if own.created.get(_folded(str(resource.props.get("projectId") or ""))) != resource.urn:
                yield from _judge(resource, own, "creates")
        else:
            yield from _judge(resource, own, "is created in")
            yield from _judge_parents(resource, own, stack_urns)


RULE = Rule(
    id="AGID-GCP-035",
    title="gcp-resources-in-own-projects",
    severity="high",
    category="public-access",
    enforcement="mandatory",
    description="Google Cloud resources (by their `project` or their parent's id), and every gcp provider's default "
                "project, are in projects the gate lists as the organisation's (ownGcpProjects) or, by its Output, a "
                "project the stack creates under an own organization.",
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
