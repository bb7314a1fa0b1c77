"""One agent's Google Cloud inventory entry: its service account, who may impersonate it, what each tool may touch.

Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

from typing import Any

from agentid_components.gcp.plan import AgentPlan


def agent_inventory(plan: AgentPlan, ids: dict[str, Any]) -> dict[str, Any]:
    """`ids`: the resolved `GcpAgentIdentity.ids` (email, unique_id, pools: pool id -> pool resource name)."""
    pools = ids.get("pools") or {}
    return {
        "project": plan.project,
        "service_account": ids.get("email") or plan.email,
        "unique_id": ids.get("unique_id"),
        "token_lifetime_seconds": plan.token_lifetime_seconds,
        "federated_principals": [
            {
                "kind": binding.kind,
                "issuer": binding.issuer,
                "subject": binding.subject,
                "provider": f"{pools.get(binding.pool, binding.pool)}/providers/{binding.provider}",
                "principal": f"principal://iam.googleapis.com/{pools.get(binding.pool, binding.pool)}/subject/{binding.subject}",
            }
            for binding in plan.bindings
        ],
        "tools": {
            grant.tool: {
                "resource": grant.resource.full_name,
                "roles": list(grant.roles) + ([f"projects/{plan.project}/roles/{grant.custom_role_id}"] if grant.custom_role_id else []),
                "permissions": list(grant.permissions),
            }
            for grant in plan.tools
        },
    }
