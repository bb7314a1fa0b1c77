"""The Pulumi program: one AgentFleet compiled from this stack's agent file, or the platform stack.

Config (stacks/Pulumi.<stack>.yaml, namespace `agent-identity-kit:` whatever the project is called):
  platform     (platform stack) what every agent stack shares: agentid_components.platform_spec.PlatformSpec
  agentsFile   the agent file, relative to stacks/ (default agents/<stack>.yaml)
  platformStack  (agent stack) the platform stack (StackReference name) whose shared objects the agents use:
               its GitHub OIDC provider, Cognito pool and resource servers, trust anchors, Entra API applications
  nameSuffix, aws*/azure*  see README.md, "Stack configuration" (agentid_components.settings.KEYS)
"""

import sys
from pathlib import Path

# The project root, so `components` imports when the Pulumi language host runs this directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi  # noqa: E402

from agentid_components.aws.fleet import AwsSettings  # noqa: E402
from agentid_components.azure.fleet import AzureSettings  # noqa: E402
from agentid_components.fleet import AgentFleet  # noqa: E402
from agentid_components.gcp.fleet import GcpSettings  # noqa: E402
from agentid_components.workload.fleet import WorkloadSettings  # noqa: E402
from agentid_components.loader import load_inventory  # noqa: E402
from agentid_components.platform import Platform, platform_outputs  # noqa: E402
from agentid_components.settings import config as kit_config  # noqa: E402


def platform_stack(config: pulumi.Config) -> None:
    """The shared objects once per account and tenant, exported for the agent stacks' StackReference."""
    Platform.from_config(config).export()


def agent_stack(config: pulumi.Config) -> None:
    agents_file = config.get("agentsFile") or f"agents/{pulumi.get_stack()}.yaml"
    loaded = load_inventory(agents_file)  # SpecLoadError lists every problem as FILE:LINE: PATH: MESSAGE
    aws_settings = AwsSettings.from_config(config)
    azure_settings = AzureSettings.from_config(config, spec_dir=Path(agents_file).parent)
    if config.get("platformStack"):  # the shared objects are the platform stack's: referenced, never created here
        aws_settings, azure_settings = platform_outputs(config.get("platformStack")).settings(
            aws_settings, azure_settings, loaded.inventory.agents)
    fleet = AgentFleet(
        "agents",
        loaded,
        aws_settings,
        azure_settings,
        gcp_settings=GcpSettings.from_config(config),
        workload_settings=WorkloadSettings.from_config(config),
    )
    pulumi.export("inventory", fleet.inventory)  # no secret: Cognito client secrets live in Secrets Manager


config = kit_config()
(platform_stack if config.get("platform") is not None else agent_stack)(config)
