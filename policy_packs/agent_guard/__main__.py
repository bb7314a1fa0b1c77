"""The agent_guard CrossGuard pack: every rule of policy_packs/rules/registry.py.

Started by the engine as `python -u -m pulumi.policy <engine-address> <this dir>`
or by `pulumi preview --policy-pack policy_packs/agent_guard`. The rules live
in the repository, so the repository root goes on sys.path first. Nothing is
printed: the first stdout line must be the port PolicyPack prints.
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from agentid_policy_packs.rules.crossguard import index_analyze_by_type, policies, share_property_decoding  # noqa: E402
from agentid_policy_packs.rules.preload import preload  # noqa: E402
from agentid_policy_packs.rules.registry import RULES  # noqa: E402

preload()  # the program runs beside the pack and could rewrite data files read later
share_property_decoding()  # decode each resource's properties once, not once per rule
index_analyze_by_type()  # run only the policies that judge the resource's type
PolicyPack(
    name="agent-guard",
    description="Blocks static credentials, broad grants, privilege escalation and weak trust for AI-agent "
                "identities; caps credential lifetimes; requires inventory tags.",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=policies(RULES),
)
