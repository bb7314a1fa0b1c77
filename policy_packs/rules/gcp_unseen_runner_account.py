"""AGID-GCP-019 (stack): Google runs no code, and mints no token, for the stack as a service account the stack does
not define.

A VM, GKE node pool, Cloud Run service or job, function, Composer environment, Dataflow or Dataproc job, Vertex AI
workbench or agent, build trigger, Cloud Deploy target, Infrastructure Manager deployment, workflow, ... runs its
code as the service account named in its inputs; a Cloud Scheduler job, Cloud Tasks queue, Pub/Sub push
subscription, Eventarc trigger or API gateway mints that account's OIDC or OAuth tokens to call its target. Only a
caller with iam.serviceAccounts.actAs on the account may create them, but the gate judges the pull request, not
the deployer: an account the stack defines (gcp.serviceaccount.Account) is judged by the grants the stack gives it
(the other GCP rules); an account it does not define (`deployer@prod.iam.gserviceaccount.com`, another project's
account, a service agent) holds what nobody here can read: "cannot check", mandatory, as AGID-AWS-057 treats an
AWS runner's role (red10: code run as an identity the stack does not define). Which resources run code as which
input is data: analysis/gcp_code_runners.yaml (each with Google's page).
Spellings read alike: `EMAIL`, `projects/P/serviceAccounts/EMAIL`, `projects/-/serviceAccounts/EMAIL`, any case.
A value known only during deployment is the stack's account only when the runner depends on stack Accounts and
nothing else and their e-mail/name/unique id is not known either (iam_links.output_sources: `depends_on=[own]` +
a constant behind another Output is "cannot check until known", red12 #7); a numeric unique id is the stack's only
when it equals a stack Account's known unique id. A project's Compute Engine / App Engine default account on a
runner AGID-GCP-018 judges is left to that rule (one finding, not two); on any other runner it is an account the
stack does not define.
Inherited identities (issue 11): a VM made from an instance template or a machine image, a managed instance group's
versions, a Dataproc job submitted to a cluster run as the account of ANOTHER object they name; when the stack does
not define that object (a name, a self link, another project's template of the same name, a data-source lookup) it
is "cannot check: runs code as the identity of existing <object>", and a workflow template's cluster selector (any
cluster with those labels) always is; the stack's object is judged as the runner it is. The inputs are data
(`inherits` in analysis/gcp_code_runners.yaml), followed by inherited_identity.py.
Sources: https://cloud.google.com/iam/docs/service-account-overview#attaching,
https://cloud.google.com/iam/docs/attach-service-accounts.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml
from agentid_policy_packs.analysis.values import is_unknown, values_at

from . import inherited_identity
from .base import Resource, Rule, Unknown, Violation
from .gcp_default_service_account import DEFAULT_ACCOUNT, WORKLOADS as DEFAULT_ACCOUNT_RULE_TYPES
from .gcp_unseen_service_account import ACCOUNT_TYPE, _defined_accounts, _is_defined, _target
from .iam_links import known_state, output_sources

RUNNERS_FILE = Path(__file__).resolve().parents[1] / "analysis" / "gcp_code_runners.yaml"


@cache
def runners() -> dict[str, dict[str, Any]]:
    """Resource type token -> {accounts: [input path], what, source} (analysis/gcp_code_runners.yaml)."""
    return data_yaml.load(RUNNERS_FILE)["runners"]


def _email(reference: str) -> str:
    """The e-mail (or unique id) inside `projects/P/serviceAccounts/EMAIL`, else the reference itself."""
    return reference.strip().rpartition("/")[2]


# what an input naming a stack Account holds when it is one of its Outputs
_ACCOUNT_OUTPUTS = ("email", "name", "uniqueId", "id")


def _unique_id_of(email: str, accounts: list[Resource]) -> bool:
    """Is the literal numeric `email` the KNOWN unique id of a stack Account? (Google gives the id at creation: a
    literal can be a stack account's only where the gate's mocks or a deployed state know it.)"""
    return any(known_state(account).get("uniqueId") == email for account in accounts)


def _judge(resource: Resource, spec: dict[str, Any], defined, accounts: list[Resource]):
    for path in spec["accounts"]:
        for where, reference in values_at(dict(resource.props), path):
            if is_unknown(reference):
                if output_sources(resource, accounts, _ACCOUNT_OUTPUTS) is None:
                    yield Unknown(where, resource.urn)
                continue  # an output of the stack's Account: judged by its grants
            if not isinstance(reference, str):
                yield Violation(f"{resource.name}: cannot check: {where} is {type(reference).__name__}, not a service "
                                "account e-mail", resource.urn, category="unparseable")
                continue
            email = _email(reference)
            if not email:
                continue  # empty: Google's default for the product (AGID-GCP-018 for the runners it judges)
            if DEFAULT_ACCOUNT.match(email) and resource.type in DEFAULT_ACCOUNT_RULE_TYPES:
                continue  # AGID-GCP-018's finding
            if _is_defined(_target(reference), defined) or (email.isdigit() and _unique_id_of(email, accounts)):
                continue
            yield Violation(f"{resource.name} {spec['what']}: service account {reference.strip()[:200]} ({where}), "
                            "which this stack does not define: cannot check what that account may do; define it in "
                            "this stack (gcp.serviceaccount.Account, its grants are then judged) or waive this "
                            "resource", resource.urn)


@cache
def inherits() -> dict[str, list[dict[str, Any]]]:
    """Resource type token -> the inputs by which it runs as another object's account (issue 11; the keys:
    inherited_identity.py)."""
    return data_yaml.load(RUNNERS_FILE)["inherits"]


def check(resources: list[Resource], config):
    defined = _defined_accounts(resources)
    accounts = [resource for resource in resources if resource.type == ACCOUNT_TYPE]
    for resource in resources:
        spec = runners().get(resource.type)
        if spec is not None:
            yield from _judge(resource, spec, defined, accounts)
        entries = inherits().get(resource.type)
        if entries and not any(entry.get("carrier") for entry in entries):
            yield from inherited_identity.judge(resource, entries, resources, inherits(),
                                                outputs=inherited_identity.GCP_OUTPUTS)


RULE = Rule(
    id="AGID-GCP-019",
    title="gcp-runner-account-known",
    severity="critical",
    category="escalation",
    description="Resources that make Google run code or mint tokens as a service account (VMs, GKE nodes, Cloud Run, "
                "functions, Composer, Dataflow, Dataproc, Vertex AI, builds, deploys, workflows, schedulers, queues, "
                "push subscriptions, ...) name an account the stack defines, and resources made from an instance "
                "template, machine image or Dataproc cluster name one the stack defines, so what it holds is judged.",
    remediation="Create the service account in this stack (gcp.serviceaccount.Account), grant it only what the code "
                "needs, and name it on the resource; or waive the resource with the reason the existing account is "
                "safe.",
    url="https://cloud.google.com/iam/docs/attach-service-accounts",
    check=check,
    stack=True,
    reads=tuple(dict.fromkeys((*runners(), ACCOUNT_TYPE, *inherits(),
                               *(kind for entries in inherits().values() for entry in entries for kind in entry["kinds"])))),
)
