"""The `aws:iam/getPolicyDocument:getPolicyDocument` invoke, rendered locally as the AWS provider renders it.

A real `pulumi preview` runs this data source inside the provider (no AWS call: the Terraform provider's
`aws_iam_policy_document` builds the JSON in memory), so the policy it yields is KNOWN at preview and the gate
must judge it. Source: the provider's documentation
https://www.pulumi.com/registry/packages/aws/api-docs/iam/getpolicydocument/ and
https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document
(statements: sid, effect default "Allow", actions/notActions, resources/notResources, principals/notPrincipals
{type, identifiers}, conditions {test, variable, values}; version default "2012-10-17"; policyId;
sourcePolicyDocuments merged first, then the statements, then overridePolicyDocuments, a later statement with the
same non-empty Sid replacing the earlier one in place).

Rendering (Go `encoding/json` of the provider's policy model): keys Version, Id, Statement; statement keys Sid,
Effect, Action, NotAction, Resource, NotResource, Principal, NotPrincipal, Condition (empty ones left out); a set
of one string becomes that string, a longer one a list in reverse lexical order; principal `{"*": ["*"]}` becomes
"*"; condition values stay a list in their order; `<`, `>`, `&` are escaped as \\u003c, \\u003e, \\u0026.
`json` is indented by two spaces, `minifiedJson` has no whitespace.

`render(args)` returns the invoke's outputs, or None when the document cannot be rendered exactly (an unknown
input, a `&{` variable, a principal type or condition key given twice, a source document we cannot read exactly):
the caller then leaves the outputs unknown - never a wrong document.
"""
from __future__ import annotations

import json
import zlib
from typing import Any

from agentid.mock_engine import UNKNOWN

_STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal",
                   "Condition")


class _Unrenderable(Exception):
    """The provider's output cannot be reproduced exactly: the outputs stay unknown."""


def _string(value: Any) -> str:
    if not isinstance(value, str) or value == UNKNOWN or "&{" in value:
        raise _Unrenderable()  # "&{" is the provider's ${...} escape: it rewrites it (version-dependent)
    if any(ord(ch) < 0x20 and ch not in "\n\r\t" for ch in value):
        raise _Unrenderable()  # Go's escapes for other control characters differ between Go versions
    return value


def _set(values: Any) -> str | list[str] | None:
    """A Terraform string set as the provider encodes it: one item -> the string, more -> reverse-sorted list."""
    if values is None:
        return None
    if not isinstance(values, list):
        raise _Unrenderable()
    items = sorted({_string(value) for value in values}, reverse=True)
    if not items:
        return None
    return items[0] if len(items) == 1 else items


def _principals(blocks: Any) -> str | dict[str, Any] | None:
    if not blocks:
        return None
    if not isinstance(blocks, list):
        raise _Unrenderable()
    rendered: dict[str, Any] = {}
    for block in blocks:
        if not isinstance(block, dict):
            raise _Unrenderable()
        kind = _string(block.get("type"))
        if kind in rendered:
            raise _Unrenderable()  # two blocks of one type are joined in Terraform's set-hash order
        identifiers = _set(block.get("identifiers") or [])
        if identifiers is None:
            raise _Unrenderable()
        rendered[kind] = identifiers
    if list(rendered) == ["*"] and rendered["*"] == "*":
        return "*"
    return dict(sorted(rendered.items()))


def _conditions(blocks: Any) -> dict[str, Any] | None:
    if not blocks:
        return None
    if not isinstance(blocks, list):
        raise _Unrenderable()
    rendered: dict[str, dict[str, list[str]]] = {}
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("values"), list):
            raise _Unrenderable()
        test, variable = _string(block.get("test")), _string(block.get("variable"))
        if variable in rendered.get(test, {}):
            raise _Unrenderable()  # joined in set-hash order by the provider
        rendered.setdefault(test, {})[variable] = [_string(value) for value in block["values"]]
    return {test: dict(sorted(variables.items())) for test, variables in sorted(rendered.items())}


def _effect(value: Any) -> str:
    if value not in ("Allow", "Deny"):
        raise _Unrenderable()  # the provider rejects it: the real preview fails, the gate does not guess
    return value


def _statement(block: Any) -> dict[str, Any]:
    if not isinstance(block, dict):
        raise _Unrenderable()
    statement = {
        "Sid": _string(block.get("sid") or ""),
        "Effect": _effect(block.get("effect") or "Allow"),
        "Action": _set(block.get("actions")),
        "NotAction": _set(block.get("notActions")),
        "Resource": _set(block.get("resources")),
        "NotResource": _set(block.get("notResources")),
        "Principal": _principals(block.get("principals")),
        "NotPrincipal": _principals(block.get("notPrincipals")),
        "Condition": _conditions(block.get("conditions")),
    }
    return {key: value for key, value in statement.items() if value}


def _json_value(value: Any) -> Any:
    """A value read from a source/override document, if re-encoding it yields the same JSON."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [_string(item) for item in value]
    raise _Unrenderable()  # numbers, booleans, nested values: Go's round trip may change them


def _document_statement(raw: Any) -> dict[str, Any]:
    """A statement of a source/override document as the provider re-encodes it after reading it."""
    if not isinstance(raw, dict) or not set(raw) <= set(_STATEMENT_KEYS):
        raise _Unrenderable()  # Go matches keys case-insensitively and drops unknown ones: not reproduced
    statement: dict[str, Any] = {}
    for key in _STATEMENT_KEYS:
        if key not in raw or raw[key] in ("", None, [], {}):
            continue
        value = raw[key]
        if key in ("Sid", "Effect"):
            statement[key] = _string(value)
        elif key in ("Principal", "NotPrincipal"):
            if value == "*":
                statement[key] = "*"
            elif isinstance(value, dict):
                blocks = [{"type": kind, "identifiers": ids if isinstance(ids, list) else [ids]}
                          for kind, ids in value.items()]
                statement[key] = _principals(blocks)
            else:
                raise _Unrenderable()
        elif key == "Condition":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise _Unrenderable()
            statement[key] = {test: {variable: _json_value(values) for variable, values in sorted(variables.items())}
                              for test, variables in sorted(value.items())}
        else:
            statement[key] = _json_value(value)
    return statement


def _document(text: Any) -> dict[str, Any]:
    try:
        raw = json.loads(_string(text))
    except ValueError as error:
        raise _Unrenderable() from error
    if not isinstance(raw, dict) or not set(raw) <= {"Version", "Id", "Statement"}:
        raise _Unrenderable()
    statements = raw.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise _Unrenderable()
    return {"Version": _string(raw.get("Version") or ""), "Id": _string(raw.get("Id") or ""),
            "Statement": [_document_statement(statement) for statement in statements]}


def _merge(merged: dict[str, Any], document: dict[str, Any]) -> None:
    """The provider's IAMPolicyDoc.Merge: adopt a non-empty Id, the higher Version; same Sid replaces in place."""
    if document["Id"]:
        merged["Id"] = document["Id"]
    if document["Version"] > merged["Version"]:
        merged["Version"] = document["Version"]
    for statement in document["Statement"]:
        sid = statement.get("Sid")
        index = next((i for i, old in enumerate(merged["Statement"]) if sid and old.get("Sid") == sid), None)
        if index is None:
            merged["Statement"].append(statement)
        else:
            merged["Statement"][index] = statement


def _go_json(value: Any, indent: int | None) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=indent,
                      separators=(",", ": ") if indent else (",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)  # Go's HTML-safe escaping; these characters occur only inside strings
    return text


def render(args: dict[str, Any]) -> dict[str, Any] | None:
    """The getPolicyDocument outputs {json, minifiedJson, id} for the invoke's camelCase args, or None (unknown)."""
    try:
        merged: dict[str, Any] = {"Version": "", "Id": "", "Statement": []}
        for text in args.get("sourcePolicyDocuments") or []:
            _merge(merged, _document(text))
        own = {"Version": _string(args.get("version") or "2012-10-17"), "Id": _string(args.get("policyId") or ""),
               "Statement": [_statement(block) for block in args.get("statements") or []]}
        _merge(merged, own)
        for text in args.get("overridePolicyDocuments") or []:
            _merge(merged, _document(text))
    except _Unrenderable:
        return None
    if not merged["Statement"]:
        return None  # the provider's encoding of an empty document is not reproduced here
    document = {key: merged[key] for key in ("Version", "Id", "Statement") if merged[key]}
    pretty = _go_json(document, 2)
    return {"json": pretty, "minifiedJson": _go_json(document, None), "id": str(zlib.crc32(pretty.encode()))}  # the provider's StringHashcode
