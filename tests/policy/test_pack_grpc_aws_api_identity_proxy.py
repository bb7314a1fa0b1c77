"""AGID-AWS-058 over gRPC (red7b f14): an API Gateway AWS integration calling iam:CreateAccessKey (or any IAM/STS
write, or an identity-service `path/`) as a role blocks; one calling iam:GetUser (a read), S3 or a Lambda passes."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names

INTEGRATION = "aws:apigateway/integration:Integration"
ROLE = "arn:aws:iam::111122223333:role/api-admin"


def integration(uri: str, kind: str = "AWS") -> tuple:
    return (INTEGRATION, "proxy", {"restApi": "api", "resourceId": "r", "httpMethod": "POST", "type": kind,
                                   "integrationHttpMethod": "POST", "uri": uri, "credentials": ROLE})


@pytest.mark.parametrize("uri", ["arn:aws:apigateway:us-east-1:iam:action/CreateAccessKey",
                                 "arn:aws:apigateway:us-east-1:sts:action/AssumeRole",
                                 "arn:aws:apigateway:us-east-1:iam:path/2010-05-08/users"])
def test_an_api_proxying_identity_writes_blocks(pack, uri) -> None:
    assert flagged_names(pack, "AGID-AWS-058", integration(uri), "mandatory") == ["proxy"]


@pytest.mark.parametrize("uri,kind", [("arn:aws:apigateway:us-east-1:iam:action/GetUser", "AWS"),
                                      ("arn:aws:apigateway:us-east-1:s3:path/bucket/{key}", "AWS"),
                                      ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                                       "arn:aws:lambda:us-east-1:111122223333:function:f/invocations", "AWS_PROXY"),
                                      ("https://api.example.com/items", "HTTP_PROXY")])
def test_reads_other_services_and_lambda_pass(pack, uri, kind) -> None:
    assert flagged_names(pack, "AGID-AWS-058", integration(uri, kind)) == []
