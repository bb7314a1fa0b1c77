"""The agent_guard rules: one rule a module, pure (no Pulumi import), listed in `registry.RULES`."""
