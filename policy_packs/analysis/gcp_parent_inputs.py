"""GCP inputs that name a resource's parent, so a `projects/P/...` value in them creates the resource in project P
(gcp_parent_inputs.yaml), derived from the installed pulumi-gcp SDK.

A GCP child resource is addressed by its parent: a Secret Manager secret version by `secret`
(`projects/P/secrets/S`), a KMS crypto key by `key_ring` (`projects/P/locations/L/keyRings/R`), an IAM member on a
secret, repository or key by `secret_id` / `repository` / `crypto_key_id`, a BigQuery table by `dataset_id`. Such a
resource has no `project` input of its own, or one the parent id overrides: it is created in the parent's project
(red23 r20-2). Which inputs are parents is read from the SDK: each resource's documented import-id formats
(the docstring's `## Import` section, e.g. `{{key_ring}}/cryptoKeys/{{name}}`,
`projects/{{project}}/secrets/{{secret}}/versions/{{version}}`) are built from the inputs that make up the resource's
id, so a `{{input}}` placeholder that is a string input of the resource's Args class is part of where the resource
lives; so is an IAM resource's input its docstring says is "Used to find the parent resource to bind the IAM
policy to" (some IAM files document no import format). An input that only REFERS to a resource elsewhere (a subscription's `topic`, a subnetwork's shared-VPC
`network`) is not in its id and is not listed: those are not created in the named project.
`python -m agentid_policy_packs.analysis.gcp_parent_inputs` writes the derivation to gcp_parent_inputs.yaml;
tests/policy/test_gcp_parent_inputs_data.py checks the file equals the derivation from the installed SDK, so a
provider upgrade fails there until refreshed. Read by AGID-GCP-035.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from functools import cache
from pathlib import Path

from .sdk_sources import STRING_INPUT, resource_modules

OUT = Path(__file__).with_name("gcp_parent_inputs.yaml")
PACKAGE = "pulumi_gcp"
# `project` is the resource's own project input, judged as such by AGID-GCP-035
NOT_PARENTS = frozenset({"project"})

_ARGS_CLASS = re.compile(r"@pulumi\.input_type\nclass (\w+)Args:\n(.*?)(?=\n@pulumi\.input_type|\nclass )", re.S)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# the IAM resources' own words for their parent input (some IAM files have no import section)
_IAM_PARENT = re.compile(r":param pulumi\.Input\[_builtins\.str\] (\w+): Used to find the parent resource")


def _import_sections(text: str) -> str:
    """The `## Import` sections of the resource class's docstrings."""
    sections = []
    for start in (m.end() for m in re.finditer(r"## Import\n", text)):
        end = text.find('"""', start)
        sections.append(text[start:end if end >= 0 else len(text)])
    return "\n".join(sections)


def derive(package: str = PACKAGE) -> dict[str, list[str]]:
    """Resource type token -> its string inputs (camelCase) that are placeholders of its import-id formats."""
    types: dict[str, list[str]] = {}
    for token, text in resource_modules(package):
        if "## Import" not in text:
            continue
        args = _ARGS_CLASS.search(text)
        if args is None:
            continue
        inputs = {snake: camel or snake for camel, snake in STRING_INPUT.findall(args.group(2))}
        holes = set(_PLACEHOLDER.findall(_import_sections(text))) | set(_IAM_PARENT.findall(text))
        names = sorted(inputs[h] for h in holes if h in inputs and h not in NOT_PARENTS)
        if names:
            types[token] = names
    return dict(sorted(types.items()))


@cache
def parent_inputs() -> dict[str, tuple[str, ...]]:
    """Resource type token -> its parent inputs (camelCase), from gcp_parent_inputs.yaml."""
    from agentid_components import data_yaml  # noqa: PLC0415

    data = data_yaml.load(OUT)
    return {token: tuple(names) for token, names in (data.get("parent_inputs") or {}).items()}


@cache
def project_first() -> dict[str, dict[str, int]]:
    """Hand-kept: type -> {input: segments} for inputs that also take a short `P/.../X` form of that many segments
    whose first is the project (the KMS IAM resources, whose files document no import format)."""
    from agentid_components import data_yaml  # noqa: PLC0415

    return {token: dict(inputs) for token, inputs in (data_yaml.load(OUT).get("project_first") or {}).items()}


def also_parents() -> dict[str, list[str]]:
    """Hand-kept: type -> parent inputs the SDK documents in other words (no import placeholder)."""
    from agentid_components import data_yaml  # noqa: PLC0415

    return {token: list(names) for token, names in (data_yaml.load(OUT).get("also_parents") or {}).items()}


def document() -> dict:
    kept = project_first() if OUT.exists() else {}
    also = also_parents() if OUT.exists() else {}
    derived = derive()
    for token, inputs in [*kept.items(), *also.items()]:  # hand-kept parents are parent inputs too
        derived[token] = sorted({*derived.get(token, ()), *inputs})
    return {"sdk_versions": {PACKAGE: importlib.metadata.version(PACKAGE.replace("_", "-"))},
            "parent_inputs": dict(sorted(derived.items())), "project_first": kept, "also_parents": also}


_HEADER = """\
# Google Cloud resource inputs that are part of the resource's id (placeholders of the import-id formats its
# pulumi-gcp docstring documents, `{{key_ring}}/cryptoKeys/{{name}}`, `projects/{{project}}/secrets/{{secret}}/...`):
# a `projects/P/...` value in one creates the resource in project P, whatever its `project` input says (red23 r20-2:
# a SecretVersion on `projects/attacker/secrets/S`, a CryptoKey on another project's key ring, an IAM member on
# another project's secret). Inputs that merely refer elsewhere (a subscription's topic) are not in the id.
# Read by AGID-GCP-035 (policy_packs/rules/gcp_deploy_project.py).
# Source: the pulumi-gcp SDK named in sdk_versions (PyPI), derived by policy_packs/analysis/gcp_parent_inputs.py.
# Refresh: python -m agentid_policy_packs.analysis.gcp_parent_inputs (rewrites parent_inputs; keeps project_first)
# project_first (hand-kept): type -> {input: N}: the input also takes a short form of N `/`-separated segments whose
#   first is the project (pulumi-gcp's kms CryptoKeyIAM* `crypto_key_id` doc: `{project_id}/{location_name}/
#   {key_ring_name}/{crypto_key_name}`; KeyRingIAM* `key_ring_id`: `{project_id}/{location_name}/{key_ring_name}`).
# also_parents (hand-kept): type -> parent inputs the SDK documents without an import placeholder (serviceaccount
#   IAM*: `service_account_id`, "The fully-qualified name of the service account to apply policy to",
#   `projects/{project}/serviceAccounts/{email}`).
"""


def main() -> None:
    import yaml  # noqa: PLC0415

    data = document()
    text = _HEADER + "".join(yaml.safe_dump({key: data[key]}, sort_keys=False, width=200, default_flow_style=None)
                             for key in ("sdk_versions", "parent_inputs", "project_first", "also_parents"))
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
