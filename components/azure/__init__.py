"""Azure agent identities compiled from the agent spec.

`plan` (pure) computes and checks what each agent becomes; `fleet.AzureAgents`
turns the plan into Pulumi resources. Import `agentid_components.azure.fleet` for the
components; `agentid_components.azure.plan` needs no Pulumi.
"""
