"""Which operations of an API Gateway OpenAPI definition (a RestApi's or HTTP Api's `body`) authenticate no caller.

API Gateway imports OpenAPI 2.0 (Swagger) and 3.0 definitions; what authorizes an operation
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html):
  - `x-amazon-apigateway-auth: {type: AWS_IAM}` on the operation (REST APIs: SigV4), or `type: NONE`;
  - `security`: a list of requirement objects, ALTERNATIVES (any one suffices); each names security schemes
    that must ALL be met. The operation's own `security` replaces the document's top-level one; `[]` or an
    empty requirement `{}` among the alternatives means no authentication is needed;
  - a security scheme authenticates when it is an API Gateway authorizer (`x-amazon-apigateway-authorizer`:
    Lambda, Cognito, JWT) or `x-amazon-apigateway-authtype` (awsSigv4, cognito_user_pools, custom), or an
    OpenAPI `oauth2` / `openIdConnect` scheme (HTTP APIs' JWT authorizers). A plain `apiKey` scheme is an API
    key: it identifies a usage plan, it does not authorize.
Schemes live under `securityDefinitions` (2.0) or `components.securitySchemes` (3.0). OPTIONS operations (CORS
preflights) are not reported. Errors: `ValueError` with a one-line reason when the text is not such a document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

MAX_DEFINITION_CHARS = 10_000_000  # API Gateway's import limit is 6 MB (REST) / 10 MB request payload
METHODS = ("get", "put", "post", "delete", "patch", "head", "x-amazon-apigateway-any-method")
AUTHORIZER_TYPES = frozenset({"awssigv4", "cognito_user_pools", "custom", "oauth2", "openidconnect"})


def load_definition(body: Any) -> Mapping[str, Any]:
    """The definition as a mapping, from a JSON or YAML string (or an already-parsed object)."""
    if isinstance(body, str):
        if len(body) > MAX_DEFINITION_CHARS:
            raise ValueError(f"{len(body)} characters, more than API Gateway imports")
        try:
            body = json.loads(body)
        except RecursionError:
            raise ValueError("JSON nested deeper than can be read") from None
        except ValueError:
            try:
                body = yaml.safe_load(body)
            except RecursionError:
                raise ValueError("YAML nested deeper than can be read") from None
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                raise ValueError(f"neither JSON nor YAML ({getattr(error, 'problem', error)}"
                                 + (f" at line {mark.line + 1})" if mark else ")")) from None
    if not isinstance(body, Mapping) or not isinstance(body.get("paths", {}), Mapping):
        raise ValueError("not an OpenAPI object with a `paths` map")
    return body


def security_schemes(definition: Mapping[str, Any]) -> Mapping[str, Any]:
    """The definition's security schemes by name: Swagger 2 `securityDefinitions`, then OpenAPI 3
    `components.securitySchemes` (the later wins on a shared name)."""
    components = definition.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
    legacy = definition.get("securityDefinitions")
    merged: dict[str, Any] = {}
    for source in (legacy, schemes):
        if isinstance(source, Mapping):
            merged.update(source)
    return merged


def _authenticates(scheme: Any) -> bool:
    if not isinstance(scheme, Mapping):
        return False
    if isinstance(scheme.get("x-amazon-apigateway-authorizer"), Mapping):
        return True
    kinds = (scheme.get("x-amazon-apigateway-authtype"), scheme.get("type"))
    return any(isinstance(kind, str) and kind.lower() in AUTHORIZER_TYPES for kind in kinds)


def _open(operation: Mapping[str, Any], default_security: Any, schemes: Mapping[str, Any]) -> str | None:
    """Why the operation admits unauthenticated callers, or None when every way in authenticates."""
    auth = operation.get("x-amazon-apigateway-auth")
    if isinstance(auth, Mapping) and isinstance(auth.get("type"), str):
        if auth["type"].upper() == "AWS_IAM":
            return None
        if auth["type"].upper() == "NONE":
            return "x-amazon-apigateway-auth NONE"
    security = operation.get("security", default_security)
    if security is None or security == []:
        return "no security requirement"
    if not isinstance(security, list):
        return "a security value that is not a list of requirements"
    for requirement in security:
        if not isinstance(requirement, Mapping) or not requirement:
            return "an empty security requirement (authentication optional)"
        if not any(_authenticates(schemes.get(name)) for name in requirement):
            return f"only {', '.join(map(str, requirement))} (no authorizer: an API key or unknown scheme)"
    return None


def unauthenticated_operations(definition: Mapping[str, Any]) -> list[str]:
    """`METHOD /path (why)` for each operation that admits callers without authentication.

    Raises ValueError when a path item or an operation is not an object (the definition cannot be judged)."""
    schemes, default = security_schemes(definition), definition.get("security")
    found = []
    for path, item in (definition.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            raise ValueError(f"a definition whose path {str(path)[:80]} is not an object")
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            if not isinstance(operation, Mapping):
                raise ValueError(f"a definition whose operation {method} {str(path)[:80]} is not an object")
            why = _open(operation, default, schemes)
            if why:
                verb = "ANY" if method.startswith("x-") else method.upper()
                found.append(f"{verb} {path} ({why})")
    return found
