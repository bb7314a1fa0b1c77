"""The role's read of its own revocation record must fit the boundary's 6,144 characters (IAM's managed-policy limit),
counted with the longest ARN any partition gives the role: refused before anything registers, with the reason."""

from __future__ import annotations

import pytest
from aws_builders import make_agent

from agentid_components.aws import permissions
from agentid_components.aws.permissions import PolicyCompileError
from agentid_components.aws.plan import plan_agent


def agent_with(padding: int):
    """Tools whose union (the boundary) takes 5,997 characters plus `padding`."""
    tools = [{"name": f"t{i}", "aws": {"actions": ["s3:GetObject"],
                                       "resources": [f"arn:aws:s3:::bucket-{i}/{'k' * 165}/{j}/*" for j in range(7)]}}
             for i in range(4)]
    tools.append({"name": "pad", "aws": {"actions": ["s3:GetObject"], "resources": [f"arn:aws:s3:::pad/x{'p' * padding}"]}})
    return make_agent(tools, name="sizer")


def test_a_boundary_that_fits_only_without_the_read_is_refused_with_the_reason():
    agent = agent_with(170)
    assert permissions.packed_size(permissions.boundary_document(agent)) == 6007  # fits alone
    with pytest.raises(PolicyCompileError, match=r"agent 'sizer': its permissions boundary, with the read of its own "
                                                 r"revocation record, takes up to 6154 characters; a managed policy holds at most 6144"):
        plan_agent(agent, suffix="dev")


def test_a_boundary_with_room_for_the_read_plans():
    plan = plan_agent(agent_with(160), suffix="dev")  # 5,997 + the read's 147 (longest partition) = 6,144 exactly
    assert plan.role_name == "agent-sizer-dev" and permissions.packed_size(plan.boundary) == 5997
