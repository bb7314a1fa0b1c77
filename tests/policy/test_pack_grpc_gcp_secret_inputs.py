"""AGID-GCP-034 over gRPC: a literal in a Google Cloud input the provider marks secret (red20 r20-4).

`gcp.sql.User(password="changeme")` and `gcp.alloydb.User(password="password")` passed: only AGID-GEN-004's value
heuristic read them, and the weakest passwords look least like secrets. The field says it is a secret (pulumi-gcp
marks it, analysis/sdk_secret_inputs.yaml), so any known value is flagged, by the field. Look-alikes that pass: the
same input from a config secret (the gate's placeholder), a value the engine marked secret (Output.secret of a
config value under `pulumi preview`), a value unknown at preview (random.RandomPassword), no password at all (IAM
database authentication), and an input the provider marks secret that holds no credential (a public certificate).
The values are made up (no real credential).
"""

from __future__ import annotations

import pytest

from agentid.mock_engine import UNKNOWN
from agentid_policy_packs.rules.aws_literal_secret import PLACEHOLDER
from tests.policy.pack_cases import flagged_names
from tests.policy.test_pack_grpc import urn

SIG, SECRET = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
RULE = "AGID-GCP-034"
SQL_USER = "gcp:sql/user:User"
ALLOYDB_USER = "gcp:alloydb/user:User"
SQL_USER_BASE = {"instance": "i", "name": "app", "project": "acme-dev"}
ALLOYDB_BASE = {"cluster": "projects/acme-dev/locations/us/clusters/c", "userId": "admin2",
                "userType": "ALLOYDB_BUILT_IN", "databaseRoles": ["alloydbsuperuser"]}

FLAGGED = {
    "sql-user-changeme": (SQL_USER, {**SQL_USER_BASE, "password": "changeme"}, "password"),
    "sql-user-write-only": (SQL_USER, {**SQL_USER_BASE, "passwordWo": "hunter2hunter2", "passwordWoVersion": "1"},
                            "passwordWo"),
    "alloydb-superuser": (ALLOYDB_USER, {**ALLOYDB_BASE, "password": "password"}, "password"),
    "sql-instance-root": ("gcp:sql/databaseInstance:DatabaseInstance",
                          {"databaseVersion": "SQLSERVER_2019_STANDARD", "rootPassword": "letmein!",
                           "settings": {"tier": "db-custom-2-7680"}}, "rootPassword"),
    "sql-replica-password": ("gcp:sql/databaseInstance:DatabaseInstance",
                             {"databaseVersion": "MYSQL_8_0", "masterInstanceName": "m",
                              "replicaConfiguration": {"username": "repl", "password": "aaaaaaaaaaaaaaaa"}},
                             "replicaConfiguration.password"),
    "sql-source-representation": ("gcp:sql/sourceRepresentationInstance:SourceRepresentationInstance",
                                  {"databaseVersion": "MYSQL_8_0", "host": "10.0.0.2", "username": "u",
                                   "password": "admin123"}, "password"),
    "vpn-shared-secret": ("gcp:compute/vPNTunnel:VPNTunnel", {"peerIp": "203.0.113.1", "sharedSecret": "changeme"},
                          "sharedSecret"),
    "netapp-ad": ("gcp:netapp/activeDirectory:ActiveDirectory", {"domain": "corp.example", "dns": "10.0.0.2",
                  "netBiosPrefix": "smb", "username": "admin", "password": "changeme", "location": "us-east4"},
                  "password"),
    "composer-secret": ("gcp:composer/userWorkloadsSecret:UserWorkloadsSecret",
                        {"environment": "e", "data": {"password": "Y2hhbmdlbWU="}}, "data.password"),
    "bucket-csek": ("gcp:storage/bucketObject:BucketObject",
                    {"bucket": "b", "name": "o", "content": "hello",
                     "customerEncryption": {"encryptionKey": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}},
                    "customerEncryption.encryptionKey"),
}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_a_literal_in_a_secret_input_is_flagged_by_the_field(pack, case) -> None:
    type_, props, path = FLAGGED[case]
    diags = [d for d in pack.analyze(type_, case, urn(type_, case), props) if d.policy_name in (RULE, "AGID-GEN-004")]
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(RULE, "mandatory")], [d.message for d in diags]
    assert f"{case}: {path} holds a literal secret (the field is a secret by type)" in diags[0].message
    assert secret_value(props, path) not in diags[0].message.split(f"{case}: {path}", 1)[1]  # never shows the value


def secret_value(props, path: str) -> str:
    value = props
    for step in path.split("."):
        value = value[step]
    return value


def secret(value):
    return {SIG: SECRET, "value": value}


LOOK_ALIKES = {
    "sql-user-config-secret": (SQL_USER, {**SQL_USER_BASE, "password": PLACEHOLDER}),
    "sql-user-marked-secret": (SQL_USER, {**SQL_USER_BASE, "password": secret("changeme")}),
    "sql-user-unknown": (SQL_USER, {**SQL_USER_BASE, "password": UNKNOWN}),
    "sql-user-iam": (SQL_USER, {**SQL_USER_BASE, "name": "agent@acme-dev.iam", "type": "CLOUD_IAM_SERVICE_ACCOUNT"}),
    "alloydb-unknown": (ALLOYDB_USER, {**ALLOYDB_BASE, "password": UNKNOWN}),
    "alloydb-marked": (ALLOYDB_USER, {**ALLOYDB_BASE, "password": secret("password")}),
    "replica-unknown-password": ("gcp:sql/databaseInstance:DatabaseInstance",
                                 {"databaseVersion": "MYSQL_8_0", "masterInstanceName": "m",
                                  "replicaConfiguration": {"username": "repl", "password": UNKNOWN}}),
    "public-certificate": ("gcp:compute/sSLCertificate:SSLCertificate",
                           {"certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                            "privateKey": UNKNOWN}),
}


@pytest.mark.parametrize("case", sorted(LOOK_ALIKES))
def test_look_alikes_pass(pack, case) -> None:
    type_, props = LOOK_ALIKES[case]
    diags = pack.analyze(type_, case, urn(type_, case), props)
    assert [d.policy_name for d in diags if d.policy_name in (RULE, "AGID-GEN-004")] == [], [d.message for d in diags]


def test_an_input_of_another_shape_cannot_be_judged(pack) -> None:
    props = {**SQL_USER_BASE, "password": ["changeme"]}
    assert flagged_names(pack, RULE, (SQL_USER, "odd", props), "mandatory") == ["odd"]


NESTED = {
    "alloydb-cluster-initial-user": ("gcp:alloydb/cluster:Cluster",
                                     {"clusterId": "c", "location": "us-east1", "network": "n",
                                      "initialUser": {"user": "postgres", "password": "changeme"}},
                                     "initialUser.password"),
    "identity-platform-oidc": ("gcp:identityplatform/oauthIdpConfig:OauthIdpConfig",  # not marked by the schema
                               {"name": "oidc.corp", "issuer": "https://login.corp.example", "clientId": "app",
                                "clientSecret": "changeme"}, "clientSecret"),
    "datastream-postgres": ("gcp:datastream/connectionProfile:ConnectionProfile",
                            {"connectionProfileId": "p", "displayName": "p", "location": "us-east1",
                             "postgresqlProfile": {"hostname": "10.0.0.2", "username": "u", "database": "d",
                                                   "password": "password"}}, "postgresqlProfile.password"),
}


@pytest.mark.parametrize("case", sorted(NESTED))
def test_a_literal_in_a_nested_credential_input_is_flagged(pack, case) -> None:
    type_, props, path = NESTED[case]
    diags = [d for d in pack.analyze(type_, case, urn(type_, case), props) if d.policy_name in (RULE, "AGID-GEN-004")]
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(RULE, "mandatory")], [d.message for d in diags]
    assert f"{case}: {path} holds a literal secret (the field is a secret by type)" in diags[0].message


def test_nested_look_alikes_pass(pack) -> None:
    type_ = "gcp:datastream/connectionProfile:ConnectionProfile"
    for name, profile in (("stored", {"hostname": "h", "username": "u", "database": "d",
                                      "secretManagerStoredPassword": "projects/p/secrets/db/versions/1"}),
                          ("unknown", {"hostname": "h", "username": "u", "database": "d", "password": UNKNOWN})):
        props = {"connectionProfileId": "p", "displayName": "p", "location": "us-east1", "postgresqlProfile": profile}
        assert flagged_names(pack, RULE, (type_, name, props)) == [], name


def test_replica_password_is_one_finding(pack) -> None:  # named by `members` and by the nested derivation
    type_, props, _ = FLAGGED["sql-replica-password"]
    diags = [d for d in pack.analyze(type_, "r", urn(type_, "r"), props) if d.policy_name == RULE]
    assert len(diags) == 1 and diags[0].message.count("replicaConfiguration.password holds") == 1
