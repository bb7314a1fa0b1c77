"""The least-privilege compiler: exact statements, guards, limits and clear errors."""

from __future__ import annotations

import ast
import re

import pytest
from aws_builders import make_agent
from hypothesis import given, settings
from hypothesis import strategies as st

from agentid_policy_packs.analysis.aws_permissions_management import resource_policy_write
from agentid_components import iam_catalog
from agentid_components.aws import permissions
from agentid_components.aws.permissions import PolicyCompileError
from agentid_components.spec import Agent, AwsGrant, Tool


def unvalidated_tool(name: str, actions: list[str], resources: list[str], conditions: dict | None = None) -> Tool:
    """A tool that skipped spec validation (hand-edited JSON inventory, model_construct)."""
    grant = AwsGrant.model_construct(actions=actions, resources=resources, conditions=conditions or {})
    return Tool.model_construct(name=name, description="", aws=grant, azure=None, oauth=None)


def test_compiler_is_pure():
    tree = ast.parse(open(permissions.__file__).read())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"pulumi", "pulumi_aws", "boto3", "botocore"}


def test_dev_statements_are_exactly_the_declared_grants(dev_agents):
    assert permissions.role_policy_document(dev_agents["support-triage"]) == {
        "Version": "2012-10-17",
        "Statement": [
            # GetItem reads a table, never an index: it is not granted on the index ARN
            {
                "Sid": "ReadTickets1",
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem"],
                "Resource": ["arn:aws:dynamodb:eu-west-1:111122223333:table/support-tickets"],
            },
            {
                "Sid": "ReadTickets2",
                "Effect": "Allow",
                "Action": ["dynamodb:Query"],
                "Resource": [
                    "arn:aws:dynamodb:eu-west-1:111122223333:table/support-tickets",
                    "arn:aws:dynamodb:eu-west-1:111122223333:table/support-tickets/index/by-customer",
                ],
            }
        ],
    }
    ingest = dev_agents["data-ingest"]
    key = permissions.session_policy(ingest, "use-lake-key")
    assert key["Statement"] == [
        {
            "Sid": "UseLakeKey",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey"],
            "Resource": ["arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
            "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
        }
    ]


def test_actions_are_grouped_by_the_arns_they_apply_to():
    agent = make_agent(
        [
            {
                "name": "table-and-index",
                "aws": {
                    "actions": ["dynamodb:Query", "dynamodb:PutItem"],
                    "resources": [
                        "arn:aws:dynamodb:eu-west-1:111122223333:table/t",
                        "arn:aws:dynamodb:eu-west-1:111122223333:table/t/index/i",
                    ],
                },
            }
        ]
    )
    statements = permissions.tool_statements(agent.tools[0], agent.name)
    # PutItem does not apply to an index: it must not be granted there
    assert statements == [
        {
            "Sid": "TableAndIndex1",
            "Effect": "Allow",
            "Action": ["dynamodb:Query"],
            "Resource": [
                "arn:aws:dynamodb:eu-west-1:111122223333:table/t",
                "arn:aws:dynamodb:eu-west-1:111122223333:table/t/index/i",
            ],
        },
        {
            "Sid": "TableAndIndex2",
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem"],
            "Resource": ["arn:aws:dynamodb:eu-west-1:111122223333:table/t"],
        },
    ]


def test_star_only_actions_get_star_alone_in_their_own_statement():
    tool = unvalidated_tool(
        "mixed", ["s3:GetObject", "sts:GetCallerIdentity"], ["arn:aws:s3:::b/*", "*"]
    )
    statements = permissions.tool_statements(tool, "probe")
    assert statements == [
        {"Sid": "Mixed1", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]},
        {"Sid": "Mixed2", "Effect": "Allow", "Action": ["sts:GetCallerIdentity"], "Resource": ["*"]},
    ]


def test_pass_role_carries_its_guard_and_only_there():
    agent = make_agent(
        [
            {
                "name": "run-task",
                "aws": {
                    "actions": ["ecs:RunTask", "iam:PassRole"],
                    "resources": [
                        "arn:aws:ecs:eu-west-1:111122223333:task-definition/ingest:3",
                        "arn:aws:iam::111122223333:role/ingest-task",
                    ],
                    "conditions": {
                        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
                        "Bool": {"aws:SecureTransport": True},
                    },
                },
            }
        ]
    )
    run_task, pass_role = permissions.tool_statements(agent.tools[0], agent.name)
    assert run_task["Action"] == ["ecs:RunTask"]
    assert run_task["Condition"] == {"Bool": {"aws:SecureTransport": True}}
    assert pass_role["Action"] == ["iam:PassRole"]
    assert pass_role["Resource"] == ["arn:aws:iam::111122223333:role/ingest-task"]
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
        "Bool": {"aws:SecureTransport": True},
    }


def test_pass_role_without_guard_is_refused():
    agent = make_agent(
        [{"name": "pass", "aws": {"actions": ["iam:PassRole"], "resources": ["arn:aws:iam::111122223333:role/r"]}}]
    )
    with pytest.raises(PolicyCompileError, match=r"agent 'probe', tool 'pass': iam:PassRole needs a guard condition.*iam:PassedToService"):
        permissions.role_policy_document(agent)


def test_wildcard_guard_value_is_refused():
    tool = unvalidated_tool(
        "pass", ["iam:PassRole"], ["arn:aws:iam::111122223333:role/r"], {"StringEquals": {"iam:PassedToService": "*"}}
    )
    with pytest.raises(PolicyCompileError, match="needs a guard condition"):
        permissions.tool_statements(tool, "probe")


def test_star_only_action_without_star_needs_broader_grant():
    tool = unvalidated_tool("whoami", ["sts:GetCallerIdentity"], ["arn:aws:s3:::b"])
    with pytest.raises(PolicyCompileError, match=r"agent 'probe', tool 'whoami': sts:GetCallerIdentity accepts no resource ARN.*broader grant"):
        permissions.tool_statements(tool, "probe")


def test_action_not_applying_to_declared_type_is_refused():
    tool = unvalidated_tool("put", ["s3:PutObject"], ["arn:aws:s3:::bucket-only"])
    with pytest.raises(
        PolicyCompileError, match=r"agent 'probe', tool 'put': s3:PutObject does not apply to the declared resource type"
    ):
        permissions.tool_statements(tool, "probe")


def test_star_never_widens_resource_level_actions():
    tool = unvalidated_tool("get", ["s3:GetObject"], ["*"])
    with pytest.raises(PolicyCompileError, match="does not apply"):
        permissions.tool_statements(tool, "probe")


def test_wildcard_action_is_refused_even_unvalidated():
    tool = unvalidated_tool("all", ["s3:*"], ["arn:aws:s3:::b"])
    with pytest.raises(PolicyCompileError, match="wildcard action 's3:\\*'"):
        permissions.tool_statements(tool, "probe")


def test_session_policy_narrows_to_one_tool(dev_agents):
    ingest = dev_agents["data-ingest"]
    policy = permissions.session_policy(ingest, "enqueue-batches")
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert actions == {"sqs:SendMessage", "sqs:GetQueueUrl"}
    assert set(permissions.session_policies(ingest)) == {"write-landing-zone", "enqueue-batches", "use-lake-key"}


def test_session_policy_over_2048_chars_fails_clearly():
    arns = [f"arn:aws:s3:::bucket-with-a-long-name-{i:03d}/some/long/prefix/*" for i in range(45)]
    agent = make_agent([{"name": "big", "aws": {"actions": ["s3:GetObject"], "resources": arns}}])
    with pytest.raises(PolicyCompileError, match=r"agent 'probe', tool 'big': its session policy takes \d+ characters; STS accepts at most 2048"):
        permissions.session_policy(agent, "big")


def test_session_policy_of_non_aws_tool_is_refused(dev_agents):
    with pytest.raises(PolicyCompileError, match="tool 'ticket-mcp': is not an AWS tool"):
        permissions.session_policy(dev_agents["support-triage"], "ticket-mcp")


def test_boundary_is_the_union_of_tools(dev_agents):
    agent = dev_agents["deploy-reviewer"]
    boundary = permissions.boundary_document(agent)
    assert [s["Sid"] for s in boundary["Statement"]] == ["ReadDeployPlans", "Whoami"]
    assert {a for s in boundary["Statement"] for a in s["Action"]} == {"s3:GetObject", "sts:GetCallerIdentity"}


@pytest.mark.parametrize(("minutes", "seconds"), [(1, 900), (10, 900), (15, 900), (30, 1800), (60, 3600)])
def test_session_duration_has_the_sts_floor(minutes, seconds):
    agent = make_agent([{"name": "t", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}}], max_credential_minutes=minutes)
    assert permissions.session_duration_seconds(agent) == seconds


def test_lifetime_above_cap_is_refused():
    agent = make_agent([{"name": "t", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}}])
    too_long = Agent.model_construct(**{**dict(agent), "max_credential_minutes": 120})
    with pytest.raises(PolicyCompileError, match=r"agent 'probe': max_credential_minutes 120 is outside 1..60"):
        permissions.session_duration_seconds(too_long)


def test_sid_clash_between_tools_is_refused():
    agent = make_agent(
        [
            {"name": "x-1", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::a/*"]}},
            {"name": "x1", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}},
        ]
    )
    with pytest.raises(PolicyCompileError, match="tool 'x1': its Sid X1 clashes with tool 'x-1'"):
        permissions.role_policy_document(agent)


def test_no_notaction_no_wildcards_in_any_dev_document(dev_agents):
    for agent in dev_agents.values():
        for statement in permissions.role_policy_document(agent)["Statement"]:
            assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
            assert statement["Effect"] == "Allow"
            assert all("*" not in action for action in statement["Action"])


# --- property: whatever the grant, the compiler never widens it -------------------------

_SERVICES = ("s3", "dynamodb", "sqs", "kms", "iam", "lambda", "sts")
_FILL = {"Partition": "aws", "Region": "eu-west-1", "Account": "111122223333"}


def _arn_from_template(template: str) -> str:
    return re.sub(r"\$\{([^}]+)\}", lambda m: _FILL.get(m.group(1), "n1"), template)


def _catalog_actions() -> list[str]:
    return sorted(
        info.full_name
        for service in _SERVICES
        for info in iam_catalog.actions_of_service(service)
        if info.full_name not in permissions.GUARD_CONDITIONS
        and not resource_policy_write(info.full_name)  # refused in every agent tool (tests/spec/test_validate_compiles)
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_catalog_actions()), min_size=1, max_size=6, unique=True), st.randoms(use_true_random=False))
def test_compiled_statements_never_exceed_the_grant(actions, rnd):
    resources: list[str] = []
    for action in actions:
        info = iam_catalog.action_info(action)
        arns = [_arn_from_template(t) for t in iam_catalog.example_arns(info)]
        if not info.supports_resource_level:
            arns = ["*"]
        if arns:
            choice = rnd.choice(arns)
            if choice not in resources:
                resources.append(choice)
    tool = unvalidated_tool("prop", actions, resources)
    try:
        statements = permissions.tool_statements(tool, "probe")
    except PolicyCompileError as error:
        # only refusal allowed: an action whose own ARN formats the catalog cannot resolve
        assert "does not apply" in str(error)
        return
    granted = [a for s in statements for a in s["Action"]]
    assert sorted(granted) == sorted(actions)  # each declared action exactly once, nothing else
    for statement in statements:
        assert set(statement["Resource"]) <= set(resources)
        for action in statement["Action"]:
            info = iam_catalog.action_info(action)
            if statement["Resource"] == ["*"]:
                assert not info.supports_resource_level  # '*' only for actions that accept nothing else
            else:
                assert all(iam_catalog.action_applies_to(info, arn) for arn in statement["Resource"])
