"""The cloud compilers' refusals of one agent file, for `agentid validate` (the same code the components run).

`agentid validate` checks the spec; the components then compile each agent per cloud (AWS policies,
Azure role definitions, GCP roles and pools) and refuse what no agent may hold (red5: a spec granting
Microsoft.Authorization/roleAssignments/write at a resource group was "ok" in validate and refused by
the preview). This module runs those same compilers on each agent, with neutral stack settings, so
validate refuses what the components refuse. Stack settings (resource group, project, suffix) are
checked by the components when the stack runs; here only the agent's own inputs are judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from agentid_components.spec import Agent

# Stand-ins for stack settings the compilers need but do not judge per agent (valid shapes).
_RESOURCE_GROUP = "agents"
_GCP_PROJECT = "agents-project"


def agent_refusals(agent: Agent, spec_dir: Path) -> Iterator[str]:
    """Each cloud compiler's refusal of `agent` (a one-line message naming agent and tool), none if it compiles."""
    from agentid_components.aws.permissions import PolicyCompileError
    from agentid_components.aws.plan import plan_agent as aws_plan
    from agentid_components.azure.plan import AzureCompileError
    from agentid_components.azure.plan import plan_agent as azure_plan
    from agentid_components.gcp.plan import GcpCompileError
    from agentid_components.gcp.plan import plan_fleet as gcp_plan

    if "aws" in agent.clouds:
        try:
            aws_plan(agent, spec_dir)
        except PolicyCompileError as error:
            yield str(error)
    if "azure" in agent.clouds:
        try:
            azure_plan(agent, _RESOURCE_GROUP, None, spec_dir)
        except AzureCompileError as error:
            yield str(error)
    if "gcp" in agent.clouds:
        try:
            gcp_plan([agent], _GCP_PROJECT)
        except GcpCompileError as error:
            yield str(error)
