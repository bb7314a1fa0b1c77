"""Issuer and audience URLs in an agent file mean one host, port and path to every parser (red7a item 13).

Each hostile URL is refused by `agentid validate` with FILE:LINE: PATH and the rule it breaks; each look-alike
that is an ordinary https URL passes. The rules and their sources are in agentid_components/https_url.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agentid_components.loader import check_text

ROOT = Path(__file__).resolve().parents[2]


def _agent(audience: str, issuer: str = "https://as.acme.example") -> dict:
    return {"name": "a", "owner": "team", "purpose": "p", "environment": "dev", "review_by": "2031-06-30",
            "tools": [{"name": "t", "oauth": {"provider": "oidc", "issuer": issuer, "audience": audience,
                                              "scopes": ["read"]}}],
            "trust": [{"github_actions": {"repository": "acme/r", "branch": "main"}}]}


def _errors(audience: str) -> list[str]:
    _, _, errors = check_text(yaml.safe_dump({"agents": [_agent(audience)]}, sort_keys=False, allow_unicode=True),
                              "agents.yaml")
    return [str(error) for error in errors]


HOSTILE = {
    # red7a item 13, each accepted before
    "Cyrillic homograph U-label": ("https://mcp.\u0430cme.example",
                                   "has a host outside ASCII whose label 'xn--cme-5cd' ('\u0430cme'), which mixes "
                                   "the scripts CYRILLIC, LATIN: a homograph of another name"),
    "the same homograph as an A-label": ("https://mcp.xn--cme-8cd.example", "has label 'xn--cme-8cd'"),
    "whole-script homograph of apple.com": ("https://xn--80ak6aa92e.com", "whose every letter looks like a Latin one"),
    "invalid A-label": ("https://xn--zz.example", "is not a valid IDNA A-label (RFC 5891 §5.4)"),
    "backslash before @": ("https://mcp.acme.example\\@evil.example", "holds a backslash: URL parsers disagree on it"),
    "backslash in the host": ("https://evil.example\\.mcp.acme.example", "holds a backslash"),
    "%2e in the host": ("https://mcp.acme.example%2eevil.example", "has a '%' in its host"),
    "any percent-encoding in the host": ("https://mcp%2Dacme.example", "has a '%' in its host"),
    "IPv6 zone id": ("https://[2001:db8::1%25eth0]", "has a '%' in its host"),
    "semicolon in the host": ("https://mcp.acme.example;evil.example", "has a host that is not a DNS name"),
    "underscore in the host": ("https://mcp_acme.example", "has a host that is not a DNS name"),
    "port 0": ("https://mcp.acme.example:0", "has port '0': a port is a number from 1 to 65535"),
    "port 65536": ("https://mcp.acme.example:65536", "has port '65536'"),
    "empty port": ("https://mcp.acme.example:", "has port ''"),
    "Arabic-Indic digits as port": ("https://mcp.acme.example:\u0663\u0664\u0663", "holds a character outside ASCII"),
    "explicit default port": ("https://mcp.acme.example:443", "names the default port 443"),
    "dot-dot segment": ("https://mcp.acme.example/../admin", "has a '.' or '..' path segment"),
    "dot segment": ("https://mcp.acme.example/./admin", "has a '.' or '..' path segment"),
    "trailing dot-dot": ("https://mcp.acme.example/api/..", "has a '.' or '..' path segment"),
    "encoded dot-dot": ("https://mcp.acme.example/%2e%2e/admin", "has a percent-encoded '.', '/' or '\\' in its path"),
    "encoded slash": ("https://mcp.acme.example/api%2Fadmin", "has a percent-encoded '.', '/' or '\\' in its path"),
    "bad percent-encoding": ("https://mcp.acme.example/a%zz", "or a '%' not followed by two hex digits"),
    "AWS/GCP/Azure metadata address": ("https://169.254.169.254/latest/meta-data", "names address 169.254.169.254, which is link-local"),
    "metadata in decimal": ("https://2852039166/latest", "has a host ending in a number that is not a dotted-decimal IPv4"),
    "metadata in hex": ("https://0xa9.0xfe.0xa9.0xfe/", "has a host ending in a number"),
    "metadata in octal": ("https://0251.0376.0251.0376/", "has a host ending in a number"),
    "IPv4-mapped metadata": ("https://[::ffff:169.254.169.254]/", "names address 169.254.169.254, which is link-local"),
    "NAT64 metadata": ("https://[64:ff9b::a9fe:a9fe]/", "names address 169.254.169.254"),
    "AWS IMDS over IPv6": ("https://[fd00:ec2::254]/latest", "names address fd00:ec2::254, which is a cloud instance-metadata address"),
    "Azure WireServer": ("https://168.63.129.16/machine", "which is a cloud instance-metadata address"),
    "GCP metadata name": ("https://metadata.google.internal/computeMetadata", "names 'metadata.google.internal'"),
    "IPv6 link-local": ("https://[fe80::1]/", "which is link-local"),
    "loopback": ("https://127.0.0.1/", "names address 127.0.0.1, which is loopback"),
    "loopback elsewhere in 127/8": ("https://127.1.2.3:8443/", "which is loopback"),
    "IPv6 loopback": ("https://[::1]/", "names address ::1, which is loopback"),
    "localhost": ("https://localhost:8443/", "names 'localhost'"),
    "a .localhost name": ("https://mcp.localhost/", "names 'mcp.localhost'"),
    "unspecified": ("https://0.0.0.0/", "names address 0.0.0.0, which is unspecified"),
    "IPv6 unspecified": ("https://[::]/", "names address ::, which is unspecified"),
    "multicast": ("https://224.0.0.1/", "which is multicast"),
    "broadcast": ("https://255.255.255.255/", "which is broadcast"),
    "unclosed bracket": ("https://[::1/", "has a bracketed host that is not an IPv6 address"),
    "upper-case host": ("https://MCP.acme.example", "has upper case in its host"),
}


@pytest.mark.parametrize("url, message", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_url_is_refused_with_the_rule_it_breaks(url, message):
    [error] = _errors(url)
    assert error.startswith("agents.yaml:12: agents[0].tools[0].oauth.audience: '"), error  # FILE:LINE: PATH
    assert message in error, error


LOOK_ALIKES = [
    "https://mcp.acme.example",
    "https://mcp.acme.example/mcp",
    "https://mcp.acme.example:8443/api/v1",
    "https://xn--bcher-kva.example/api",  # bücher: one script
    "https://xn--e1afmkfd.xn--p1ai",  # пример.рф: Cyrillic under a Cyrillic TLD
    "https://xn--r8jz45g.jp",  # 例え.jp: Han + Hiragana, a mix Japanese writes (TS #39 Highly Restrictive)
    "https://10.0.0.5:8443/api",  # private addresses are not metadata services
    "https://[2001:db8::1]/api",
    "https://api.example.com/a%20b",  # percent-encoding in a path is fine, but for '.', '/' and '\'
    "https://api.example.com/v1.0/..tickets/x.y",  # dots inside segments are not dot segments
    "https://sts.windows.net/11111111-2222-3333-4444-555555555555/",
    "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
    "https://169.254.example.com/",  # a name, not an address
]


@pytest.mark.parametrize("url", LOOK_ALIKES)
def test_an_ordinary_https_url_passes(url):
    assert _errors(url) == []


def test_validate_reports_every_hostile_url_of_a_file_at_once(tmp_path):
    """The red7a file: one agent per hostile URL, each refused on its own line, exit 2."""
    agents = []
    for index, (url, _) in enumerate(HOSTILE.values()):
        agent = _agent(url)
        agent["name"] = f"a{index}"
        agent["trust"] = [{"github_actions": {"repository": f"acme/r{index}", "branch": "main"}}]
        agents.append(agent)
    spec = tmp_path / "agents.yaml"
    spec.write_text(yaml.safe_dump({"agents": agents}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "agentid.cli", "validate", str(spec)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == f"{spec}: {len(HOSTILE)} problems", result.stderr
    for index, line in enumerate(lines[:-1]):
        assert line.startswith(f"{spec}:") and f": agents[{index}].tools[0].oauth.audience: '" in line, line


def test_issuers_follow_the_same_rules():
    agent = _agent("https://mcp.acme.example", issuer="https://169.254.169.254/")
    agent["trust"] = [{"kubernetes": {"issuer": "https://oidc.example.com:443/id/X", "namespace": "agents",
                                      "service_account": "a"}}]
    _, _, errors = check_text(yaml.safe_dump({"agents": [agent]}, sort_keys=False), "agents.yaml")
    messages = [str(error) for error in errors]
    assert any(".oauth.issuer: 'https://169.254.169.254/' names address 169.254.169.254" in m for m in messages), messages
    assert any(".kubernetes.issuer: 'https://oidc.example.com:443/id/X' names the default port 443" in m
               for m in messages), messages
