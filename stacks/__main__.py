"""The Pulumi program: one AgentFleet compiled from this stack's agent file."""

import pulumi

from components.loader import load_inventory

config = pulumi.Config()
agents_file = config.get("agentsFile") or f"agents/{pulumi.get_stack()}.yaml"
loaded = load_inventory(agents_file)
pulumi.export("agents", [agent.name for agent in loaded.inventory.agents])
