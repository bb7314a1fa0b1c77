"""Inputs the provider SDKs mark secret (sdk_secret_inputs.yaml), derived from the installed SDKs, and the values there.

Pulumi's code generator emits, for each resource input the provider schema marks `secret: true`, an
`Output.secret(...)` around the input and its name in `additional_secret_outputs` (pulumi_gcp `sql.User.password`,
`alloydb.User.password`, `compute.VPNTunnel.sharedSecret`, `redis.Instance.authString`, azuread `User.password`):
the provider itself says the field holds a secret, so any value the program knows at preview is a literal secret,
whatever it looks like (red20 r20-4: `gcp.sql.User(password="changeme")` passed GEN-004's value heuristic).
`python -m agentid_policy_packs.analysis.sdk_secret_inputs` writes the derivation to sdk_secret_inputs.yaml
(`secret_inputs`, kept as data; `not_read` and `members` are the hand-kept part: inputs the schema marks secret that
hold no credential or that another rule judges whole, each with its reason, and the members of an object input that
hold the credential); tests/policy/test_sdk_secret_inputs_data.py checks the file equals the derivation
from the installed SDKs, so a provider upgrade that marks a new input fails until refreshed.

pulumi-azure-native marks no input secret (no resource class wraps an input in Output.secret), so for it the
derivation is by name (`derive_by_name`): each resource Args class's top-level string input whose camelCase name ends
in password / secret / sharedKey / passphrase (Cosmos DB Mongo user `password`, `administratorLoginPassword`, VPN
`sharedKey`, App Service auth `clientSecret`; `clientSecretSettingName`, `keyVaultSecretId` name a secret and do not
end so). AGID-AZ-025 reads the azure-native and azuread entries.
pulumi-aws is aws_secret_inputs.yaml's (nested members, scanned maps). pulumi-kubernetes marks only Secret and
SecretPatch data/stringData, judged whole by AGID-K8S-004.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import aws_secret_inputs
from .sdk_sources import RESOURCE_TOKEN, STRING_INPUT, package_root, resource_modules
from .values import is_unknown

OUT = Path(__file__).with_name("sdk_secret_inputs.yaml")
PACKAGES = ("pulumi_gcp", "pulumi_azuread", "pulumi_azure_native", "pulumi_kubernetes")

_SECRET_OUTPUTS = re.compile(r"additional_secret_outputs=\[([^\]]*)\]")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def derive(package: str) -> dict[str, list[str]]:
    """Resource type token -> the INPUTS (camelCase) its SDK class wraps in Output.secret and lists in
    additional_secret_outputs (outputs only, such as a generated key, are left out)."""
    types: dict[str, list[str]] = {}
    for token, text in resource_modules(package):
        secrets = _SECRET_OUTPUTS.search(text)
        if not secrets:
            continue
        names = sorted({name for name in re.findall(r'"([^"]+)"', secrets.group(1))
                        if f"pulumi.Output.secret({_snake(name)})" in text})
        if names:
            types[token] = names
    return dict(sorted(types.items()))


# pulumi-azure-native marks no input secret; a top-level string input of a resource's Args class whose name ENDS in
# one of these words holds the credential itself (`password`, `administratorLoginPassword`, `sharedKey`,
# `clientSecret`); names that merely contain one (`passwordAuthenticationType`, `secretName`, `keyVaultSecretId`)
# name or configure it and do not end so.
_AZURE_SECRET_NAME = re.compile(r"(?:[pP]assword|[sS]ecret|[sS]haredKey|[pP]assphrase)$")


def derive_by_name(package: str = "pulumi_azure_native", pattern: re.Pattern | None = None) -> dict[str, list[str]]:
    """Resource type token -> its top-level string inputs (camelCase) whose name ends in a secret word (the SDK of
    pulumi-azure-native marks none secret: the name is what tells)."""
    types: dict[str, list[str]] = {}
    for token, text in resource_modules(package, skip=("_", "get_", "list_")):
        args = re.search(r"^class \w+Args:.*?(?=^class |\Z)", text, re.S | re.M)
        if not args:
            continue
        names = sorted({camel or snake for camel, snake in STRING_INPUT.findall(args.group(0))
                        if (pattern or _AZURE_SECRET_NAME).search(camel or snake)})
        if names:
            types[token] = names
    return dict(sorted(types.items()))


# A nested input (an object below the resource's Args, at any depth) holds a credential when its name is, or ends in,
# password / clientSecret / passphrase / sharedKey (`initialUser.password`, `postgresqlProfile.password`,
# `iap.oauth2ClientSecret`, `osProfile.adminPassword`); a name that starts with `secret` names a stored secret
# (`secretManagerStoredPassword`, `secretVersionForClientSecret`) and a bare `secret` is mostly a Secret Manager
# reference (`secretKeyRef.secret`): neither is taken. The SDKs do not mark nested inputs secret at all.
_NESTED_SECRET_NAME = re.compile(r"(?:^|(?<=[a-z0-9]))(?:[pP]assword|[cC]lientSecret|[pP]assphrase|[sS]haredKey)$")
_GETTER = re.compile(r'@pulumi\.getter(?:\(name="(\w+)"\))?\n\s+def (\w+)\(self\) -> ([^:\n]+):')
_ARGS_CLASS = re.compile(r"^class (\w+Args):.*?(?=^class |\Z)", re.S | re.M)
_NESTED_DEPTH = 6


def _args_classes(text: str) -> dict[str, dict[str, tuple[str | None, bool]]]:
    """Args class -> input (camelCase) -> (nested Args class, "str" or None; whether it is a list)."""
    classes = {}
    for match in _ARGS_CLASS.finditer(text):
        inputs = {}
        for camel, snake, annotation in _GETTER.findall(match.group(0)):
            nested = re.search(r"'(\w+Args)'", annotation)
            plain = "_builtins.str]" in annotation and "Mapping" not in annotation
            inputs[camel or snake] = (nested.group(1) if nested else ("str" if plain else None), "Sequence" in annotation)
        classes[match.group(1)] = inputs
    return classes


def derive_nested_by_name(package: str) -> dict[str, list[str]]:
    """Resource type token -> dotted paths (`a.b`, `a[].b`) of its nested string inputs named as credentials."""
    root = package_root(package)
    if root is None:
        return {}
    types: dict[str, list[str]] = {}
    for module in sorted({path.parent for path in root.rglob("_inputs.py")}):
        shared = _args_classes((module / "_inputs.py").read_text(encoding="utf-8"))
        for file in sorted(module.glob("*.py")):
            if file.name.startswith(("_", "get_", "list_")):
                continue
            text = file.read_text(encoding="utf-8")
            token = RESOURCE_TOKEN.search(text)
            own = _args_classes(text) if token and ":" in token.group(1) else {}
            if not own:
                continue
            paths: list[str] = []

            def walk(inputs, prefix: str, depth: int, seen: frozenset) -> None:
                for name, (kind, is_list) in inputs.items():
                    path = f"{prefix}.{name}" if prefix else name
                    if kind == "str" and prefix and _NESTED_SECRET_NAME.search(name) and not name.startswith("secret"):
                        paths.append(path)
                    elif kind in shared and depth < _NESTED_DEPTH and kind not in seen:
                        walk(shared[kind], path + ("[]" if is_list else ""), depth + 1, seen | {kind})

            walk(next(iter(own.values())), "", 0, frozenset())
            if paths:
                types[token.group(1)] = sorted(set(paths))
    return dict(sorted(types.items()))


@lru_cache(maxsize=1)
def _data() -> dict:
    from agentid_components import data_yaml  # noqa: PLC0415 - only the literal-secret rules need it

    return data_yaml.load(OUT)


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[str, ...]]:
    """type token -> the inputs that hold a credential by the provider's word (secret_inputs but not_read)."""
    data = _data()
    not_read = data.get("not_read") or {}
    out = {}
    for section in ("secret_inputs", "nested_secret_inputs"):
        for token, names in (data.get(section) or {}).items():
            kept = tuple(n for n in names if f"{token}.{n}" not in not_read)
            if kept:
                out[token] = tuple(dict.fromkeys((*out.get(token, ()), *kept)))
    return out


class NotTheShape(str):
    """What a value on a nested path is instead of the object or list the provider takes there ("not a list")."""


def members(token: str, name: str) -> tuple[str, ...] | None:
    """The members of object input `name` that hold the credential (the YAML's `members`), None when not an object."""
    found = (_data().get("members") or {}).get(f"{token}.{name}")
    return tuple(found) if found is not None else None


def candidates(token: str, props: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(path, name it is stored under, value) of every table input of `token` in `props`: a string input as it is,
    an object input's credential members (`members`) each; a value of another shape as it is (the rule fails
    closed on it). Absent and unknown values are skipped."""
    seen: set[str] = set()
    for path, key, value in _candidates(token, props):
        if path not in seen:  # an object's `members` and a nested path may name the same value
            seen.add(path)
            yield path, key, value


def _candidates(token: str, props: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    for name in table().get(token, ()):
        value = props.get(name)
        if "." in name or "[]" in name:  # a nested path: every value there
            for found in aws_secret_inputs._walk(props, name.split("."), "", "", True):
                yield found.path, found.key, found.value if found.shape is None else NotTheShape(found.shape)
            continue
        if value is None or is_unknown(value):
            continue
        inner = members(token, name)
        if inner is None:
            yield name, name, value
        elif not isinstance(value, Mapping):
            yield name, name, value
        elif inner == ("*",):  # a map of secrets: every member
            for member, item in value.items():
                if item is not None and not is_unknown(item):
                    yield f"{name}.{member}", str(member), item
        else:
            for member in inner:
                if value.get(member) is not None and not is_unknown(value.get(member)):
                    yield f"{name}.{member}", member, value.get(member)


def resource_types(prefix: str) -> tuple[str, ...]:
    """The table's types of one provider (`gcp:`, `azuread:`)."""
    return tuple(token for token in table() if token.startswith(prefix))


def document() -> dict:
    """The YAML's content from the installed SDKs, the hand-kept not_read kept."""
    versions = {}
    nested: dict[str, list[str]] = {}
    secret_inputs: dict[str, list[str]] = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            continue
        secret_inputs.update(derive_by_name(package) if package == "pulumi_azure_native" else derive(package))
        if package in ("pulumi_gcp", "pulumi_azuread"):  # credential-named inputs the schema forgot to mark
            for token, names in derive_by_name(package, _NESTED_SECRET_NAME).items():
                secret_inputs[token] = sorted({*secret_inputs.get(token, ()), *names})
        if package in ("pulumi_gcp", "pulumi_azure_native"):
            nested.update(derive_nested_by_name(package))
    return {"sdk_versions": versions, "secret_inputs": dict(sorted(secret_inputs.items())), "nested_secret_inputs": nested,
            "not_read": (_data().get("not_read") if OUT.exists() else None) or {},
            "members": (_data().get("members") if OUT.exists() else None) or {}}


_HEADER = """\
# Resource inputs the installed provider SDKs mark secret (Pulumi's code generator wraps each input the provider
# schema marks `secret: true` in Output.secret and lists it in additional_secret_outputs); pulumi-azure-native marks
# none, so its entries are the top-level string inputs whose name ends in password / secret / sharedKey / passphrase.
# Read by AGID-GCP-034 (gcp) and AGID-AZ-025 (azure-native, azuread): a value known at preview in such an input is a
# literal secret, whatever it looks like. For gcp and azuread secret_inputs also holds the top-level string inputs
# named as credentials (password / clientSecret / passphrase / sharedKey) the schema does not mark (identityplatform
# clientSecret, apigee keystore pkcs12 password, Oracle Autonomous Database adminPassword). nested_secret_inputs (gcp, azure-native): nested string inputs whose name is
# or ends in password / clientSecret / passphrase / sharedKey (the SDKs mark no nested input), as dotted paths.
# Source: the SDK packages named in sdk_versions (PyPI), derived by policy_packs/analysis/sdk_secret_inputs.py.
# Refresh: python -m agentid_policy_packs.analysis.sdk_secret_inputs (rewrites secret_inputs; keeps not_read).
# not_read (hand-kept, "<type token>.<input>": reason): inputs marked secret that hold no credential, or that another
#   rule judges whole; members (hand-kept, "<type token>.<input>": [member]): an object input's credential members.
"""


def main() -> None:
    import yaml  # noqa: PLC0415

    data = document()
    text = _HEADER + "".join(
        yaml.safe_dump({key: data[key]}, sort_keys=False, width=200, default_flow_style=None if key != "not_read" else False)
        for key in ("sdk_versions", "secret_inputs", "nested_secret_inputs", "not_read", "members"))
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
