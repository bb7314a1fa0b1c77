"""AGID-GEN-004 (critical): no literal credential in ANY input of ANY resource.

AGID-AWS-007, AGID-AZ-025, AGID-GCP-034 and AGID-K8S-004 read the inputs their providers document as secrets, type
by type.
A credential pasted anywhere else (an AgentCore runtime's environment, a Batch job's env, CloudFormation or ARM
deployment parameters, a Glue job's arguments, a Step Functions definition, an SSM document, a Container Apps
job's env, a Logic App's parameters, a VM's custom data...) is the same static, long-lived secret in the
program's source, the state file and every preview (red11a 18, 21). This rule walks every string of every custom
resource and asks Yelp's detect-secrets (secret_scan.py) about:
  - any string whose text looks like a known credential format (AWS access key ids, private keys, GitHub /
    GitLab / Slack / Stripe / OpenAI / npm / PyPI / SendGrid tokens, JWTs, Azure storage keys, URLs with a
    password): detect-secrets' pattern detectors decide, our prefilter only skips strings that cannot match;
  - any string stored under a member whose name ENDS in a secret word (`DB_PASSWORD`, `smtpPassword`, `SMTP_PW`,
    `githubToken`, `clientSecret`, `AccountKey`): detect-secrets' keyword detector decides (names like
    `passwordLength`, `tokenType` or `secretArn` are not asked).
The stack's outputs too (issue 11): `pulumi.export("key", "AKIA...")`, a credential nested in a dict or list
output, or in a component's registered outputs, is written in plain text to the state and printed by `pulumi stack
output` and `pulumi up` in CI logs. The engine sends the root `pulumi:pulumi:Stack` resource to AnalyzeStack with
the stack's outputs as its properties, and a component with its registered outputs (`agentid preview` sends them
the same way); an output the program marks secret (`pulumi.Output.secret(...)`, `additional_secret_outputs`)
arrives wrapped as a secret and is encrypted in the state: it passes.
Under `agentid preview` a `secure:` stack value reaches the program as a placeholder marked secret: the placeholder
in any input or output WITHOUT the mark (whole, case-changed, inside other text; red14 r14-15: `Output.unsecret`)
is the secret in plain text at `pulumi up`, whatever the resource; an input the service stores encrypted for the
purpose (AGID-AWS-007's candidates that are not plain text: a SecureString, a Secrets Manager version) passes.
Not judged here: the types whose own rule reads them whole (AWS-007, AZ-025, K8S-004, to keep one finding per
secret), values unknown at preview, values the engine marked secret (a config secret, never a literal), and references (ARNs, Key Vault references,
`{{resolve:...}}`, `${...}` templates).
"""

from __future__ import annotations

import base64
import functools
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown

from . import aws_literal_secret, azure_literal_secret, gcp_literal_secret, k8s_secret_literal, secret_scan
from .base import Rule, Violation
from .engine_secrets import SecretText, is_engine_secret, mark_secrets
from .secret_scan import secret_kinds

PLACEHOLDER = aws_literal_secret.PLACEHOLDER
STACK = "pulumi:pulumi:Stack"  # the root resource: its properties are the stack's outputs
# Kubernetes Secrets are judged whole by AGID-K8S-004. For the types of AGID-AWS-007 and AGID-AZ-025, the values
# those rules read (their candidates) are left to them, every other string of the resource is judged here:
# one finding per secret, and no field of theirs unread.
OWN_RULE_TYPES = frozenset(k8s_secret_literal.RULE.resource_types)
_OWN_CANDIDATES = {**{type_: aws_literal_secret.candidates for type_ in aws_literal_secret.RULE.resource_types},
                   **{type_: azure_literal_secret.candidates for type_ in azure_literal_secret.RULE.resource_types},
                   **{type_: gcp_literal_secret.candidates for type_ in gcp_literal_secret.RULE.resource_types}}
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
    r"(?:password|passwd|pwd|pass|pw|passphrase|secret|secretkey|secretaccesskey|apikey|accesskey|accesstoken|"
    r"authtoken|token|clientsecret|privatekey|connectionstring|sharedkey|accountkey|sas|sastoken|credential|"
    r"credentials)$")
# References name where a secret is kept, not the secret.
_REFERENCE = re.compile(
    r"^(?:arn:aws[a-z-]*:|\{\{resolve:|\$\{|@Microsoft\.KeyVault\(|https://[a-z0-9-]+\.vault\.azure\.net/|"
    r"projects/[^/]+/secrets/|secretsmanager:|ssm:)", re.IGNORECASE)
# detect-secrets types that judge a value by the name it is stored under or by its entropy alone. Entropy counts
# under a secret's name, the member's own or an enclosing one (`credentials: {key: <hex>}`); a digest, a public key
# or a base64 blob elsewhere is not a credential. The keyword detector takes any text under a secret's name
# (`secret: "db-password"` is Cloud Run's reference to a Secret Manager secret), so it counts only under the
# member's own secret name and for a value shaped like a password (`_password_like`).
KEYWORD_KIND = "Secret Keyword"
ENTROPY_KINDS = frozenset({"Base64 High Entropy String", "Hex High Entropy String"})
NAME_DEPENDENT_KINDS = frozenset({KEYWORD_KIND, *ENTROPY_KINDS})
_VALUE_MEMBERS = frozenset({"value", "defaultValue", "secureValue"})
MAX_DEPTH = 32
MAX_JSON_CHARS = 256 * 1024  # a JSON document in a string input is walked up to this size, else scanned as text
# Per resource, a bound on the time one resource can take (both found by measure: a plain string costs ~2.5 us, one
# the detectors are asked about ~300 us); a resource past either is judged on its first strings and says so. Plain
# strings are bounded loosely: the inventory a 1,000-agent stack exports holds ~120,000 (issue 17's fleet).
MAX_STRINGS = 1_000_000
MAX_ASKED = 20_000  # strings handed to detect-secrets


def _strings(value: Any, key: str, path: str, depth: int = 0,
             secret: bool = False) -> Iterator[tuple[str, str, str, bool]]:
    """(path, member name it is stored under, string, whether it sits under a secret's name) for every string in
    `value`. Under a secret's name: the member's own name says so (`DB_PASSWORD`), or an enclosing member's does
    (`credentials: {key: ...}`), or its mapping declares it (`secret: true`, as APIM named values do)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        decoded = _json_document(value)
        text = _base64_text(value) if decoded is None else None
        if decoded is not None and is_engine_secret(value):  # a document the engine marked secret: its members too
            decoded = mark_secrets(decoded, inside=True)
        if text is not None and is_engine_secret(value):
            text = SecretText(text)
        if decoded is not None:  # a JSON document in a string input (container properties, a state machine): members
            yield from _strings(decoded, key, path, depth + 1, secret)
        elif text is not None:  # base64 text (custom data, user data): its lines, under the same name
            yield f"{path} (base64)", key, text, secret
        else:
            yield path, key, value, secret
    elif isinstance(value, Mapping):
        # an environment list's {name: X, value: "..."} stores the value under X; a parameter's {value: "..."}
        # (ARM, CloudFormation-like shapes) under the parameter's own name
        named = value.get("name") if isinstance(value.get("name"), str) else None
        declared = value.get("secret") is True or value.get("isSecret") is True
        for member, item in value.items():
            member = str(member)
            # a mapping's KEY can be the credential too (`{"AKIA...": "<secret key>"}`, red14 r14-4)
            yield f"{path}.{member} (key)" if path else f"{member} (key)", "", member, secret or declared
            stored_under = (named or key or member) if member in _VALUE_MEMBERS else member
            yield from _strings(item, stored_under, f"{path}.{member}" if path else member, depth + 1,
                                secret or declared or _secret_named(member))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, key, f"{path}[{index}]", depth + 1, secret)


_NAMED_IN_VALUE = re.compile(r"(?i)(?:^|[;&?\s])(?:accountkey|sharedaccesskey|password|pwd|clientsecret)=[^;&\s]{8,}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


def _base64_text(value: str) -> str | None:
    """The text a base64 string input holds (VM custom data, launch user data), when it decodes to UTF-8 text: line
    breaks as the `base64` tool writes them (76 characters a line, RFC 2045) are dropped first, and gzip data
    (cloud-init's compressed user data, https://cloudinit.readthedocs.io/en/latest/explanation/format.html) is
    decompressed, up to MAX_JSON_CHARS of text (a larger or broken stream is not text here)."""
    if len(value) > MAX_JSON_CHARS:
        return None
    value = value.replace("\r", "").replace("\n", "")
    if len(value) % 4 or not _BASE64.fullmatch(value):
        return None
    try:
        data = base64.b64decode(value, validate=True)
        if data[:2] == b"\x1f\x8b":
            stream = gzip.GzipFile(fileobj=io.BytesIO(data))
            data = stream.read(MAX_JSON_CHARS + 1)
            if len(data) > MAX_JSON_CHARS:
                return None
        text = data.decode("utf-8")
    except (ValueError, UnicodeDecodeError, OSError, EOFError, zlib.error):
        return None
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return text if text and printable >= 0.95 * len(text) else None


def _password_like(value: str) -> bool:
    """At least 8 characters, no spaces, and three of: lower case, upper case, digits, symbols (a name or a slug such
    as `db-password` or `ManagedIdentity` is not)."""
    if len(value) < 8 or any(ch.isspace() for ch in value):
        return False
    classes = (any(ch.islower() for ch in value), any(ch.isupper() for ch in value), any(ch.isdigit() for ch in value),
               any(not ch.isalnum() for ch in value))
    return sum(classes) >= 3


# words that end in a secret word without being one (`PROXY_BYPASS`)
_NOT_SECRET_NAME = re.compile(r"(?:bypass|compass|overpass|underpass|surpass)$")


@functools.lru_cache(maxsize=8192)  # a pure function of the name; a fleet repeats a few hundred member names
def _secret_named(name: str) -> bool:
    normalized = _normalized(name)
    return bool(_SECRET_NAME.search(normalized)) and not _NOT_SECRET_NAME.search(normalized)


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


_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def _normalized(name: str) -> str:
    return _NOT_ALNUM.sub("", name.lower())


def _asked(key: str, value: str, under_secret: bool) -> bool:
    if len(value) < 6 or _REFERENCE.match(value.strip()):
        return False
    return bool(under_secret or _PATTERN_PREFILTER.search(value) or _secret_named(key))


def _judged_elsewhere(resource) -> set[str]:
    """The string values AGID-AWS-007 / AGID-AZ-025 read on this resource (they judge those)."""
    reader = _OWN_CANDIDATES.get(resource.type)
    if reader is None:
        return set()
    values: set[str] = set()
    for _path, _key, value in reader(resource):
        value = getattr(value, "value", value)  # SecretByType
        if isinstance(value, str):
            values.add(value)
    return values


def holds_placeholder(value: Any) -> bool:
    """Does the string hold the placeholder `agentid preview` hands the program for a `secure:` stack value, as it
    is or transformed by case or embedded in other text?"""
    return isinstance(value, str) and _PLACEHOLDER_CORE in value.casefold()


_PLACEHOLDER_CORE = PLACEHOLDER.strip("[]").split(":", 1)[1].strip().casefold()  # "not decrypted by agentid preview"


def _stored_encrypted(resource) -> set[str]:
    """The values of inputs the service stores encrypted for the purpose (an SSM SecureString's value, a Secrets
    Manager version: AGID-AWS-007's candidates that are not plain text): a stack-config secret belongs there."""
    if resource.type not in aws_literal_secret.RULE.resource_types:
        return set()
    values: set[str] = set()
    for path, _key, value in aws_literal_secret.candidates(resource):
        value = getattr(value, "value", value)
        if isinstance(value, str) and not aws_literal_secret.plaintext(resource, path):
            values.add(value)
    return values


def _where(resource) -> str:
    """How a finding names what holds the value: a component's registered properties and outputs are its own."""
    return f"{resource.name}: " if resource.custom else f"component {resource.name}: "


def check(resources, config):
    with secret_scan.scanning():  # detect-secrets' settings entered once for the stack, not once per string
        outcomes = list(_check(resources, config))
    yield from outcomes


def _check(resources, config):
    for resource in resources:
        # components too: the properties and outputs a component registers are kept in the state like a resource's
        # inputs; the stack resource's properties are the stack's outputs; providers are AGID-PRV-001's
        if resource.type in OWN_RULE_TYPES or (resource.type.startswith("pulumi:") and resource.type != STACK):
            continue
        where = _where(resource)
        elsewhere = _judged_elsewhere(resource)
        sealed = _stored_encrypted(resource)
        seen = asked = 0
        for path, key, value, under_secret in _strings(resource.props, "", ""):
            seen += 1
            if seen > MAX_STRINGS:
                yield Violation(f"{resource.name}: holds over {MAX_STRINGS:,} strings; only the first were checked for "
                                "literal credentials: split it or waive with a reason", resource.urn)
                break
            if holds_placeholder(value) and not is_engine_secret(value) and value not in sealed:
                # `agentid preview` hands the program each encrypted stack-config secret as this placeholder, marked
                # secret, and sends inputs and the stack's outputs with their secret marking kept; a string holding
                # it unmarked (whole, upper-cased, inside other text, in JSON or base64) took the secret out of its
                # wrapper (`Output.unsecret`, a plain `config.require` of a secure key, red14 r14-15): at `pulumi
                # up` the real value is written in plain text to the state, the resource's settings, `pulumi stack
                # output` and CI logs
                yield Violation(f"{where}{path} holds a stack-config secret in plain text (its secret marking was "
                                "removed): the real value lands unencrypted in the state, the resource's settings, "
                                "stack outputs and CI logs; keep it an Output marked secret (config.require_secret, "
                                "pulumi.Output.secret, no Output.unsecret)", resource.urn)
                continue
            if (is_unknown(value) or is_engine_secret(value) or value == PLACEHOLDER or value in elsewhere
                    or not _asked(key, value, under_secret)):
                continue
            asked += 1
            if asked > MAX_ASKED:
                yield Violation(f"{resource.name}: holds over {MAX_ASKED:,} strings that look like secrets; only the "
                                "first were checked for literal credentials: split it or waive with a reason",
                                resource.urn)
                break
            # a connection string names its own secret: `...;AccountKey=<base64>;...`, `Password=...`
            under_secret = under_secret or bool(_NAMED_IN_VALUE.search(value))
            own_name = _secret_named(key)
            # a secret's name the keyword detector's own list lacks (`SMTP_PW`, `GPG_PASSPHRASE`) is asked as `secret`
            kinds = secret_kinds("secret" if own_name or under_secret else key, value)
            kinds = tuple(kind for kind in kinds if kind not in NAME_DEPENDENT_KINDS
                          or (kind in ENTROPY_KINDS and (own_name or under_secret))
                          or (kind == KEYWORD_KIND and own_name and _password_like(value)))
            if kinds and resource.type == STACK:
                yield Violation(f"stack output {path} holds a literal credential (detect-secrets: {', '.join(kinds)}) "
                                "not marked secret: it is written in plain text to the state and printed by `pulumi "
                                "stack output` and in CI logs; export a reference, or wrap it in pulumi.Output.secret",
                                resource.urn)
            elif kinds:
                yield Violation(f"{where}{path} holds a literal credential (detect-secrets: {', '.join(kinds)})"
                                ": it is in the program's source, the state file and every preview; keep it in a "
                                "secret store and pass a reference, or use the identity the resource runs as",
                                resource.urn)


RULE = Rule(
    id="AGID-GEN-004",
    title="no-literal-credential-anywhere",
    severity="critical",
    category="static-credential",
    description="No input of any resource, component output or stack output holds a literal credential (access keys, "
                "private keys, tokens, passwords under a secret's name) not marked secret, as detect-secrets "
                "recognises them, nor a stack-config secret whose secret marking was removed (Output.unsecret).",
    remediation="Keep the secret in a secret store (Secrets Manager, Key Vault, Secret Manager) and pass its reference, "
                "or give the workload an identity instead of a key.",
    url="https://github.com/Yelp/detect-secrets",
    check=check,
    stack=True,
)
