"""A caller's Cedar context is evaluated whole or the call is refused (red7a 6b).

The broker used to cut strings at 1024 characters and drop lists, records, floats and every key after the 32nd
without a word: the owner's forbids reading those keys never fired and the calls were ALLOWED. Now each of those
is refused (BrokerError code "BadContext", naming the key and the limit, one refusal record, nothing issued),
and values within the limits reach Cedar unchanged, so the same forbids fire.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agentid.runtime import AgentGrants, BrokerError, CredentialBroker
from agentid.runtime.authorization import MAX_CONTEXT_CHARS, MAX_CONTEXT_KEYS, Authorizer, call_context
from agentid_components.loader import load_inventory

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
AGENT = load_inventory(DEV).inventory.agent("report-builder")
TOOL, TARGET = "read-sales-exports", "arn:aws:s3:::example-sales-exports/weekly/a.csv"
# the owner's own forbids (agents[].cedar_policies / --policies), each reading one caller key
FORBIDS = """
@id("no-competitors") forbid (principal, action, resource) when { context has recipient && context.recipient like "*@competitor.example" };
@id("no-contractors") forbid (principal, action, resource) when { context has groups && context.groups.contains("contractors") };
@id("small-amounts") forbid (principal, action, resource) when { context has amount_eur && context.amount_eur > 100 };
@id("approved-only") forbid (principal, action, resource) when { context has approved && context.approved == false };
"""


@pytest.fixture()
def policies(tmp_path) -> Path:
    path = tmp_path / "forbid.cedar"
    path.write_text(FORBIDS)
    return path


@pytest.fixture()
def broker(policies) -> CredentialBroker:
    return CredentialBroker(AgentGrants.from_spec(AGENT, "arn:aws:iam::123456789012:role/agent-report-builder"),
                            authorizer=Authorizer.from_spec([AGENT], [policies]), revocation=None, revocation_list=None)


PADDING = {f"k{i}": "x" for i in range(MAX_CONTEXT_KEYS)}


@pytest.mark.parametrize(("context", "message"), [
    ({"recipient": "a" * 1100 + "@competitor.example"},
     r"context key 'recipient': a string of 1119 characters; at most 1024 are evaluated, and the broker refuses rather than cut it"),
    ({"groups": ["contractors"]}, r"context key 'groups': a list is not evaluated \(values: strings of at most 1024 characters, "
                                  r"booleans, integers in -2\^63..2\^63-1\)"),
    ({"groups": {"contractors"}}, r"context key 'groups': a set is not evaluated"),
    ({"meta": {"approved": False}}, r"context key 'meta': a dict is not evaluated"),
    ({"amount_eur": 1000.5}, r"context key 'amount_eur': a float is not evaluated"),
    ({"amount_eur": 2**64}, r"context key 'amount_eur': an integer outside Cedar's Long range is not evaluated"),
    ({**PADDING, "approved": False}, r"the call's context has 33 keys; at most 32 are evaluated, and the broker refuses rather than drop some"),
    ({"x" * 65: "v"}, r"context key 'xxx.*' must be a string of 1..64 characters"),
    ({7: "v"}, r"context key 7 must be a string of 1..64 characters"),
    ({"trace_id": "forged"}, r"context key 'trace_id' is the kit's own \(trace_id, time, hour\): a caller cannot set it"),
])
def test_a_context_the_broker_would_have_cut_is_refused_by_name(broker, caplog, context, message):
    caplog.set_level(logging.INFO, logger="agentid.runtime.audit")
    with pytest.raises(BrokerError, match=rf"^agent 'report-builder', tool 'read-sales-exports': {message}") as raised:
        broker.credential(TOOL, target=TARGET, context=context)
    assert raised.value.code == "BadContext" and broker.stats.issued == 0 and broker.stats.sts_calls == 0
    records = [r.agentid_audit for r in caplog.records if hasattr(r, "agentid_audit")]
    assert [(r["outcome"], r["error_code"]) for r in records] == [("refused", "BadContext")]


@pytest.mark.parametrize(("context", "forbid"), [
    ({"recipient": "a" * (MAX_CONTEXT_CHARS - len("@competitor.example")) + "@competitor.example"}, "no-competitors"),
    ({"amount_eur": 1001}, "small-amounts"),
    ({**{f"k{i}": "x" for i in range(MAX_CONTEXT_KEYS - 1)}, "approved": False}, "approved-only"),
])
def test_a_context_at_the_limits_reaches_cedar_whole_and_the_forbid_fires(broker, context, forbid):
    with pytest.raises(BrokerError, match=rf"Cedar denied the call on '{TARGET}': forbidden by {forbid}$") as raised:
        broker.credential(TOOL, target=TARGET, context=context)
    assert raised.value.code == "Denied" and broker.stats.issued == 0


def test_a_context_at_the_limits_that_no_forbid_matches_is_allowed(policies):
    authorizer = Authorizer.from_spec([AGENT], [policies])
    context = {**{f"k{i}": "y" * MAX_CONTEXT_CHARS for i in range(MAX_CONTEXT_KEYS - 3)},
               "recipient": "bob@partner.example", "amount_eur": 100, "approved": True}
    decision = authorizer.decide("report-builder", TOOL, TARGET, call_context("t-1", context, 1_700_000_000))
    assert decision.allowed and decision.reasons == ("report-builder.read-sales-exports",)
