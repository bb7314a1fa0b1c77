"""AGID-GCP-033 (stack): no log sink, subscription, transfer, trigger, stream, feed or notification sends data to a
project, bucket or host not known to be the stack's own (red17 r17-7; the GCP counterpart of AGID-AWS-064).

A log sink's destination, a Pub/Sub subscription's push endpoint, BigQuery table, Cloud Storage bucket or dead-letter
topic, a transfer job's sink bucket, an Eventarc trigger's HTTP endpoint or workflow, a Datastream destination
profile, an asset feed's topic, a Security Command Center, bucket, source repository or Healthcare store
notification topic, a Healthcare store's BigQuery stream, a Dataflow job's temporary / staging bucket, a bucket's
access-log bucket or inventory report bucket, a packet mirroring collector, an Eventarc pipeline's destinations, a
Dataplex scan's results table, a BigQuery extract job's buckets, Sensitive Data Protection findings and profiles, a
database migration's destination, a Healthcare pipeline's FHIR store, a GKE cross-project backup channel, Dialogflow
webhooks, audio exports and conversation notifications (an agent's conversations), SCC BigQuery exports, a bucket
object's bucket and a secret version's secret (the stack's data written into another project's existing bucket or
secret: red19 r19-5), a
transcoder job's output, an Eventarc enrollment or Google API source, a GKE restore channel, usage exports, an
Apigee analytics datastore: each sends data where a plain
input says, and the destination's owner admits the writer identity on THEIR side (a sink's writer identity, Pub/Sub's
service agent), which the stack never sees; a push endpoint needs no token at all. Which input of which type names
what, and what it sends, is data: analysis/gcp_foreign_project_inputs.yaml (a Google source per type;
tests/policy/test_gcp_foreign_project_inputs_data.py walks the installed SDK: every judged path is an input, and
every input whose name looks like a destination is judged or listed under `not_judged` with a reason, so a provider
upgrade adding one fails until someone decides).

Each destination is judged by what it names:
  - a project (`projects/P/...`, `bq://P.D[.T]`, a sink's `pubsub.googleapis.com/projects/P/topics/T`,
    `bigquery.googleapis.com/projects/P/datasets/D`, `logging.googleapis.com/projects/P/...`, a table `P.D.T`): own
    only when P is in the gate's `ownGcpProjects` (pack-wide); with none listed it is "cannot tell" and blocks, never
    off. A bare name (a topic `t`) is in the resource's own project. A value equal to the known id or name of a stack
    resource the holder is created after (the gate's mocks give a topic's id as its name) is in that resource's
    project, and an unknown one that is an Output (id / name) of GCP resources of this stack is in their projects;
  - a bucket (`storage.googleapis.com/B`, `gs://B`, a bucket input): a bucket name says nothing of its project, so
    it is own only when the stack names it (a gcp.storage.Bucket `name` input), the holder is created after that
    bucket (iam_links.ordered_after: were the bucket's create to fail, the name taken, the holder would send to the
    existing one) and the bucket is created in a project of ownGcpProjects (its `project`, else its provider's);
  - a URL: own only when its host is one the gate lists in `ownHosts` (pack-wide, the organisation's endpoints), or
    the value is an Output of a Cloud Run service or Cloud Function of this stack in a project of ownGcpProjects
    (the engine's dependencies of that input name only it: iam_links.output_sources).
A value not known at preview that is none of those is "cannot check until known"; a value that is not a string, or
a destination of another form, is "cannot tell" (flagged). Critical, mandatory, as AWS-064: waive a reviewed partner
destination by URN, or list the project / host.
Not here: log sinks' writer identities and Pub/Sub service agents' grants (the destination owner's side), the HTTP
calls of a Workflows source or a Dataflow template's parameters (free-form: AGID-GCP-019 judges who runs them), Cloud
SQL exports (an API call, no resource), Secret Manager replication (stays in the project: not egress).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agentid_components import data_yaml
from agentid_policy_packs.analysis.gcp_iam import OwnGcp, resource_project
from agentid_policy_packs.analysis.values import is_unknown, values_at

from .base import Resource, Rule, Unknown, Violation
from .gcp_own import CONFIG as OWN_CONFIG, CONFIG_SCHEMA as OWN_SCHEMA, STRICTNESS as OWN_STRICTNESS, \
    created_project_of, created_projects, vouched
from .iam_links import known_state, ordered_after, output_sources

DATA_FILE = Path(__file__).resolve().parents[1] / "analysis" / "gcp_foreign_project_inputs.yaml"
BUCKET_TYPE = "gcp:storage/bucket:Bucket"
# the stack's HTTP services whose Output URL is an own push / event endpoint, and the outputs holding it
SERVICE_URLS = {"gcp:cloudrunv2/service:Service": ("uri", "urls"),
                "gcp:cloudrun/service:Service": ("statuses",),
                "gcp:cloudfunctionsv2/function:Function": ("url", "serviceConfig.uri"),
                "gcp:cloudfunctions/function:Function": ("httpsTriggerUrl",)}
OWN_HOSTS_KEY = "ownHosts"
CONFIG = {**OWN_CONFIG, OWN_HOSTS_KEY: []}
CONFIG_SCHEMA = {**OWN_SCHEMA, OWN_HOSTS_KEY: {
    "type": "array", "items": {"type": "string"}, "default": [],
    "description": "host names of the organisation's own HTTP endpoints a push subscription or event trigger may "
                   "send to (set by the gate)"}}
STRICTNESS = {**OWN_STRICTNESS, OWN_HOSTS_KEY: "subset"}

_PROJECT = re.compile(r"^(?://[a-z0-9.-]+\.googleapis\.com/|https://(?:www|compute)\.googleapis\.com/compute/(?:v1|beta)/)?"
                      r"projects/(?P<project>[^/]+)(?:/|$)")
_BQ = re.compile(r"^bq://(?P<project>[^.:/]+(?::[^.:/]+)?)\.[^./]+(?:\.[^./]+)?$")
_SINK = re.compile(r"^(?P<service>pubsub|bigquery|logging|storage)\.googleapis\.com/(?P<rest>.*)$")
_TABLE = re.compile(r"^(?P<project>[^.:/]+(?::[^.:/]+)?)[.:](?P<dataset>[^.:/]+)\.(?P<table>[^.:/]+)$")


@cache
def foreign_project_inputs() -> dict[str, Any]:
    """The data file: `judged` (type -> sends, source, inputs [{path, kind}])."""
    return data_yaml.load(DATA_FILE)


class _Owner:
    def __init__(self, resources: list[Resource], config) -> None:
        self.resources = resources
        self.projects = OwnGcp.of(config).projects
        listed = config.get(OWN_HOSTS_KEY) if hasattr(config, "get") else None
        self.hosts = frozenset(h.strip().lower().rstrip(".") for h in listed or () if isinstance(h, str) and h.strip())
        self.buckets = [b for b in resources if b.type == BUCKET_TYPE
                        and isinstance(b.props.get("name"), str) and not is_unknown(b.props["name"])]
        self.services = [r for r in resources if r.type in SERVICE_URLS]
        self.gcp_resources = [r for r in resources if r.type.startswith("gcp:")]
        # projects the stack creates under an own organization: own for a resource whose project is their Output
        self.created = created_projects(resources, config)

    def of_resource(self, resource: Resource, project: str) -> str | None:
        """Why a stack resource's project is not own (None: listed, or an Output of an own project it creates)."""
        return None if created_project_of(resource, self.created) else self.project(project)

    def project(self, project: str, sources=()) -> str | None:
        """Why `project` is not own; `sources`: the URNs the value's input depends on (a project the stack creates
        under an own organization is own for its own Output only: red23 r20-8)."""
        project = project.strip().lower()
        if project in self.projects or vouched(self.created, project, sources):
            return None
        if not self.projects:
            return f"project {project[:100]}: cannot tell whether it is yours, the gate lists no own project (ownGcpProjects)"
        return f"project {project[:100]} is not one of ownGcpProjects"

    def bucket(self, name: str, holder: Resource) -> str | None:
        name = name.strip().removeprefix("gs://").split("/", 1)[0]
        named_like = [b for b in self.buckets if b.props["name"].strip() == name]
        ordered = [b for b in named_like if ordered_after(holder, b)]
        if ordered:
            # the stack's bucket is the destination: own only in an own project (a stack bucket created in the
            # attacker's project is the attacker's: red14 r14-3's class)
            project = resource_project(ordered[0])
            return self.of_resource(ordered[0], project) if project else \
                f"bucket {name[:100]} is {ordered[0].name} of this stack, whose project is not known: cannot tell"
        if named_like:
            return (f"bucket {name[:100]} is named like {named_like[0].name} of this stack, but {holder.name} does not "
                    "depend on it: were its create to fail (the name taken), this would name the existing bucket")
        return (f"bucket {name[:100]} is not one this stack names (a gcp.storage.Bucket `name` input); a bucket name "
                "does not say whose project it is in")

    def stack_object(self, value: str, holder: Resource) -> Resource | None:
        """The stack resource whose known id or name `value` is, when the holder is created after it."""
        for candidate in self.resources:
            state = known_state(candidate)
            if candidate is not holder and value in (state.get("id"), state.get("name")) and ordered_after(holder, candidate):
                return candidate
        return None

    def named(self, value: str, holder: Resource, bare_is_holders: bool, sources=()) -> str | None:
        """A resource name: `projects/P/...`, or a stack object's known id/name, or (bare) the holder's project."""
        if (match := _PROJECT.match(value)):
            return self.project(match["project"], sources)
        if (candidate := self.stack_object(value, holder)) is not None:
            project = resource_project(candidate)
            return self.of_resource(candidate, project) if project else \
                f"{value[:100]} is {candidate.name} of this stack, whose project is not known: cannot tell"
        if bare_is_holders and "/" not in value:
            project = resource_project(holder)
            return self.of_resource(holder, project) if project else \
                f"{value[:100]} is in {holder.name}'s project, which is not known: cannot tell"
        return f"{value[:200]!r} names no project: cannot tell whose it is"

    def problem(self, kind: str, value: str, holder: Resource, input_name: str) -> str | None:
        value = value.strip()
        sources = tuple((holder.property_dependencies or {}).get(input_name, ()))
        if kind == "bucket":
            return self.bucket(value, holder)
        if kind == "table":
            match = _TABLE.match(value)
            if match:
                return self.project(match["project"], sources)
            # `//bigquery.googleapis.com/projects/P/datasets/D/tables/T`, or a stack table's known id
            return self.named(value, holder, bare_is_holders=False, sources=sources)
        if kind == "project":
            return self.project(value, sources)
        if kind == "bq":
            match = _BQ.match(value)
            return self.project(match["project"], sources) if match else \
                f"{value[:200]!r} is not a BigQuery URI bq://PROJECT.DATASET[.TABLE]: cannot tell whose it is"
        if kind == "resource":
            return self.named(value, holder, bare_is_holders=True, sources=sources)
        if kind == "sink":
            match = _SINK.match(value)
            if match is None:
                return f"{value[:200]!r} is not a log sink destination Google documents: cannot tell whose it is"
            if match["service"] == "storage":
                return self.bucket(match["rest"], holder)
            return self.named(match["rest"], holder, bare_is_holders=False, sources=sources)
        if kind == "url":
            host = (urlsplit(value).hostname or "").lower().rstrip(".")
            if host and host in self.hosts:
                return None
            listed = f"not one of ownHosts ({', '.join(sorted(self.hosts))})" if self.hosts else \
                "and the gate lists no own hosts (ownHosts)"
            return (f"host {host or value[:100]!r} is not a Cloud Run service or function of this stack (by its "
                    f"Output), {listed}")
        raise ValueError(f"unknown kind {kind}")

    def service_url(self, holder: Resource, input_name: str) -> tuple[bool, str | None]:
        """(is the unknown URL an Output of Cloud Run services / functions of this stack, why not own): each must be in
        a project of ownGcpProjects (a stack service created in the attacker's project is the attacker's)."""
        found = output_sources(holder, self.services, lambda c: SERVICE_URLS[c.type], input=input_name)
        if not found:
            return False, None
        for service in found:
            project = resource_project(service)
            if project is None:
                return True, f"it is the URL of {service.name} of this stack, whose project is not known: cannot tell"
            if (problem := self.of_resource(service, project)) is not None:
                return True, f"it is the URL of {service.name} of this stack, in {problem}"
        return True, None


    def stack_output(self, holder: Resource, input_name: str, kind: str) -> tuple[bool, str | None]:
        """(is the unknown resource name an Output (id / name) of GCP resources of this stack, a bucket one of its
        buckets, why not own):
        each must be in a project of ownGcpProjects, as a known name of it must (red19 r19-5: a secret version of a
        stack secret by `secret.id`)."""
        candidates = [r for r in self.gcp_resources if r.type == BUCKET_TYPE] if kind == "bucket" else self.gcp_resources
        found = output_sources(holder, candidates, ("id", "name"), input=input_name)
        if not found:
            return False, None
        for source in found:
            project = resource_project(source)
            if project is None:
                return True, f"it is an Output of {source.name} of this stack, whose project is not known: cannot tell"
            if (problem := self.of_resource(source, project)) is not None:
                return True, f"it is an Output of {source.name} of this stack, in {problem}"
        return True, None


def _judge(resource: Resource, spec: dict[str, Any], owner: _Owner):
    for entry in spec["inputs"]:
        input_name = entry["path"].split(".", 1)[0].removesuffix("[]")
        for where, value in values_at(dict(resource.props), entry["path"]):
            if is_unknown(value):
                service, problem = owner.service_url(resource, input_name) if entry["kind"] == "url" else \
                    owner.stack_output(resource, input_name, entry["kind"]) if entry["kind"] in ("resource", "bucket") else (False, None)
                if service and problem is not None:
                    what = "a stack service's URL" if entry["kind"] == "url" else "a stack resource's Output"
                    yield Violation(f"{resource.name} sends {spec['sends']} to {what} ({where}): {problem}",
                                    resource.urn)
                elif not service:
                    yield Unknown(where, resource.urn)
            elif value is None or (isinstance(value, str) and not value.strip()):
                continue  # not set: nothing is sent there
            elif not isinstance(value, str):
                yield Violation(f"{resource.name}: cannot check: {where} is {type(value).__name__}, not a destination "
                                f"of {spec['sends']}", resource.urn)
            elif (problem := owner.problem(entry["kind"], value, resource, input_name)) is not None:
                yield Violation(f"{resource.name} sends {spec['sends']} to {value.strip()[:200]} ({where}): {problem}",
                                resource.urn)


def check(resources, config):
    judged = foreign_project_inputs()["judged"]
    owner = _Owner(list(resources), config)
    for resource in resources:
        spec = judged.get(resource.type)
        if spec is not None:
            yield from _judge(resource, spec, owner)


RULE = Rule(
    id="AGID-GCP-033",
    title="gcp-no-foreign-project-egress",
    severity="critical",
    category="public-access",
    description="No log sink, Pub/Sub subscription (push endpoint, BigQuery table, Cloud Storage bucket, dead-letter "
                "topic), transfer job, Eventarc trigger, Datastream stream, asset feed, Healthcare stream, Dataflow "
                "temporary bucket, access or inventory log, packet mirroring collector, BigQuery extract, DLP findings "
                "table, database migration, GKE backup channel, Dialogflow webhook, notification, bucket object or "
                "secret version sends data to a "
                "project, bucket or host not known to be the stack's own.",
    remediation="Send to a project listed in ownGcpProjects, a bucket this stack names (and depend on it), or a Cloud "
                "Run service / function of this stack by its Output (or a host listed in ownHosts); waive a reviewed "
                "partner destination by URN.",
    url="https://cloud.google.com/logging/docs/export/configure_export_v2#dest-path",
    check=check,
    stack=True,
    config=CONFIG,
    config_schema=CONFIG_SCHEMA,
    config_strictness=STRICTNESS,
    reads=tuple(dict.fromkeys((*foreign_project_inputs()["judged"], BUCKET_TYPE, *SERVICE_URLS))),
    enforcement="mandatory",
)
