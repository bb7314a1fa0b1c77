"""Which identity-bearing resource types of the installed providers the pack judges, and why the others are not.

    python -m agentid_policy_packs.rules.coverage            # Markdown, as in docs/coverage.md
    python -m agentid_policy_packs.rules.coverage --check    # exit 1 when docs/coverage.md is stale or a token has no verdict

Type tokens come from the providers themselves: each Pulumi provider package registers its
resource modules with `_utilities.register(resource_modules=<JSON>)` in its `__init__.py`,
mapping every type token to its class. That literal is read (with `ast`, no import), so the
list follows whatever pulumi-aws, pulumi-azure-native and pulumi-azuread are installed.

Selection (what "identity-bearing" means here), by token:
  - pulumi-azuread: every resource (the whole provider is the Entra directory);
  - pulumi-aws: modules iam, sts, rolesanywhere, ssoadmin, identitystore, cognito, kms,
    secretsmanager, organizations; and in any module a resource whose name says it holds a
    grant, a credential or a trust: Policy, Permission, Credential, Secret, AccessKey, KeyPair,
    Password, Grant, Authorizer, Trust, Principal, ApiKey, FunctionUrl, plus the Bedrock
    AgentCore identity resources (gateways, credential providers, workload identities);
  - pulumi-azure-native: modules authorization, managedidentity, keyvault; and resources named
    RoleAssignment, RoleDefinition, FederatedIdentityCredential, Secret, AccessPolicy,
    Credential, AuthorizationRule, SharedAccess, Certificate, ApiKey, or a service `Account` /
    `StorageAccount` (key-based local auth lives there);
  - pulumi-gcp: modules iam, serviceaccount; every IAM member, binding and policy type of every service,
    custom roles, audit configs, API keys, HMAC keys and secrets;
  - pulumi-kubernetes: the RBAC and admission-registration API groups (an admission webhook rewrites or reads every
    object it intercepts), ServiceAccounts and Secrets.
Tokens a rule judges are listed too, selected or not (a bucket's inline policy, a Lambda function's
environment). A selected token is COVERED when a registered rule judges it (`resource_types`, or `reads` for
stack rules); otherwise the first pattern of coverage_reasons.yaml that matches it says why it is
deliberately left out (or names it a known gap). tests/policy/test_coverage.py keeps both true.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from agentid_components import data_yaml

from .registry import RULES

PROVIDERS = {"pulumi_aws": "pulumi-aws", "pulumi_azure_native": "pulumi-azure-native", "pulumi_azuread": "pulumi-azuread",
             "pulumi_gcp": "pulumi-gcp", "pulumi_kubernetes": "pulumi-kubernetes"}
REASONS_FILE = Path(__file__).with_name("coverage_reasons.yaml")
DOC = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"

_AWS_MODULES = re.compile(r"^aws:(iam|sts|rolesanywhere|ssoadmin|identitystore|cognito|kms|secretsmanager|organizations)/")
_AWS_NAMES = re.compile(r"Policy|Permission|Credential|Secret|AccessKey|KeyPair|Password|Grant|Authorizer|Trust|"
                        r"Principal|ApiKey|FunctionUrl|^Agentcore(Gateway|WorkloadIdentity|.*CredentialProvider)")
_GCP_MODULES = re.compile(r"^gcp:(iam|serviceaccount)/")
_GCP_NAMES = re.compile(r"(IAM|Iam)(Member|Binding|Policy|CustomRole|AuditConfig)$|^(ApiKey|HmacKey|\w*Secret|SecretVersion)$")
_AZURE_MODULES = re.compile(r"^azure-native:(authorization|managedidentity|keyvault):")
_AZURE_NAMES = re.compile(r"RoleAssignment|RoleDefinition|FederatedIdentityCredential|Secret|AccessPolicy|Credential|"
                          r"AuthorizationRule|SharedAccess|Certificate$|ApiKey|^Account$|^StorageAccount$")


@dataclass(frozen=True)
class Row:
    provider: str  # the PyPI name, e.g. pulumi-aws
    token: str
    rules: tuple[str, ...]  # ids of the rules that judge it; () when not covered
    reason: str  # why not covered ("" when covered)


def provider_tokens(package: str) -> set[str]:
    """Every resource type token the installed provider package registers (none if it is not installed)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return set()
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    tokens: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "register":
            for keyword in node.keywords:
                if keyword.arg == "resource_modules" and isinstance(keyword.value, ast.Constant):
                    for module in json.loads(keyword.value.value):
                        tokens.update(module.get("classes", {}))
    return tokens


def selected(token: str) -> bool:
    """Is this type token identity-bearing (see the module docstring for the criterion)?"""
    name = token.rsplit(":", 1)[-1]
    if token.startswith("azuread:"):
        return True
    if token.startswith("aws:"):
        return bool(_AWS_MODULES.match(token) or _AWS_NAMES.search(name))
    if token.startswith("azure-native:"):
        return bool(_AZURE_MODULES.match(token) or _AZURE_NAMES.search(name))
    if token.startswith("gcp:"):
        return bool(_GCP_MODULES.match(token) or _GCP_NAMES.search(name))
    if token.startswith("kubernetes:"):
        return (token.startswith(("kubernetes:rbac.authorization.k8s.io/", "kubernetes:admissionregistration.k8s.io/"))
                or name.startswith(("ServiceAccount", "Secret")))
    return False


def covering_rules() -> dict[str, tuple[str, ...]]:
    """type token -> ids of the registered rules that judge it."""
    covered: dict[str, list[str]] = {}
    for rule in RULES:
        for token in dict.fromkeys((*rule.resource_types, *rule.reads)):
            covered.setdefault(token, []).append(rule.id)
    return {token: tuple(ids) for token, ids in covered.items()}


@lru_cache(maxsize=1)
def reasons() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern, reason) from coverage_reasons.yaml, in file order (the first match wins)."""
    entries = data_yaml.load(REASONS_FILE)
    return tuple((re.compile(entry["match"]), entry["reason"]) for entry in entries)


def reason_for(token: str) -> str:
    return next((reason for pattern, reason in reasons() if pattern.search(token)), "")


def rows() -> list[Row]:
    covered = covering_rules()
    out = []
    for package, provider in PROVIDERS.items():
        for token in sorted(t for t in provider_tokens(package) if selected(t) or t in covered):
            rules = covered.get(token, ())
            out.append(Row(provider, token, rules, "" if rules else reason_for(token)))
    return out


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for provider in PROVIDERS.values():
        try:
            found.append(f"{provider} {version(provider)}")
        except PackageNotFoundError:
            found.append(f"{provider} (not installed)")
    return ", ".join(found)


def render() -> str:
    table = rows()
    lines = [
        "# Coverage: identity-bearing resource types",
        "",
        "Generated by `python -m agentid_policy_packs.rules.coverage` from the installed providers "
        f"({_versions()}); `tests/policy/test_coverage.py` keeps it true. The selection criterion is in "
        "`policy_packs/rules/coverage.py`; the reasons for types left out are data, "
        "`policy_packs/rules/coverage_reasons.yaml`. A reason starting with **gap** is a known hole, "
        "not a judgement that the type is safe.",
        "",
        "| provider | selected | covered | left out (reason) | of which gaps |",
        "| --- | --- | --- | --- | --- |",
    ]
    for provider in PROVIDERS.values():
        mine = [r for r in table if r.provider == provider]
        covered = sum(1 for r in mine if r.rules)
        gaps = sum(1 for r in mine if not r.rules and r.reason.startswith("gap"))
        lines.append(f"| {provider} | {len(mine)} | {covered} | {len(mine) - covered} | {gaps} |")
    for provider in PROVIDERS.values():
        lines += ["", f"## {provider}", "", "| type token | rules | or why not |", "| --- | --- | --- |"]
        for row in (r for r in table if r.provider == provider):
            verdict = row.reason or "**no reason: add one to coverage_reasons.yaml**"
            lines.append(f"| `{row.token}` | {', '.join(row.rules)} | {'' if row.rules else verdict} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        missing = [r.token for r in rows() if not r.rules and not r.reason]
        stale = not DOC.is_file() or DOC.read_text(encoding="utf-8") != text
        for token in missing:
            print(f"{token}: selected but neither covered nor given a reason in {REASONS_FILE.name}")
        if stale:
            print(f"{DOC}: stale, regenerate with python -m agentid_policy_packs.rules.coverage > docs/coverage.md")
        return 1 if missing or stale else 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
