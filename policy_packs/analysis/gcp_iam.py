"""Google Cloud IAM as the pack reads it: the bindings a resource grants, the level it grants them at, who the
members are, and whether a Workload Identity Federation condition pins one subject.

Every IAM-bearing pulumi-gcp type has one of three shapes (https://www.pulumi.com/registry/packages/gcp/api-docs/):
  *IAMMember / *IamMember    role, member, condition        (one member added)
  *IAMBinding / *IamBinding  role, members[], condition     (the role's whole member list)
  *IAMPolicy / *IamPolicy    policyData: JSON {"bindings": [{"role", "members", "condition"}]}  (the whole policy)
The type tokens are data (data/gcp_iam_binding_types.txt, scripts/refresh_gcp_iam_types.py).

Pure: no Pulumi.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_policy_packs.analysis.struct_keys import FieldClash, struct_fields
from agentid_policy_packs.analysis.values import is_unknown

DATA = Path(__file__).resolve().parent / "data" / "gcp_iam_binding_types.txt"


def resource_project(resource: Any) -> str | None:
    """The project a stack GCP resource is created in: its `project` input, else its provider's `project` (an
    explicit provider's input, or the stack's gcp:project config the engine sends as the default provider's;
    https://www.pulumi.com/registry/packages/gcp/installation-configuration/); None when neither is known."""
    project = _known_text(resource.props.get("project"))
    provider = getattr(resource, "provider", None)
    if project is None and provider is not None:
        project = _known_text(provider.props.get("project"))
    return project


def _known_text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and not is_unknown(value) and value.strip() else None


class Unreadable(ValueError):
    """A binding property the rules need is not of the documented shape: judged as a violation (fail closed)."""


class NotYetKnown(Exception):
    """A property is computed during preview; `path` names it."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


@dataclass(frozen=True)
class Binding:
    role: str
    members: tuple[str, ...]
    condition: Any  # None when unconditional


@lru_cache(maxsize=1)
def binding_types() -> tuple[str, ...]:
    return tuple(line.strip() for line in DATA.read_text().splitlines() if line.strip())


def level_of(type_token: str) -> str:
    """organization | folder | project | resource: where the type's grant applies (inherited below it)."""
    module = type_token.split(":", 2)[1].split("/", 1)[0]
    return {"organizations": "organization", "folder": "folder", "projects": "project"}.get(module, "resource")


# An IAM policy's fields (https://cloud.google.com/iam/docs/reference/rest/v1/Policy) and a binding's, as the Go
# provider's struct names them
POLICY_FIELDS = ("bindings", "auditConfigs", "etag", "version")
BINDING_FIELDS = ("role", "members", "condition")


def bindings(props: dict[str, Any]) -> list[Binding]:
    """The bindings of one IAM resource's inputs; raises NotYetKnown or Unreadable."""
    if "policyData" in props:
        data = props["policyData"]
        if is_unknown(data):
            raise NotYetKnown("policyData")
        try:
            from agentid_components.input_limits import strict_json

            document = strict_json(data) if isinstance(data, str) else None
        except Exception as error:  # noqa: BLE001 - any parse failure is an unreadable policy
            raise Unreadable(f"policyData is not JSON ({str(error)[:80]})") from None
        try:  # the Google provider decodes the policy with Go's encoding/json: keys match in any case (red18 r18-7)
            document = struct_fields(document, POLICY_FIELDS) if isinstance(document, dict) else document
        except FieldClash as clash:
            raise Unreadable(f"policyData: {clash}") from None
        if not isinstance(document, dict) or not isinstance(document.get("bindings", []), list):
            raise Unreadable("policyData is not an IAM policy ({\"bindings\": [...]})")
        found = []
        for index, entry in enumerate(document.get("bindings", [])):
            if not isinstance(entry, dict):
                raise Unreadable(f"policyData.bindings[{index}] is not an object")
            try:
                entry = struct_fields(entry, BINDING_FIELDS)
            except FieldClash as clash:
                raise Unreadable(f"policyData.bindings[{index}]: {clash}") from None
            found.append(_binding(entry.get("role"), entry.get("members"), entry.get("condition"),
                                  f"policyData.bindings[{index}]"))
        return found
    if "members" in props:
        return [_binding(props.get("role"), props.get("members"), props.get("condition"), "")]
    if "member" in props:
        member = props.get("member")
        if is_unknown(member):
            raise NotYetKnown("member")
        return [_binding(props.get("role"), [member], props.get("condition"), "")]
    raise Unreadable("no member, members or policyData")


def _binding(role: Any, members: Any, condition: Any, where: str) -> Binding:
    prefix = f"{where}." if where else ""
    if is_unknown(role):
        raise NotYetKnown(f"{prefix}role")
    if not isinstance(role, str) or not role:
        raise Unreadable(f"{prefix}role is not a role name")
    if is_unknown(members):
        raise NotYetKnown(f"{prefix}members")
    if not isinstance(members, list):
        raise Unreadable(f"{prefix}members is not a list")
    for index, member in enumerate(members):
        if is_unknown(member):
            raise NotYetKnown(f"{prefix}members[{index}]")
        if not isinstance(member, str):
            raise Unreadable(f"{prefix}members[{index}] is not a string")
    return Binding(role, tuple(members), condition)


# Members that stand for the public (red7a, confirmed: each passed AGID-GCP-003). Principal identifiers:
# https://cloud.google.com/iam/docs/principal-identifiers - allUsers, allAuthenticatedUsers, and the IAM v2 spelling
# of everyone, principalSet://goog/public:all. `domain:D` is every account of domain D: for Google's consumer mail
# domains that is every Gmail user (https://support.google.com/mail/answer/10313: gmail.com and googlemail.com
# are one service), i.e. anyone who signs up. Cloud Storage ACL entities write the domain as domain-D
# (https://cloud.google.com/storage/docs/access-control/lists#scopes).
_PUBLIC = {"allusers": "anyone on the internet", "principalset://goog/public:all": "anyone on the internet",
           "allauthenticatedusers": "anyone with a Google account"}
CONSUMER_DOMAINS = ("gmail.com", "googlemail.com")


def public_reach(member: str) -> str | None:
    """Who a member stands for when it is the public (allUsers, allAuthenticatedUsers, principalSet://goog/public:all,
    domain:gmail.com / domain-gmail.com), else None. Compared case-insensitively: a respelling is never narrower."""
    text = member.strip().lower()
    if text in _PUBLIC:
        return _PUBLIC[text]
    for prefix in ("domain:", "domain-"):
        if text.startswith(prefix) and text[len(prefix):].strip().rstrip(".") in CONSUMER_DOMAINS:
            return "anyone with a Gmail account (a consumer domain anyone signs up to)"
    return None




# --- Workload Identity Federation attribute conditions (CEL) -------------------------------------------------

_STRING = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_SUBJECT_NAMES = {"assertion.sub": r"assertion\.sub", "google.subject": r"google\.subject"}


def _pin_patterns(subjects: list[str]) -> tuple[re.Pattern, re.Pattern]:
    subject = "(?:" + "|".join(_SUBJECT_NAMES[s] for s in subjects) + ")"
    return (re.compile(rf"^{subject}\s*==\s*(?:{_STRING})$|^(?:{_STRING})\s*==\s*{subject}$"),
            re.compile(rf"^{subject}\s+in\s+\[\s*(?:{_STRING})(?:\s*,\s*(?:{_STRING}))*\s*,?\s*\]$"))


def _strip_comments(expression: str) -> str | None:
    """CEL text without its `//` line comments (outside string literals); None if a string does not close.

    CEL grammar (https://github.com/google/cel-spec/blob/master/doc/langdef.md#syntax): `//` starts a comment
    to the end of the line. A comment may hold a quote that would otherwise pair with a later one and hide
    an `||` inside a "string".
    """
    out, index, quote = [], 0, ""
    while index < len(expression):
        char = expression[index]
        if quote:
            if char == "\\":
                out.append(expression[index:index + 2])
                index += 2
                continue
            if char == "\n":
                return None  # a single-quoted CEL string cannot span lines
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif expression.startswith("//", index):
            end = expression.find("\n", index)
            index = len(expression) if end < 0 else end
            continue
        out.append(char)
        index += 1
    return None if quote else "".join(out)


def _top_level_split(expression: str, operator: str) -> list[str] | None:
    """`expression` split at `operator` outside strings and brackets; None if the brackets or quotes do not close."""
    parts, depth, start, index, quote = [], 0, 0, 0, ""
    while index < len(expression):
        char = expression[index]
        if quote:
            if char == "\\":
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif depth == 0 and expression.startswith(operator, index):
            parts.append(expression[start:index].strip())
            start = index + len(operator)
            index = start
            continue
        index += 1
    if quote or depth:
        return None
    parts.append(expression[start:].strip())
    return parts


def _unwrap(expression: str) -> str:
    expression = expression.strip()
    # "(a) && (b)" keeps its parentheses: its inside, "a) && (b", does not balance
    while expression.startswith("(") and expression.endswith(")") and _top_level_split(expression[1:-1], "||") is not None:
        expression = expression[1:-1].strip()
    return expression


def _top_level_conditional(expression: str) -> bool:
    """Does `expression` hold a `?` outside strings and brackets that is not CEL's optional selection `.?`?

    CEL's conditional `c ? a : b` binds looser than `||` and `&&`
    (https://github.com/google/cel-spec/blob/master/doc/langdef.md#syntax: Expr = ConditionalOr ["?" ConditionalOr
    ":" Expr]), so `c ? true : false && pin` is `c ? true : (false && pin)`: the `&&` split would find the pin in
    a term that does not bind the whole condition (red9b finding 6, wif_ternary).
    """
    parts = _top_level_split(expression, "?")
    return parts is None or any(not part.endswith(".") for part in parts[:-1])


def condition_pins_subject(condition: str, subject_mapping: str | None = "assertion.sub") -> bool:
    """Does this CEL attribute condition admit only tokens whose subject is one of a literal list?

    It must be a conjunction (`&&`; nothing that binds looser at its top: no `||`, no conditional `?:`) one of
    whose terms is `assertion.sub == 'LITERAL'` or `assertion.sub in ['A', 'B']`, or the same on google.subject when the provider maps google.subject from
    assertion.sub (`subject_mapping`: the attributeMapping's google.subject expression). A disjunction anywhere
    at the top, a negation, a `startsWith` / `matches` / `contains`, a pin only on other claims
    (repository_owner, namespace) or on a google.subject mapped from anything else (assertion.iss, a constant)
    is not a pin. `//` comments are read as CEL reads them. Unparseable text (an unclosed string, a
    triple-quoted or raw string) is not a pin (fail closed).
    """
    subjects = ["assertion.sub"]
    if subject_mapping is not None and "".join(subject_mapping.split()) == "assertion.sub":
        subjects.append("google.subject")
    pin_equals, pin_in = _pin_patterns(subjects)
    return any(pin_equals.match(term) or pin_in.match(term) for term in conjunction_terms(condition) or [])


def conjunction_terms(condition: str) -> list[str] | None:
    """The terms of a CEL condition that is a conjunction (`a && b && ...`, each unwrapped of its parentheses), so
    every term binds the whole condition; None when it is not one: an `||` or a conditional `?:` at its top,
    unclosed strings or brackets, triple-quoted or raw strings (fail closed). A negated or compared term
    (`!(x)`, `x == false`) stays one term, which a caller matching whole terms does not take for `x`."""
    if "'''" in condition or '"""' in condition:
        return None
    expression = _strip_comments(condition)
    if expression is None:
        return None
    expression = _unwrap(expression)
    if not expression or _top_level_split(expression, "||") != [expression] or _top_level_conditional(expression):
        return None
    terms = _top_level_split(expression, "&&")
    return None if terms is None else [_unwrap(term) for term in terms]


# --- Inside or outside the organisation ----------------------------------------------------------------------

@dataclass(frozen=True)
class OwnGcp:
    """What the judge knows to be the organisation's own: the gate's lists (pack-wide `ownGcpDomains`,
    `ownGcpProjects` (ids or numbers), `ownGcpOrganizations` (numbers); set in the base branch's waivers.yaml
    policyPackConfig or on the gate's command line, never by the stack file) and what the stack itself defines
    (service-account e-mails, workforce pool ids). Nothing is presumed: an empty set owns nothing."""

    domains: frozenset[str] = frozenset()
    projects: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()  # service-account e-mails the stack defines
    workforce_pools: frozenset[str] = frozenset()  # workforce pool ids the stack defines
    # workload identity pools the stack defines: (pool id, project number or None while it is not known)
    workload_pools: frozenset[tuple[str, str | None]] = frozenset()

    @classmethod
    def of(cls, config: Any, accounts: Any = (), workforce_pools: Any = (), workload_pools: Any = ()) -> OwnGcp:
        def listed(key: str) -> frozenset[str]:
            value = config.get(key) if hasattr(config, "get") else None
            return frozenset(_fold(v).removeprefix("organizations/").removeprefix("projects/") for v in value
                             if isinstance(v, str)) if isinstance(value, list) else frozenset()
        # a domain-scoped project `example.com:p` writes its service accounts' domain as p.example.com
        projects = {p for value in listed("ownGcpProjects") for p in
                    (value, ".".join(reversed(value.split(":", 1))) if ":" in value else value)}
        return cls(listed("ownGcpDomains"), frozenset(projects), listed("ownGcpOrganizations"),
                   frozenset(_fold(a) for a in accounts), frozenset(_fold(p) for p in workforce_pools),
                   frozenset((_fold(pool), _fold(number) if number else None) for pool, number in workload_pools))


def _fold(text: str) -> str:
    return text.strip().rstrip(".").lower()


# Where a Google-managed or user-managed service account e-mail says its project is
# (https://cloud.google.com/iam/docs/service-account-types, https://cloud.google.com/iam/docs/service-agents):
# NAME@PROJECT.iam.gserviceaccount.com (a domain-scoped project `example.com:p` writes p.example.com), PROJECT@appspot
# (App Engine default), NUMBER-compute@developer (Compute default), NUMBER@cloudservices, service-NUMBER@gcp-sa-*
# and service-org-NUMBER@gcp-sa-* (service agents of a project or an organization).
_SA_NUMBER = re.compile(r"^(?:service-)?(?P<number>[0-9]+)(?:-compute)?$")
_SA_ORG = re.compile(r"^service-org-(?P<number>[0-9]+)$")
_WORKFORCE = re.compile(r"^principal(?:set)?://iam\.googleapis\.com/locations/global/workforcepools/(?P<pool>[^/]+)(?:/|$)")
_WORKLOAD = re.compile(r"^principal(?:set)?://iam\.googleapis\.com/projects/(?P<project>[^/]+)/locations/global/"
                       r"workloadidentitypools/(?P<pool>[^/]+)(?:/|$)")
_RESOURCE_SET = re.compile(r"^principalset://cloudresourcemanager\.googleapis\.com/(?P<kind>projects|folders|organizations)"
                           r"/(?P<number>[^/]+)/type/")
_V2_EMAIL = re.compile(r"^principal(?:set)?://goog/(?:subject|group)/(?P<email>.+)$")
_V2_ACCOUNT = re.compile(r"^principal://iam\.googleapis\.com/projects/[^/]+/serviceaccounts/(?P<email>.+)$")
_K8S = re.compile(r"^serviceaccount:(?P<project>[^\[\]@]+)\.svc\.id\.goog\[")


def _account_projects(email: str) -> tuple[set[str], set[str]]:
    """(projects, organizations) a service-account e-mail belongs to, as its address says (ids or numbers)."""
    local, _, domain = email.partition("@")
    projects, organizations = set(), set()
    if domain.endswith(".iam.gserviceaccount.com") and not domain.startswith("gcp-sa-"):
        projects.add(domain.removesuffix(".iam.gserviceaccount.com"))
    if domain == "appspot.gserviceaccount.com":
        projects.add(local)
    if domain.endswith(".gserviceaccount.com"):
        if (match := _SA_ORG.match(local)):
            organizations.add(match["number"])
        elif (match := _SA_NUMBER.match(local)):
            projects.add(match["number"])
    return projects, organizations


def outside_org(member: str, own: OwnGcp) -> str | None:
    """None when `member` (an IAM v1 / PAM principal identifier, https://cloud.google.com/iam/docs/principal-identifiers)
    is known to be the organisation's own; otherwise why not, a phrase starting "outside" or "cannot tell".

    Own: a user, group or domain of one of `own.domains` (the e-mail's exact domain: a Workspace's secondary domains
    are listed one by one, and `acme.example.evil.com` is not `acme.example`); a service account the stack defines or
    of an own project or organization (its e-mail says which); a Kubernetes service account of an own project's fleet
    pool; a workforce or workload identity pool identity of a pool the stack defines (whose providers the pack judges:
    AGID-GCP-004, AGID-GEN-003); a workload identity pool identity or a
    `principalSet://cloudresourcemanager...` set of an own project or organization. The public is outside. Anything
    else (a folder's set, a Cloud Identity customer id, a shape not listed) is "cannot tell" (fail closed)."""
    text = _fold(member)
    if public_reach(member):
        return f"outside the organisation: {public_reach(member)}"
    text = text.removeprefix("deleted:").split("?uid=", 1)[0]
    kind, _, rest = text.partition(":")
    email = None
    if (match := _V2_EMAIL.match(text)) or (match := _V2_ACCOUNT.match(text)):
        email, kind = match["email"], ("serviceaccount" if match.re is _V2_ACCOUNT else "user")
    elif kind in ("user", "group", "serviceaccount", "domain") and not text.startswith("principal"):
        email = rest
    if (match := _K8S.match(text)):
        project = match["project"]
        return None if project in own.projects else \
            f"outside the organisation as far as the gate knows: a Kubernetes service account of project {project}, " \
            "not one of ownGcpProjects"
    if email is not None:
        if kind == "domain":
            domain = email
        else:
            if "@" not in email:
                return "cannot tell whose it is: not an e-mail address"
            domain = email.rpartition("@")[2]
        if kind == "serviceaccount" or domain.endswith(".gserviceaccount.com"):
            if email in own.accounts:
                return None
            projects, organizations = _account_projects(email)
            if projects & own.projects or organizations & own.organizations:
                return None
            where = ", ".join(sorted(projects | {f"organizations/{o}" for o in organizations})) or "no project"
            return (f"outside the organisation as far as the gate knows: a service account the stack does not define, "
                    f"of {where}, not one of ownGcpProjects / ownGcpOrganizations")
        if domain in own.domains:
            return None
        if not own.domains:
            return "cannot tell: the gate lists no own domain (ownGcpDomains)"
        return f"outside the organisation: {domain} is not one of ownGcpDomains"
    if (match := _WORKFORCE.match(text)):
        return None if match["pool"] in own.workforce_pools else \
            f"outside the organisation as far as the gate knows: workforce pool {match['pool']} is not defined in this stack"
    if (match := _WORKLOAD.match(text)):
        stack_pool = any(pool == match["pool"] and number in (None, match["project"]) for pool, number in own.workload_pools)
        return None if match["project"] in own.projects or stack_pool else \
            f"outside the organisation as far as the gate knows: a workload identity pool of project {match['project']}, " \
            "not one of ownGcpProjects"
    if (match := _RESOURCE_SET.match(text)):
        owned = own.projects if match["kind"] == "projects" else own.organizations if match["kind"] == "organizations" \
            else frozenset()
        return None if match["number"] in owned else \
            f"cannot tell: every principal of {match['kind']}/{match['number']}, not one the gate lists as own"
    return "cannot tell whose it is: not a principal identifier the gate reads"


_LITERAL = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def pinned_subject_values(condition: str, subject_mapping: str | None = "assertion.sub") -> list[list[str]]:
    """The literal subject lists of each term of `condition` that pins the subject (see condition_pins_subject):
    `assertion.sub == 'A' && assertion.sub in ['B', 'C']` gives [['A'], ['B', 'C']]. Empty when nothing pins it.
    A literal with an escape is returned as written (it then matches no listed value: fail closed)."""
    if not condition_pins_subject(condition, subject_mapping):
        return []
    expression = _unwrap(_strip_comments(condition) or "")
    subjects = ["assertion.sub"]
    if subject_mapping is not None and "".join(subject_mapping.split()) == "assertion.sub":
        subjects.append("google.subject")
    pin_equals, pin_in = _pin_patterns(subjects)
    found = []
    for term in _top_level_split(expression, "&&") or []:
        term = _unwrap(term)
        if pin_equals.match(term) or pin_in.match(term):
            found.append([m.group(1) if m.group(1) is not None else m.group(2) for m in _LITERAL.finditer(term)])
    return found


_CLAIM = r"(?:assertion\.(?P<claim>[A-Za-z_][A-Za-z0-9_]*)|(?P<attr>(?:google|attribute)\.[A-Za-z_][A-Za-z0-9_]*))"
_CLAIM_EQUALS = re.compile(rf"^{_CLAIM}\s*==\s*(?:{_STRING})$")
_EQUALS_CLAIM = re.compile(rf"^(?:{_STRING})\s*==\s*{_CLAIM}$")
_CLAIM_IN = re.compile(rf"^{_CLAIM}\s+in\s+\[\s*(?:{_STRING})(?:\s*,\s*(?:{_STRING}))*\s*,?\s*\]$")
_ASSERTION = re.compile(r"^assertion\.(?P<claim>[A-Za-z_][A-Za-z0-9_]*)$")


def pinned_claims(condition: str, mapping: Any = None) -> list[tuple[str, list[str]]]:
    """(claim, its alternative literal values) of each term of a CEL attribute condition that requires a claim of the
    token to equal a literal: `assertion.hd == 'example.com' && assertion.tid in ['A', 'B']` gives
    [('hd', ['example.com']), ('tid', ['A', 'B'])]. As condition_pins_subject reads CEL: the condition must be a
    conjunction (no `||` or conditional `?:` at its top; `//` comments as CEL reads them), each term exactly
    `assertion.CLAIM == 'LITERAL'`, `'LITERAL' == assertion.CLAIM` or `assertion.CLAIM in ['A', ...]`; a
    `google.X` / `attribute.X` counts as the claim its `mapping` (the provider's attributeMapping) maps it from when
    that expression is exactly `assertion.CLAIM` (google.subject from assertion.sub is `sub`). A negation, `!=`,
    startsWith / matches / contains, an attribute mapped from anything else, an indexed claim pins nothing;
    unparseable text (an unclosed string, a triple-quoted string) gives [] (fail closed). A literal with an escape is
    returned as written (it then matches no listed value)."""
    if "'''" in condition or '"""' in condition:
        return []
    expression = _strip_comments(condition)
    if expression is None:
        return []
    expression = _unwrap(expression)
    if not expression or _top_level_split(expression, "||") != [expression] or _top_level_conditional(expression):
        return []
    found = []
    for term in _top_level_split(expression, "&&") or []:
        term = _unwrap(term)
        match = _CLAIM_EQUALS.match(term) or _EQUALS_CLAIM.match(term) or _CLAIM_IN.match(term)
        if not match:
            continue
        claim = match["claim"]
        if claim is None:
            source = mapping.get(match["attr"]) if isinstance(mapping, dict) else None
            mapped = _ASSERTION.match("".join(source.split())) if isinstance(source, str) else None
            if mapped is None:
                continue
            claim = mapped["claim"]
        values = [m.group(1) if m.group(1) is not None else m.group(2) for m in _LITERAL.finditer(term)]
        found.append((claim, values))
    return found
