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

Reading an existing secret is the same class through two more doors (red19 r19-9), judged from what the SDKs say, not
from a hand list (agentid/preview/sdk_secrets.py derives sdk_secrets.yaml from the installed SDKs):
- a `Resource.get()` (the engine's ReadResource, recorded by the monitor) of a type whose SDK class declares secret
  outputs (`additional_secret_outputs`: an SSM parameter's value, a Secrets Manager or Secret Manager version's
  payload, a Kubernetes Secret's data) is one finding per read, on the read's URN (waived for that URN);
- an invoke whose result has a secret-named property (sdk_secrets.yaml `invokes`, minus `not_secret` with reasons),
  and an invoke whose arguments decide it (`argument_reads`: ssm getParameter with withDecryption, the default): the
  monitor judges the arguments of the Invoke request and records the token with the argument that made it a read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml

from agentid.analyzer_client import PolicyInfo
from agentid.preview.analysis import PackRun, Violation

DATA = Path(__file__).with_name("credential_invokes.yaml")
SDK_SECRETS = Path(__file__).with_name("sdk_secrets.yaml")  # generated: python -m agentid.preview.sdk_secrets
PACK_NAME = "agentid-preview"  # the gate itself, as SARIF's tool name
POLICY = PolicyInfo(
    name="AGID-GATE-001",
    description="No invoke (data source) or read of an existing resource (Resource.get) that mints a credential, "
                "returns keys or secrets, or runs a command with the deployer's credentials at deployment: "
                "service-account tokens, cluster and registry tokens, Azure list*Keys, secret values, "
                "command.local.run. [category: escalation]",
    enforcement_level="mandatory",
    policy_type="stack",
    severity="high",
    remediation="Do not mint or read credentials in the deployment: give the workload its own identity (workload "
                "identity, IRSA, managed identity) and let it obtain its token or secret at run time; if the invoke "
                "is needed (a GKE or EKS provider's token), waive AGID-GATE-001 for the stack's URN with a reason, "
                "a needed read for the read's URN.",
    url="https://www.pulumi.com/docs/iac/concepts/resources/functions/",
    config_schema={},
)


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


@lru_cache(maxsize=1)
def _sdk() -> dict[str, Any]:
    return data_yaml.load(SDK_SECRETS)


def _base(token: str) -> str:
    """The invoke token without a version segment (`azure-native:storage/v20230101:x` -> `azure-native:storage:x`)."""
    parts = token.split(":")
    if len(parts) == 3 and "/" in parts[1] and re.fullmatch(r"v\d\w*", parts[1].split("/", 1)[1]):
        return f"{parts[0]}:{parts[1].split('/', 1)[0]}:{parts[2]}"
    return token


def secret_fields_of_read(type_token: str) -> list[str] | None:
    """The secret properties of resource type `type_token` (its SDK's additional_secret_outputs), or None."""
    return _sdk()["read_types"].get(type_token) or _sdk()["read_types"].get(_base(type_token))


def argument_read(token: str, args: Any) -> str | None:
    """For an invoke whose arguments decide whether it returns a secret (`argument_reads`): the token as the gate
    records it when these arguments make it a secret read (`TOKEN (withDecryption)`), else None."""
    rule = _data()["argument_reads"].get(token)
    if rule is None:
        return None
    args = args if isinstance(args, dict) else {}
    value = args.get(rule["argument"], rule["default"])
    if value is False or value is None and rule["default"] is False:
        return None
    name = args.get(rule.get("name_argument", ""))
    if isinstance(name, str) and any(fnmatchcase(name, prefix + "*") for prefix in rule.get("public_name_prefixes", ())):
        return None
    return f"{token} ({rule['argument']})"


def what_it_does(token: str) -> str | None:
    """What the invoke `token` hands the program (a credential, keys) or runs; None for any other invoke."""
    data = _data()
    base, _, argument = token.partition(" (")
    if argument:
        rule = data["argument_reads"].get(base)
        return f"returns {rule['what']} with the deployer's credentials" if rule else None
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
    if token in data["argument_reads"] or _base(token) in data["not_secret"] or token in data["not_secret"]:
        return None
    fields = _sdk()["invokes"].get(token) or _sdk()["invokes"].get(_base(token))
    if fields:
        return f"returns secret material ({', '.join(fields[:4])}) with the deployer's credentials"
    if _underived(package):
        # Vault, 1Password, GitHub...: no derivation says what it returns, and it runs with the deployer's
        # credentials: fail closed
        return (f"cannot be checked: the gate did not derive the secret results of the package {package!r}'s SDK "
                "(agentid/preview/sdk_secrets.py), and it runs with the deployer's credentials")
    return None


def _underived(package: str) -> bool:
    """Whether the gate derived no secret outputs from `package`'s SDK (sdk_secrets.yaml `packages`)."""
    return package not in _sdk()["packages"] and package != "pulumi"


def _violation(message: str, urn: str) -> Violation:
    """One AGID-GATE-001 finding (category escalation) on `urn`."""
    return Violation(pack=PACK_NAME, policy=POLICY.name, description=POLICY.description,
                     message=f"[escalation] {message}", enforcement_level="mandatory", severity=POLICY.severity,
                     urn=urn, remediation=POLICY.remediation, url=POLICY.url)


def findings(invokes: Sequence[str], stack_urn: str, version: str,
             reads: Sequence[tuple[str, str, str]] = ()) -> PackRun | None:
    """The gate's findings over the tokens the program invoked (in call order, repeats included) and the resources
    it read (type, name, URN), as a PackRun of `PACK_NAME`; None when none is one of them."""
    violations = []
    for type_token, name, urn in sorted(set(reads), key=lambda read: read[2]):
        fields = secret_fields_of_read(type_token)
        package = type_token.split(":", 1)[0]
        if fields:
            message = (f"the program reads the existing {type_token} {name!r} (Resource.get), whose state holds "
                       f"secret material ({', '.join(fields)}), with the deployer's credentials at every preview and "
                       "update; the gate cannot see where the value goes (a resource's input, a stack output, the "
                       "preview's log)")
        elif _underived(package):
            # a package whose SDK the gate did not derive (Vault, 1Password, GitHub, random...): fail closed
            message = (f"cannot check: the program reads the existing {type_token} {name!r} (Resource.get) of the "
                       f"package {package!r}, whose SDK the gate did not derive secret outputs from "
                       "(agentid/preview/sdk_secrets.py); the read runs with the deployer's credentials at every "
                       "preview and update")
        else:
            continue
        violations.append(_violation(message, urn))
    for token, count in sorted(Counter(invokes).items()):
        does = what_it_does(token)
        if does:
            times = f" ({count} calls)" if count > 1 else ""
            violations.append(_violation(
                f"the program invokes {token}{times}, which {does}; the gate cannot see where the result goes (a "
                "resource's input, a stack output): no rule can judge it", stack_urn))
    if not violations:
        return None
    return PackRun(name=PACK_NAME, version=version, directory="", policies=(POLICY,), config={},
                   violations=tuple(violations))
