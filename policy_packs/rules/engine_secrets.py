"""Values the engine marks secret, kept recognisable after pulumi_policy unwraps them.

The engine sends a secret input (a config secret read with `config.require_secret`, or any
`Output.secret(...)`) to an analyzer as `{"4dabf18193072939515e22adb298388d":
"1b47061264138c4ac30d75fd1eb44270", "value": ...}` (Pulumi's secret signature; sdk/go/common/resource/
properties.go, `SecretSig`); pulumi_policy's `Analyze` unwraps it into the plain value, so a rule
cannot tell a decrypted config secret from a literal typed into the program. `mark_secrets` runs
on the request's properties before that unwrapping and turns every string inside a secret into a
`SecretText` (a `str`, equal to the value), which rules can ask about with `is_engine_secret`.
Numbers and booleans inside a secret stay as they are: no secret detector judges them.

`agentid preview` never decrypts config secrets (they reach the program as a placeholder), so a
secret value there comes from the program itself; under `pulumi preview` it may be either.
"""

from __future__ import annotations

from typing import Any

SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown sentinel: not a value, never marked
_MAX_DEPTH = 64  # the engine's properties are bounded; a deeper value is left as it is (the SDK then reads it)


class SecretText(str):
    """A string the engine sent marked secret. Behaves exactly as the string it holds."""

    __slots__ = ()


def is_engine_secret(value: Any) -> bool:
    return isinstance(value, SecretText)


def mark_secrets(value: Any, inside: bool = False, depth: int = 0) -> Any:
    """`value` (a JSON-like tree from MessageToDict) with each secret wrapper's strings as SecretText.

    The wrapper itself stays (with its inner value marked) for the SDK to unwrap as usual.
    """
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, str):
        return SecretText(value) if inside and value != UNKNOWN and not isinstance(value, SecretText) else value
    if isinstance(value, dict):
        secret = inside or value.get(SIGNATURE_KEY) == SECRET_SIG
        return {key: (item if key == SIGNATURE_KEY else mark_secrets(item, secret, depth + 1))
                for key, item in value.items()}
    if isinstance(value, list):
        return [mark_secrets(item, inside, depth + 1) for item in value]
    return value
