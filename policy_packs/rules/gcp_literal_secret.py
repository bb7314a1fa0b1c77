"""AGID-GCP-034: no literal secret in a Google Cloud input the provider marks secret (the program, its state and
every preview hold it).

Which inputs: every input pulumi-gcp's schema marks `secret: true` (its SDK wraps it in Output.secret and lists it in
additional_secret_outputs), derived from the installed SDK into analysis/sdk_secret_inputs.yaml: Cloud SQL and AlloyDB
users' and instances' passwords (root, replication user and client key), Cloud SQL source representation
passwords, NetApp Active Directory and Managed AD trust secrets, VPN tunnel shared secrets, SSL certificates' private
keys, Apigee consumer secrets and keystore keys, signed-URL key values, App Check tokens, reCAPTCHA site secrets and
Apple private keys, Secret Manager versions' data, Composer workload secrets, KMS plaintexts, customer-supplied
encryption keys, Secure Source Manager hook query strings; and every nested input named as a credential (the SDK
marks none: `alloydb.Cluster` initialUser.password, Datastream and Database Migration connection profiles'
passwords, BigQuery Cloud SQL connections, IAP OAuth client secrets, uptime-check and web-security-scanner
passwords, ...; the YAML's nested_secret_inputs). Inputs marked secret that hold no credential (public
certificates, object content, configuration payloads) are listed with their reasons in the YAML's `not_read`.
The field holds a secret by the provider's word, so any value known at preview is a literal, whatever it looks like
(red20 r20-4: `gcp.sql.User(password="changeme")`, `gcp.alloydb.User(password="password")` passed AGID-GEN-004's
value heuristic). Not literals: a value unknown at preview (random.RandomPassword, a Secret Manager read), the
placeholder `agentid preview` sends for an encrypted config secret, and a value the engine sent marked secret by the
program (`config.require_secret`, `Output.secret` of a config value under `pulumi preview`). An input of another shape
than the provider takes (a number, a list) cannot be judged: a violation.
Source: https://cloud.google.com/secret-manager/docs/best-practices (keep secrets out of source code).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentid_policy_packs.analysis import sdk_secret_inputs

from .aws_literal_secret import PLACEHOLDER
from .base import Resource, Rule
from .secret_scan import SecretByType, Unreadable, literal_secret_findings


def candidates(resource: Resource) -> Iterator[tuple[str, str, Any]]:
    """(path, key it is stored under, SecretByType(value)) for every input the provider marks secret."""
    for path, key, value in sdk_secret_inputs.candidates(resource.type, resource.props):
        yield path, key, SecretByType(Unreadable(value) if isinstance(value, sdk_secret_inputs.NotTheShape) else value)


def check(resource: Resource, config):
    yield from literal_secret_findings(resource, candidates(resource), "generate it (random.RandomPassword) or pass "
                                       "it as a config secret", PLACEHOLDER)


RULE = Rule(
    id="AGID-GCP-034",
    title="gcp-no-literal-secrets",
    severity="critical",
    category="static-credential",
    description="No literal value in a Google Cloud input the provider marks secret: Cloud SQL and AlloyDB user and "
                "root passwords, VPN shared secrets, private keys, Apigee and App Check secrets, Secret Manager data, "
                "encryption keys (analysis/sdk_secret_inputs.yaml, derived from pulumi-gcp), whatever the value "
                "looks like.",
    remediation="Generate the value at deployment (random.RandomPassword) or pass it as a Pulumi config secret "
                "(`pulumi config set --secret`); for Cloud SQL prefer IAM database authentication.",
    url="https://cloud.google.com/secret-manager/docs/best-practices",
    check=check,
    resource_types=sdk_secret_inputs.resource_types("gcp:"),
)
