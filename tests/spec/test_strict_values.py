"""Values are never guessed: quoted numbers, YAML 1.1 booleans, SPIFFE dot segments, union mismatches and
resource names of the right shape but a wrong name each get one line with the key and what is valid."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from agentid_components import platform_spec, spec
from tests.spec.test_validation import errors_of, valid_agent


def agent_errors(**changes) -> list[str]:
    agent = valid_agent()
    agent.update(changes)
    return errors_of({"agents": [agent]})


def test_a_quoted_number_is_refused_not_read_as_one():
    assert [e.split(": ", 1)[1] for e in agent_errors(max_credential_minutes="15")] == [
        "agents[0].max_credential_minutes: expected a whole number, found the text '15': write 15 without quotes"]
    assert agent_errors(max_credential_minutes=15) == []


@pytest.mark.parametrize("value", ["yes", "no", "on", "1", "y"])
def test_only_true_or_false_switch(value):
    assert [e.split(": ", 1)[1] for e in agent_errors(azure_identity_per_tool=value)] == [
        f"agents[0].azure_identity_per_tool: expected true or false, found '{value}'"]


@pytest.mark.parametrize("value", ["true", "false", True, False])
def test_true_and_false_pass(value):
    assert agent_errors(azure_identity_per_tool=value) == []


def _spec_fields():
    """(model, field name, field, the annotation's parts) of every model of the agent and platform specs."""
    for module in (spec, platform_spec):
        for model in vars(module).values():
            if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == module.__name__:
                for name, field in model.model_fields.items():
                    yield model, name, field, typing.get_args(field.annotation) or (field.annotation,)


def test_every_number_and_switch_of_the_spec_is_strict():
    """The whole kind: no int or bool field anywhere in the agent or platform spec is read in lax mode."""
    loose = []
    for model, name, field, base in _spec_fields():
        if field.annotation in (int, bool) or int in base or bool in base:
            strict = any(type(m).__name__ in ("Strict", "BeforeValidator") for m in field.metadata)
            if not strict:
                loose.append(f"{model.__name__}.{name}")
    assert loose == []


@pytest.mark.parametrize("path, segment", [("/ns/../sa/x", ".."), ("/ns/./x", "."), ("/..", "..")])
def test_spiffe_dot_segments_are_refused(path, segment):
    agent = valid_agent()
    agent["trust"] = [{"spiffe": {"trust_domain": "example.org", "path": path, "acm_pca_arn":
                                  "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/1234abcd-12ab-34cd-56ef-1234567890ab"}}]
    assert [e.split(": ", 1)[1] for e in errors_of({"agents": [agent]})] == [
        f"agents[0].trust[0].spiffe.path: '{path}' is not a SPIFFE path: a segment '{segment}' is not allowed (the SPIFFE "
        "ID standard forbids '.' and '..' segments; name the workload's path as it is)"]


@pytest.mark.parametrize("path", ["/ns//x", "/ns/x/", "/"])
def test_spiffe_empty_segments_are_refused(path):
    agent = valid_agent()
    agent["trust"] = [{"spiffe": {"trust_domain": "example.org", "path": path, "acm_pca_arn":
                                  "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/1234abcd-12ab-34cd-56ef-1234567890ab"}}]
    assert [e.split(": ", 1)[1] for e in errors_of({"agents": [agent]})] == [
        f"agents[0].trust[0].spiffe.path: '{path}' is not a SPIFFE path: /SEGMENT[/SEGMENT...] of A-Z a-z 0-9 . - _, "
        "no empty segment, no trailing '/', no wildcards"]


@pytest.mark.parametrize("path", ["/ns/a.b/sa/x..y", "/.well", "/a/..b"])
def test_dots_inside_a_segment_pass(path):
    agent = valid_agent()
    agent["trust"] = [{"spiffe": {"trust_domain": "example.org", "path": path, "acm_pca_arn":
                                  "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/1234abcd-12ab-34cd-56ef-1234567890ab"}}]
    assert errors_of({"agents": [agent]}) == []


def test_a_value_fitting_no_member_of_a_union_is_one_line():
    agent = valid_agent()
    agent["tools"] = [{"name": "t", "aws": {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"],
                                            "conditions": {"StringEquals": {"aws:PrincipalTag/team": {"a": 1}}}}}]
    assert [e.split(": ", 1)[1] for e in errors_of({"agents": [agent]})] == [
        "agents[0].tools[0].aws.conditions.StringEquals.aws:PrincipalTag/team: expected one of: text; a list; "
        "true or false; a whole number (found a mapping)"]


@pytest.mark.parametrize("resource, message", [
    ("//storage.googleapis.com/projects/_/buckets/ab",
     "'ab' is not a valid bucket name: 3-63 of a-z, 0-9, '_', '.', '-', starting and ending with a letter or digit"),
    ("//cloudresourcemanager.googleapis.com/projects/p1",
     "'p1' is not a valid project id: 6-30 of a-z, 0-9, '-', starting with a letter, not ending with '-'"),
    ("//bigquery.googleapis.com/projects/ab/datasets/sales",
     "'ab' in //bigquery.googleapis.com/projects/ab/datasets/sales is not a project id: 6-30 of a-z, 0-9, '-', "
     "starting with a letter, not ending with '-'"),
])
def test_a_short_bucket_or_project_name_says_what_the_name_must_be(resource, message):
    agent = valid_agent()
    agent["tools"] = [{"name": "t", "gcp": {"roles": ["roles/storage.objectViewer"], "resource": resource}}]
    assert [e.split(": ", 1)[1] for e in errors_of({"agents": [agent]})] == [f"agents[0].tools[0].gcp.resource: {message}"]


@pytest.mark.parametrize("value, shown", [
    ("2031-01-01T00:00:00Z", "'2031-01-01T00:00:00Z'"),  # red5: a timestamp passed as the date of its day
    ("2031-01-01 00:00:00", "'2031-01-01 00:00:00'"),
    ("20310101", "'20310101'"),
    (20310101, "'20310101'"),
])
def test_review_by_is_a_calendar_date_not_a_timestamp(value, shown):
    assert [e.split(": ", 1)[1] for e in agent_errors(review_by=value)] == [
        f"agents[0].review_by: {shown} is not a date: write YYYY-MM-DD, e.g. 2027-06-30"]


def test_a_calendar_date_passes_and_an_impossible_day_is_refused():
    assert agent_errors(review_by="2031-01-01") == []
    assert "is not a date" in agent_errors(review_by="2031-02-30")[0]


def test_every_date_field_of_the_spec_is_a_calendar_date():
    """The whole kind: no date field of the agent or platform spec accepts a timestamp in lax mode."""
    import datetime as dt
    loose = []
    for model, name, field, base in _spec_fields():
        if field.annotation is dt.date or dt.date in base:
            if not any(type(m).__name__ == "BeforeValidator" for m in field.metadata):
                loose.append(f"{model.__name__}.{name}")
    assert loose == []
