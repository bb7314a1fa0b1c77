"""The component package's entry point: the Pulumi language host runs this directory as the provider plugin.

`python . ENGINE-ADDRESS` serves agentid:index:AgentFleet over gRPC and prints its port (agentid_components.package).
"""

from agentid_components.package import main

if __name__ == "__main__":
    main()
