"""`agentid revoke aws` against a real moto server: every form of an existing cutoff, AWS's clock, bad endpoints.

AWS reads a date condition value as ISO 8601 (with or without `Z`, an offset,
fractional seconds, or a bare date) or as epoch seconds, a number or a string
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date).
A cutoff already on the role is never moved back, whatever form it is written in.

moto's policy validator refuses some forms AWS accepts (JSON numbers, UTC
offsets, short epoch strings); for those the role holds the same instant in
ISO form and IAM's GetRolePolicy answer is rewritten to the form under test,
as AWS would send it back.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from agentid.aws_audit.clients import LiveAwsError
from agentid.revoke_aws import AWS_CLOCK, HOST_CLOCK, parse_cutoff, revoke_sessions
from agentid_components import naming
from agentid_components.loader import load_inventory
from tests.runtime.cli import agentid
from tests.runtime.test_revoke import DEV, create_role, iam, revoke_document

ROLE = naming.aws_role_name("report-builder")
UTC = dt.timezone.utc


def agent():
    return load_inventory(DEV).inventory.agent("report-builder")


def deny_before(value) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "RevokeOlderSessions", "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": value}}}]}


def put_cutoff(url: str, value):
    """Store a revoke deny with `value` on the role; returns (the document stored, a client that reads `value` back)."""
    client = iam(url)
    try:
        client.put_role_policy(RoleName=ROLE, PolicyName=naming.REVOKE_POLICY_NAME, PolicyDocument=json.dumps(deny_before(value)))
        return deny_before(value), client
    except ClientError as error:
        assert error.response["Error"]["Code"] == "MalformedPolicyDocument"
    stored = deny_before("2000-01-01T00:00:00Z")
    client.put_role_policy(RoleName=ROLE, PolicyName=naming.REVOKE_POLICY_NAME, PolicyDocument=json.dumps(stored))

    def as_aws_sends_it(parsed, **_):
        document = parsed.get("PolicyDocument")
        if isinstance(document, str):
            document = json.loads(urllib.parse.unquote(document))
        if document == stored:
            parsed["PolicyDocument"] = json.dumps(deny_before(value))
    client.meta.events.register("after-call.iam.GetRolePolicy", as_aws_sends_it)
    return stored, client


LATER_FORMS = [  # all 2099-01-01T00:00:00Z or just after: later than any run of this test
    ("2099-01-01T00:00:00Z", dt.datetime(2099, 1, 1, tzinfo=UTC)),
    ("2099-01-01T02:00:00+02:00", dt.datetime(2099, 1, 1, tzinfo=UTC)),
    ("2099-01-01T00:00:00.750Z", dt.datetime(2099, 1, 1, 0, 0, 0, 750000, tzinfo=UTC)),
    ("2099-01-01T00:00:00", dt.datetime(2099, 1, 1, tzinfo=UTC)),
    ("2099-01-01", dt.datetime(2099, 1, 1, tzinfo=UTC)),
    (4070908800, dt.datetime(2099, 1, 1, tzinfo=UTC)),
    ("4070908800", dt.datetime(2099, 1, 1, tzinfo=UTC)),
    (4070908800.5, dt.datetime(2099, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
    (["2001-01-01T00:00:00Z", "2099-01-01T00:00:00Z"], dt.datetime(2099, 1, 1, tzinfo=UTC)),
]
EARLIER_FORMS = ["2001-01-01T00:00:00Z", "2001-01-01T00:00:00-05:00", "2001-01-01T00:00:00.999999Z", "2001-01-01",
                 978307200, "978307200", 978307200.25]


@pytest.mark.parametrize("value, meaning", LATER_FORMS)
def test_every_form_of_a_later_cutoff_is_read_and_kept_untouched(value, meaning):
    assert parse_cutoff(value) == meaning


@pytest.mark.parametrize("value, meaning", LATER_FORMS)
def test_a_later_cutoff_on_the_role_is_never_moved_back(aws, value, meaning):
    create_role(aws, "report-builder")
    written, client = put_cutoff(aws, value)
    result = revoke_sessions(client, agent())
    assert result.action == "kept"
    assert revoke_document(aws, "report-builder") == written  # not even re-formatted (that could drop fractions)


@pytest.mark.parametrize("value", EARLIER_FORMS)
def test_an_earlier_cutoff_in_any_form_is_moved_forward(aws, value):
    create_role(aws, "report-builder")
    _, client = put_cutoff(aws, value)
    result = revoke_sessions(client, agent())
    assert result.action == "updated"
    assert parse_cutoff(result.cutoff) > dt.datetime(2020, 1, 1, tzinfo=UTC)
    assert revoke_document(aws, "report-builder")["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] == result.cutoff


@pytest.mark.parametrize("value", ["next tuesday", "2099-13-01T00:00:00Z", "", True, {"at": 1}, []])
def test_an_unreadable_cutoff_is_left_alone_with_a_clear_error(aws, value):
    create_role(aws, "report-builder")
    written, client = put_cutoff(aws, value)
    with pytest.raises(LiveAwsError) as refused:
        revoke_sessions(client, agent())
    assert str(refused.value).startswith(f"role {ROLE} already has {naming.REVOKE_POLICY_NAME} with a cutoff this tool "
                                         f"cannot read ({json.dumps(value)}): nothing was changed")
    assert revoke_document(aws, "report-builder") == written


def _date_header(client, change):
    """Make IAM's answers carry another Date, as if AWS's clock were elsewhere (moto's runs on this host)."""
    def rewrite(parsed, **_):
        headers = parsed.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        change(headers)
    client.meta.events.register("after-call.iam.GetRole", rewrite)
    return client


def test_the_cutoff_is_taken_from_aws_clock_not_the_hosts(aws):
    create_role(aws, "report-builder")
    aws_time = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(hours=3)  # this host runs 3 h slow
    client = _date_header(iam(aws), lambda h: h.__setitem__("date", email.utils.format_datetime(aws_time, usegmt=True)))
    result = revoke_sessions(client, agent())
    assert result.clock == AWS_CLOCK
    assert parse_cutoff(result.cutoff) == aws_time + dt.timedelta(seconds=1)  # whole seconds, rounded up


def test_without_a_date_header_the_host_clock_is_used_and_named(aws):
    create_role(aws, "report-builder")
    before = dt.datetime.now(UTC).replace(microsecond=0)
    result = revoke_sessions(_date_header(iam(aws), lambda h: h.pop("date", None)), agent())
    assert result.clock == HOST_CLOCK
    assert before <= parse_cutoff(result.cutoff) <= dt.datetime.now(UTC)


def test_the_cli_says_which_clock_it_used(aws):
    create_role(aws, "report-builder")
    result = agentid("revoke", "aws", "report-builder", "--inventory", str(DEV), "--endpoint-url", aws)
    assert result.returncode == 0, result.stderr
    assert f"  now was read from {AWS_CLOCK}\n" in result.stdout


@pytest.mark.parametrize("url", ["not a url", "http://", "ftp://iam.example.com", "http://[::1", "http://host:99999",
                                 "https://iam.amazonaws.com/\x1b[31m red", "127.0.0.1:5000"])
def test_a_malformed_endpoint_url_is_one_line(aws, url):
    result = agentid("revoke", "aws", "report-builder", "--inventory", str(DEV), "--endpoint-url", url)
    assert (result.returncode, result.stdout) == (2, "")
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: the endpoint URL '") and line.endswith(
        "' is malformed: write http(s)://HOST[:PORT], e.g. https://iam.amazonaws.com")
    assert "\x1b" not in line


def test_revoke_sessions_refuses_a_role_that_is_missing(aws):
    with pytest.raises(LiveAwsError, match="does not exist in this account"):
        revoke_sessions(iam(aws), agent())
