"""red9a's AWS bypasses end to end: `agentid preview` with the shipped CI flags blocks each of them, and the
look-alike in the same program passes. One program a test; the pack-level shapes are in tests/policy."""

from __future__ import annotations

import pytest

from agentid.mock_provider import MOCK_TENANT
from tests.policy.saml_fixtures import certificate, metadata

from .conftest import AGENT_GUARD, run_cli
from .test_azure_red7b_gate import blocked, failed_report, mandatory
from .test_gate_integrity import GUARD, by_policy, write_small

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

LITERAL_CREDENTIALS = '''
import pulumi_aws as aws
PW = "Winter2026!" + "Secret#9"
aws.directoryservice.Directory("ad", name="corp.example.com", password=PW, size="Small", type="MicrosoftAD",
                               vpc_settings={"vpc_id": "vpc-1", "subnet_ids": ["subnet-1", "subnet-2"]})
aws.mq.Broker("mq", broker_name="b", engine_type="ActiveMQ", engine_version="5.17.6", host_instance_type="mq.t3.micro",
              users=[{"username": "admin", "password": PW, "console_access": True}])
aws.cloudwatch.EventConnection("conn", authorization_type="BASIC",
                               auth_parameters={"basic": {"username": "admin", "password": PW}})
# look-alikes: RDS manages the password in Secrets Manager; Glue reads it from a secret
aws.rds.Instance("db", instance_class="db.t3.micro", engine="postgres", username="app", allocated_storage=20,
                 manage_master_user_password=True)
aws.glue.Connection("gconn", name="c", connection_properties={"JDBC_CONNECTION_URL": "jdbc:postgresql://db:5432/x",
                                                              "SECRET_ID": "prod/glue/db"})
'''


def test_literal_passwords_in_credential_inputs_block(project) -> None:
    assert blocked(project, LITERAL_CREDENTIALS, "AGID-AWS-007") == ["ad", "conn", "mq"]



SSH_KEYS = '''
import json, pulumi_aws as aws
trust = lambda service: json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
glue = aws.iam.Role("glue-role", assume_role_policy=trust("glue.amazonaws.com"))
aws.glue.DevEndpoint("dev", role_arn=glue.arn, public_keys=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest contractor"])
ec2 = aws.iam.Role("ec2-role", assume_role_policy=trust("ec2.amazonaws.com"))
profile = aws.iam.InstanceProfile("prof", role=ec2.name)
kp = aws.ec2.KeyPair("kp", public_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest contractor")
aws.ec2.Instance("vm", ami="ami-12345678", instance_type="t3.micro", key_name=kp.key_name, iam_instance_profile=profile.name)
# look-alikes: the same instance reached by Session Manager (no key); a dev endpoint without keys
aws.ec2.Instance("vm-ssm", ami="ami-12345678", instance_type="t3.micro", iam_instance_profile=profile.name)
aws.glue.DevEndpoint("dev-nokey", role_arn=glue.arn)
'''


def test_ssh_keys_into_hosts_holding_a_role_block(project) -> None:
    assert blocked(project, SSH_KEYS, "AGID-AWS-045") == ["dev", "kp", "vm"]



IOT_CREDENTIALS = '''
import json, pulumi_aws as aws
role = aws.iam.Role("iot-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "credentials.iot.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
alias = aws.iot.RoleAlias("ra", alias="agent", role_arn=role.arn)
cert = aws.iot.Certificate("cert", active=True)
def policy(resource):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                       "Action": "iot:AssumeRoleWithCertificate", "Resource": resource}]})
anyalias = aws.iot.Policy("any-alias", policy=policy("*"))
aws.iot.PolicyAttachment("any-att", policy=anyalias.name, target=cert.arn)
# look-alike: the one alias by ARN
one = aws.iot.Policy("one-alias", policy=alias.arn.apply(policy))
aws.iot.PolicyAttachment("one-att", policy=one.name, target=cert.arn)
'''


def test_an_iot_policy_handing_certificates_any_role_alias_blocks(project) -> None:
    assert blocked(project, IOT_CREDENTIALS, "AGID-AWS-059") == ["any-alias"]


def saml_program(entity_id: str) -> str:
    return f'''
import json, pulumi_aws as aws
sp = aws.iam.SamlProvider("saml", saml_metadata_document={metadata(entity_id, certificate())!r})
def trust(arn, audience=None):
    statement = {{"Effect": "Allow", "Principal": {{"Federated": arn}}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]}}
    if audience:
        statement["Condition"] = {{"StringEquals": {{"SAML:aud": audience}}}}
    return json.dumps({{"Version": "2012-10-17", "Statement": [statement]}})
aws.iam.Role("saml-role", assume_role_policy=sp.arn.apply(trust))
aws.iam.Role("saml-role-pinned", assume_role_policy=sp.arn.apply(lambda a: trust(a, "https://signin.aws.amazon.com/saml")))
'''


def test_a_saml_provider_for_an_unvetted_idp_and_a_role_trusting_it_without_audience_block(project) -> None:
    report = failed_report(project, saml_program("https://idp.evil.example.net"))
    assert mandatory(report, "AGID-GEN-003") == ["saml"]
    assert mandatory(report, "AGID-AWS-031") == ["saml-role"]  # the pinned role passes


def test_a_saml_provider_of_the_stack_s_own_entra_tenant_passes(project) -> None:
    report = failed_report(project, saml_program(f"https://sts.windows.net/{MOCK_TENANT}/"))
    assert mandatory(report, "AGID-GEN-003") == []
    assert mandatory(report, "AGID-AWS-031") == ["saml-role"]


COGNITO_SIGN_UP = '''
import pulumi_aws as aws
def identity_pool(name, admin_only):
    up = aws.cognito.UserPool(f"{name}-up", admin_create_user_config={"allow_admin_create_user_only": admin_only})
    upc = aws.cognito.UserPoolClient(f"{name}-upc", user_pool_id=up.id, explicit_auth_flows=["ALLOW_USER_SRP_AUTH"])
    aws.cognito.IdentityPool(f"{name}-ip", identity_pool_name=name, allow_unauthenticated_identities=False,
                             cognito_identity_providers=[{"client_id": upc.id, "provider_name": up.endpoint}])
identity_pool("open", False)
identity_pool("closed", True)  # look-alike: users are created by an administrator
'''


def test_an_identity_pool_over_a_self_sign_up_user_pool_blocks(project) -> None:
    assert blocked(project, COGNITO_SIGN_UP, "AGID-AWS-060") == ["open-ip"]



EXISTING_USER_POOL = '''
import pulumi, pulumi_aws as aws
closed = aws.cognito.UserPool("closed", admin_create_user_config={"allow_admin_create_user_only": True})
upc = aws.cognito.UserPoolClient("closed-upc", user_pool_id=closed.id)
OPEN = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OPEN"  # an existing pool anyone signs up to
aws.cognito.IdentityPool("vouched", identity_pool_name="vouched", allow_unauthenticated_identities=False,
                         cognito_identity_providers=[{"provider_name": OPEN, "client_id": "x"}],
                         opts=pulumi.ResourceOptions(depends_on=[closed]))
aws.cognito.IdentityPool("bare", identity_pool_name="bare", allow_unauthenticated_identities=False,
                         cognito_identity_providers=[{"provider_name": OPEN, "client_id": "x"}])
aws.cognito.IdentityPool("hidden", identity_pool_name="hidden", allow_unauthenticated_identities=False,
                         cognito_identity_providers=[{"provider_name": closed.arn.apply(lambda _: OPEN), "client_id": "x"}])
# look-alike: the stack's own closed pool, by its endpoint Output
aws.cognito.IdentityPool("own", identity_pool_name="own", allow_unauthenticated_identities=False,
                         cognito_identity_providers=[{"provider_name": closed.endpoint, "client_id": upc.id}])
'''


def test_an_identity_pool_over_a_user_pool_the_stack_does_not_define_blocks_whatever_it_depends_on(project) -> None:
    """issue 11: the existing open pool passed as the stack's closed pool it depends on (or was never judged)."""
    assert blocked(project, EXISTING_USER_POOL, "AGID-AWS-060") == ["bare", "hidden", "vouched"]


SOCIAL_IDP_LINKS = '''
import pulumi, pulumi_aws as aws
decoy = aws.s3.BucketV2("decoy")
def identity_pool(name):
    up = aws.cognito.UserPool(f"{name}-up", admin_create_user_config={"allow_admin_create_user_only": True})
    upc = aws.cognito.UserPoolClient(f"{name}-upc", user_pool_id=up.id, supported_identity_providers=["COGNITO", "Google"])
    aws.cognito.IdentityPool(f"{name}-ip", identity_pool_name=name, allow_unauthenticated_identities=False,
                             cognito_identity_providers=[{"provider_name": up.endpoint, "client_id": upc.id}])
    return up, upc
google = {"client_id": "1.apps.googleusercontent.com", "client_secret": "x", "authorize_scopes": "openid"}
_, upc = identity_pool("fed")
# the stack pool's Google IdP, by its app client's user_pool_id Output, beside a decoy depends_on
aws.cognito.IdentityProvider("fed-google", user_pool_id=upc.user_pool_id, provider_name="Google", provider_type="Google",
                             provider_details=google, opts=pulumi.ResourceOptions(depends_on=[decoy]))
# look-alike: a Google IdP of an EXISTING pool (its id a literal) that merely depends on the stack's closed pool
up, _ = identity_pool("own")
aws.cognito.IdentityProvider("other-google", user_pool_id="eu-west-1_EXISTING1", provider_name="Google",
                             provider_type="Google", provider_details=google, opts=pulumi.ResourceOptions(depends_on=[up]))
'''


def test_a_social_idp_is_judged_on_the_user_pool_its_user_pool_id_names(project) -> None:
    """issue 11: the IdP's pool was found through its dependencies (depends_on), not its user_pool_id."""
    assert blocked(project, SOCIAL_IDP_LINKS, "AGID-AWS-060") == ["fed-ip"]

ENDPOINT_SHARING = '''
import pulumi_aws as aws
aws.redshift.EndpointAuthorization("rsauth", account="999999999999", cluster_identifier="c1")
aws.ec2.VpcEndpointServiceAllowedPrinciple("vpces-all", vpc_endpoint_service_id="vpce-svc-1", principal_arn="*")
# look-alike: an endpoint service naming no principal (nobody may connect until allowed)
aws.ec2.VpcEndpointService("svc", acceptance_required=True,
                           network_load_balancer_arns=["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/n/1"])
'''


def test_redshift_endpoint_authorization_to_another_account_and_a_public_endpoint_service_block(project) -> None:
    report = failed_report(project, ENDPOINT_SHARING)
    assert mandatory(report, "AGID-AWS-050") == ["rsauth"]
    assert mandatory(report, "AGID-AWS-041") == ["vpces-all"]


SSO_ASSIGNMENTS = '''
import pulumi_aws as aws
INST = "arn:aws:sso:::instance/ssoins-1111111111111111"
EXISTING = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa"
def assign(name, arn):
    aws.ssoadmin.AccountAssignment(name, instance_arn=INST, permission_set_arn=arn, principal_id="u-1234",
                                   principal_type="USER", target_id="123456789012", target_type="AWS_ACCOUNT")
assign("adm", EXISTING)
ps = aws.ssoadmin.PermissionSet("ps", instance_arn=INST, name="AgentOps", session_duration="PT1H")
aws.ssoadmin.CustomerManagedPolicyAttachment("cmp", instance_arn=INST, permission_set_arn=ps.arn,
                                             customer_managed_policy_reference={"name": "OrgAdmin", "path": "/"})
assign("ops", ps.arn)  # look-alike: the stack's own permission set
'''


def test_sso_assignments_of_unseen_permission_sets_and_policies_cannot_be_checked(project) -> None:
    write_small(project, SSO_ASSIGNMENTS)
    run = run_cli(project, *GUARD, "--strict-unknowns", "--require-sandbox", "--json", "out.json")
    found = sorted(v["resourceName"] for v in by_policy(run.json("out.json"), "AGID-AWS-015"))
    assert found == ["adm", "cmp"], run.stdout  # advisory "cannot check", as every unseen customer policy


CODEBUILD_PULL_REQUESTS = '''
import json, pulumi_aws as aws
role = aws.iam.Role("cb-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
project = aws.codebuild.Project("cb", service_role=role.arn, artifacts={"type": "NO_ARTIFACTS"},
    environment={"compute_type": "BUILD_GENERAL1_SMALL", "image": "aws/codebuild/standard:7.0", "type": "LINUX_CONTAINER"},
    source={"type": "GITHUB", "location": "https://github.com/acme/public-repo.git"})
PRS = {"type": "EVENT", "pattern": "PULL_REQUEST_CREATED,PULL_REQUEST_UPDATED,PULL_REQUEST_REOPENED"}
aws.codebuild.Webhook("anyone", project_name=project.name, filter_groups=[{"filters": [PRS]}])
# look-alike: only the team's GitHub accounts
aws.codebuild.Webhook("team", project_name=project.name, filter_groups=[{"filters": [
    PRS, {"type": "ACTOR_ACCOUNT_ID", "pattern": "^(1234567|7654321)$"}]}])
'''


def test_a_codebuild_webhook_building_anyone_s_pull_requests_blocks(project) -> None:
    assert blocked(project, CODEBUILD_PULL_REQUESTS, "AGID-AWS-061") == ["anyone"]
