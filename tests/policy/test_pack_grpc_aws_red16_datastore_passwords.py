"""red16 r16-4 over gRPC: setting a data store's master / admin / user password or key (Redshift, Redshift
Serverless, DocumentDB elastic, Lightsail databases, OpenSearch master user, ElastiCache users and AUTH token,
MemoryDB users, Amazon MQ users, Transfer Family SSH keys) mints a static credential as rds:ModifyDBInstance does:
each is an AGID-AWS-020 escalation method now, also spelled with IAM wildcards; the read-only twin passes."""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import flagged_names

POLICY = "aws:iam/policy:Policy"

CASES = {
    "RedshiftModifyClusterMasterPassword": ["redshift:ModifyCluster"],
    "RedshiftServerlessUpdateNamespaceAdminPassword": ["redshift-serverless:UpdateNamespace"],
    "DocDbElasticUpdateClusterAdminPassword": ["docdb-elastic:UpdateCluster"],
    "LightsailUpdateRelationalDatabasePassword": ["lightsail:UpdateRelationalDatabase"],
    "OpenSearchUpdateDomainConfigMasterUser": ["es:UpdateDomainConfig"],
    "ElasticsearchUpdateDomainConfigMasterUser": ["es:UpdateElasticsearchDomainConfig"],
    "ElastiCacheModifyUserPassword": ["elasticache:ModifyUser"],
    "ElastiCacheModifyReplicationGroupAuthToken": ["elasticache:ModifyReplicationGroup"],
    "MemoryDbUpdateUserPassword": ["memorydb:UpdateUser"],
    "MqUpdateUserPassword": ["mq:UpdateUser"],
    "TransferImportSshPublicKey": ["transfer:ImportSshPublicKey"],
}
READ_TWIN = {
    "redshift": ["redshift:DescribeClusters"], "redshift-serverless": ["redshift-serverless:GetNamespace"],
    "docdb-elastic": ["docdb-elastic:GetCluster"], "lightsail": ["lightsail:GetRelationalDatabase"],
    "es": ["es:DescribeDomain"], "elasticache": ["elasticache:DescribeUsers", "elasticache:DescribeReplicationGroups"],
    "memorydb": ["memorydb:DescribeUsers"], "mq": ["mq:DescribeUser"], "transfer": ["transfer:DescribeUser"],
}
WILDCARD = {"redshift:Modify*": "redshift", "mq:Update*": "mq", "transfer:Import*": "transfer",
            "elasticache:Modify*": "elasticache", "memorydb:UpdateUs*": "memorydb"}


def policy(actions: list[str]) -> tuple:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    return (POLICY, "tool", {"policy": json.dumps(document)})


@pytest.mark.parametrize("method", sorted(CASES))
def test_each_password_reset_blocks_and_its_read_only_twin_passes(pack, method) -> None:
    actions = CASES[method]
    assert flagged_names(pack, "AGID-AWS-020", policy(actions), "mandatory") == ["tool"]
    twin = READ_TWIN[actions[0].split(":", 1)[0]]
    assert flagged_names(pack, "AGID-AWS-020", policy(twin)) == []


@pytest.mark.parametrize("action", sorted(WILDCARD))
def test_wildcard_spellings_block(pack, action) -> None:
    assert flagged_names(pack, "AGID-AWS-020", policy([action]), "mandatory") == ["tool"]
