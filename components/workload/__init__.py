"""The workload side of an agent's trust: Kubernetes ServiceAccounts and SPIRE registrations."""
