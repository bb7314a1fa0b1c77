"""Random and mutated documents: the loader always returns a clear error or a valid model, never raises."""

from __future__ import annotations

import datetime as dt
import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentid_components.loader import check_text
from agentid_components.spec import Inventory

from .test_validation import TODAY, valid_agent

KEYS = ["agents", "name", "owner", "purpose", "environment", "review_by", "tools", "trust", "aws", "azure", "oauth",
        "actions", "resources", "conditions", "scope", "data_actions", "audience", "scopes", "github_actions",
        "kubernetes", "spiffe", "azure_hosted", "repository", "branch", "issuer", "namespace", "max_credential_minutes"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
    st.sampled_from(["*", "s3:*", "s3:GetObject", "arn:aws:s3:::b/*", "2020-01-01", "https://x", "/", "http://x"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=5),
    ),
    max_leaves=25,
)


def assert_clean_outcome(text: str | bytes) -> None:
    inventory, _, errors = check_text(text, "fuzz.yaml", today=TODAY)
    assert (inventory is None) != (errors == [])
    if inventory is not None:
        assert isinstance(inventory, Inventory)
    for error in errors:
        rendered = str(error)
        assert rendered.startswith("fuzz.yaml:") and "\n" not in rendered


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_random_structures(document):
    assert_clean_outcome(yaml.safe_dump(document) if not isinstance(document, str) else document)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes(data):
    assert_clean_outcome(data)


@st.composite
def mutated_agent_files(draw):
    """A valid agent file with one value somewhere replaced by anything."""
    document = {"agents": [valid_agent("a"), valid_agent("b")]}
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, path + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, path + (index,))

    walk(document, ())
    path = draw(st.sampled_from(paths[1:]))
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = draw(documents)
    return document


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_agent_files())
def test_mutated_valid_documents(document):
    assert_clean_outcome(json.dumps(document, default=str))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_text(text):
    assert_clean_outcome(text)


def test_valid_documents_still_validate():
    inventory, _, errors = check_text(yaml.safe_dump({"agents": [valid_agent()]}), "a.yaml", today=TODAY)
    assert errors == [] and inventory.agents[0].review_by == dt.date(2027, 1, 31)
