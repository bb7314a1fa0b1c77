"""Cedar policies generated from the spec: what each tool permits, what it does not, and what callers cannot override."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentid.runtime.authorization import Authorizer, ContextError, PolicyError, call_context, generate_policies
from agentid_components.loader import load_inventory

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"
INVENTORY = load_inventory(DEV).inventory


@pytest.fixture(scope="module")
def authorizer() -> Authorizer:
    return Authorizer(generate_policies(INVENTORY.agents))


def decide(authorizer, agent, tool, target, **context):
    return authorizer.decide(agent, tool, target, call_context("t-1", context, 1_700_000_000))


def test_each_tool_permits_its_own_resources_only(authorizer):
    assert decide(authorizer, "report-builder", "read-sales-exports", "arn:aws:s3:::example-sales-exports/weekly/a.csv").allowed
    assert decide(authorizer, "report-builder", "read-sales-exports", None).allowed  # the tool as a whole
    for agent, tool, target in [
        ("report-builder", "read-sales-exports", "arn:aws:s3:::example-sales-exports/monthly/a.csv"),  # outside weekly/*
        ("report-builder", "read-sales-exports", "arn:aws:s3:::example-sales-exports-evil/weekly/a.csv"),  # look-alike bucket
        ("report-builder", "list-sales-exports", "arn:aws:s3:::example-sales-exports/weekly/a.csv"),  # the bucket, not objects
        ("report-builder", "enqueue-batches", None),  # another agent's tool
        ("data-ingest", "read-sales-exports", None),
    ]:
        decision = decide(authorizer, agent, tool, target)
        assert not decision.allowed, (agent, tool, target)
        assert decision.reasons == ()  # denied because nothing permits it
    assert decide(authorizer, "support-triage", "ticket-mcp", "https://mcp.example.org/tickets#search").allowed is not None


def test_url_and_scope_targets_stop_at_a_boundary(authorizer):
    """An audience or Azure scope permits itself and what is under it, never a look-alike that merely starts with it."""
    allowed = [
        ("support-triage", "ticket-mcp", "https://mcp.tickets.example.com"),
        ("support-triage", "ticket-mcp", "https://mcp.tickets.example.com/v1/tickets"),
        ("support-triage", "ticket-mcp", "https://mcp.tickets.example.com#search_tickets"),  # MCP_URL#TOOL
        ("data-ingest", "catalog-api", "https://catalog.data.example.com/datasets/1"),
        ("deploy-reviewer", "read-app-settings", "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-apps-dev/providers/Microsoft.AppConfiguration/configurationStores/s"),
        ("bq-analyst", "save-charts", "//storage.googleapis.com/projects/_/buckets/example-analytics-charts/objects/c.png"),
    ]
    denied = [
        ("support-triage", "ticket-mcp", "https://mcp.tickets.example.com.attacker.example/v1"),  # another host
        ("support-triage", "ticket-mcp", "https://mcp.tickets.example.com-evil.example#search_tickets"),
        ("data-ingest", "catalog-api", "https://catalog.data.example.company/datasets/1"),
        ("deploy-reviewer", "read-app-settings", "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-apps-dev-secrets/providers/Microsoft.AppConfiguration/configurationStores/s"),
        ("bq-analyst", "save-charts", "//storage.googleapis.com/projects/_/buckets/example-analytics-charts-public/objects/c.png"),
    ]
    for agent, tool, target in allowed:
        assert decide(authorizer, agent, tool, target).allowed, target
    for agent, tool, target in denied:
        assert not decide(authorizer, agent, tool, target).allowed, target


def test_decisions_are_cached_only_for_equal_inputs(authorizer):
    target = "arn:aws:s3:::example-sales-exports/weekly/b.csv"
    first = decide(authorizer, "report-builder", "read-sales-exports", target)
    again = decide(authorizer, "report-builder", "read-sales-exports", target)
    other_target = decide(authorizer, "report-builder", "read-sales-exports", target + ".bak")
    other_tool = decide(authorizer, "report-builder", "list-sales-exports", target)
    assert (first.cached, again.cached, other_target.cached, other_tool.cached) == (False, True, False, False)


NIGHT_AND_MALLORY = (
    '@id("no-mallory")\nforbid (principal, action, resource) when { context.on_behalf_of == "mallory" };\n'
    '@id("no-night")\nforbid (principal, action, resource) when { context has hour && context["hour"] < 6 };\n'
)


def test_context_keys_no_policy_reads_do_not_make_cedar_run_again():
    """The generated permits read no context: a new trace id or a new second is the same decision (cached); a key a
    user policy reads is part of the cache key, so a different value is decided by Cedar again."""
    generated = Authorizer(generate_policies(INVENTORY.agents))
    assert generated.context_keys == frozenset()
    target = "arn:aws:s3:::example-sales-exports/weekly/b.csv"
    calls = [generated.decide("report-builder", "read-sales-exports", target, call_context(f"t-{n}", {}, 1_700_000_000 + n))
             for n in range(3)]
    assert [d.cached for d in calls] == [False, True, True] and generated.evaluations == 1

    users = Authorizer(generate_policies(INVENTORY.agents) + NIGHT_AND_MALLORY)
    assert users.context_keys == {"on_behalf_of", "hour"}
    noon, night = 1_700_000_000 - 1_700_000_000 % 86_400 + 12 * 3600, 1_700_000_000 - 1_700_000_000 % 86_400 + 3 * 3600
    alice = users.decide("report-builder", "read-sales-exports", target, call_context("t-1", {"on_behalf_of": "alice"}, noon))
    alice_again = users.decide("report-builder", "read-sales-exports", target, call_context("t-2", {"on_behalf_of": "alice"}, noon + 60))
    mallory = users.decide("report-builder", "read-sales-exports", target, call_context("t-3", {"on_behalf_of": "mallory"}, noon))
    alice_at_night = users.decide("report-builder", "read-sales-exports", target, call_context("t-4", {"on_behalf_of": "alice"}, night))
    assert (alice.allowed, alice_again.allowed, alice_again.cached) == (True, True, True)
    assert (mallory.allowed, mallory.cached, mallory.reasons) == (False, False, ("no-mallory",))
    assert (alice_at_night.allowed, alice_at_night.cached, alice_at_night.reasons) == (False, False, ("no-night",))


@pytest.mark.parametrize("policy, keys", [
    ('forbid (principal, action, resource) when { context.trace_id like "bad-*" };', {"trace_id"}),
    ('forbid (principal, action, resource) when { context has on_behalf_of.name };', {"on_behalf_of"}),
    ('forbid (principal, action, resource) when { context == {"trace_id": "x"} };', None),  # the whole record: every key
    ('forbid (principal, action, resource) when { {"c": context}.c.trace_id == "x" };', None),
])
def test_a_policy_that_reads_the_trace_or_the_whole_context_decides_every_trace(policy, keys):
    users = Authorizer(generate_policies(INVENTORY.agents) + "\n" + policy)
    assert users.context_keys == (frozenset(keys) if keys is not None else None)
    target = "arn:aws:s3:::example-sales-exports/weekly/b.csv"
    first = users.decide("report-builder", "read-sales-exports", target, call_context("t-1", {}, 1_700_000_000))
    second = users.decide("report-builder", "read-sales-exports", target, call_context("t-2", {}, 1_700_000_000))
    assert second.cached is (keys is not None and "trace_id" not in keys)
    if "trace_id" in (keys or ()):
        bad = users.decide("report-builder", "read-sales-exports", target, call_context("bad-1", {}, 1_700_000_000))
        assert (first.allowed, bad.allowed) == (True, False)


def test_callers_cannot_override_the_kits_context():
    for forged in ({"trace_id": "forged"}, {"time": 0}, {"hour": 3}):
        with pytest.raises(ContextError, match=r"context key '(trace_id|time|hour)' is the kit's own"):
            call_context("t-9", forged, 1_700_000_000)
    context = call_context("t-9", {"on_behalf_of": "alice", "ok": True, "n": 2**63 - 1}, 1_700_000_000)
    assert context == {"trace_id": "t-9", "on_behalf_of": "alice", "time": 1_700_000_000, "hour": 22, "ok": True, "n": 2**63 - 1}


def test_an_unparsable_policy_set_is_a_one_line_error(tmp_path):
    with pytest.raises(PolicyError, match="do not parse"):
        Authorizer("permit (principal, action, resource) when {")
    missing = tmp_path / "missing.cedar"
    with pytest.raises(PolicyError, match="missing.cedar:1: cannot read the Cedar file: No such file"):
        Authorizer.from_spec(INVENTORY.agents, [missing])


def test_target_strings_cannot_inject_policy_text():
    """Names and patterns become Cedar string literals: quotes and backslashes stay data."""
    from types import SimpleNamespace

    agent = SimpleNamespace(name='a"b', tools=[SimpleNamespace(name='t") || true; //', aws=SimpleNamespace(resources=['arn:aws:s3:::x/"*']),
                                                               oauth=None, azure=None)])
    authorizer = Authorizer(generate_policies([agent]))
    assert not authorizer.decide("other", "t", None, call_context("t", None, 0)).allowed
    assert authorizer.decide('a"b', 't") || true; //', 'arn:aws:s3:::x/"anything', call_context("t", None, 0)).allowed
