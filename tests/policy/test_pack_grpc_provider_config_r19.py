"""red19 r19-1 / r19-2 / r19-3 / r19-11 over gRPC: provider settings naming a file that may be the change's, literal
sign-in material, and a kubeconfig credential of any kind sent to a server the gate cannot place. Each case: the
flagged provider gets exactly the one rule's finding; its look-alike (the runner's own file, an own server) none."""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import assert_flagged_and_look_alike

OWN_HOST = "k8s.acme.example"
CONFIG = {"all": {"ownAccountIds": ["111122223333"], "ownGcpProjects": ["acme-dev"], "ownHosts": [OWN_HOST]}}
EKS_TOKEN = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
AKS_TOKEN = "/var/run/secrets/azure/tokens/azure-identity-token"
CLIENT = "c0ffee00-0000-0000-0000-000000000001"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"


@pytest.fixture(autouse=True)
def _configured(pack):
    pack.configure(CONFIG)
    yield
    pack.configure({})


def kubeconfig(user: dict, server: str = "https://k8s.evil.example:6443") -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": [{"name": "c", "cluster": {"server": server}}],
                       "users": [{"name": "u", "user": user}],
                       "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}], "current-context": "x"})


# r19-1: a kubeconfig FILE, Helm paths and credential files named by a path that is not a runner location
@pytest.mark.parametrize("case,package,flagged,look_alike", [
    ("kc-proc-cwd", "kubernetes", {"kubeconfig": "/proc/self/cwd/kc.yaml"}, {"kubeconfig": "~/.kube/config"}),
    ("kc-proc-root", "kubernetes", {"kubeconfig": "/proc/1/root/home/runner/work/app/app/kc.yaml"},
     {"kubeconfig": "$HOME/.kube/config"}),
    ("kc-checkout", "kubernetes", {"kubeconfig": "/home/runner/work/app/app/kc.yaml"},
     {"kubeconfig": "/home/runner/.kube/config"}),
    ("kc-home-checkout", "kubernetes", {"kubeconfig": "~/work/app/app/kc.yaml"}, {"kubeconfig": "~/.kube/config"}),
    ("kc-dot-dot", "kubernetes", {"kubeconfig": "~/.kube/../work/app/app/kc.yaml"}, {"kubeconfig": "~/.kube/config"}),
    ("helm-plugins", "kubernetes", {"helmReleaseSettings": {"pluginsPath": "/proc/self/cwd/plugins"}},
     {"helmReleaseSettings": {"pluginsPath": "~/.local/share/helm/plugins", "driver": "secret"}}),
    ("helm-plugins-snake", "kubernetes", {"helmReleaseSettings": json.dumps({"plugins_path": "/proc/self/cwd/plugins"})},
     {"helmReleaseSettings": json.dumps({"driver": "secret"})}),
    ("helm-repositories", "kubernetes", {"helmReleaseSettings": {"repositoryConfigPath": "/proc/self/cwd/repos.yaml"}},
     {"helmReleaseSettings": {"repositoryConfigPath": "~/.config/helm/repositories.yaml"}}),
    ("helm-registry", "kubernetes", {"helmReleaseSettings": {"registryConfigPath": "registry.json"}},
     {"helmReleaseSettings": {"registryConfigPath": "~/.config/helm/registry/config.json"}}),
    ("helm-cache", "kubernetes", {"helmReleaseSettings": {"repositoryCache": "/tmp/cache"}},
     {"helmReleaseSettings": {"repositoryCache": "~/.cache/helm/repository"}}),
    ("aws-shared-proc", "aws", {"sharedConfigFiles": ["/proc/self/cwd/aws-config"]}, {"sharedConfigFiles": ["~/.aws/config"]}),
])
def test_a_path_that_may_be_the_changes_file_blocks(pack, case, package, flagged, look_alike):
    assert_flagged_and_look_alike(pack, case, f"pulumi:providers:{package}", flagged, "AGID-PRV-002", "mandatory",
                                  look_alike)


# r19-2 (and the same kind on azuread / aws): sign-in material committed with the change: AGID-PRV-001
@pytest.mark.parametrize("case,package,flagged,look_alike", [
    ("az-cert-path", "azure-native", {"clientCertificatePath": "/proc/self/cwd/sp.pfx", "clientId": CLIENT},
     {"clientId": CLIENT, "useOidc": "true"}),
    ("az-oidc-token", "azure-native", {"oidcToken": JWT, "clientId": CLIENT, "useOidc": "true"},
     {"clientId": CLIENT, "useOidc": "true"}),
    ("az-oidc-request-token", "azure-native", {"oidcRequestToken": "ghs_0123456789abcdef", "useOidc": "true"},
     {"useOidc": "true"}),
    ("az-oidc-token-file", "azure-native", {"oidcTokenFilePath": "/proc/self/cwd/token.jwt", "useOidc": "true"},
     {"oidcTokenFilePath": AKS_TOKEN, "useOidc": "true"}),
    ("ad-oidc-token-file", "azuread", {"oidcTokenFilePath": "token.jwt"}, {"oidcTokenFilePath": AKS_TOKEN}),
    ("ad-secret-file", "azuread", {"clientSecretFilePath": "/home/runner/secret.txt"}, {"useCli": "true"}),
    ("ad-cert-path", "azuread", {"clientCertificatePath": "~/sp.pfx"}, {"useMsi": "true"}),
    ("aws-web-token", "aws", {"assumeRoleWithWebIdentity": json.dumps(
        {"roleArn": "arn:aws:iam::111122223333:role/deploy", "webIdentityToken": JWT})},
     {"assumeRoleWithWebIdentity": json.dumps({"roleArn": "arn:aws:iam::111122223333:role/deploy",
                                               "webIdentityTokenFile": EKS_TOKEN})}),
    ("aws-web-token-file", "aws", {"assumeRoleWithWebIdentity": {
        "role_arn": "arn:aws:iam::111122223333:role/deploy", "web_identity_token_file": "/proc/self/cwd/t.jwt"}},
     {"assumeRoleWithWebIdentity": {"role_arn": "arn:aws:iam::111122223333:role/deploy",
                                    "web_identity_token_file": EKS_TOKEN}}),
])
def test_committed_sign_in_material_blocks(pack, case, package, flagged, look_alike):
    assert_flagged_and_look_alike(pack, case, f"pulumi:providers:{package}", flagged, "AGID-PRV-001", "mandatory",
                                  look_alike)


# r19-3: gcp externalCredentials: another project's service account, a literal identity token (AGID-PRV-004)
EXTERNAL = {"audience": "//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/p/providers/x",
            "serviceAccountEmail": "collector@evil-project.iam.gserviceaccount.com", "identityToken": JWT}


def test_gcp_external_credentials_block(pack):
    type_ = "pulumi:providers:gcp"
    diags = pack.analyze(type_, "ext", f"urn:pulumi:t::p::{type_}::ext",
                         {"project": "evil-project", "externalCredentials": json.dumps(EXTERNAL)})
    found = sorted((d.policy_name, d.enforcement_level) for d in diags)
    assert found == [("AGID-PRV-004", "mandatory")] * 2, [d.message for d in diags]  # the account, the token
    message = " ".join(d.message for d in diags)
    assert "collector@evil-project.iam.gserviceaccount.com (externalCredentials.serviceAccountEmail)" in message
    assert "(externalCredentials.identityToken)" in message
    # an own project's account still signs in with a committed token: blocked; the snake spelling too
    own = {**EXTERNAL, "serviceAccountEmail": "deploy@acme-dev.iam.gserviceaccount.com"}
    own = {"service_account_email" if k == "serviceAccountEmail" else k: v for k, v in own.items()}
    [diag] = pack.analyze(type_, "own", f"urn:pulumi:t::p::{type_}::own", {"externalCredentials": own})
    assert diag.policy_name == "AGID-PRV-004" and "identityToken" in diag.message and "acme-dev" not in diag.message
    assert pack.analyze(type_, "plain", f"urn:pulumi:t::p::{type_}::plain", {"project": "acme-dev"}) == []


# r19-11: every kubeconfig user that sends a credential talks only to a server the gate can place (AGID-PRV-003)
@pytest.mark.parametrize("case,flagged,look_alike", [
    ("token-file", kubeconfig({"tokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"}),
     kubeconfig({"tokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"}, f"https://{OWN_HOST}:6443")),
    ("cert-files", kubeconfig({"client-certificate": "/etc/kubernetes/pki/admin.crt",
                               "client-key": "/etc/kubernetes/pki/admin.key"}),
     kubeconfig({"client-certificate": "/etc/kubernetes/pki/admin.crt", "client-key": "/etc/kubernetes/pki/admin.key"},
                "https://ABCDEF0123.gr7.eu-west-1.eks.amazonaws.com")),
    ("basic-auth-file-ip", kubeconfig({"username": "admin", "tokenFile": "/run/t"}, "https://10.0.0.1:6443"),
     kubeconfig({}, "https://10.0.0.1:6443")),  # an anonymous user sends nothing
    ("look-alike-host", kubeconfig({"tokenFile": "/run/t"}, f"https://{OWN_HOST}.evil.example"),
     kubeconfig({"tokenFile": "/run/t"}, f"https://{OWN_HOST.upper()}")),
])
def test_a_kubeconfig_credential_to_a_server_the_gate_cannot_place_blocks(pack, case, flagged, look_alike):
    assert_flagged_and_look_alike(pack, case, "pulumi:providers:kubernetes", {"kubeconfig": flagged}, "AGID-PRV-003",
                                  "mandatory", {"kubeconfig": look_alike})


# r19-2: own tenants are the gate's (ownTenantIds), never the stack config's tenantId the pull request chooses
STACK_TENANT, OTHER_TENANT = "99999999-8888-7777-6666-555555555555", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_the_stack_files_tenant_vouches_for_no_provider():
    import os

    from agentid.analyzer_client import PackProcess
    from tests.policy.test_pack_grpc import PACK

    type_ = "pulumi:providers:azure-native"
    stack_config = {"azure-native:tenantId": STACK_TENANT, "azure:tenantId": OTHER_TENANT}
    env = {**os.environ, "PULUMI_CONFIG": json.dumps(stack_config)}
    with PackProcess.start(PACK, timeout=60, env=env) as running:
        running.configure({})
        def prv004(name, props):
            return [(d.enforcement_level, d.message) for d in running.analyze(type_, name, f"urn:pulumi:t::p::{type_}::{name}", props)
                    if d.policy_name == "AGID-PRV-004"]
        # the default provider built from the stack file's tenantId, and a provider into the unused azure:tenantId
        [(level, message)] = prv004("default", {"tenantId": STACK_TENANT, "location": "westeurope"})
        assert level == "mandatory" and "the gate lists none: cannot tell" in message
        [(level, message)] = prv004("other", {"tenantId": OTHER_TENANT})
        assert level == "mandatory" and OTHER_TENANT in message
        # the gate's own tenant (pack-wide, as --own-tenant sends it) passes; another still blocks
        running.configure({"all": {"ownTenantIds": [STACK_TENANT]}})
        assert prv004("default", {"tenantId": STACK_TENANT.upper()}) == []
        [(level, message)] = prv004("other", {"tenantId": OTHER_TENANT})
        assert f"ownTenantIds: {STACK_TENANT}" in message
