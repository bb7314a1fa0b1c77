"""Which resource types and invokes of the installed provider SDKs hold secret material, derived from the SDKs.

AGID-GATE-001 judges what the program reads with the deployer's credentials at `pulumi preview` (red19 r19-9): a
`Resource.get()` (the engine's ReadResource) of an existing object and an invoke (data source). Neither list is kept
by hand; this module derives both from the installed SDKs, and `python -m agentid.preview.sdk_secrets` writes them to
agentid/preview/sdk_secrets.yaml (the gate reads that file; tests/preview/test_sdk_secrets.py checks it equals the
derivation from the installed SDKs, so a provider upgrade that adds a secret-holding type fails until refreshed):

- read_types: every resource class whose constructor declares `additional_secret_outputs` (Pulumi's code generator
  emits it for each property the provider schema marks `secret: true`: `aws:ssm/parameter:Parameter` value,
  `aws:secretsmanager/secretVersion:SecretVersion` secretString, `kubernetes:core/v1:Secret` data/stringData). A
  read of such a type puts the existing object's secret into the program's hands (outputs marked secret for another
  reason, pulumi-gcp's label maps, are credential_invokes.yaml's `not_secret_read_outputs`). pulumi-azure-native
  declares none:
  ARM's GET never returns a secret (keys and secrets come from POST `list*` actions, which are invokes).
- invokes: every invoke whose result type (or an output type it holds, NESTING levels deep; not in azure-native
  `get*` functions, ARM GETs, see `nested_not_derived`) has a property whose name matches `secret_field_pattern` of
  credential_invokes.yaml (the SDKs do not mark invoke results secret: the schema's `secret` flag is not emitted for
  function outputs, so the property's name is what tells). Tokens that match but return no secret are excluded, each
  with a reason, in credential_invokes.yaml's `not_secret`.
"""

from __future__ import annotations

import importlib.metadata
import re
from functools import lru_cache
from pathlib import Path

from agentid_policy_packs.analysis.sdk_sources import RESOURCE_TOKEN, package_root

OUT = Path(__file__).with_name("sdk_secrets.yaml")
PACKAGES = ("pulumi_aws", "pulumi_gcp", "pulumi_azure_native", "pulumi_azuread", "pulumi_kubernetes")

_SECRET_OUTPUTS = re.compile(r"additional_secret_outputs=\[([^\]]*)\]")
_INVOKE = re.compile(r"invoke(?:_output)?\('([^']+)', __args__, opts=opts, typ=(\w+)\)")
_GETTER = re.compile(r'@pulumi\.getter(?:\(name="\w+"\))?\s+def (\w+)\(self\)')


def _files(package: str):
    root = package_root(package)
    if root is None:
        return
    for file in sorted(root.rglob("*.py")):
        text = file.read_text(encoding="utf-8")
        yield text


def secret_read_types(package: str, not_secret: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Resource type token -> the output properties its SDK class declares secret (additional_secret_outputs), but
    those in `not_secret`; types with no other are left out."""
    types: dict[str, list[str]] = {}
    for text in _files(package):
        if "additional_secret_outputs" not in text:
            continue
        secrets = _SECRET_OUTPUTS.search(text)
        token = RESOURCE_TOKEN.search(text)
        if secrets and token and ":" in token.group(1):
            names = [n for n in re.findall(r'"([^"]+)"', secrets.group(1)) if n not in not_secret]
            if names:
                types[token.group(1)] = sorted(set(names))
    return types


def _class(text: str, name: str) -> str:
    match = re.search(rf"^class {name}\b.*?(?=^class |^def |\Z)", text, re.S | re.M)
    return match.group(0) if match else ""


_NESTED = re.compile(r'@pulumi\.getter(?:\(name="\w+"\))?\s+def (\w+)\(self\) -> ([^:]+):')
_OUTPUT_CLASS = re.compile(r"^class (\w+)\(dict\):.*?(?=^class |^@pulumi\.output_type|\Z)", re.S | re.M)
NESTING = 3  # how deep into a result's output types a secret property is looked for


def secret_invokes(package: str, field_pattern: str, not_secret_pattern: str = "^$",
                   flat_only: str = "^$") -> dict[str, list[str]]:
    """Invoke token -> the properties of its result type, and of the output types it holds (`outputs.py` of its
    module, down to NESTING levels, as dotted paths), whose (snake_case) name matches `field_pattern` and not
    `not_secret_pattern`; tokens matching `flat_only` are judged by their result's own properties only."""
    pattern, not_secret, flat = re.compile(field_pattern), re.compile(not_secret_pattern), re.compile(flat_only)
    root = package_root(package)
    if root is None:
        return {}
    outputs: dict[tuple[Path, str], str] = {}
    for file in root.rglob("outputs.py"):
        for match in _OUTPUT_CLASS.finditer(file.read_text(encoding="utf-8")):
            outputs[(file.parent, match.group(1))] = match.group(0)

    def secret_fields(folder: Path, body: str, depth: int, seen: tuple[str, ...]) -> list[str]:
        found = []
        for name, annotation in _NESTED.findall(body):
            if pattern.search(name):
                if not not_secret.search(name):
                    found.append(name)
                continue
            if depth < NESTING:
                for ref in re.findall(r"outputs\.(\w+)", annotation):
                    nested = outputs.get((folder, ref))
                    if nested and ref not in seen:
                        found += [f"{name}.{inner}" for inner in secret_fields(folder, nested, depth + 1, (*seen, ref))]
        return found

    invokes: dict[str, list[str]] = {}
    for file in sorted(root.rglob("*.py")):
        text = file.read_text(encoding="utf-8")
        if "invoke(" not in text:
            continue
        for token, result in set(_INVOKE.findall(text)):
            depth = NESTING if flat.search(token) else 0
            fields = sorted(set(secret_fields(file.parent, _class(text, result), depth, ())))
            if fields:
                invokes[token] = fields
    return invokes


def versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package.replace("_", "-")] = importlib.metadata.version(package.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


@lru_cache(maxsize=1)
def derived() -> dict:
    """What sdk_secrets.yaml holds, derived from the installed SDKs now."""
    from agentid.preview import credential_invokes
    data = credential_invokes._data()
    pattern, not_secret = data["secret_field_pattern"], data["not_secret_field_pattern"]
    flat_only = "|".join(f"(?:{rule['token_pattern']})" for rule in data["nested_not_derived"]) or "^$"
    read_types: dict[str, list[str]] = {}
    invokes: dict[str, list[str]] = {}
    for package in PACKAGES:
        read_types.update(secret_read_types(package, frozenset(data["not_secret_read_outputs"])))
        invokes.update(secret_invokes(package, pattern, not_secret, flat_only))
    packages = sorted({token.split(":", 1)[0] for token in [*read_types, *invokes]})
    return {"sdk_versions": versions(), "packages": packages, "read_types": dict(sorted(read_types.items())),
            "invokes": dict(sorted(invokes.items()))}


def render(data: dict) -> str:
    import yaml
    header = ("# GENERATED by `python -m agentid.preview.sdk_secrets` from the installed provider SDKs (source: each\n"
              "# SDK's resource classes' additional_secret_outputs, and its invokes' result types' property names\n"
              "# matched with credential_invokes.yaml's secret_field_pattern). Do not edit: refresh.\n")
    return header + yaml.safe_dump(data, sort_keys=False, width=120)


if __name__ == "__main__":
    OUT.write_text(render(derived()), encoding="utf-8")
