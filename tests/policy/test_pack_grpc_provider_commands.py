"""AGID-PRV-002 over gRPC: provider configuration that makes the provider run a command on the deploy runner.

red11b 10: an aws provider naming the change's shared config file (a profile's `credential_process`), a kubeconfig
exec plugin running `sh -c ...`, external account credentials with an executable source all passed; the provider
runs them at `pulumi up` with the deployer's credentials, like `command:local:Command`.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.ruletools import UNKNOWN
from tests.policy.test_pack_grpc import urn

RULE = "AGID-PRV-002"


def findings(pack, type_: str, props: dict, name: str = "p") -> list[tuple[str, str]]:
    return [(d.enforcement_level, d.message) for d in pack.analyze(type_, name, urn(type_, name), props)
            if d.policy_name == RULE]


def kubeconfig(user: dict) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Config",
                       "clusters": [{"name": "c", "cluster": {"server": "https://192.0.2.10"}}],
                       "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}], "current-context": "x",
                       "users": [{"name": "u", "user": user}]})


def exec_user(command: str, args: list[str], env: list | None = None) -> dict:
    spec = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": command, "args": args}
    return {"exec": {**spec, **({"env": env} if env is not None else {})}}


SHELL_PLUGIN = kubeconfig(exec_user("sh", ["-c", "aws iam create-access-key --user-name ci-helper; echo '{}'"]))

FLAGGED = [
    # the red team's: an explicit profile read from the change's config file; the same from stack config (a JSON list)
    ("pulumi:providers:aws", {"region": "eu-west-1", "profile": "deploy", "sharedConfigFiles": ["./aws-config"]},
     "sharedConfigFiles names ./aws-config"),
    ("pulumi:providers:aws", {"profile": "deploy", "sharedConfigFiles": '["./aws-config"]'},
     "sharedConfigFiles names ./aws-config"),
    ("pulumi:providers:aws", {"sharedCredentialsFiles": ["/tmp/creds"]}, "sharedCredentialsFiles names /tmp/creds"),
    ("pulumi:providers:kubernetes", {"kubeconfig": SHELL_PLUGIN}, "exec runs 'sh'"),
    # a path, even to a vendor plugin's name: the change's file
    ("pulumi:providers:kubernetes", {"kubeconfig": kubeconfig(exec_user("./bin/aws", ["eks", "get-token"]))},
     "exec runs './bin/aws'"),
    # the vendor's CLI, another subcommand: `aws iam create-access-key` is the deployer's API call
    ("pulumi:providers:kubernetes", {"kubeconfig": kubeconfig(exec_user("aws", ["iam", "create-access-key"]))},
     "not `aws eks get-token`"),
    # the vendor's plugin with an environment that makes it the change's code
    ("pulumi:providers:kubernetes", {"kubeconfig": kubeconfig(exec_user(
        "aws", ["eks", "get-token", "--cluster-name", "prod"], [{"name": "AWS_CONFIG_FILE", "value": "./aws-config"}]))},
     "sets environment variable(s) AWS_CONFIG_FILE"),
    ("pulumi:providers:kubernetes", {"kubeconfig": kubeconfig(
        {"auth-provider": {"name": "gcp", "config": {"cmd-path": "/bin/sh", "cmd-args": "-c id"}}})},
     "cmd-path runs '/bin/sh'"),
    ("pulumi:providers:kubernetes", {"kubeconfig": "./kubeconfig-exec.yaml"}, "kubeconfig names './kubeconfig-exec.yaml'"),
    ("pulumi:providers:gcp", {"credentials": json.dumps({
        "type": "external_account", "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": "https://sts.googleapis.com/v1/token",
        "credential_source": {"executable": {"command": "/bin/sh -c ./steal.sh", "timeout_millis": 5000}}})},
     "executable runs '/bin/sh -c ./steal.sh'"),
    ("pulumi:providers:gcp", {"credentials": "creds/external.json"}, "credentials names 'creds/external.json'"),
    # nested: impersonation whose source credentials are external account credentials running a command
    ("pulumi:providers:gcp", {"credentials": json.dumps({
        "type": "impersonated_service_account",
        "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/a@p.iam.gserviceaccount.com:generateAccessToken",
        "source_credentials": {"type": "external_account", "credential_source": {"executable": {"command": "./x.sh"}}}})},
     "credentials.source_credentials.credential_source.executable runs './x.sh'"),
    ("pulumi:providers:kubernetes", {"kubeconfig": "~/.kube/config", "helmReleaseSettings": {"pluginsPath": "./helm-plugins"}},
     "pluginsPath names './helm-plugins'"),
    ("pulumi:providers:kubernetes", {"helmReleaseSettings": '{"pluginsPath": "plugins"}'}, "pluginsPath names 'plugins'"),
]


@pytest.mark.parametrize(("type_", "props", "said"), FLAGGED)
def test_provider_config_that_runs_a_command_blocks(pack, type_, props, said):
    [(level, message)] = findings(pack, type_, props)
    assert level == "mandatory" and said in message and "deployer's credentials" in message, message
    assert "pulumi:providers:" in message and " p:" in message


PASSING = [
    ("pulumi:providers:aws", {"region": "eu-west-1", "profile": "deployer"}),  # the runner's own ~/.aws/config
    ("pulumi:providers:aws", {"sharedConfigFiles": ["~/.aws/config"], "sharedCredentialsFiles": "[]"}),
    # vendor plugins by bare name with their token subcommand, options before and between, documented env
    ("pulumi:providers:kubernetes", {"kubeconfig": kubeconfig(exec_user(
        "aws", ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "prod"],
        [{"name": "AWS_PROFILE", "value": "deploy"}]))}),
    ("pulumi:providers:kubernetes", {"kubeconfig": kubeconfig(exec_user("aws-iam-authenticator", ["token", "-i", "prod"]))}),
    ("pulumi:providers:kubernetes", {"kubeconfig": kubeconfig(exec_user("gke-gcloud-auth-plugin", []))}),
    ("pulumi:providers:kubernetes", {"kubeconfig": kubeconfig(exec_user(
        "kubelogin", ["get-token", "--login", "workloadidentity", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]))}),
    ("pulumi:providers:kubernetes", {"kubeconfig": "~/.kube/config"}),
    ("pulumi:providers:kubernetes", {"kubeconfig": "/home/runner/.kube/config"}),
    ("pulumi:providers:kubernetes", {"helmReleaseSettings": {"pluginsPath": "/home/runner/.local/share/helm/plugins",
                                                             "driver": "secret"}}),
    # workload identity federation reading a file token: no command
    ("pulumi:providers:gcp", {"credentials": json.dumps({
        "type": "external_account", "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q",
        "credential_source": {"file": "/var/run/secrets/token"}})}),
    ("pulumi:providers:gcp", {"project": "p"}),
]


@pytest.mark.parametrize(("type_", "props"), PASSING)
def test_vendor_plugins_and_runner_files_pass(pack, type_, props):
    assert findings(pack, type_, props) == []


@pytest.mark.parametrize(("type_", "key"), [("pulumi:providers:aws", "sharedConfigFiles"),
                                            ("pulumi:providers:kubernetes", "kubeconfig"),
                                            ("pulumi:providers:gcp", "credentials")])
def test_a_value_unknown_at_preview_cannot_be_checked(pack, type_, key):
    [(level, message)] = findings(pack, type_, {key: UNKNOWN})
    assert level == "advisory" and key in message


def test_an_unreadable_kubeconfig_fails_closed(pack):
    [(level, message)] = findings(pack, "pulumi:providers:kubernetes", {"kubeconfig": "users: [{name: u, user: 3}]"})
    assert level == "mandatory" and "cannot check" in message
