"""red20 r20-4 end to end: `agentid preview` blocks a literal, however weak, in an input the provider marks secret
(AGID-GCP-034: Cloud SQL and AlloyDB users; AGID-AZ-025: a Cosmos DB Mongo user), and passes the same inputs given a config secret, `Output.secret` of a
config value, or a generated (unknown) value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

PROGRAM = '''
import pulumi, pulumi_gcp as gcp
cfg = pulumi.Config()
pw = cfg.require_secret("dbpass")
gcp.sql.User("sql-literal", instance="i", name="app", password="changeme", project="acme-dev")
gcp.alloydb.User("alloydb-literal", cluster="projects/acme-dev/locations/us/clusters/c", user_id="admin2",
                 user_type="ALLOYDB_BUILT_IN", password="password", database_roles=["alloydbsuperuser"])
gcp.sql.User("sql-config-secret", instance="i", name="app2", password=pw, project="acme-dev")
gcp.sql.User("sql-output-secret", instance="i", name="app3", password=pulumi.Output.secret(pw), project="acme-dev")
inst = gcp.sql.DatabaseInstance("inst", database_version="POSTGRES_16", region="europe-west1",
                                settings={"tier": "db-f1-micro"})
gcp.sql.User("sql-unknown", instance="i", name="app4", password=inst.self_link, project="acme-dev")
'''


def preview(directory: Path, program: str) -> tuple[int, list[dict], str]:
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text(
        "config:\n  gcp:project: acme-dev\n  acme:dbpass:\n    secure: AAABAGhlbGxvd29ybGRoZWxsb3dvcmxkaGVsbG8=\n")
    (directory / "__main__.py").write_text(program)
    run = run_cli(directory, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json",
                  "--strict-unknowns", "--own-gcp-project", "acme-dev")
    assert run.code in (0, 1), run.stdout + run.stderr
    return run.code, json.loads((directory / "out.json").read_text())["violations"], run.stdout + run.stderr


def test_gcp_database_user_passwords_block_by_field(tmp_path):
    code, violations, output = preview(tmp_path / "gcp", PROGRAM)
    assert code == 1, output
    found = sorted((v["policy"], v["resourceName"], v["enforcementLevel"]) for v in violations
                   if v["policy"] in ("AGID-GCP-034", "AGID-GEN-004"))
    assert found == [("AGID-GCP-034", "alloydb-literal", "mandatory"),
                     ("AGID-GCP-034", "sql-literal", "mandatory")], output


AZURE = '''
import pulumi, pulumi_azure_native as az
pw = pulumi.Config().require_secret("dbpass")
BASE = dict(account_name="acc", resource_group_name="rg", database_name="admin", mechanisms="SCRAM-SHA-256",
            roles=[az.cosmosdb.RoleArgs(db="admin", role="root")])
az.cosmosdb.MongoDBResourceMongoUserDefinition("mongo-literal", user_name="root2", password="admin123", **BASE)
az.cosmosdb.MongoDBResourceMongoUserDefinition("mongo-config-secret", user_name="root3", password=pw, **BASE)
az.cosmosdb.MongoDBResourceMongoUserDefinition("mongo-output-secret", user_name="root4",
                                               password=pulumi.Output.secret(pw), **BASE)
acc = az.cosmosdb.DatabaseAccount("acc", resource_group_name="rg", database_account_offer_type="Standard",
                                  locations=[az.cosmosdb.LocationArgs(location_name="westeurope")])
az.cosmosdb.MongoDBResourceMongoUserDefinition("mongo-unknown", user_name="root5", password=acc.document_endpoint,
                                               **BASE)
'''


def test_cosmos_mongo_user_password_blocks_by_field(tmp_path):
    code, violations, output = preview(tmp_path / "azure", AZURE)
    assert code == 1, output
    found = sorted((v["policy"], v["resourceName"], v["enforcementLevel"]) for v in violations
                   if v["policy"] in ("AGID-AZ-025", "AGID-GEN-004"))
    assert found == [("AGID-AZ-025", "mongo-literal", "mandatory")], output
