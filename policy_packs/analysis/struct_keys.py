"""JSON objects as a consumer that matches member names case-insensitively reads them (red18 r18-3, r18-4, r18-7).

Providers and cloud agents written in Go decode JSON with encoding/json, which assigns an object member to the struct
field whose name matches "preferring an exact match but also accepting a case-insensitive match"
(https://pkg.go.dev/encoding/json#Unmarshal): `{"Bindings": [...]}` IS a policy's bindings to the Google provider,
`RoleArn:` is aws-iam-authenticator's rolearn. Azure Resource Manager reads templates and request bodies with .NET
serializers that match property names case-insensitively too (`"Resources"` is a template's resources). A reader that looks keys up exactly sees nothing there, so a grant
spelled in another case passed as no grant. `struct_fields` gives a rule the members under the field names it knows;
an object holding one field in two spellings cannot be read (which one Go keeps depends on the order it decodes
them in): FieldClash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class FieldClash(ValueError):
    """An object holds one struct field under two spellings."""


def struct_fields(obj: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """`obj` with each member whose name matches one of `fields` case-insensitively renamed to that field (other
    members kept as they are); raises FieldClash naming the field spelled twice."""
    canonical = {field.lower(): field for field in fields}
    out: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for key, value in obj.items():
        field = canonical.get(key.lower()) if isinstance(key, str) else None
        if field is None:
            out[key] = value
            continue
        if field in seen:
            raise FieldClash(f"{seen[field]!r} and {key!r} are one field ({field}) spelled twice")
        seen[field] = key
        out[field] = value
    return out
