"""AGID-GEN-003 on AWS IAM OIDC providers, over gRPC (red7b f18).

An `aws.iam.OpenIdConnectProvider` for `https://oidc.evil.example.net` lets whoever serves that issuer's keys
become every role trusting `oidc-provider/oidc.evil.example.net`, exactly as a federated credential trusting it
does on Azure. Platform issuers (GitHub Actions, EKS clusters) pass, with or without the scheme IAM accepts.
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names

PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"


def provider(url: str) -> tuple:
    return (PROVIDER, "ci-oidc", {"url": url, "clientIdLists": ["sts.amazonaws.com"]})


@pytest.mark.parametrize("url", ["https://oidc.evil.example.net", "oidc.evil.example.net/tenant",
                                 "https://token.actions.githubusercontent.com.evil.example"])
def test_an_iam_oidc_provider_for_an_issuer_nobody_vouched_for_blocks(pack, url) -> None:
    assert flagged_names(pack, "AGID-GEN-003", provider(url), "mandatory") == ["ci-oidc"]


@pytest.mark.parametrize("url", ["https://token.actions.githubusercontent.com", "token.actions.githubusercontent.com",
                                 "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"])
def test_an_iam_oidc_provider_for_a_platform_issuer_passes(pack, url) -> None:
    assert flagged_names(pack, "AGID-GEN-003", provider(url)) == []
