"""AGID-PRV-003 over gRPC: provider endpoints that send the deployer's credentials to a host other than the vendor's.

prov20's gap: an aws Provider with `endpoints: [{sts: https://sts.attacker.example}]` (every AssumeRole and
GetCallerIdentity signed with the deployer's key goes there), an azure-native provider whose metadataHost or
oidcRequestUrl is another host, a gcp provider with a foreign universeDomain, a kubeconfig sending `aws eks
get-token`'s token to another server passed. Vendor-owned endpoints (regional STS, VPC endpoints) must pass.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import assert_flagged_and_look_alike

RULE = "AGID-PRV-003"


@pytest.mark.parametrize("case,package,flagged,look_alike", [
    ("sts-elsewhere", "aws", {"region": "eu-west-1", "endpoints": [{"sts": "https://sts.attacker.example"}]},
     {"region": "eu-west-1", "endpoints": [{"sts": "https://sts.eu-west-1.amazonaws.com"}]}),
    ("iam-lookalike", "aws", {"endpoints": [{"iam": "https://iam.amazonaws.com.attacker.example"}]},
     {"endpoints": [{"iam": "https://vpce-0abc123-xyz.iam.us-east-1.vpce.amazonaws.com"}]}),
    ("s3-http", "aws", {"endpoints": [{"s3": "http://s3.eu-west-1.amazonaws.com"}]},
     {"endpoints": [{"s3": "https://s3.dualstack.eu-west-1.amazonaws.com"}]}),
    ("config-json", "aws", {"endpoints": json.dumps([{"sts": "https://evil.example.com"}])},
     {"endpoints": json.dumps([{"sts": "https://sts.cn-north-1.amazonaws.com.cn"}])}),
    ("sts-region", "aws", {"stsRegion": "evil.example.com/x"}, {"stsRegion": "us-gov-west-1"}),
    ("insecure", "aws", {"insecure": "true"}, {"insecure": False}),
    ("ca-of-the-change", "aws", {"customCaBundle": "certs/proxy-ca.pem"},
     {"customCaBundle": "/etc/ssl/certs/ca-certificates.crt"}),
    # red17 r17-10: an absolute path is the change's file too (the plugin runs in the project directory), or one
    # the program writes; a proxy the change names carries every request
    ("ca-by-proc-cwd", "aws", {"customCaBundle": "/proc/self/cwd/evil-ca.pem"},
     {"customCaBundle": "/etc/pki/tls/certs/ca-bundle.crt"}),
    ("ca-in-tmp", "aws", {"customCaBundle": "/tmp/agent-ca.pem"}, {"region": "eu-west-1"}),
    ("https-proxy", "aws", {"httpsProxy": "http://proxy.evil.example:8080"}, {"noProxy": "169.254.169.254"}),
    ("http-proxy", "aws", {"httpProxy": "http://proxy.evil.example:8080"}, {"httpProxy": ""}),
    ("metadata-host", "azure-native", {"metadataHost": "management.attacker.example"},
     {"metadataHost": "management.azure.com"}),
    ("oidc-request", "azuread", {"useOidc": True, "oidcRequestUrl": "https://tokens.attacker.example/req"},
     {"useOidc": True, "oidcRequestUrl": "https://pipelinesghubeus2.actions.githubusercontent.com/abc/idtoken"}),
    ("custom-cloud", "azure-native", {"environment": "stack"}, {"environment": "usgovernment"}),
    ("msi", "azure-native", {"msiEndpoint": "http://10.0.0.9/metadata/identity/oauth2/token"},
     {"msiEndpoint": "http://169.254.169.254/metadata/identity/oauth2/token"}),
    ("universe", "gcp", {"universeDomain": "attacker.example"}, {"universeDomain": "googleapis.com"}),
    ("iam-endpoint", "gcp", {"iamCredentialsCustomEndpoint": "https://iamcredentials.attacker.example/v1/"},
     {"iamCredentialsCustomEndpoint": "https://iamcredentials.googleapis.com/v1/"}),
])
def test_an_endpoint_off_the_vendors_hosts_blocks_and_the_vendors_own_passes(pack, case, package, flagged, look_alike):
    assert_flagged_and_look_alike(pack, case, f"pulumi:providers:{package}", flagged, RULE, "mandatory", look_alike)


def kubeconfig(server: str, command: str = "aws", args=("eks", "get-token", "--cluster-name", "prod"), **cluster) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Config", "current-context": "c",
                       "clusters": [{"name": "k", "cluster": {"server": server, **cluster}}],
                       "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
                       "users": [{"name": "u", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                                 "command": command, "args": list(args)}}}]})


@pytest.mark.parametrize("case,flagged,look_alike", [
    ("eks-token-elsewhere", kubeconfig("https://k8s.attacker.example"),
     kubeconfig("https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com")),
    ("eks-token-by-ip", kubeconfig("https://203.0.113.7"),
     kubeconfig("https://ABCDEF0123456789.yl4.us-east-1.eks.amazonaws.com")),
    ("aks-token-no-tls", kubeconfig("https://aks-1.hcp.westeurope.azmk8s.io:443", "kubelogin", ("get-token",),
                                    **{"insecure-skip-tls-verify": True}),
     kubeconfig("https://aks-1.hcp.westeurope.azmk8s.io:443", "kubelogin", ("get-token",))),
])
def test_a_cloud_token_sent_to_another_cluster_server_blocks(pack, case, flagged, look_alike):
    assert_flagged_and_look_alike(pack, case, "pulumi:providers:kubernetes", {"kubeconfig": flagged}, RULE,
                                  "mandatory", {"kubeconfig": look_alike})
