"""AGID-GEN-004 (critical): no literal credential in ANY input of ANY resource.

AGID-AWS-007, AGID-AZ-025 and AGID-K8S-004 read the inputs their providers document as secrets, type by type.
A credential pasted anywhere else (an AgentCore runtime's environment, a Batch job's env, CloudFormation or ARM
deployment parameters, a Glue job's arguments, a Step Functions definition, an SSM document, a Container Apps
job's env, a Logic App's parameters, a VM's custom data...) is the same static, long-lived secret in the
program's source, the state file and every preview (red11a 18, 21). This rule walks every string of every custom
resource and asks Yelp's detect-secrets (secret_scan.py) about:
  - any string whose text looks like a known credential format (AWS access key ids, private keys, GitHub /
    GitLab / Slack / Stripe / OpenAI / npm / PyPI / SendGrid tokens, JWTs, Azure storage keys, URLs with a
    password): detect-secrets' pattern detectors decide, our prefilter only skips strings that cannot match;
  - any string stored under a member whose name ENDS in a secret word (`DB_PASSWORD`, `smtpPassword`,
    `githubToken`, `clientSecret`, `AccountKey`): detect-secrets' keyword detector decides (names like
    `passwordLength`, `tokenType` or `secretArn` are not asked).
Not judged here: the types whose own rule reads them whole (AWS-007, AZ-025, K8S-004, to keep one finding per
secret), values unknown at preview, values the engine marked secret (a config secret, never a literal), the
placeholder `agentid preview` sends for a `secure:` stack value, and references (ARNs, Key Vault references,
`{{resolve:...}}`, `${...}` templates).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown

from . import aws_literal_secret, azure_literal_secret, k8s_secret_literal
from .base import Rule, Violation
from .engine_secrets import is_engine_secret
from .secret_scan import secret_kinds

PLACEHOLDER = aws_literal_secret.PLACEHOLDER
# Judged whole by their own literal-secret rule: one finding per secret, not two.
OWN_RULE_TYPES = frozenset({*aws_literal_secret.RULE.resource_types, *azure_literal_secret.RULE.resource_types,
                            *k8s_secret_literal.RULE.resource_types})
# Only strings that could match one of detect-secrets' pattern detectors are asked (cost: the pack judges every
# string of every resource). Each alternative is a fixed prefix or marker of a detector's format
# (detect_secrets/plugins/*.py): AWS key ids, private key armour, GitHub, GitLab, Slack, Stripe, OpenAI, npm, PyPI,
# SendGrid, Discord/Telegram-like tokens are left to the keyword path, JWT ("eyJ"), Azure storage AccountKey,
# basic-auth URLs (scheme://user:password@).
_PATTERN_PREFILTER = re.compile(
    r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}|-----BEGIN|gh[pousr]_|github_pat_|glpat-|xox[abposr]-|"
    r"(?:sk|rk)_live_|sk-|npm_|pypi-|SG\.|eyJ|AccountKey=|://[^/\s:@]+:[^/\s@]+@")
# A member whose name ends in one of these holds a secret by its name (camelCase, snake_case, kebab or upper).
_SECRET_NAME = re.compile(
    r"(?:password|passwd|pwd|secret|secretkey|secretaccesskey|apikey|accesskey|accesstoken|authtoken|token|"
    r"clientsecret|privatekey|connectionstring|sharedkey|accountkey|sas|sastoken|credential|credentials)$")
# References name where a secret is kept, not the secret.
_REFERENCE = re.compile(
    r"^(?:arn:aws[a-z-]*:|\{\{resolve:|\$\{|@Microsoft\.KeyVault\(|https://[a-z0-9-]+\.vault\.azure\.net/|"
    r"projects/[^/]+/secrets/|secretsmanager:|ssm:)", re.IGNORECASE)
# detect-secrets types that judge a value by the name it is stored under or by its entropy alone: asked only under
# a secret's name (a digest, a public key or a base64 blob elsewhere is not a credential)
NAME_DEPENDENT_KINDS = frozenset({"Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String"})
_VALUE_MEMBERS = frozenset({"value", "defaultValue", "secureValue"})
MAX_DEPTH = 32
MAX_JSON_CHARS = 256 * 1024  # a JSON document in a string input is walked up to this size, else scanned as text
MAX_STRINGS = 20_000  # per resource: a resource with more strings is judged on its first ones, and says so


def _strings(value: Any, key: str, path: str, depth: int = 0) -> Iterator[tuple[str, str, str]]:
    """(path, member name it is stored under, string) for every string in `value`."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        decoded = _json_document(value)
        if decoded is None:
            yield path, key, value
        else:  # a JSON document in a string input (container properties, a state machine, a template): its members
            yield from _strings(decoded, key, path, depth + 1)
    elif isinstance(value, Mapping):
        # an environment list's {name: X, value: "..."} stores the value under X; a parameter's {value: "..."}
        # (ARM, CloudFormation-like shapes) under the parameter's own name
        named = value.get("name") if isinstance(value.get("name"), str) else None
        for member, item in value.items():
            member = str(member)
            if member in _VALUE_MEMBERS:
                stored_under = named or key or member
            else:
                stored_under = member
            yield from _strings(item, stored_under, f"{path}.{member}" if path else member, depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, key, f"{path}[{index}]", depth + 1)


def _json_document(value: str) -> Any:
    """The object or list a string input holds as JSON (bounded by MAX_JSON_CHARS), else None."""
    stripped = value.lstrip()
    if not stripped.startswith(("{", "[")) or len(value) > MAX_JSON_CHARS:
        return None
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, (dict, list)) else None


def _normalized(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _asked(key: str, value: str) -> bool:
    if len(value) < 6 or _REFERENCE.match(value.strip()):
        return False
    return bool(_PATTERN_PREFILTER.search(value) or _SECRET_NAME.search(_normalized(key)))


def check(resources, config):
    for resource in resources:
        if not resource.custom or resource.type in OWN_RULE_TYPES or resource.type.startswith("pulumi:"):
            continue
        seen = 0
        for path, key, value in _strings(resource.props, "", ""):
            seen += 1
            if seen > MAX_STRINGS:
                yield Violation(f"{resource.name}: holds over {MAX_STRINGS:,} strings; only the first were checked for "
                                "literal credentials: split it or waive with a reason", resource.urn)
                break
            if is_unknown(value) or is_engine_secret(value) or value == PLACEHOLDER or not _asked(key, value):
                continue
            kinds = secret_kinds(key, value)
            if not _SECRET_NAME.search(_normalized(key)):  # no secret's name: the value's format alone must say so
                kinds = tuple(kind for kind in kinds if kind not in NAME_DEPENDENT_KINDS)
            if kinds:
                yield Violation(f"{resource.name}: {path} holds a literal credential (detect-secrets: {', '.join(kinds)})"
                                ": it is in the program's source, the state file and every preview; keep it in a "
                                "secret store and pass a reference, or use the identity the resource runs as",
                                resource.urn)


RULE = Rule(
    id="AGID-GEN-004",
    title="no-literal-credential-anywhere",
    severity="critical",
    category="static-credential",
    description="No input of any resource holds a literal credential (access keys, private keys, tokens, passwords "
                "under a secret's name), as detect-secrets recognises them.",
    remediation="Keep the secret in a secret store (Secrets Manager, Key Vault, Secret Manager) and pass its reference, "
                "or give the workload an identity instead of a key.",
    url="https://github.com/Yelp/detect-secrets",
    check=check,
    stack=True,
)
