"""CrossGuard policy packs and the pure policy-analysis core they share with `agentid lint` and `agentid audit`."""
