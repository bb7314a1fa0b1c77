"""Google Cloud physical names carry the stack's name suffix within each id's limits (components/naming.py)."""

from __future__ import annotations

import re

import pytest

from agentid_components import naming
from agentid_components.gcp.plan import GcpCompileError, plan_fleet
from tests.spec.test_validation import valid_agent
from agentid_components.spec import Agent

SERVICE_ACCOUNT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")  # 6-30, a letter first, no '-' last
CUSTOM_ROLE_ID = re.compile(r"^[a-zA-Z0-9_.]{3,64}$")
POOL_ID = re.compile(r"^(?!gcp-)[a-z0-9-]{4,32}$")


def test_short_names_carry_the_suffix_whole():
    assert naming.gcp_service_account_id("bq-analyst", "prod-eu") == "agent-bq-analyst-prod-eu"
    assert naming.gcp_custom_role_id("bq-analyst", "save-charts", "prod-eu") == "agentid_bq_analyst_save_charts_prod_eu"
    assert naming.gcp_pool_id("agents", "spiffe", "prod-eu") == "agents-spiffe-prod-eu"
    # no suffix: the names of kit versions before it
    assert naming.gcp_service_account_id("bq-analyst") == "agent-bq-analyst"


@pytest.mark.parametrize("suffix", ["dev", "prod", "a" * 24, "feature-branch-4711-x"])
def test_long_names_are_cut_to_the_limit_and_stay_apart(suffix):
    agent, tool = "quarterly-revenue-analyst", "save-charts-to-the-reporting-bucket-" + "x" * 20
    account = naming.gcp_service_account_id(agent, suffix)
    role = naming.gcp_custom_role_id(agent, tool, suffix)
    pool = naming.gcp_pool_id("agents", "spiffe", suffix)
    assert SERVICE_ACCOUNT_ID.match(account), account
    assert CUSTOM_ROLE_ID.match(role), role
    assert POOL_ID.match(pool), pool
    # two stacks never meet in one cut name: the hash covers the whole name, suffix included
    assert naming.gcp_service_account_id(agent, suffix + "2") != account
    assert naming.gcp_custom_role_id(agent, tool, suffix + "2") != role
    assert naming.gcp_pool_id("agents", "spiffe", suffix + "2") != pool


def test_the_plan_uses_the_suffix_everywhere():
    spec = valid_agent()
    spec["tools"] = [{"name": "save-charts", "gcp": {"permissions": ["storage.objects.create"],
                                                     "resource": "//storage.googleapis.com/projects/_/buckets/b-one"}}]
    spec["trust"] = [{"github_actions": {"repository": "example-org/agent", "environment": "prod"}}]
    plan = plan_fleet([Agent.model_validate(spec)], "proj-one", "agents", "prod")
    (agent,) = plan.agents
    assert agent.email == f"agent-{spec['name']}-prod@proj-one.iam.gserviceaccount.com"
    assert agent.tools[0].custom_role_id == f"agentid_{spec['name'].replace('-', '_')}_save_charts_prod"
    assert plan.pools == ("agents-github-prod",)
    assert agent.bindings[0].pool == "agents-github-prod"


def test_a_pool_prefix_google_reserves_is_refused_with_the_suffixed_id():
    spec = valid_agent()
    spec["tools"] = [{"name": "t", "gcp": {"permissions": ["storage.objects.get"],
                                           "resource": "//storage.googleapis.com/projects/_/buckets/b-one"}}]
    spec["trust"] = [{"github_actions": {"repository": "example-org/agent", "environment": "prod"}}]
    with pytest.raises(GcpCompileError) as raised:
        plan_fleet([Agent.model_validate(spec)], "proj-one", "gcp", "dev")
    assert str(raised.value) == ("gcpPoolPrefix 'gcp' gives pool id 'gcp-github-dev': pool ids are 4-32 of a-z, 0-9, "
                                 "'-' and do not start with 'gcp-'")
