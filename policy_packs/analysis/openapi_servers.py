"""Every URL an OpenAPI definition sends its requests to: the base URLs a client (an AgentCore gateway target built
from the definition) calls, with the credential it attaches.

* OpenAPI 3.x (https://spec.openapis.org/oas/v3.1.0#server-object): `servers` on the document, on a path item and
  on an operation (the innermost replaces the outer). A server URL is a template: each `{name}` is replaced by the
  server's variable `name`, whose `default` is used when the client picks nothing and whose `enum` lists the other
  values a client may pick, so every combination of default and enum values is a URL the client may call. A
  `{name}` with no variable, or a variable with no default, names no URL that can be judged.
* Swagger 2.0 (https://swagger.io/specification/v2/#swagger-object): one base URL per entry of `schemes`, on `host`
  and `basePath`; an operation's own `schemes` replace the document's. Without `schemes` or `host` the client uses
  the scheme or host the definition was fetched from, which an inline definition has none of.

`server_urls(definition)` lists (URL, where) pairs or raises ValueError with a one-line reason when the definition
names no URL that can be judged. `load(text)` reads the definition (JSON, or YAML) with the kit's input limits
(components/input_limits.py: size, nesting, alias expansion) and refuses a key named twice in one object, where
parsers differ on which value wins (the gateway could call the server a reviewer does not read).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from agentid_components import input_limits

# AgentCore reads inline schemas of up to a few MB; a deeply nested JSON schema stays far below 128 levels
SCHEMA_LIMITS = input_limits.Limits(max_bytes=10 * input_limits.MiB, max_depth=128,
                                    max_scalar_chars=1 * input_limits.MiB)
OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_COMBINATIONS = 1000  # server-variable values multiply; more than this is not a list a reviewer reads
_VARIABLE = re.compile(r"\{([^{}]*)\}")


def parse(text: str, what: str) -> Any:
    """JSON (a text starting with `{`) or YAML, within SCHEMA_LIMITS, keys unique; ValueError otherwise."""
    if len(text) > SCHEMA_LIMITS.max_bytes:
        raise ValueError(f"{len(text)} characters, more than AgentCore reads")
    try:
        if text.lstrip().startswith("{"):
            return input_limits.json_document(text, what, SCHEMA_LIMITS)
        return input_limits.plain_yaml(text, what, SCHEMA_LIMITS)
    except input_limits.InputRefused as refused:
        raise ValueError(str(refused)) from None
    except ValueError as error:
        raise ValueError(f"not JSON ({str(error)[:120]})") from None


def load(text: str) -> Mapping[str, Any]:
    """An OpenAPI definition from its text (see parse)."""
    definition = parse(text, "the definition")
    if not isinstance(definition, Mapping) or not isinstance(definition.get("paths", {}), Mapping):
        raise ValueError("not an OpenAPI object with a `paths` map")
    return definition


def _expand(url: str, variables: Any, where: str) -> list[str]:
    names = list(dict.fromkeys(_VARIABLE.findall(url)))
    if not names:
        return [url]
    if not isinstance(variables, Mapping):
        raise ValueError(f"{where}: {url[:120]!r} uses {{{names[0]}}} but the server has no variables")
    choices = []
    for name in names:
        variable = variables.get(name)
        if not isinstance(variable, Mapping) or not isinstance(variable.get("default"), str):
            raise ValueError(f"{where}: server variable {name[:60]!r} of {url[:120]!r} has no default value")
        values = [variable["default"]]
        enum = variable.get("enum")
        if enum is not None:
            if not isinstance(enum, list) or not all(isinstance(value, str) for value in enum):
                raise ValueError(f"{where}: server variable {name[:60]!r} has an enum that is not a list of strings")
            values += [value for value in enum if value not in values]
        choices.append(values)
    total = 1
    for values in choices:
        total *= len(values)
    if total > MAX_COMBINATIONS:
        raise ValueError(f"{where}: the variables of {url[:120]!r} make {total} URLs (more than {MAX_COMBINATIONS})")
    urls = []
    for picked in itertools.product(*choices):
        chosen = dict(zip(names, picked))
        urls.append(_VARIABLE.sub(lambda match: chosen[match.group(1)], url))
    return urls


def _servers(servers: Any, where: str) -> list[tuple[str, str]]:
    prefix = f"{where}.servers" if where else "servers"
    if not isinstance(servers, list):
        raise ValueError(f"{prefix} is not a list")
    found = []
    for index, server in enumerate(servers):
        at = f"{prefix}[{index}]"
        if not isinstance(server, Mapping) or not isinstance(server.get("url"), str):
            raise ValueError(f"{at} has no url string")
        found += [(url, f"{at}.url") for url in _expand(server["url"], server.get("variables"), at)]
    return found


def _openapi3(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    if "servers" not in definition:
        raise ValueError("names no servers (an inline definition has no location a relative server is read from)")
    if definition["servers"] == []:
        raise ValueError("has an empty servers list (an inline definition has no location a relative server is read "
                         "from)")
    return _declared_servers(definition)


def _declared_servers(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The URLs of every `servers` list the definition declares (document, path items, operations)."""
    found = _servers(definition["servers"], "") if "servers" in definition else []
    for path, item in (definition.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            raise ValueError(f"path {str(path)[:80]} is not an object")
        here = f"paths[{str(path)[:80]}]"
        if "servers" in item:
            found += _servers(item["servers"], here)
        for method in OPERATIONS:
            operation = item.get(method)
            if isinstance(operation, Mapping) and "servers" in operation:
                found += _servers(operation["servers"], f"{here}.{method}")
    return found


def _swagger2(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    host, base = definition.get("host"), definition.get("basePath", "")
    if not isinstance(host, str) or not host:
        raise ValueError("Swagger 2.0 definition names no host (an inline definition has no location to take it from)")
    if not isinstance(base, str):
        raise ValueError("Swagger 2.0 basePath is not a string")
    scheme_lists = [("schemes", definition.get("schemes"))]
    for path, item in (definition.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            raise ValueError(f"path {str(path)[:80]} is not an object")
        for method in OPERATIONS:
            operation = item.get(method)
            if isinstance(operation, Mapping) and "schemes" in operation:
                scheme_lists.append((f"paths[{str(path)[:80]}].{method}.schemes", operation["schemes"]))
    found = []
    for where, schemes in scheme_lists:
        if schemes is None:
            raise ValueError("Swagger 2.0 definition names no schemes (an inline definition has no location to take "
                             "the scheme from)")
        if not isinstance(schemes, list) or not all(isinstance(scheme, str) for scheme in schemes):
            raise ValueError(f"{where} is not a list of strings")
        found += [(f"{scheme}://{host}{base}", f"{where} + host + basePath") for scheme in schemes]
    return found


def server_urls(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(URL, where in the definition) for every base URL a client of `definition` may call."""
    if "swagger" in definition and "openapi" in definition:
        raise ValueError("declares both `swagger` and `openapi`: readers differ on which one's servers count")
    if "swagger" in definition:
        # a `servers` list has no meaning in Swagger 2.0, but a reader converting the definition may keep it
        return _swagger2(definition) + _declared_servers(definition)
    if "openapi" in definition:
        return _openapi3(definition)
    raise ValueError("neither an OpenAPI 3 (`openapi`) nor a Swagger 2.0 (`swagger`) definition")
