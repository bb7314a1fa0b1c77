"""AGID-GCP-029: Firebase Security Rules grant nothing to everyone.

Cloud Firestore, Cloud Storage for Firebase (and the other rules-guarded Firebase services) are read and written from
client SDKs and REST without IAM: a `gcp.firebaserules.Ruleset` released for `cloud.firestore` / `firebase.storage`
decides who may (red13 r13-13: `match /{d=**} { allow read, write: if true; }` made every document world-readable
and writable and the gate passed). A rule grants to everyone when
  - it has no condition (`allow read;`) or its condition is `true` or has a top-level `|| true` term;
  - its condition reads nothing that depends on who asks: only names that are the same for every requester
    (`request.time < timestamp.date(...)`, the console's "test mode"), expanded through the functions the file
    defines (`function open() { return true; }`). Which names those are is data:
    analysis/firebase_rules_facts.yaml.
A condition that reads `request.auth` (or the data, a function argument, any other name) is taken as the author's
bound: the pack does not prove it. The text is read conservatively: comments and string literals are masked, and a
file whose braces or strings do not close or whose `allow` statements are not `allow METHODS[: if COND];` is
"cannot check" (a violation). A Ruleset is judged whether or not a Release uses it yet: releasing is one rename away.
Sources: https://firebase.google.com/docs/rules/rules-language, https://firebase.google.com/docs/rules/insecure-rules.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation

RULESET_TYPE = "gcp:firebaserules/ruleset:Ruleset"
DATA_FILE = Path(__file__).resolve().parent.parent / "analysis" / "firebase_rules_facts.yaml"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*")
_FUNCTION = re.compile(r"\bfunction\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*\{([^{}]*)\}")
_KEYWORDS = {"return", "let", "if", "in", "is"}
_TYPES = {"string", "int", "float", "bool", "map", "list", "path", "timestamp", "duration", "number", "latlng", "bytes"}


class Unparseable(ValueError):
    pass


@lru_cache(maxsize=1)
def facts() -> dict:
    from agentid_components import data_yaml  # noqa: PLC0415 - read on first use

    return data_yaml.load(DATA_FILE)


def _mask(text: str) -> str:
    """`text` with comments removed and string literals emptied (their quotes kept); raises Unparseable."""
    out, index, length = [], 0, len(text)
    while index < length:
        char = text[index]
        if text.startswith("//", index):
            end = text.find("\n", index)
            index = length if end < 0 else end
            continue
        if text.startswith("/*", index):
            end = text.find("*/", index + 2)
            if end < 0:
                raise Unparseable("a /* comment does not close")
            index = end + 2
            out.append(" ")
            continue
        if char in "'\"":
            end = index + 1
            while end < length and text[end] != char:
                if text[end] == "\n":
                    raise Unparseable("a string does not close on its line")
                end += 2 if text[end] == "\\" else 1
            if end >= length:
                raise Unparseable("a string does not close")
            out.append(char * 2)
            index = end + 1
            continue
        out.append(char)
        index += 1
    masked = "".join(out)
    depth = 0
    for char in masked:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            break
    if depth:
        raise Unparseable("its braces do not balance")
    return masked


def _split_or(expression: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(expression):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and expression.startswith("||", index):
            parts.append(expression[start:index])
            start = index + 2
    parts.append(expression[start:])
    return [part.strip() for part in parts]


def _unwrap(expression: str) -> str:
    expression = expression.strip()
    while expression.startswith("(") and expression.endswith(")"):
        inner, depth = expression[1:-1], 0
        for char in inner:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                return expression
        expression = inner.strip()
    return expression


def _names(expression: str, functions: dict[str, tuple[set[str], str]], seen: frozenset[str] = frozenset()) -> set[str]:
    """The names `expression` reads, through the bodies of the file's functions it calls."""
    found = set()
    for match in _NAME.finditer(expression):
        name = re.sub(r"\s+", "", match.group(0))
        if name in _KEYWORDS or name in _TYPES:
            continue
        if name in functions and name not in seen:
            params, body = functions[name]
            found |= _names(body, functions, seen | {name}) - params
        else:
            found.add(name)
    return found


def _always_true(expression: str, functions: dict[str, tuple[set[str], str]]) -> bool:
    for term in _split_or(_unwrap(expression)):
        term = _unwrap(term)
        if term == "true":
            return True
        call = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*\)", term)
        if call and call.group(1) in functions:
            body = functions[call.group(1)][1].strip().removeprefix("return").strip().rstrip(";")
            if _always_true(body, {k: v for k, v in functions.items() if k != call.group(1)}):
                return True
    return False


def public_allows(content: str) -> list[str]:
    """The `allow` statements of a rules file that grant to everyone, each with why; raises Unparseable."""
    masked = _mask(content)
    methods = "|".join(facts()["methods"])
    statement = re.compile(rf"allow\s+((?:{methods})(?:\s*,\s*(?:{methods}))*)\s*(?::\s*if\b([^;{{}}]*))?;")
    independent = set(facts()["requester_independent"])
    functions = {m.group(1): ({p.strip() for p in m.group(2).split(",") if p.strip()}, m.group(3))
                 for m in _FUNCTION.finditer(masked)}
    found = []
    for match in re.finditer(r"\ballow\b", masked):
        parsed = statement.match(masked, match.start())
        if parsed is None:
            raise Unparseable(f"{' '.join(masked[match.start():match.start() + 60].split())!r} is not "
                              "`allow METHODS[: if CONDITION];`")
        what, condition = " ".join(parsed.group(1).split()), parsed.group(2)
        if condition is None:
            found.append(f"allow {what} with no condition")
        elif _always_true(condition, functions):
            found.append(f"allow {what}: if {' '.join(condition.split())} (always true)")
        elif _unwrap(condition) != "false" and _names(condition, functions) <= independent:
            found.append(f"allow {what}: if {' '.join(condition.split())} (reads nothing of who asks)")
    return found


def check(resource: Resource, config):
    source = resource.props.get("source")
    if is_unknown(source):
        yield Unknown("source")
        return
    language = value_at(resource.props, "source.language")
    if is_unknown(language):
        yield Unknown("source.language")
        return
    if language == "EVENT_FLOW_TRIGGERS":
        return
    files = value_at(resource.props, "source.files")
    if is_unknown(files):
        yield Unknown("source.files")
        return
    if not isinstance(files, list):
        yield Violation(f"{resource.name}: cannot check: source.files is not a list of rules files")
        return
    for index, item in enumerate(files):
        content = item.get("content") if isinstance(item, dict) else None
        if is_unknown(content):
            yield Unknown(f"source.files[{index}].content")
            continue
        name = item.get("name") if isinstance(item, dict) and isinstance(item.get("name"), str) else f"files[{index}]"
        if not isinstance(content, str):
            yield Violation(f"{resource.name}: cannot check: source.files[{index}].content is not rules text")
            continue
        try:
            public = public_allows(content)
        except Unparseable as error:
            yield Violation(f"{resource.name}: cannot check the rules of {name}: {error}")
            continue
        if public:
            yield Violation(f"{resource.name} ({name}) grants to everyone, signed in or not: {'; '.join(public)}: "
                            "the data it matches is public through the Firebase client APIs, without IAM")


RULE = Rule(
    id="AGID-GCP-029",
    title="gcp-firebase-rules-not-public",
    severity="critical",
    category="public-access",
    description="Firebase Security Rules (Firestore, Cloud Storage for Firebase) have no allow statement without a "
                "condition, with an always-true condition, or with a condition that does not depend on who asks.",
    remediation="Condition every allow on the requester (request.auth != null and request.auth.uid matching the "
                "document's owner, or a custom claim); never ship the console's test-mode rules.",
    url="https://firebase.google.com/docs/rules/insecure-rules",
    check=check,
    resource_types=(RULESET_TYPE,),
)
