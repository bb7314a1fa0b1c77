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


# Input names shaped like a destination (a sink, push endpoint, topic, export URI, bucket name, destination project)
SHAPE = re.compile(r"(^destination$|[Dd]estination(Uris?|Project|ConnectionProfile)?$|^pushEndpoint$|[Pp]ubsubTopic$|"
                   r"^topic$|[Tt]opicName$|^deadLetterTopic$|^resultsTable$|^datasetUri$|^tableUri$|^logBucket$|"
                   r"^bucketName$)")


def _sdk_shaped_inputs() -> set[tuple[str, str]]:
    """(type token, dotted path without `[]`) of every pulumi_gcp input of the shape (imports every module: seconds)."""
    import importlib

    from agentid_policy_packs.rules.coverage import provider_tokens
    from tests.policy.aws_sdk_inputs import matching_inputs

    found, unread = set(), []
    for token in sorted(provider_tokens("pulumi_gcp")):
        _, module, kind = token.split(":")
        if kind[:1].islower():
            continue  # a legacy alias token (privilegedaccessmanager/entitlement:entitlement) of a type walked under its own
        # the package's lazy attribute, else the resource's own module (once a test imported that module directly,
        # the package no longer resolves the name)
        cls = getattr(importlib.import_module(f"pulumi_gcp.{module.split('/')[0]}"), f"{kind}Args", None)
        if cls is None:
            try:
                cls = _args_class(token)[0]
            except (ImportError, AssertionError, AttributeError):
                unread.append(token)
                continue
        found.update((token, path) for path in matching_inputs(cls, lambda name: bool(SHAPE.search(name))))
    assert unread == [], f"type tokens whose Args class the walk cannot find: {unread[:20]}"
    return found


def test_every_sdk_input_shaped_like_a_destination_is_judged_or_says_why_not():
    data = foreign_project_inputs()
    judged = {(token, entry["path"].replace("[]", "")) for token, spec in JUDGED.items() for entry in spec["inputs"]}
    listed = [(token, path) for category in data["not_judged"].values() for token, paths in category["inputs"].items()
              for path in paths]
    assert all(category["reason"].strip() for category in data["not_judged"].values())
    assert len(listed) == len(set(listed)) and not set(listed) & judged
    sdk = _sdk_shaped_inputs()
    # the walk finds the inputs of red17 r17-7 (the check can fail)
    assert {("gcp:logging/projectSink:ProjectSink", "destination"),
            ("gcp:pubsub/subscription:Subscription", "pushConfig.pushEndpoint")} <= sdk
    assert sorted(sdk - judged - set(listed)) == [], "destination-shaped inputs gcp_foreign_project_inputs.yaml does not mention"
    assert sorted(set(listed) - sdk) == [], "not_judged inputs the installed SDK no longer has (of that shape)"
