"""red17 r17-6: a stack service account that a stack resource RUNS CODE AS is an agent's, whatever its name.

Before, analysis/agent_principals.py made a stack account an agent only through a WIF / GKE-workload binding or the
`agent-` prefix: `support-bot`, which a Cloud Run service and a Vertex AI Agent Engine run as, held
roles/secretmanager.secretAccessor on the whole project with no finding (AGID-GCP-025 and -006 judge agents only).
Now every runner input of analysis/gcp_code_runners.yaml (the data AGID-GCP-019 reads) links its account: swept here
over every listed type and input path, by literal e-mail / `projects/-/serviceAccounts/EMAIL` and by Output (an input
unknown at preview from the stack Account the runner depends on). Look-alikes that pass: the same runner running as
ANOTHER stack account (the granted account stays a stack account nothing runs as), and for AGID-GCP-008 the link never
makes an impersonation TARGET an agent's own.
"""

from __future__ import annotations

import pytest

from agentid.analyzer_client import StackResource
from agentid_policy_packs.analysis.agent_principals import code_runners
from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

ACCOUNT = "gcp:serviceaccount/account:Account"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
BOT = "support-bot@proj-one.iam.gserviceaccount.com"
OTHER = "batch-helper@proj-one.iam.gserviceaccount.com"


@pytest.fixture()
def own_pack(pack):
    pack.configure({"all": {"ownGcpProjects": ["proj-one"]}})
    yield pack
    pack.configure({})


def _at(path: str, value) -> dict:
    """Props holding `value` at the input path (`a.b`, `a[].b` walks a list)."""
    head, _, rest = path.partition(".")
    inner = _at(rest, value) if rest else value
    return {head[:-2]: [inner]} if head.endswith("[]") else {head: inner}


def _account(name: str) -> StackResource:
    return StackResource(ACCOUNT, name, urn(ACCOUNT, name), {"accountId": name, "project": "proj-one"})


def _runner(type_: str, path: str, value, depends_on: str | None = None) -> StackResource:
    deps = [urn(ACCOUNT, depends_on)] if depends_on else []
    return StackResource(type_, "runner", urn(type_, "runner"), _at(path, value), dependencies=deps)


def _grant(role="roles/secretmanager.secretAccessor", email=BOT) -> StackResource:
    return StackResource(PROJECT_MEMBER, "grant", urn(PROJECT_MEMBER, "grant"),
                         {"project": "proj-one", "role": role, "member": f"serviceAccount:{email}"})


def findings(pack, rule: str, stack) -> list[tuple[str, str]]:
    return sorted((d.urn.rsplit("::", 1)[-1], d.enforcement_level) for d in pack.analyze_stack(stack)
                  if d.policy_name == rule)


CASES = [(type_, path) for type_, spec in sorted(code_runners().items()) for path in spec["accounts"]]


@pytest.mark.parametrize("type_, path", CASES, ids=[f"{t.split(':')[1]} {p}" for t, p in CASES])
def test_every_runner_input_makes_its_account_an_agent(own_pack, type_, path):
    stack = [_account("support-bot"), _account("batch-helper")]
    # literal e-mail, the projects/-/serviceAccounts/EMAIL form, and an Output of the stack account
    for value, dep in ((BOT, None), (f"projects/-/serviceAccounts/{BOT}", None), (UNKNOWN, "support-bot")):
        assert findings(own_pack, "AGID-GCP-025", [*stack, _runner(type_, path, value, dep), _grant()]) == [
            ("grant", "mandatory")], (value, dep)
    # look-alike: the runner runs as the OTHER stack account: support-bot is a stack account nothing runs as
    for value, dep in ((OTHER, None), (UNKNOWN, "batch-helper")):
        assert findings(own_pack, "AGID-GCP-025", [*stack, _runner(type_, path, value, dep), _grant()]) == [], (value, dep)


def test_the_repro_cloud_run_and_agent_engine_account(own_pack):
    """r17-6 as sent: secretAccessor and cryptoKeyDecrypter on the project for the account both run as."""
    stack = [_account("support-bot"),
             StackResource("gcp:cloudrunv2/service:Service", "svc", urn("gcp:cloudrunv2/service:Service", "svc"),
                           {"location": "us-central1", "template": {"serviceAccount": UNKNOWN}},
                           dependencies=[urn(ACCOUNT, "support-bot")]),
             StackResource("gcp:vertex/aiReasoningEngine:AiReasoningEngine", "engine",
                           urn("gcp:vertex/aiReasoningEngine:AiReasoningEngine", "engine"),
                           {"spec": {"serviceAccount": BOT}}),
             _grant(), StackResource(PROJECT_MEMBER, "keys", urn(PROJECT_MEMBER, "keys"), {
                 "project": "proj-one", "role": "roles/cloudkms.cryptoKeyDecrypter", "member": f"serviceAccount:{BOT}"})]
    assert findings(own_pack, "AGID-GCP-025", stack) == [("grant", "mandatory"), ("keys", "mandatory")]
    assert findings(own_pack, "AGID-GCP-025", [s for s in stack if s.type in (ACCOUNT, PROJECT_MEMBER)]) == []


def test_broad_binding_of_a_runner_account_is_gcp_006(own_pack):
    runner = _runner("gcp:cloudrunv2/job:Job", "template.template.serviceAccount", BOT)
    stack = [_account("support-bot"), _grant("roles/storage.objectViewer")]
    assert findings(own_pack, "AGID-GCP-006", [*stack, runner]) == [("grant", "advisory")]
    assert findings(own_pack, "AGID-GCP-006", stack) == []


def test_impersonation_by_a_runner_account_is_gcp_008_but_the_link_owns_no_target(own_pack):
    def impersonate(member: str, target: str) -> StackResource:
        return StackResource(SA_MEMBER, "imp", urn(SA_MEMBER, "imp"), {
            "serviceAccountId": f"projects/proj-one/serviceAccounts/{target}",
            "role": "roles/iam.serviceAccountTokenCreator", "member": f"serviceAccount:{member}"})
    runs_bot = _runner("gcp:compute/instance:Instance", "serviceAccount.email", BOT)
    accounts = [_account("support-bot"), _account("batch-helper")]
    # the runner's account (an agent now) becoming another stack account that nothing runs as
    assert findings(own_pack, "AGID-GCP-008", [*accounts, runs_bot, impersonate(BOT, OTHER)]) == [("imp", "mandatory")]
    assert findings(own_pack, "AGID-GCP-008", [*accounts, impersonate(BOT, OTHER)]) == []
    # an agent becoming an account a VM runs as: still not the agent's own
    agent = "agent-x@proj-one.iam.gserviceaccount.com"
    assert findings(own_pack, "AGID-GCP-008", [*accounts, _account("agent-x"), runs_bot, impersonate(agent, BOT)]) == [
        ("imp", "mandatory")]
