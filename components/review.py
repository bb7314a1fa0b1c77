"""Overdue reviews: an agent whose `review_by` date has passed is a finding on that agent, never a load error.

An overdue agent still loads, so the emergency commands (`inventory`,
`audit aws`, `revoke aws`) keep working on the whole fleet; `validate`,
`audit aws` and the policy pack (AGID-INV-001, through the `review-by` tag)
report it. Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import datetime as dt

from agentid.today import today as current_day
from agentid_components.spec import Agent, Inventory


def is_overdue(agent: Agent, today: dt.date | None = None) -> bool:
    """True when the agent's review date is before `today` (default: `agentid.today.today()`)."""
    return agent.review_by < (today or current_day())


def overdue_agents(inventory: Inventory, today: dt.date | None = None) -> list[tuple[int, Agent]]:
    """(index in the file, agent) of every agent whose review is overdue, in file order."""
    day = today or current_day()
    return [(index, agent) for index, agent in enumerate(inventory.agents) if is_overdue(agent, day)]


def overdue_message(agent: Agent, today: dt.date | None = None) -> str:
    """One line saying what is overdue and what the owner must do."""
    day = today or current_day()
    return (
        f"review of agent '{agent.name}' is overdue: review_by {agent.review_by} is before today ({day}); "
        f"{agent.owner} must re-approve the agent and set a date on or after {day}"
    )
