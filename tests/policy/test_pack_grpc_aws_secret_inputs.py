"""AGID-AWS-007 on every AWS input that holds a credential, over gRPC (red9a #25, #20).

A literal admin password, private key or API key typed into the program is in the source, the state and every
preview: red9a found them passing on Directory Service, OpenSearch, MQ, Glue, DMS, IAM server certificates and
EventBridge connections. Look-alikes that must pass: no password (manageMasterUserPassword), a value unknown at
preview (generated or read from Secrets Manager), the gate's placeholder for an encrypted config secret, an OpenSearch
master user given as an IAM ARN, Glue connection properties naming a Secrets Manager secret, an EventBridge header
holding no secret. The values are made up here (no real credential).
"""

from __future__ import annotations

from agentid.mock_engine import UNKNOWN
from agentid_policy_packs.rules.aws_literal_secret import PLACEHOLDER
from tests.policy.pack_cases import flagged_names
from tests.policy.test_pack_grpc import urn

PASSWORD = "Winter2026!" + "Secret#9"
PRIVATE_KEY = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98Zj\n-----END RSA " + "PRIVATE KEY-----"  # a fake, built in pieces
STRIPE = "sk_live_" + "51HqLyjWDarjtT1zdp7dcXYZabcdef0123456789"

FLAGGED = [
    ("aws:rds/instance:Instance", {"instanceClass": "db.t3.micro", "engine": "postgres", "username": "app",
                                   "password": PASSWORD}),
    ("aws:rds/cluster:Cluster", {"engine": "aurora-postgresql", "masterUsername": "app", "masterPassword": PASSWORD}),
    ("aws:redshift/cluster:Cluster", {"clusterIdentifier": "dw", "nodeType": "ra3.xlplus", "masterUsername": "app",
                                      "masterPassword": PASSWORD}),
    ("aws:directoryservice/directory:Directory", {"name": "corp.example.com", "password": PASSWORD,
                                                  "type": "MicrosoftAD"}),
    ("aws:opensearch/domain:Domain", {"domainName": "logs", "advancedSecurityOptions": {
        "enabled": True, "internalUserDatabaseEnabled": True,
        "masterUserOptions": {"masterUserName": "admin", "masterUserPassword": PASSWORD}}}),
    ("aws:mq/broker:Broker", {"brokerName": "b", "engineType": "ActiveMQ", "users": [
        {"username": "admin", "password": PASSWORD, "consoleAccess": True}]}),
    ("aws:glue/connection:Connection", {"name": "c", "connectionProperties": {
        "JDBC_CONNECTION_URL": "jdbc:postgresql://db:5432/x", "USERNAME": "admin", "PASSWORD": PASSWORD}}),
    ("aws:dms/endpoint:Endpoint", {"endpointId": "e", "endpointType": "source", "engineName": "postgres",
                                   "username": "admin", "password": PASSWORD}),
    ("aws:iam/serverCertificate:ServerCertificate", {"certificateBody": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END "
                                                     "CERTIFICATE-----", "privateKey": PRIVATE_KEY}),
    ("aws:cloudwatch/eventConnection:EventConnection", {"authorizationType": "API_KEY", "authParameters": {
        "apiKey": {"key": "x-api-key", "value": STRIPE}}}),
    ("aws:cloudwatch/eventConnection:EventConnection", {"authorizationType": "BASIC", "authParameters": {
        "basic": {"username": "admin", "password": PASSWORD}}}),
    ("aws:cloudwatch/eventConnection:EventConnection", {"authorizationType": "OAUTH_CLIENT_CREDENTIALS",
                                                        "authParameters": {"oauth": {
        "authorizationEndpoint": "https://auth.example.com/token", "httpMethod": "POST",
        "clientParameters": {"clientId": "app", "clientSecret": PASSWORD}}}}),
    ("aws:cloudwatch/eventConnection:EventConnection", {"authorizationType": "API_KEY", "authParameters": {
        "apiKey": {"key": "x-api-key", "value": UNKNOWN},
        "invocationHttpParameters": {"headers": [{"key": "Authorization", "value": STRIPE, "isValueSecret": True}]}}}),
    ("aws:elasticache/user:User", {"userId": "u", "userName": "u", "engine": "redis", "accessString": "on ~* +@all",
                                   "passwords": [PASSWORD]}),
]


def test_each_literal_credential_is_a_mandatory_violation(pack) -> None:
    for index, (type_, props) in enumerate(FLAGGED):
        name = f"r{index}"
        assert flagged_names(pack, "AGID-AWS-007", (type_, name, props), "mandatory") == [name], (type_, props)


def messages(pack, type_: str, name: str, props: dict) -> list[str]:
    """The AGID-AWS-007 messages the pack gives one resource (a resource policy: Analyze)."""
    return [d.message for d in pack.analyze(type_, name, urn(type_, name), props) if d.policy_name == "AGID-AWS-007"]


def test_the_finding_names_the_input_and_never_the_value(pack) -> None:
    [broker] = messages(pack, "aws:mq/broker:Broker", "mq", FLAGGED[5][1])
    [certificate] = messages(pack, "aws:iam/serverCertificate:ServerCertificate", "cert", FLAGGED[8][1])
    assert "mq: users[0].password holds a literal secret (the field is a secret by type)" in broker
    assert "cert: privateKey holds a literal secret" in certificate
    assert PASSWORD not in broker and "MIIEow" not in certificate


LOOK_ALIKES = [
    ("aws:rds/instance:Instance", {"instanceClass": "db.t3.micro", "engine": "postgres", "username": "app",
                                   "manageMasterUserPassword": True}),
    ("aws:rds/instance:Instance", {"instanceClass": "db.t3.micro", "engine": "postgres", "username": "app",
                                   "password": UNKNOWN}),  # random.RandomPassword / a Secrets Manager read
    ("aws:rds/cluster:Cluster", {"engine": "aurora-postgresql", "masterUsername": "app", "masterPassword": PLACEHOLDER}),
    ("aws:opensearch/domain:Domain", {"domainName": "logs", "advancedSecurityOptions": {
        "enabled": True, "masterUserOptions": {"masterUserArn": "arn:aws:iam::123456789012:role/search-admin"}}}),
    ("aws:mq/broker:Broker", {"brokerName": "b", "engineType": "RabbitMQ", "users": [
        {"username": "admin", "password": UNKNOWN}]}),
    ("aws:glue/connection:Connection", {"name": "c", "connectionProperties": {
        "JDBC_CONNECTION_URL": "jdbc:postgresql://db:5432/x", "SECRET_ID": "prod/glue/db"}}),
    ("aws:cloudwatch/eventConnection:EventConnection", {"authorizationType": "API_KEY", "authParameters": {
        "apiKey": {"key": "x-api-key", "value": UNKNOWN},
        "invocationHttpParameters": {"headers": [{"key": "Content-Type", "value": "application/json"}]}}}),
    ("aws:iam/serverCertificate:ServerCertificate", {"certificateBody": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END "
                                                     "CERTIFICATE-----", "privateKey": UNKNOWN}),
]


def test_look_alikes_without_a_literal_pass(pack) -> None:
    for index, (type_, props) in enumerate(LOOK_ALIKES):
        assert flagged_names(pack, "AGID-AWS-007", (type_, f"ok{index}", props)) == [], (type_, props)


def test_a_credential_input_of_the_wrong_shape_cannot_be_judged(pack) -> None:
    [message] = messages(pack, "aws:mq/broker:Broker", "mq", {"brokerName": "b", "engineType": "ActiveMQ",
                                                              "users": {"admin": PASSWORD}})
    assert message.endswith("\n[static-credential] mq: users is not a list, so whether it holds a literal secret "
                            "cannot be judged")
