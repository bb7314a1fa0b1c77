"""The platform stack's settings (agentid_components.platform_spec): every problem in one line, nothing guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentid_components.platform_spec import PlatformSpecError, parse_platform

CA = (Path(__file__).resolve().parents[2] / "stacks" / "agents" / "certs" / "data-example-org-ca.pem")
PCA = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f7e6a1c-1111-2222-3333-444455556666"


def problems(data: object, base_dir: Path | None = None) -> list[str]:
    with pytest.raises(PlatformSpecError) as raised:
        parse_platform(data, "config kit:platform", base_dir=base_dir)
    return str(raised.value).splitlines()


def test_a_valid_platform():
    spec = parse_platform({"apis": [{"audience": "https://mcp.example.com", "scopes": ["read", "write"]},
                                    {"audience": "https://api.example.com", "scopes": ["x"], "providers": ["entra", "cognito"]}],
                           "spiffe_trust_domains": [{"trust_domain": "prod.example.org", "acm_pca_arn": PCA},
                                                    {"trust_domain": "data.example.org", "ca_bundle": "agents/certs/" + CA.name}]},
                          "config kit:platform", base_dir=CA.parents[2])
    assert spec.github_actions is True
    assert [api.audience for api in spec.apis_on("cognito")] == ["https://mcp.example.com", "https://api.example.com"]
    assert [api.audience for api in spec.apis_on("entra")] == ["https://api.example.com"]
    assert spec.spiffe_trust_domains[1].ca_bundle.startswith("-----BEGIN CERTIFICATE-----")


def test_every_problem_is_named_with_its_path():
    found = problems({"githubActions": True,
                      "apis": [{"audience": "http://mcp.example.com", "scopes": ["tickets.*"]},
                               {"audience": "https://a.example.com", "scopes": ["r", "r"], "providers": ["okta"]}],
                      "cognito_domain": "my-aws-pool",
                      "spiffe_trust_domains": [{"trust_domain": "Prod.Example.org", "acm_pca_arn": PCA},
                                               {"trust_domain": "x.example.org"}]})
    joined = "\n".join(found)
    for expected in ("config kit:platform.githubActions: Extra inputs are not permitted",
                     "config kit:platform.apis[0].audience: ", "config kit:platform.apis[0].scopes[0]: 'tickets.*' is not a valid OAuth scope",
                     "config kit:platform.apis[1].scopes: listed twice: r",
                     "config kit:platform.apis[1].providers[0]: Input should be 'cognito' or 'entra'",
                     "config kit:platform.cognito_domain: 'my-aws-pool' is not a Cognito domain prefix",
                     "config kit:platform.spiffe_trust_domains[0].trust_domain: 'Prod.Example.org' is not a SPIFFE trust domain",
                     "config kit:platform.spiffe_trust_domains[1]: name exactly one CA: ca_bundle or acm_pca_arn"):
        assert expected in joined, joined


def test_shared_objects_are_declared_once():
    found = problems({"apis": [{"audience": "https://mcp.example.com", "scopes": ["r"]},
                               {"audience": "https://mcp.example.com", "scopes": ["w"]}]})
    assert found == ["config kit:platform: apis[].audience listed twice: https://mcp.example.com"]


def test_a_ca_bundle_holds_certificates_only(tmp_path: Path):
    key = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN " + "PRIVATE" + " KEY-----\nMIIE\n-----END " + "PRIVATE" + " KEY-----\n"
    found = problems({"spiffe_trust_domains": [{"trust_domain": "a.example.org", "ca_bundle": key}]})
    assert found == ["config kit:platform.spiffe_trust_domains[0].ca_bundle: holds a private key: a trust anchor "
                     "needs the CA's certificates only"]
    (tmp_path / "text.pem").write_text("not a certificate")
    found = problems({"spiffe_trust_domains": [{"trust_domain": "a.example.org", "ca_bundle": "text.pem"}]}, tmp_path)
    assert found == ["config kit:platform.spiffe_trust_domains[0].ca_bundle: holds no PEM certificate"]
    found = problems({"spiffe_trust_domains": [{"trust_domain": "a.example.org", "ca_bundle": "absent.pem"}]}, tmp_path)
    assert len(found) == 1 and found[0].startswith("config kit:platform.spiffe_trust_domains[0].ca_bundle: ")
    assert "absent.pem" in found[0]


@pytest.mark.parametrize("data", [None, [], "apis", 3])
def test_not_a_mapping(data):
    assert len(problems(data)) == 1
