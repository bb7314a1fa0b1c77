"""AGID-GCP-032: no service hands a token of a service account to a host outside Google's APIs.

Cloud Scheduler jobs, Cloud Tasks queues, Pub/Sub push subscriptions and Eventarc pipelines call a URL with a token
Google mints for a service account (red13 r13-4: a job POSTing the stack's own account's cloud-platform access token
to https://attacker.example.net every minute passed; AGID-GCP-019 judges whose account it is, nothing judged where
its token goes):
  - an OAuth access token (`oauthToken`) is a bearer credential for everything the account may do; Google meant it
    for *.googleapis.com only. Sent to any other host (a look-alike `storage.googleapis.com.evil.example` or a URL
    with userinfo included) it is a violation; a Cloud Tasks queue that forces no host lets each task pick its URL:
    "cannot check" (a violation);
  - an OIDC ID token (`oidcToken`, `googleOidc`) whose audience a token exchange accepts (a Workload Identity
    Federation provider, Google / AWS STS, Entra's token exchange) sent outside Google's APIs is a violation: the
    recipient exchanges it for whatever trusts the account there. An ID token for the target's own URL (no audience,
    or another) proves the caller to that target, and passes.
Which types, inputs, Google API domains and exchange audiences is data: analysis/gcp_token_forwarding.yaml. A value
unknown at preview is "cannot check until known"; a URL the rule cannot read is "cannot check".
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource, Rule, Unknown, Violation
from .stack_inputs import Stop, judged, objects, stop

DATA_FILE = Path(__file__).resolve().parent.parent / "analysis" / "gcp_token_forwarding.yaml"
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")


@lru_cache(maxsize=1)
def facts() -> dict[str, Any]:
    from agentid_components import data_yaml  # noqa: PLC0415 - read on first use

    return data_yaml.load(DATA_FILE)


def google_api(host: str) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in facts()["google_api_domains"])


def exchange_audience(audience: str) -> bool:
    folded = audience.strip().lower()
    return folded in facts()["exchange_audiences"] or any(folded.startswith(p) for p in facts()["exchange_audience_prefixes"])


def _host_of_uri(resource: Resource, path: str, uri: Any) -> str:
    if is_unknown(uri) or not isinstance(uri, str):
        raise stop(resource, path, uri, "a URL")
    parts = urlsplit(uri.strip())
    netloc = parts.netloc.lower()
    host = netloc.rsplit(":", 1)[0] if re.fullmatch(r"[^:]+:[0-9]+", netloc) else netloc
    if parts.scheme.lower() not in ("https", "http") or not _HOST.match(host):
        raise stop(resource, path, uri, "an http(s) URL with a plain host (no userinfo)")
    return host


def _destination(resource: Resource, spec: dict[str, Any], item: dict[str, Any], where: str) -> str | None:
    """The host the request goes to; None when the resource forces none (each task names its URL)."""
    if "uri" in spec:
        uri = value_at(item, spec["uri"])
        return None if uri is None else _host_of_uri(resource, where + spec["uri"], uri)
    host = value_at(item, spec["host"])
    if host is None:
        return None
    if is_unknown(host) or not isinstance(host, str) or not _HOST.match(host.strip().lower()):
        raise stop(resource, where + spec["host"], host, "a host name")
    return host.strip().lower()


def _judge(resource: Resource, spec: dict[str, Any]):
    props = dict(resource.props)
    items = [(props, "")] if not spec["each"] else [
        (item, f"{spec['each']}[{index}].")
        for index, item in enumerate(objects(resource, spec["each"], value_at(props, spec["each"])))]
    for item, where in items:
        oauth = value_at(item, spec["oauth"]) if "oauth" in spec else None
        oidc = value_at(item, spec["oidc"])
        for path, value in ((spec.get("oauth"), oauth), (spec["oidc"], oidc)):
            if is_unknown(value):
                raise Stop(Unknown(where + path, resource.urn))
        if oauth is None and oidc is None:
            continue
        audience = value_at(oidc, "audience") if isinstance(oidc, dict) else None
        if is_unknown(audience):
            raise Stop(Unknown(f"{where}{spec['oidc']}.audience", resource.urn))
        exchange = isinstance(audience, str) and exchange_audience(audience)
        if oauth is None and not exchange:
            continue
        host = _destination(resource, spec, item, where)
        token = ("an OAuth access token (a bearer credential for everything the account may do)" if oauth is not None
                 else f"an OIDC token for {audience}, an audience a token exchange accepts")
        if host is None and "host" in spec:
            yield Violation(f"{resource.name}: cannot check where {token} goes: {where}{spec['host']} is not set, so "
                            "each task names its own URL", resource.urn)
        elif host is not None and not google_api(host):
            yield Violation(f"{resource.name} sends {token} of a service account to {host}, a host outside Google's "
                            "APIs: whoever serves it acts as the account", resource.urn)


def check(resource: Resource, config):
    yield from judged(_judge(resource, facts()["senders"][resource.type]))


RULE = Rule(
    id="AGID-GCP-032",
    title="gcp-no-token-forwarding",
    severity="critical",
    category="escalation",
    description="Cloud Scheduler jobs, Cloud Tasks queues, Pub/Sub push subscriptions and Eventarc pipelines send "
                "OAuth access tokens only to Google APIs (*.googleapis.com), and OIDC tokens with a token-exchange "
                "audience never outside them.",
    remediation="Call outside endpoints with an OIDC token whose audience is the endpoint's own URL (the default), "
                "or with no token; keep oauthToken for targets on *.googleapis.com and force the host on queues "
                "(httpTarget.uriOverride.host).",
    url="https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#OAuthToken",
    check=check,
    resource_types=tuple(facts()["senders"]),
)
