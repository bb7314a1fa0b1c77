"""AGID-GEN-001: no resource the pack cannot judge that can create identities or run arbitrary code.

The pack's rules are keyed by type token; a resource of a package no rule knows is never judged. Some
such resources reach exactly what the pack guards, so they must block (fail closed) until reviewed:
  - dynamic providers (`pulumi-python:dynamic:*`, `pulumi-nodejs:dynamic:*`): program code the engine
    runs at deployment with the deployer's credentials
    (https://www.pulumi.com/docs/concepts/resources/dynamic-providers/);
  - the command provider (`command:local:Command`, `command:remote:Command`, ...): shell commands such as
    `aws iam create-access-key` (https://www.pulumi.com/registry/packages/command/);
  - the same code by other packages (analysis/deploy_runner_code.yaml, red11b 9): every docker Container,
    swarm Service, Plugin and image build (docker Image, RemoteImage with `build`, BuildxBuilder, docker-build
    Image), wherever the docker host is: the program chooses the image, entrypoint, environment and mounts and,
    at `pulumi up`, holds the deployer's credentials to hand them; a RemoteImage without `build` is a pull and passes;
    a Helm v4 Chart with a `postRenderer` (an executable the kubernetes provider runs on the runner);
  - identity and authorization modules (IDENTITY_MODULES) of a package no rule covers: `aws-native:iam:Role`,
    `aws-native:sso:PermissionSet`, classic `azure:authorization/assignment:Assignment`,
    `google-native:iam/v1:...`. A package is covered when some registered rule names one of its tokens;
  - a Helm v3 `Release` (UNREGISTERED_CONTENTS): the chart's objects never reach a rule.
A component resource (the program's own `acme:iam:AgentRole`) is not flagged whatever its module is called:
it creates nothing itself, and its children are registered and judged one by one. The engine tells the
two apart: it sends a custom resource with its provider and a component with none
(pulumi/pkg/resource/deploy/step_generator.go, AnalyzeResources; Resource.custom). A remote
(multi-language) component comes with its provider, so it is judged as what it may create.
Resources of a package the pack does not know at all, outside identity modules, are AGID-GEN-002's
(advisory).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml
from agentid_policy_packs.analysis.values import is_unknown

from .base import Rule, Violation

CODE_RUNNING_PREFIXES = ("pulumi-python:dynamic", "pulumi-nodejs:dynamic", "command:")
# module names (first segment of the token's module) that create principals, credentials or grants, across
# providers: AWS (iam, sso, ssoadmin, identitystore, sts, organizations, rolesanywhere, cognito), Azure
# (authorization, managedidentity, role, ad), Google (iam, iamcredentials, serviceusage is not), Kubernetes (rbac)
IDENTITY_MODULES = frozenset({
    "iam", "sso", "ssoadmin", "identitystore", "sts", "organizations", "rolesanywhere", "cognito",
    "authorization", "managedidentity", "role", "ad", "aad", "iamcredentials", "rbac", "identity",
})
# Custom resources of covered packages whose provider installs objects it never registers, so no rule sees them
# (red10 1: a helm.v3.Release of a local chart holding a cluster-admin ClusterRoleBinding passed). The component
# Charts (helm.sh/v3, kustomize) are refused by `agentid preview` (agentid/preview/monitor.py); helm.sh/v4 Chart
# registers its objects and they are judged one by one.
UNREGISTERED_CONTENTS = {
    "kubernetes:helm.sh/v3:Release": "installs a Helm chart inside the kubernetes provider; the chart's objects "
                                     "(RBAC, workloads, webhooks) are never registered, so no rule judges them "
                                     "(use kubernetes.helm.v4.Chart, whose objects are judged)",
}
ENGINE_PACKAGES = ("pulumi",)
DEPLOY_RUNNER_CODE = Path(__file__).resolve().parent.parent / "analysis" / "deploy_runner_code.yaml"


@lru_cache(maxsize=1)
def _runner_code() -> dict[str, Any]:
    """analysis/deploy_runner_code.yaml: {"always": {token: what it runs}, "when_set": {token: {input, runs}}}."""
    return data_yaml.load(DEPLOY_RUNNER_CODE)


def runner_data_packages() -> frozenset[str]:
    """The packages deploy_runner_code.yaml reviews whole (docker, docker-build, ...): their code-running types block
    (AGID-GEN-001), and what the file's header lets pass (a registry pull, networks, volumes) was reviewed there."""
    data = _runner_code()
    return frozenset(token.split(":", 1)[0] for token in (*data["always"], *data["when_set"]))


def runs_code(type_token: str, inputs: Mapping[str, Any]) -> str | None:
    """What a resource of another package runs on the deploy runner or its docker host (deploy_runner_code.yaml),
    or None. An input that decides it and is unknown at preview counts as set: it may be (fail closed)."""
    data = _runner_code()
    if type_token in data["always"]:
        return data["always"][type_token]
    conditional = data["when_set"].get(type_token)
    if conditional is None:
        return None
    value = inputs.get(conditional["input"]) if isinstance(inputs, Mapping) else None
    if value is None:
        return None
    return conditional["runs"] + (" (unknown at preview: it may)" if is_unknown(value) else "")  # pulumi:pulumi:Stack, pulumi:providers:* (judged by AGID-PRV-001)


def covered_packages() -> frozenset[str]:
    """Packages some registered rule names a token of (`aws`, `azure-native`, `azuread`, `gcp`, ...)."""
    from .registry import RULES

    return frozenset(token.split(":", 1)[0] for rule in RULES for token in (*rule.resource_types, *rule.reads)
                     if not token.startswith("pulumi:"))


def why_unjudgeable(type_token: str, covered: frozenset[str], inputs: Mapping[str, Any] | None = None) -> str | None:
    """The reason a resource of `type_token` (with `inputs`) must block, or None."""
    if type_token.startswith(CODE_RUNNING_PREFIXES):
        return "runs arbitrary code at deployment (dynamic provider or command provider)"
    code = runs_code(type_token, inputs or {})
    if code:
        return (f"{code}: code run at `pulumi up` on the deploy runner or its docker host, where the program can "
                "hand it the deployer's credentials")
    if type_token in UNREGISTERED_CONTENTS:
        return UNREGISTERED_CONTENTS[type_token]
    package, _, rest = type_token.partition(":")
    if package in covered or package in ENGINE_PACKAGES or not rest:
        return None
    module = rest.split(":", 1)[0].split("/", 1)[0].lower()
    if module in IDENTITY_MODULES:
        return f"is in identity module {module!r} of package {package!r}, which no rule of this pack judges"
    return None


def check(resources, config):
    covered = covered_packages()
    for resource in resources:
        reason = why_unjudgeable(resource.type, covered, resource.props) if resource.custom else None
        if reason:
            yield Violation(f"{resource.type} {resource.name} {reason}: it can create identities or credentials "
                            "the gate cannot see; use a covered provider's resource, or waive it with a reason",
                            resource.urn)


RULE = Rule(
    id="AGID-GEN-001",
    title="no-unjudgeable-identity-resources",
    severity="high",
    category="unparseable",
    description="No resource the pack cannot judge that can create identities or run code: dynamic providers, "
                "the command provider, docker containers, services, plugins and image builds, identity modules of "
                "uncovered packages, Helm v3 releases.",
    remediation="Declare the identity with a covered provider (aws, azure-native, azuread, gcp, kubernetes) so the "
                "pack judges it; replace commands and dynamic providers that call cloud IAM APIs; build and run "
                "containers outside the deployment (CI job, cloud runtime) and pull the built image by digest.",
    url="https://www.pulumi.com/docs/concepts/resources/dynamic-providers/",
    check=check,
    stack=True,
    enforcement="mandatory",
)
