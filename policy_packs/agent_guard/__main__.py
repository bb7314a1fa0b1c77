"""The agent_guard CrossGuard pack: every rule of agentid_policy_packs/rules/registry.py.

Started by the engine as `python -u -m pulumi.policy <engine-address> <this dir>`
(`pulumi preview --policy-pack DIR`, `agentid preview`). The folder is
self-contained, so `pulumi policy publish` can ship it alone: the rules come from
the installed kit (requirements.txt), never from a path into a repository.
Nothing is printed: the first stdout line must be the port PolicyPack prints.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from agentid_policy_packs.rules.crossguard import (
    collect_rarely,
    index_analyze_by_type,
    keep_secret_marks,
    one_request_at_a_time,
    policies,
    read_pack_wide_settings,
    share_property_decoding,
)
from agentid_policy_packs.rules.preload import preload, preload_wanted
from agentid_policy_packs.rules.registry import RULES

if preload_wanted():
    preload()  # the program runs beside the pack and could rewrite data files read later
keep_secret_marks()  # rules can tell the engine's secret values (config secrets) from literals
share_property_decoding()  # decode each resource's properties once, not once per rule
index_analyze_by_type()  # run only the policies that judge the resource's type
read_pack_wide_settings()  # `all: {ownAccountIds: [...]}` reaches every rule that takes it
one_request_at_a_time()  # data the rules read on first use is read once, not once per gRPC worker thread
collect_rarely()  # what is loaded by now stays out of the collector, which runs every 20,000 allocations, not 700
PolicyPack(
    name="agent-guard",
    description="Blocks static credentials, broad grants, privilege escalation and weak trust for AI-agent "
                "identities; caps credential lifetimes; requires inventory tags.",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=policies(RULES),
)
