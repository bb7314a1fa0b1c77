"""policy_packs/analysis/gcp_code_runners.yaml (AGID-GCP-019) names real pulumi-gcp resources and inputs: every type
token is a resource of the installed SDK and every input path walks its input types to a string (an e-mail)."""

from __future__ import annotations

import importlib
import re

import pytest

from agentid_policy_packs.rules.gcp_unseen_runner_account import inherits, runners


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _args_class(token: str):
    _, module_and_file, kind = token.split(":")
    module, file = module_and_file.split("/")
    resource_module = importlib.import_module(f"pulumi_gcp.{module}.{_snake(file)}")
    with open(resource_module.__file__, encoding="utf-8") as handle:
        assert f"'{token}'" in handle.read(), f"{token} is not the type token of pulumi_gcp.{module}.{_snake(file)}"
    try:
        inputs_module = importlib.import_module(f"pulumi_gcp.{module}._inputs")
    except ModuleNotFoundError:  # a module whose resources have only plain inputs
        inputs_module = None
    return getattr(resource_module, f"{kind}Args"), inputs_module


def _walk(args_class, inputs_module, path: str) -> str:
    """The annotation text of the input at `path`, walking nested *Args classes."""
    current, annotation = args_class, ""
    for part in path.split("."):
        walk, part = part.endswith("[]"), part.removesuffix("[]")
        attribute = getattr(current, _snake(part), None)
        assert isinstance(attribute, property), f"{args_class.__name__} has no input {path} ({part})"
        annotation = str(attribute.fget.__annotations__["return"])
        if walk:
            assert "Sequence" in annotation, f"{path}: {part} is not a list ({annotation})"
        nested = re.findall(r"(\w+Args)\b", annotation)
        current = getattr(inputs_module, nested[0]) if nested else None
    return annotation


CASES = [(token, path) for token, spec in runners().items() for path in spec["accounts"]]


@pytest.mark.parametrize("token,path", CASES, ids=[f"{t.split(':')[1]}:{p}" for t, p in CASES])
def test_every_runner_input_is_a_string_input_of_the_installed_sdk(token, path):
    args_class, inputs_module = _args_class(token)
    annotation = _walk(args_class, inputs_module, path)
    assert "str" in annotation and "Args" not in annotation, f"{token} {path} is {annotation}, not an e-mail string"


def test_every_runner_names_what_runs_and_a_google_source():
    for token, spec in runners().items():
        assert spec["what"] and re.match(r"https://(cloud|firebase)\.google\.com/", spec["source"]), token


INHERIT_CASES = [(token, path) for token, entries in inherits().items() for entry in entries
                 for path in (*entry["paths"], *entry.get("unless", ()))]


@pytest.mark.parametrize("token,path", INHERIT_CASES, ids=[f"{t.split(':')[1]}:{p}" for t, p in INHERIT_CASES])
def test_every_inherited_identity_input_is_an_input_of_the_installed_sdk(token, path):
    args_class, inputs_module = _args_class(token)
    _walk(args_class, inputs_module, path)  # raises when a step is not an input


def test_every_inherited_object_kind_is_a_resource_of_the_installed_sdk_with_a_google_source():
    for token, entries in inherits().items():
        for entry in entries:
            assert entry["what"] and entry["object"] and re.match(r"https://cloud\.google\.com/", entry["source"]), token
            for kind in entry["kinds"]:
                _args_class(kind)
