"""Google Cloud: a service account per agent, trusted through Workload Identity Federation, with per-tool roles."""
