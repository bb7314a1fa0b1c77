"""Issue 11 (2) over gRPC: container.clusters.getCredentials bound to an agent is AGID-GCP-025 unless it reaches only a
stack cluster that issues no client certificate.

getCredentials makes clusters.get return masterAuth.clientKey / password: a cluster's static cluster-admin credential
where it has one. Before, a project-level container.admin (or a custom role of getCredentials alone) for an agent
passed AGID-GCP-025 (the data said "judged with cluster local auth", but AGID-GCP-030 judges only clusters the stack
defines). Flagged: unpinned at project level, pinned to a cluster the stack does not define, pinned to a stack cluster
with issueClientCertificate true. Look-alikes that pass: pinned to a stack cluster with it off or absent (Google's
default), and clusters.get alone (clusterViewer: the CA certificate, no key)."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GCP-025"
AGENT = "serviceAccount:agent-triage@proj-one.iam.gserviceaccount.com"
MEMBER = "gcp:projects/iAMMember:IAMMember"
CLUSTER = "gcp:container/cluster:Cluster"
CUSTOM = "gcp:projects/iAMCustomRole:IAMCustomRole"
PIN = 'resource.name == "projects/proj-one/locations/europe-west1/clusters/agents"'


def _findings(pack, *resources) -> list[tuple[str, str, str]]:
    stack = [StackResource(t, n, urn(t, n), p) for t, n, p in resources]
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level, d.message) for d in pack.analyze_stack(stack)
                  if d.policy_name == RULE)


def _grant(role="roles/container.admin", expression=None):
    props = {"project": "proj-one", "role": role, "member": AGENT}
    if expression is not None:
        props["condition"] = {"title": "one cluster", "expression": expression}
    return (MEMBER, "grant", props)


def _cluster(name="agents", issue=None, location="europe-west1"):
    props = {"name": name, "location": location, "project": "proj-one", "initialNodeCount": 1}
    if issue is not None:
        props["masterAuth"] = {"clientCertificateConfig": {"issueClientCertificate": issue}}
    return (CLUSTER, name, props)


GET_CREDENTIALS_ONLY = (CUSTOM, "creds", {"project": "proj-one", "roleId": "creds",
                                          "permissions": ["container.clusters.getCredentials"]})


@pytest.mark.parametrize("resources, fragment", [
    ((_grant(),), "every cluster there, and any the stack does not define"),
    ((_grant(), _cluster(issue=False)), "every cluster there"),  # the project may hold clusters the stack lacks
    ((GET_CREDENTIALS_ONLY, _grant("projects/proj-one/roles/creds")), "container.clusters.getCredentials"),
    ((_grant("roles/container.editor", PIN),), "pins cluster agents, which this stack does not define"),
    ((_grant(expression=PIN), _cluster(issue=True)),
     "sets masterAuth.clientCertificateConfig.issueClientCertificate"),
    ((_grant(expression=PIN), _cluster(issue="true")), "issueClientCertificate"),
    # the same name in another location is another cluster
    ((_grant(expression=PIN), _cluster(issue=False, location="us-central1")), "which this stack does not define"),
    # a prefix reaches every cluster whose name starts with it
    ((_grant(expression=PIN.replace(" == ", ".startsWith(").replace('agents"', 'agents")')), _cluster(issue=False)),
     "every cluster there"),
    ((_grant(expression=PIN + " || true"), _cluster(issue=False)), "every cluster there"),
])
def test_get_credentials_that_may_reach_a_static_credential_is_mandatory(pack, resources, fragment) -> None:
    [(name, level, message)] = _findings(pack, *resources)
    assert (name, level) == ("grant", "mandatory") and "container.clusters.getCredentials" in message
    assert fragment in message, message


@pytest.mark.parametrize("resources", [
    (_grant(expression=PIN), _cluster(issue=False)),
    (_grant(expression=PIN), _cluster()),  # absent: Google's default, no certificate
    (_grant(expression=PIN + ' && request.time < timestamp("2030-01-01T00:00:00Z")'), _cluster(issue="false")),
    (_grant(expression=PIN.replace("locations/europe-west1", "zones/europe-west1")), _cluster(issue=False)),
    (_grant("roles/container.clusterViewer"),),  # container.clusters.get: the CA certificate, never the key
    (_grant("roles/container.developer"),),
], ids=["pinned, off", "pinned, absent", "pinned and timed", "zones/ name", "clusterViewer", "developer"])
def test_one_stack_cluster_without_client_certificates_or_no_get_credentials_passes(pack, resources) -> None:
    assert _findings(pack, *resources) == []


def test_a_cluster_setting_unknown_at_preview_cannot_be_checked_until_known(pack) -> None:
    cluster = (CLUSTER, "agents", {"name": "agents", "location": "europe-west1",
                                   "masterAuth": {"clientCertificateConfig": {"issueClientCertificate": UNKNOWN}}})
    [(name, level, message)] = _findings(pack, _grant(expression=PIN), cluster)
    assert (name, level) == ("grant", "mandatory") and "cannot check until known" in message


def test_a_cluster_pin_bounds_the_roles_other_credential_reads(pack) -> None:
    """resource.name of a secret never equals a cluster's: a pinned binding reads no secret either."""
    role = (CUSTOM, "both", {"project": "proj-one", "roleId": "both",
                             "permissions": ["container.clusters.getCredentials", "secretmanager.versions.access"]})
    assert _findings(pack, role, _grant("projects/proj-one/roles/both", PIN), _cluster(issue=False)) == []
    [(_, _, message)] = _findings(pack, role, _grant("projects/proj-one/roles/both"), _cluster(issue=False))
    assert "secretmanager.versions.access" in message and "container.clusters.getCredentials" in message


SECRET_PIN = 'resource.name.startsWith("projects/proj-one/secrets/triage-token")'


@pytest.mark.parametrize("expression", [
    "!" + SECRET_PIN,                                   # every secret but that one
    f"!({SECRET_PIN})",
    f"({SECRET_PIN}) == false",
    f"true ? true : {SECRET_PIN}",                      # the conditional binds looser than &&
    f"!(true && {SECRET_PIN})",
    f'{SECRET_PIN} // pinned\n || true',                # a comment does not hide the disjunction
])
def test_a_negated_or_dominated_secret_pin_pins_nothing(pack, expression) -> None:
    """Before, any text holding a pin (and no `||`) passed: `!resource.name.startsWith(secret)` reads every other
    secret. A pin counts only as a whole term of the condition's top-level conjunction."""
    [(name, level, _)] = _findings(pack, _grant("roles/secretmanager.secretAccessor", expression))
    assert (name, level) == ("grant", "mandatory")
    assert _findings(pack, _grant("roles/secretmanager.secretAccessor", f"({SECRET_PIN}) && true")) == []


@pytest.mark.parametrize("expression", [f"!({PIN})", f"({PIN}) == false", f"!(true && {PIN})"])
def test_a_negated_cluster_pin_pins_nothing(pack, expression) -> None:
    [(name, level, message)] = _findings(pack, _grant(expression=expression), _cluster(issue=False))
    assert (name, level) == ("grant", "mandatory") and "every cluster there" in message
