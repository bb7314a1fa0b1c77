"""Existing secrets read with `Resource.get()` or an invoke, end to end through `agentid preview` (red19 r19-9).

At the pull request's real `pulumi preview` a read (ReadResource) or invoke runs with the deployer's credentials, so a
program that reads a production secret and exports it (or prints it) exfiltrates it through its own preview logs.
AGID-GATE-001 now judges both from the SDKs (agentid/preview/sdk_secrets.yaml): a get() of a type whose SDK declares
secret outputs, an invoke whose result holds a secret-named property, and ssm getParameter with decryption (the
Invoke's arguments). Look-alikes: get() of a Role or a Vpc, invokes returning no secret, getParameter without
decryption or of an AWS public parameter.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .conftest import AGENT_GUARD
from .test_deploy_runner_code_gate import preview

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

GCP = "  gcp:project: acme-dev\n"
# acme-dev is the organisation's project: where the stack deploys is AGID-GCP-035's, not in question here
OWN_GCP = ("--own-gcp-project", "acme-dev")
READS = '''
import pulumi, pulumi_aws as aws, pulumi_gcp as gcp, pulumi_kubernetes as k8s
v = aws.secretsmanager.SecretVersion.get("prod-db", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf|AWSCURRENT")
pulumi.export("a", pulumi.Output.unsecret(v.secret_string))
p = aws.ssm.Parameter.get("prod-key", "/prod/api-key")
pulumi.export("b", pulumi.Output.unsecret(p.value))
q = aws.ssm.get_parameter_output(name="/prod/api-key", with_decryption=True)
pulumi.export("c", pulumi.Output.unsecret(q.value))
g = gcp.secretmanager.SecretVersion.get("prod-sm", "projects/acme-prod/secrets/db/versions/latest")
pulumi.export("d", pulumi.Output.unsecret(g.secret_data))
o = gcp.storage.get_bucket_object_content_output(bucket="acme-prod-secrets", name="sa-key.json")
pulumi.export("e", o.content)
s = k8s.core.v1.Secret.get("admin-token", "kube-system/cluster-admin-token")
pulumi.export("f", pulumi.Output.unsecret(s.data))
d = aws.ssm.get_parameter_output(name="/prod/db-password")  # withDecryption defaults to true
pulumi.export("g", pulumi.Output.unsecret(d.value))
every = gcp.storage.get_bucket_object_contents_output(bucket="acme-prod-secrets", prefix="keys/")  # nested contents
pulumi.export("h", every.bucket_objects)
'''
LOOK_ALIKES = '''
import pulumi, pulumi_aws as aws, pulumi_gcp as gcp
aws.s3.Bucket("data", bucket="acme-dev-data")
r = aws.iam.Role.get("ops", "ops-role")
n = aws.ec2.Vpc.get("main", "vpc-0123456789abcdef0")
ami = aws.ssm.get_parameter_output(name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
plain = aws.ssm.get_parameter_output(name="/dev/feature-flag", with_decryption=False)
meta = gcp.secretmanager.get_secret_output(secret_id="db")
i = aws.ec2.get_instance_output(instance_id="i-0123456789abcdef0")
rds = aws.rds.get_instance_output(db_instance_identifier="reports")
run = gcp.cloudrunv2.get_service_output(name="api", location="europe-west1")  # names Secret Manager secrets only
pulumi.export("ids", [r.arn, n.id, ami.value, plain.value, meta.name, i.private_ip, rds.endpoint, run.uri])
'''


def _gate(violations: list[dict]) -> list[tuple[str, str, bool]]:
    return sorted((v["policy"], v["urn"], v["mandatory"]) for v in violations if v["policy"].startswith("AGID-GATE"))


def test_reads_of_existing_secrets_by_get_and_invoke_each_block(tmp_path: Path) -> None:
    code, violations, sarif = preview(tmp_path / "reads", READS, GCP, *OWN_GCP)
    assert code == 1
    stack = "urn:pulumi:dev::acme::pulumi:pulumi:Stack::acme-dev"
    assert _gate(violations) == sorted([
        ("AGID-GATE-001", "urn:pulumi:dev::acme::aws:secretsmanager/secretVersion:SecretVersion::prod-db", True),
        ("AGID-GATE-001", "urn:pulumi:dev::acme::aws:ssm/parameter:Parameter::prod-key", True),
        ("AGID-GATE-001", "urn:pulumi:dev::acme::gcp:secretmanager/secretVersion:SecretVersion::prod-sm", True),
        ("AGID-GATE-001", "urn:pulumi:dev::acme::kubernetes:core/v1:Secret::admin-token", True),
        ("AGID-GATE-001", stack, True), ("AGID-GATE-001", stack, True), ("AGID-GATE-001", stack, True)])
    messages = sorted(v["message"] for v in violations if v["policy"] == "AGID-GATE-001")
    assert ("[escalation] the program reads the existing kubernetes:core/v1:Secret 'admin-token' (Resource.get), "
            "whose state holds secret material (data, stringData), with the deployer's credentials") in "\n".join(messages)
    assert any("reads the existing aws:ssm/parameter:Parameter 'prod-key' (Resource.get)" in m for m in messages)
    assert any("reads the existing aws:secretsmanager/secretVersion:SecretVersion 'prod-db'" in m for m in messages)
    assert any("reads the existing gcp:secretmanager/secretVersion:SecretVersion 'prod-sm'" in m for m in messages)
    assert any("invokes aws:ssm/getParameter:getParameter (withDecryption) (2 calls), which returns an SSM "
               "parameter's value, SecureStrings decrypted" in m for m in messages), messages
    assert any("invokes gcp:storage/getBucketObjectContent:getBucketObjectContent, which returns secret material "
               "(content, content_base64)" in m for m in messages), messages
    assert any("invokes gcp:storage/getBucketObjectContents:getBucketObjectContents, which returns secret material "
               "(bucket_objects.content, bucket_objects.content_base64)" in m for m in messages), messages
    results = [r for run in sarif["runs"] for r in run["results"] if r["ruleId"] == "AGID-GATE-001"]
    assert len(results) == 7 and {r["level"] for r in results} == {"error"}


def test_reads_of_no_secret_pass(tmp_path: Path) -> None:
    code, violations, _ = preview(tmp_path / "plain", LOOK_ALIKES, GCP, *OWN_GCP)
    assert (code, _gate(violations)) == (0, [])


def test_a_read_is_waived_for_its_urn_with_a_reason(tmp_path: Path, today: dt.date) -> None:
    directory = tmp_path / "waived"
    directory.mkdir()
    (directory / "waivers.yaml").write_text(
        "waivers:\n  - rule: AGID-GATE-001\n    resource: urn:pulumi:dev::acme::kubernetes:core/v1:Secret::ca\n"
        "    reason: the cluster's public CA bundle, read to configure a client\n"
        f"    approver: security@example.com\n    expires: {today + dt.timedelta(days=30)}\n")
    program = ('import pulumi, pulumi_aws as aws, pulumi_kubernetes as k8s\n'
               'aws.s3.Bucket("data", bucket="acme-dev-data")\n'
               's = k8s.core.v1.Secret.get("ca", "kube-public/ca")\npulumi.export("ca", s.id)\n')
    code, violations, _ = preview(directory, program)
    assert (code, [(v["policy"], bool(v["waiver"])) for v in violations if v["policy"] == "AGID-GATE-001"]) == (
        0, [("AGID-GATE-001", True)])
    # the same read without the waiver blocks
    code, violations, _ = preview(tmp_path / "unwaived", program)
    assert (code, _gate(violations)) == (
        1, [("AGID-GATE-001", "urn:pulumi:dev::acme::kubernetes:core/v1:Secret::ca", True)])


def test_the_text_report_names_a_read_by_its_urn():
    from agentid.preview.report import _unregistered
    assert _unregistered("urn:pulumi:dev::acme::kubernetes:core/v1:Secret::admin-token", "dev") == (
        "admin-token (kubernetes:core/v1:Secret)")
    assert _unregistered("urn:pulumi:dev::acme::my:app:Parent$aws:ssm/parameter:Parameter::k", "dev") == (
        "k (aws:ssm/parameter:Parameter)")
    assert _unregistered("urn:pulumi:dev::acme::pulumi:pulumi:Stack::acme-dev", "dev") == "stack dev"
    assert _unregistered(None, "dev") == "stack dev"


def test_a_read_of_a_package_whose_sdk_was_not_derived_cannot_be_checked(tmp_path: Path) -> None:
    """Vault, 1Password, GitHub secrets: no derivation says what their state holds, so the read fails closed."""
    program = ('import pulumi, pulumi_aws as aws\naws.s3.Bucket("data", bucket="acme-dev-data")\n'
               's = pulumi.CustomResource("vault:generic/secret:Secret", "prod", {"dataJson": None}, '
               'opts=pulumi.ResourceOptions(id="secret/prod"))\npulumi.export("v", s.id)\n')
    code, violations, _ = preview(tmp_path / "vault", program)
    assert (code, _gate(violations)) == (
        1, [("AGID-GATE-001", "urn:pulumi:dev::acme::vault:generic/secret:Secret::prod", True)])
    [found] = [v for v in violations if v["policy"] == "AGID-GATE-001"]
    assert found["message"].startswith("[escalation] cannot check: the program reads the existing "
                                       "vault:generic/secret:Secret 'prod' (Resource.get) of the package 'vault'")


def test_an_invoke_of_a_package_whose_sdk_was_not_derived_cannot_be_checked(tmp_path: Path) -> None:
    program = ('import pulumi, pulumi_aws as aws\naws.s3.Bucket("data", bucket="acme-dev-data")\n'
               'r = pulumi.runtime.invoke("vault:generic/getSecret:getSecret", {"path": "secret/prod"})\n'
               'pulumi.export("v", str(r.value))\n')
    code, violations, _ = preview(tmp_path / "vault-invoke", program)
    assert (code, _gate(violations)) == (1, [("AGID-GATE-001", "urn:pulumi:dev::acme::pulumi:pulumi:Stack::acme-dev", True)])
    [found] = [v for v in violations if v["policy"] == "AGID-GATE-001"]
    assert found["message"].startswith("[escalation] the program invokes vault:generic/getSecret:getSecret, which "
                                       "cannot be checked: the gate did not derive the secret results of the "
                                       "package 'vault'")
