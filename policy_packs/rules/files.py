"""Judge standalone documents (IAM policy JSON, Azure role-definition JSON) with the pack's own rules.

`agentid lint` reads a file, `classify` says what it holds, and `lint_document`
runs the rules that judge that kind of document on a stand-in resource of the
matching type (an identity policy is judged as an `aws:iam/policy:Policy`, a
trust policy as a role's `assumeRolePolicy`, ...). Same rules, same verdicts
as the pack gives at deploy time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .base import Resource, Rule, Violation, run_resource_rule, run_stack_rule
from .registry import RULES_BY_ID

IDENTITY_POLICY = "aws-identity-policy"
TRUST_POLICY = "aws-trust-policy"
RESOURCE_POLICY = "aws-resource-policy"
AZURE_ROLE = "azure-role-definition"

# Stack rules that judge an identity policy document by itself: the stack only adds what makes a target own
# (AGID-AWS-073: a bucket the stack creates; a standalone file has none, so only ownS3Buckets and owner pins count;
# AGID-AWS-072: whether an Output flowed into the document; a file's document is a literal).
_DOCUMENT_STACK_RULES = ("AGID-AWS-072", "AGID-AWS-073")


def _identity_policy_rules() -> tuple[str, ...]:
    """Every resource rule of the pack that judges an `aws:iam/policy:Policy` (read from the registry, so a rule
    added later is run by lint too: AGID-AWS-016/052/070/072 were missing from a hand-written list), and the stack
    rules that judge a document alone."""
    return tuple(sorted(rule.id for rule in RULES_BY_ID.values()
                        if not rule.stack and "aws:iam/policy:Policy" in rule.resource_types)) + _DOCUMENT_STACK_RULES


ROLE = "aws:iam/role:Role"
KMS_KEY = "aws:kms/key:Key"
TRUST_FIELD = "assumeRolePolicy"
# the trust the probe below hands each role rule: a web-identity trust (GitHub Actions), so a rule that reads the trust
# only for federated principals reads it too
_PROBE_TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": '
                '"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}, "Action": '
                '"sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {'
                '"token.actions.githubusercontent.com:sub": "repo:o/r:ref:refs/heads/main", '
                '"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]}')


class _ReadRecorder(dict):
    """Resource inputs that note which keys a rule reads."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        self.read.add(key)
        return super().__contains__(key)


_PROBE_RESOURCE_POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": '
                          '"arn:aws:iam::111122223333:root"}, "Action": "*", "Resource": "*"}]}')


@lru_cache(maxsize=128)
def rules_reading(type_: str, field: str, sample: str) -> tuple[str, ...]:
    """Every rule of the pack that judges `type_` (resource rules by their types, stack rules by what they read) and
    reads its input `field`: each is run once on a stand-in resource holding `sample` there, whose inputs record what
    the rule reads. Read from the registry, not listed by hand, so a rule added later is run by lint too."""
    found = []
    for rule in RULES_BY_ID.values():
        if type_ not in (rule.reads if rule.stack else rule.resource_types):
            continue
        props = _ReadRecorder({field: sample})
        resource = Resource(type_, "probe", "file:probe", props)
        try:
            list(run_stack_rule(rule, [resource], rule.settings({})) if rule.stack
                 else run_resource_rule(rule, resource, rule.settings({})))
        except Exception:  # noqa: BLE001 - a rule that fails on the stand-in is judged by what it read before
            pass
        if field in props.read:
            found.append(rule.id)
    return tuple(sorted(found))


def trust_policy_rules() -> tuple[str, ...]:
    """Every rule of the pack that reads a role's trust policy (rules_reading). The hand-written list
    (AGID-AWS-030/031/032) missed AGID-GEN-006 (a GitHub subject of a foreign owner), AGID-GEN-009 and AGID-GEN-010 (an
    IAM OIDC provider the file's trust names, which no stack defines), so lint passed trusts the gate blocks (issue 11)."""
    return rules_reading(ROLE, TRUST_FIELD, _PROBE_TRUST)


def resource_policy_target(document: Any) -> tuple[str, str]:
    """(stand-in resource type, input) for a resource policy: the resource-policy type of the one service every statement's
    actions name (`kms:*` a key, `s3:...` a bucket policy, `sqs:...` a queue policy; a `*Policy` resource preferred),
    else a KMS key, whose rules are the ones every resource policy gets. The hand-written list (AGID-POL-001/002,
    AGID-AWS-030) missed AGID-AWS-050 (another account's principal), AGID-AWS-062 (a service principal without a
    source pin) and a key policy's AGID-AWS-033 (another account's key administration): lint passed what the gate
    blocks (issue 11)."""
    from .documents import RESOURCE_POLICY_FIELDS  # noqa: PLC0415

    if isinstance(document, str):
        import json  # noqa: PLC0415

        try:
            document = json.loads(document)
        except (ValueError, RecursionError):
            document = None
    statements = document.get("Statement") if isinstance(document, dict) else None
    statements = statements if isinstance(statements, list) else [statements]
    services = set()
    for statement in statements:
        for key in ("Action", "NotAction"):
            actions = statement.get(key) if isinstance(statement, dict) else None
            for action in actions if isinstance(actions, list) else [actions]:
                if isinstance(action, str) and ":" in action:
                    services.add(action.split(":", 1)[0].strip().lower())
    if len(services) == 1:
        service = services.pop()
        candidates = [t for t in RESOURCE_POLICY_FIELDS if t.split(":")[1].split("/")[0].lower() == service]
        candidates.sort(key=lambda t: (not t.endswith("Policy"), t))
        if candidates:
            return candidates[0], RESOURCE_POLICY_FIELDS[candidates[0]]
    return KMS_KEY, "policy"


# kind -> (stand-in resource type, input holding the document, rules that judge it: ids, or a function giving them)
_TARGETS: dict[str, tuple[str, str, tuple[str, ...] | Callable[[], tuple[str, ...]]]] = {
    IDENTITY_POLICY: ("aws:iam/policy:Policy", "policy", _identity_policy_rules()),
    TRUST_POLICY: (ROLE, TRUST_FIELD, trust_policy_rules),
    RESOURCE_POLICY: (KMS_KEY, "policy", ()),  # type and rules by document: resource_policy_target, rules_reading
    AZURE_ROLE: ("azure-native:authorization:RoleDefinition", "", ("AGID-POL-001", "AGID-POL-002", "AGID-AZ-012", "AGID-AZ-015")),
}
# Wrappers the AWS CLI puts around documents (get-role, get-policy-version, get-account-authorization-details).
_AWS_WRAPPERS = ("PolicyDocument", "AssumeRolePolicyDocument", "Document")


class NotADocument(ValueError):
    """The JSON is neither an IAM policy nor an Azure role definition."""


@dataclass(frozen=True)
class LintFinding:
    rule: Rule
    message: str
    category: str = ""  # the finding's category (CATEGORIES): the violation's own, else the rule's

    def __post_init__(self) -> None:
        if not self.category:
            object.__setattr__(self, "category", self.rule.category)


def classify(document: Any) -> tuple[str, Any]:
    """(kind, the document itself) for a decoded JSON value; raises NotADocument."""
    if isinstance(document, dict):
        for wrapper in _AWS_WRAPPERS:
            if isinstance(document.get(wrapper), (dict, str)) and "Statement" not in document:
                return classify_policy(document[wrapper])
        if "Statement" in document:
            return classify_policy(document)
        body = document.get("properties") if isinstance(document.get("properties"), dict) else document
        if any(key in body for key in ("permissions", "Permissions", "Actions", "actions", "DataActions", "dataActions")):
            return AZURE_ROLE, document
    raise NotADocument("not an IAM policy (no Statement) or an Azure role definition (no permissions/Actions)")


def documents_in(decoded: Any) -> list[tuple[tuple[str | int, ...], str, Any]]:
    """Every document in a file, as (path inside the file, kind, document); raises NotADocument when none.

    Reads plain documents and the shapes the AWS CLI wraps them in: `get-policy-version`
    (`PolicyVersion.Document`), `get-role` (`Role.AssumeRolePolicyDocument`), `get-role-policy` /
    `get-user-policy` / `get-group-policy` (`PolicyDocument`), and `get-account-authorization-details`
    (each user's, group's and role's inline policies, each role's trust policy, each managed policy's
    default version). Documents held as text are decoded, URL-encoded ones (the raw IAM API's form, RFC 3986
    percent-encoding) included. Source: AWS CLI reference, `aws iam get-account-authorization-details`.
    """
    found: list[tuple[tuple[str | int, ...], str, Any]] = []
    if isinstance(decoded, dict) and isinstance(decoded.get("PolicyVersion"), dict) and "Document" in decoded["PolicyVersion"]:
        found.append((("PolicyVersion", "Document"), *classify_policy(decoded["PolicyVersion"]["Document"])))
    elif isinstance(decoded, dict) and isinstance(decoded.get("Role"), dict) and "AssumeRolePolicyDocument" in decoded["Role"]:
        found.append((("Role", "AssumeRolePolicyDocument"), *classify_policy(decoded["Role"]["AssumeRolePolicyDocument"])))
    elif isinstance(decoded, dict) and any(key in decoded for key in _AUTHORIZATION_DETAILS):
        found += _authorization_details(decoded)
    else:
        wrapper = next((w for w in _AWS_WRAPPERS if isinstance(decoded, dict) and "Statement" not in decoded
                        and isinstance(decoded.get(w), (dict, str))), None)
        found.append(((wrapper,) if wrapper else (), *classify(decoded)))
    if not found:
        raise NotADocument("an AWS authorization-details file with no policy document in it")
    return found


_AUTHORIZATION_DETAILS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
_INLINE_LISTS = {"UserDetailList": "UserPolicyList", "GroupDetailList": "GroupPolicyList", "RoleDetailList": "RolePolicyList"}


def _authorization_details(decoded: dict) -> list[tuple[tuple[str | int, ...], str, Any]]:
    found = []
    for principals, inline in _INLINE_LISTS.items():
        for index, principal in enumerate(_list(decoded.get(principals))):
            if principals == "RoleDetailList" and "AssumeRolePolicyDocument" in principal:
                found.append(((principals, index, "AssumeRolePolicyDocument"),
                              *classify_policy(principal["AssumeRolePolicyDocument"])))
            for number, policy in enumerate(_list(principal.get(inline))):
                if "PolicyDocument" in policy:
                    found.append(((principals, index, inline, number, "PolicyDocument"), *classify_policy(policy["PolicyDocument"])))
    for index, policy in enumerate(_list(decoded.get("Policies"))):
        for number, version in enumerate(_list(policy.get("PolicyVersionList"))):
            if version.get("IsDefaultVersion") is True and "Document" in version:  # the version in force
                found.append((("Policies", index, "PolicyVersionList", number, "Document"), *classify_policy(version["Document"])))
    return found


def _list(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def classify_policy(document: Any) -> tuple[str, Any]:
    if isinstance(document, str):
        from urllib.parse import unquote

        from agentid_components.input_limits import strict_json

        if document.lstrip()[:3].upper() == "%7B":  # the raw IAM API returns documents URL-encoded
            document = unquote(document)
        try:
            document = strict_json(document)
        except (ValueError, RecursionError):
            return IDENTITY_POLICY, document  # AGID-POL-001 will say why
    statements = document.get("Statement") if isinstance(document, dict) else None
    statements = statements if isinstance(statements, list) else [statements]
    with_principal = [s for s in statements if isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s)]
    if not with_principal:
        return IDENTITY_POLICY, document
    with_resource = [s for s in with_principal if "Resource" in s or "NotResource" in s]
    return (RESOURCE_POLICY if with_resource else TRUST_POLICY), document


def lint_document(kind: str, document: Any, name: str = "document", config: dict[str, dict] | None = None,
                  settings: dict[str, Any] | None = None) -> list[LintFinding]:
    """Run the rules for `kind` on the document; Unknowns cannot occur in a file. `config`: per rule id;
    `settings`: pack-wide ones (ownAccountIds, ownS3Buckets, ...), given to every rule that declares them.
    With none, a rule that tells own from foreign says "cannot tell" (the strictest setting), as at deploy time."""
    type_, field, rule_ids = _TARGETS[kind]
    if kind == RESOURCE_POLICY:
        type_, field = resource_policy_target(document)
        rule_ids = rules_reading(type_, field, _PROBE_RESOURCE_POLICY)
    rule_ids = rule_ids() if callable(rule_ids) else rule_ids
    props = _role_definition_props(document) if kind == AZURE_ROLE else {field: document}
    resource = Resource(type_, name, f"file:{name}", props)
    findings = []
    for rule_id in rule_ids:
        rule = RULES_BY_ID[rule_id]
        rule_config = {**{k: v for k, v in (settings or {}).items() if k in rule.config}, **(config or {}).get(rule_id, {})}
        run = run_stack_rule(rule, [resource], rule_config) if rule.stack else run_resource_rule(rule, resource, rule_config)
        for outcome in run:
            if isinstance(outcome, Violation):
                findings.append(LintFinding(rule, outcome.message, outcome.category or rule.category))
    return findings


def _role_definition_props(document: dict) -> dict[str, Any]:
    """An ARM / Azure CLI role definition as RoleDefinition resource inputs."""
    from agentid_policy_packs.analysis import RoleDefinitionError, parse_role_definition

    try:
        definition = parse_role_definition(document)
    except RoleDefinitionError:
        body = document.get("properties") if isinstance(document.get("properties"), dict) else document
        return {"permissions": body.get("permissions", body.get("Permissions", [None]))}  # AGID-POL-001 reports it
    return {
        "roleName": definition.name,
        "permissions": [{"actions": list(p.actions), "notActions": list(p.not_actions),
                         "dataActions": list(p.data_actions), "notDataActions": list(p.not_data_actions)}
                        for p in definition.permissions],
        # a built-in role (az role definition list) is assignable everywhere by design: not a custom role's fault
        "assignableScopes": [] if definition.built_in else list(definition.assignable_scopes),
    }
