"""Redshift endpoint / datashare authorizations and VPC endpoint service principals, over gRPC (red9a #14).

A Redshift EndpointAuthorization for another account lets it create endpoints into the cluster; a datashare
authorization lets it read the shared tables; an endpoint service principal connects to the service from its own VPCs.
Another account is judged as every other permission resource's grantee (AGID-AWS-050: only accounts known to be own
pass, here the ownAccountIds the gate sets); `*` on an endpoint service is every account (AGID-AWS-041).
"""

from __future__ import annotations

from tests.policy.pack_cases import flagged_names

OWN = "123456789012"
FOREIGN = "999999999999"
AUTHORIZATION = "aws:redshift/endpointAuthorization:EndpointAuthorization"
DATASHARE = "aws:redshift/dataShareAuthorization:DataShareAuthorization"
SERVICE_PRINCIPAL = "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple"
SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
SHARE_ARN = f"arn:aws:redshift:eu-west-1:{OWN}:datashare:0123abcd-0000-4000-8000-000000000001/sales"


def grants(account: str) -> list[tuple[str, dict]]:
    return [(AUTHORIZATION, {"account": account, "clusterIdentifier": "dw"}),
            (DATASHARE, {"consumerIdentifier": account, "dataShareArn": SHARE_ARN}),
            (SERVICE_PRINCIPAL, {"vpcEndpointServiceId": "vpce-svc-1", "principalArn": f"arn:aws:iam::{account}:root"}),
            (SERVICE, {"acceptanceRequired": False, "networkLoadBalancerArns": ["arn:aws:elasticloadbalancing:x"],
                       "allowedPrincipals": [f"arn:aws:iam::{account}:root"]})]


def test_a_foreign_account_is_a_mandatory_violation_and_an_own_one_passes(pack) -> None:
    pack.configure({"AGID-AWS-050": {"ownAccountIds": [OWN]}})
    try:
        for type_, props in grants(FOREIGN):
            assert flagged_names(pack, "AGID-AWS-050", (type_, "share", props), "mandatory") == ["share"], type_
        for type_, props in grants(OWN):
            assert flagged_names(pack, "AGID-AWS-050", (type_, "share", props)) == [], type_
    finally:
        pack.configure({})


def test_every_account_on_an_endpoint_service_is_public(pack) -> None:
    for type_, props in ((SERVICE_PRINCIPAL, {"vpcEndpointServiceId": "vpce-svc-1", "principalArn": "*"}),
                         (SERVICE, {"acceptanceRequired": False, "allowedPrincipals": ["*"]})):
        assert flagged_names(pack, "AGID-AWS-041", (type_, "svc", props), "mandatory") == ["svc"], type_
    assert flagged_names(pack, "AGID-AWS-041", (SERVICE, "svc", {"acceptanceRequired": True})) == []
    assert flagged_names(pack, "AGID-AWS-041", (SERVICE_PRINCIPAL, "svc", {
        "vpcEndpointServiceId": "vpce-svc-1", "principalArn": f"arn:aws:iam::{OWN}:root"})) == []
