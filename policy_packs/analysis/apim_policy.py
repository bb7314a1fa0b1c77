"""API Management policy documents as the pack reads them: the token validations they hold and what they require.

A policy (`value` of an apimanagement Policy, ApiPolicy, ApiOperationPolicy, ProductPolicy, their workspace twins, a
GraphQL resolver policy or a policy fragment) is XML. Its inbound token validations
(https://learn.microsoft.com/en-us/azure/api-management/validate-jwt-policy,
https://learn.microsoft.com/en-us/azure/api-management/validate-azure-ad-token-policy):
  <validate-jwt header-name="Authorization">
    <openid-config url="https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration" />
    <issuers><issuer>https://login.microsoftonline.com/TENANT/v2.0</issuer></issuers>
    <required-claims><claim name="tid" match="any"><value>TENANT</value></claim></required-claims>
  </validate-jwt>
  <validate-azure-ad-token tenant-id="common | organizations | TENANT"> <required-claims>...</required-claims> ...
Which issuers a validation accepts: the values of a required `iss` claim when it has one, else its `<issuers>`, else
the issuers of its `<openid-config>` documents (a validate-azure-ad-token's `tenant-id`: a well-known tenant or a
tenant's authority). A required claim with `match="any"` admits any one of its values (each must confine); with
`match="all"` (the default) the token's claim must hold every value (one confining value is enough); a claim with a
`separator` splits the token's value into a set, which a caller-influenced claim can fill: no pin.
Elements that let callers in (validate-jwt, validate-azure-ad-token, openid-config, a tenant-id) are recognised in any
case; elements that narrow what is let in (issuers, required-claims, claim, value, match) only as API Management
spells them (fail closed either way).

Parsing is the standard library's expat with no DTD: a document declaring a DOCTYPE or entities (billion laughs,
external entities) is refused, never expanded (defusedxml is not a dependency of the project). Policy expressions
(`@(...)`, `@{...}`, which the rawxml format leaves unescaped, e.g. `@(context.Request.Headers["x"])`) are replaced by
a placeholder before parsing; a value that is an expression or a `{{named value}}` is not a literal (its content is
elsewhere, or computed per request). Pure: no Pulumi.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

MAX_POLICY = 256 * 1024  # API Management's limit on a policy document
VALIDATIONS = ("validate-jwt", "validate-azure-ad-token")
_MENTIONS = re.compile(r"validate-jwt|validate-azure-ad-token|<!doctype|<!entity", re.IGNORECASE)
# text an expression must not swallow: the validation elements' own markup (hidden inside an "expression" the
# scanner below may read differently from API Management)
_HIDDEN = re.compile(r"validate-jwt|validate-azure-ad-token|openid-config|<\s*issuers?\b|required-claims|<\s*claim\b"
                     r"|issuer-signing-keys|include-fragment",
                     re.IGNORECASE)
_ENTRA_AUTHORITY = "https://login.microsoftonline.com/"


class PolicyError(ValueError):
    """The policy cannot be read (so its validations cannot be judged)."""


@dataclass
class Validation:
    element: str  # validate-jwt | validate-azure-ad-token
    index: int  # 1-based, in document order
    issuers: list[tuple[str, str]] = field(default_factory=list)  # (where, literal issuer or discovery URL)
    unreadable: list[str] = field(default_factory=list)  # where an issuer is an expression / named value / absent
    pins: list[tuple[str, list[str]]] = field(default_factory=list)  # (claim, alternative literal values)
    # (where, "symmetric" | "asymmetric", the literal symmetric secret or None) of each <issuer-signing-keys> <key>:
    # a token signed by that key passes whatever its issuer, so the key's holder is the issuer
    keys: list[tuple[str, str, str | None]] = field(default_factory=list)


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node] = field(default_factory=list)
    text: str = ""


def _refuse(*_args) -> None:
    raise PolicyError("declares a DTD or entities, which are refused (never expanded)")


def _strip_expressions(text: str) -> str:
    """`@(...)` / `@{...}` replaced by `@(expr)`, scanning brackets outside C# string and character literals."""
    out, index = [], 0
    pairs = {"(": ")", "{": "}"}
    while index < len(text):
        start = text.find("@", index)
        if start < 0 or start + 1 >= len(text):
            out.append(text[index:])
            break
        opener = text[start + 1]
        if opener not in pairs:
            out.append(text[index:start + 1])
            index = start + 1
            continue
        depth, cursor, quote = 0, start + 1, ""
        while cursor < len(text):
            char = text[cursor]
            if quote:
                if char == "\\":
                    cursor += 2
                    continue
                if char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char in "({[":
                depth += 1
            elif char in ")}]":
                depth -= 1
                if depth == 0:
                    break
            cursor += 1
        if cursor >= len(text):
            raise PolicyError("holds a policy expression that does not close")
        if _HIDDEN.search(text[start:cursor + 1]):
            raise PolicyError("holds token-validation markup inside a policy expression")
        out.append(text[index:start] + "@(expr)")
        index = cursor + 1
    return "".join(out)


def _parse(text: str) -> _Node:
    root = _Node("#document", {})
    stack = [root]
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag, dict(attrs))
        stack[-1].children.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def data(chunk: str) -> None:
        stack[-1].text += chunk

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        raise PolicyError(f"is not well-formed XML ({expat.errors.messages.get(error.code, 'error')}, line "
                          f"{error.lineno})") from None
    except RecursionError:
        raise PolicyError("nests too deeply") from None
    return root


def _walk(root: _Node):
    """Every element, in document order (iterative: a deep document cannot exhaust the stack)."""
    pending = list(reversed(root.children))
    while pending:
        node = pending.pop()
        yield node
        pending.extend(reversed(node.children))


def _literal(value: str | None) -> str | None:
    """The literal a value is; None for a policy expression, a named value or nothing."""
    if value is None:
        return None
    text = value.strip()
    if not text or text.startswith("@") or "{{" in text:
        return None
    return text


def _children(node: _Node, tag: str) -> list[_Node]:
    return [child for child in node.children if child.tag == tag]


def _attr(node: _Node, name: str, *, any_case: bool = False) -> str | None:
    if not any_case:
        return node.attrs.get(name)
    return next((v for k, v in node.attrs.items() if k.lower() == name), None)


def _pins(validation: _Node) -> tuple[list[tuple[str, list[str]]], list[str] | None]:
    """(claim pins, the literal `iss` values required or None)."""
    pins: list[tuple[str, list[str]]] = []
    issuers: list[str] | None = None
    for block in _children(validation, "required-claims"):
        for claim in _children(block, "claim"):
            name = _literal(claim.attrs.get("name"))
            if name is None or claim.attrs.get("separator"):
                continue  # no name, or the token's value split into a set: pins nothing
            values = [_literal(v.text) for v in _children(claim, "value")]
            if not values or any(v is None for v in values):
                continue
            match = claim.attrs.get("match", "all")
            if match == "any":
                found = [(name, list(values))]
            elif match == "all":
                found = [(name, [v]) for v in values]
            else:
                continue
            pins += found
            if name == "iss":  # the token's issuer must be (any / all of) these: the issuers it can come from
                issuers = (issuers or []) + list(values)
    return pins, issuers


def _signing_keys(validation: _Node, where: str) -> list[tuple[str, str, str | None]]:
    """The validation's `<issuer-signing-keys>` keys (recognised in any case: they let callers in). A `<key>` with
    `n`/`e` (an RSA public key) or `certificate-id` (an uploaded certificate) is asymmetric; a `<key>` with only text
    is a base64 symmetric key (https://learn.microsoft.com/en-us/azure/api-management/validate-jwt-policy#key-attributes),
    its literal text a shared secret (None when a policy expression or `{{named value}}` holds it)."""
    found = []
    blocks = [c for c in validation.children if c.tag.lower() == "issuer-signing-keys"]
    for number, key in enumerate((k for block in blocks for k in block.children if k.tag.lower() == "key"), 1):
        attrs = {k.lower() for k in key.attrs}
        if attrs & {"n", "e", "certificate-id"}:
            found.append((f"{where} <issuer-signing-keys> <key> #{number}", "asymmetric", None))
        else:
            found.append((f"{where} <issuer-signing-keys> <key> #{number}", "symmetric", _literal(key.text)))
    return found


def validations(text: str) -> list[Validation]:
    """The token validations of a policy document; raises PolicyError when it cannot be read."""
    if not _MENTIONS.search(text):
        return []  # no validation: nothing to judge (and no DTD)
    if len(text) > MAX_POLICY:
        raise PolicyError(f"is longer than API Management's {MAX_POLICY // 1024} KiB")
    found = []
    for node in _walk(_parse(_strip_expressions(text))):
        element = node.tag.lower()
        if element not in VALIDATIONS:
            continue
        item = Validation(element, len(found) + 1)
        where = f"<{element}> #{item.index}"
        item.pins, required_iss = _pins(node)
        item.keys = _signing_keys(node, where)
        if required_iss:
            item.issuers = [(f"{where} required claim iss", v) for v in required_iss]
        elif element == "validate-jwt":
            listed = [child for block in _children(node, "issuers") for child in _children(block, "issuer")]
            if listed:
                for child in listed:
                    value = _literal(child.text)
                    if value is None:
                        item.unreadable.append(f"{where} <issuer> {child.text.strip()[:80]!r}")
                    else:
                        item.issuers.append((f"{where} <issuer>", value))
            else:
                for child in (c for c in node.children if c.tag.lower() == "openid-config"):
                    raw = _attr(child, "url", any_case=True)
                    value = _literal(raw)
                    if value is None:
                        item.unreadable.append(f"{where} <openid-config url={str(raw)[:80]!r}>")
                    else:
                        item.issuers.append((f"{where} <openid-config url>", value))
        else:
            raw = _attr(node, "tenant-id", any_case=True)
            tenant = _literal(raw)
            if tenant is None:
                item.unreadable.append(f"{where} tenant-id={str(raw)[:80]!r}")
            else:
                authority = tenant if "://" in tenant else _ENTRA_AUTHORITY + tenant
                item.issuers.append((f"{where} tenant-id", authority))
        found.append(item)
    return found


_INCLUDES = re.compile(r"include-fragment|<!doctype|<!entity", re.IGNORECASE)


def included_fragments(text: str) -> list[str | None]:
    """The fragment-id of each `<include-fragment>` of a policy document (element and attribute in any case), None
    for one held in a policy expression or `{{named value}}` (or missing); raises PolicyError when the document
    cannot be read (https://learn.microsoft.com/en-us/azure/api-management/include-fragment-policy). A fragment's
    validate-jwt runs where it is included: one the stack does not define cannot be read."""
    if not _INCLUDES.search(text):
        return []
    if len(text) > MAX_POLICY:
        raise PolicyError(f"is longer than API Management's {MAX_POLICY // 1024} KiB")
    return [_literal(_attr(node, "fragment-id", any_case=True)) for node in _walk(_parse(_strip_expressions(text)))
            if node.tag.lower() == "include-fragment"]
