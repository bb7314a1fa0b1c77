"""AGID-GATE-001: the program calls an invoke that mints a credential, reads keys, or runs a command at deployment.

An invoke (data source) is served by the provider with the deployer's credentials at `pulumi preview` and
`pulumi up`: `gcp.serviceaccount.get_account_access_token` mints a token of ANY service account the deployer may
impersonate, `aws.eks.get_cluster_auth` hands out the deployer's cluster token, an azure-native `list*Keys` returns
an account's keys, `command.local.run` runs a shell command (red11b 11). The program can then write the credential
into a resource or a stack output, where no rule looks for it. Policy packs never see invokes (the engine sends
them resources only), so the gate judges them itself: its monitor answers every `Invoke` (monitor.GateMonitor) and
keeps their tokens. Each token in credential_invokes.yaml (data with sources) the program called is a mandatory
finding the gate cannot clear; a waiver (rule AGID-GATE-001, resource: the stack's URN) accepts it with a reason.
The findings come as one more "pack" of the run (`agentid-preview`), so the report, JSON, SARIF and JUnit show them
like any rule's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml

from agentid.analyzer_client import PolicyInfo
from agentid.preview.analysis import PackRun, Violation

DATA = Path(__file__).with_name("credential_invokes.yaml")
PACK_NAME = "agentid-preview"  # the gate itself, as SARIF's tool name
POLICY = PolicyInfo(
    name="AGID-GATE-001",
    description="No invoke (data source) that mints a credential, returns keys or secrets, or runs a command with "
                "the deployer's credentials at deployment: service-account tokens, cluster and registry tokens, "
                "Azure list*Keys, command.local.run. [category: escalation]",
    enforcement_level="mandatory",
    policy_type="stack",
    severity="high",
    remediation="Do not mint or read credentials in the deployment: give the workload its own identity (workload "
                "identity, IRSA, managed identity) and let it obtain its token at run time; if the invoke is needed "
                "(a GKE or EKS provider's token), waive AGID-GATE-001 for the stack's URN with a reason.",
    url="https://www.pulumi.com/docs/iac/concepts/resources/functions/",
    config_schema={},
)


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


def what_it_does(token: str) -> str | None:
    """What the invoke `token` hands the program (a credential, keys) or runs; None for any other invoke."""
    data = _data()
    if token in data["mints"]:
        return f"mints {data['mints'][token]} with the deployer's credentials"
    if token in data["reads"]:
        return f"returns {data['reads'][token]} with the deployer's credentials"
    if token in data["runs_code"]:
        return f"{data['runs_code'][token]} with the deployer's credentials, at preview too"
    package, _, rest = token.partition(":")
    function = rest.rsplit(":", 1)[-1]
    if package == "azure-native" and re.match(data["azure_native_list_pattern"], function, re.IGNORECASE):
        return "returns the resource's keys or secrets (an Azure list action) with the deployer's credentials"
    return None


def findings(invokes: Sequence[str], stack_urn: str, version: str) -> PackRun | None:
    """The gate's findings over the tokens the program invoked (in call order, repeats included), as a PackRun of
    `PACK_NAME`; None when no invoke is one of them."""
    violations = []
    for token, count in sorted(Counter(invokes).items()):
        does = what_it_does(token)
        if does:
            times = f" ({count} calls)" if count > 1 else ""
            violations.append(Violation(
                pack=PACK_NAME, policy=POLICY.name, description=POLICY.description,
                message=f"[escalation] the program invokes {token}{times}, which {does}; the gate cannot see where "
                        "the result goes (a resource's input, a stack output): no rule can judge it",
                enforcement_level="mandatory", severity=POLICY.severity, urn=stack_urn,
                remediation=POLICY.remediation, url=POLICY.url))
    if not violations:
        return None
    return PackRun(name=PACK_NAME, version=version, directory="", policies=(POLICY,), config={},
                   violations=tuple(violations))
