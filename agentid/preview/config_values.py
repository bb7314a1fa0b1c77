"""Config keys and values as the Pulumi CLI reads them from `Pulumi.<stack>.yaml` and `Pulumi.yaml`.

The gate hands the judged program the same strings `pulumi up` would; any difference is a branch the gate
does not judge (a program that creates an admin key when `legacyKeys` is "off" but reads "false").

* Keys (`parse_key`): Pulumi's `config.ParseKey` (sdk/go/common/resource/config/key.go). `ns:name`, or the old
  spelling `ns:config:name`, which is the SAME key `ns:name`; anything else with colons is refused.
* A stack value that is a scalar reaches the program as its source text (`scalar_text`): Pulumi unmarshals
  every scalar into a Go string first (sdk/go/common/resource/config/value.go, `unmarshalValue`), and the YAML
  decoder (gopkg.in/yaml.v3, decode.go `scalar`) sets a string target to the node's text. `on`, `0x1F`, `1.50`
  and `True` stay exactly that; only a null (`~`, `null`, empty) becomes "".
* A value that is a mapping or a list reaches the program as JSON (`object_json`), after yaml.v3 typed its
  scalars into Go values (`go_scalar`: yaml.v3's resolve.go, a YAML 1.2-like schema: `on`/`yes` are strings,
  `0777` is octal, `1_000` is 1000) and Go's encoding/json wrote them (sorted keys, no spaces).
* A `{secure: <ciphertext>}` mapping anywhere in a value (`is_secure`, `holds_secure`; `pulumi config set --path
  a.b --secret` writes one nested in an object) is decrypted by Pulumi before the program gets it, leaf by leaf
  (pulumi/pulumi#3342), and the whole key is then a secret key. The gate cannot decrypt: `object_json` writes the
  caller's placeholder in the leaf's place.
* What yaml.v3 would turn into something this module does not reproduce exactly (timestamps, `.inf`/`.nan`,
  explicit tags other than `!!str`, merge keys `<<`) is refused with a clear `ValueError` (the caller adds file
  and line): a value read differently here would be a program run the gate never judged.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import yaml

# yaml.v3 resolve.go's resolve table (YAML 1.2 core schema, plus the case variants it lists)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_SPECIAL_FLOATS = frozenset({".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
                             ".nan", ".NaN", ".NAN"})
# yaml.v3 resolve.go yamlStyleFloat
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_TIMESTAMP_START = re.compile(r"[0-9]{4}-")  # yaml.v3 parseTimestamp: four digits and '-' before it tries formats
_GO_INT = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_INT64 = (-(2 ** 63), 2 ** 63 - 1)
_UINT64_MAX = 2 ** 64 - 1
_STR_TAGS = frozenset({"tag:yaml.org,2002:str", "!!str"})
MERGE_KEY = "<<"


def parse_key(key: str, project_name: str) -> str:
    """The fully qualified key `ns:name` Pulumi's `config.ParseKey` makes of `key`; a bare key (no colon, as the
    project file's `config:` block writes its own keys) is in the project's namespace. ValueError for a key
    ParseKey refuses (two colons whose middle part is not `config`, or more than two)."""
    colons = key.count(":")
    if colons == 0:
        return f"{project_name}:{key}"
    if colons == 1:
        return key
    if colons == 2:
        namespace, module, name = key.split(":")
        if module == "config":
            return f"{namespace}:{name}"
    raise ValueError(f"{key!r} is not a configuration key Pulumi reads (`<namespace>:<name>`, or the old "
                     "`<namespace>:config:<name>`)")


def scalar_text(node: yaml.ScalarNode) -> str:
    """A top-level stack value as the program gets it: the scalar's source text; "" for a null."""
    _check_tag(node)
    if node.style is None and not node.tag and node.value in _NULLS:
        return ""
    return node.value


def object_json(node: yaml.Node, secure_text: str | None = None) -> str:
    """A mapping or list value as the program gets it: Go's encoding/json of yaml.v3's typed value; each nested
    `{secure: ...}` leaf written as `secure_text` (Pulumi hands the decrypted text there)."""
    return json.dumps(_json_ready(_go_value(node, secure_text)), separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False)


def is_secure(node: yaml.Node) -> bool:
    """`{secure: <ciphertext>}`: Pulumi's secure value (config/value.go tries it right after a plain string)."""
    return (isinstance(node, yaml.MappingNode) and len(node.value) == 1
            and isinstance(node.value[0][0], yaml.ScalarNode) and node.value[0][0].value == "secure")


def holds_secure(node: yaml.Node) -> bool:
    """Whether the value is a secure value or holds one at any depth (config.Value.Secure: an object value with a
    secure leaf is a secret key as a whole)."""
    if is_secure(node):
        return True
    if isinstance(node, yaml.MappingNode):
        return any(holds_secure(value) for _, value in node.value)
    if isinstance(node, yaml.SequenceNode):
        return any(holds_secure(item) for item in node.value)
    return False


def go_value(node: yaml.Node) -> Any:
    """A node as yaml.v3 types it into interface{}: dicts, lists, str, int, float, bool, None."""
    return _go_value(node)


def go_string(value: Any) -> str:
    """A typed project-config default as Pulumi writes it into the program's config (`%v`: true/false, 31)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float_text(value)
    return "" if value is None else str(value)


def _go_value(node: yaml.Node, secure_text: str | None = None) -> Any:
    if secure_text is not None and is_secure(node):
        return secure_text
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.style is None and key_node.value == MERGE_KEY:
                raise ValueError("a YAML merge key (<<) is not read by agentid preview as Pulumi reads it: write the "
                                 "merged keys out")
            if not isinstance(key_node, yaml.ScalarNode):
                raise ValueError("a mapping key that is itself a mapping or list: Pulumi config keys are strings")
            mapping[key_node.value] = _go_value(value_node, secure_text)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_go_value(item, secure_text) for item in node.value]
    return go_scalar(node)


def go_scalar(node: yaml.ScalarNode) -> Any:
    """yaml.v3's typing of one scalar (resolve.go), or ValueError where it yields a value JSON cannot carry
    the same way (timestamps, infinities, NaN) or the tag is explicit."""
    _check_tag(node)
    text = node.value
    if node.style is not None or node.tag in _STR_TAGS:
        return text
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in _SPECIAL_FLOATS:
        raise ValueError(f"{text!r} is an infinity or NaN for Pulumi, which JSON cannot hold: quote it")
    if not text or text[0] not in "0123456789+-.":
        return text
    if text[0] == ".":
        return float(text) if re.fullmatch(r"\.[0-9]+([eE][-+]?[0-9]+)?", text) else text
    if _TIMESTAMP_START.match(text) and _looks_like_timestamp(text):
        raise ValueError(f"{text!r} is a timestamp for Pulumi's YAML reader, not text: quote it")
    plain = text.replace("_", "")
    if _GO_INT.fullmatch(plain):
        number = _go_int(plain)
        if _INT64[0] <= number <= _UINT64_MAX:
            return number
    if _YAML_STYLE_FLOAT.fullmatch(plain):
        number = float(plain)
        if math.isinf(number):
            raise ValueError(f"{text!r} overflows a 64-bit float: quote it")
        return number
    return text


def _go_int(plain: str) -> int:
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    lowered = digits.lower()
    if lowered.startswith(("0x", "0o", "0b")):
        return sign * int(digits, 0)
    if len(digits) > 1 and digits.startswith("0"):  # Go's base 0: a leading 0 is octal (YAML 1.1's 0777)
        return sign * int(digits, 8)
    return sign * int(digits)


def _looks_like_timestamp(text: str) -> bool:
    # yaml.v3 allowedTimestampFormats: 2006-1-2T15:4:5.999999999Z07:00 (also 't'), "2006-1-2 15:4:5.999999999",
    # 2006-1-2
    return bool(re.fullmatch(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?"
                             r"(Z|[-+][0-9]{2}:[0-9]{2})?)?", text))


def _check_tag(node: yaml.ScalarNode) -> None:
    if node.tag and node.tag != "!" and node.tag not in _STR_TAGS:
        raise ValueError(f"the explicit YAML tag {node.tag} is not read by agentid preview as Pulumi reads it: "
                         "remove it (quote the value for text)")


def _go_float_text(number: float) -> str:
    # Go's %v / encoding/json write integral floats without ".0" (1000, not 1000.0)
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    return repr(number)


def _json_ready(value: Any) -> Any:
    """Integral floats as ints, so the JSON text is Go's (`1000`, not `1000.0`); the program parses equal values."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value
