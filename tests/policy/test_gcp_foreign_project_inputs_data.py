"""policy_packs/analysis/gcp_foreign_project_inputs.yaml (AGID-GCP-033) names real pulumi-gcp resources and inputs:
every type token is a resource of the installed SDK and every input path walks its input types to a string."""

from __future__ import annotations

import re

import pytest

from agentid_policy_packs.rules.gcp_foreign_project_inputs import foreign_project_inputs
from tests.policy.test_gcp_code_runners_data import _args_class, _walk

JUDGED = foreign_project_inputs()["judged"]
CASES = [(token, entry["path"]) for token, spec in JUDGED.items() for entry in spec["inputs"]]


@pytest.mark.parametrize("token,path", CASES, ids=[f"{t.split(':')[1]}:{p}" for t, p in CASES])
def test_every_destination_input_is_a_string_input_of_the_installed_sdk(token, path):
    args_class, inputs_module = _args_class(token)
    annotation = _walk(args_class, inputs_module, path)
    assert "str" in annotation and "Args" not in annotation, f"{token} {path} is {annotation}, not a string"


def test_every_type_says_what_it_sends_with_a_google_source_and_known_kinds():
    for token, spec in JUDGED.items():
        assert spec["sends"] and all(re.match(r"https://cloud\.google\.com/", s.strip()) for s in spec["source"].split(";")), token
        assert {e["kind"] for e in spec["inputs"]} <= {"sink", "resource", "table", "bq", "project", "bucket", "url"}, token
