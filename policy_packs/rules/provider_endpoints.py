"""AGID-PRV-003: no provider configuration that sends the deployer's credentials to a host other than the vendor's.

A provider (`pulumi:providers:<package>`: an explicit `aws.Provider(...)`, or the default provider the engine
registers from the stack's `<package>:*` config) signs in with the deployer's identity wherever the deployment
runs, and its endpoint settings choose where that identity's requests go (prov20's gap):
  - aws: `endpoints` (any service: sts, iam, s3, ...) on a host outside every AWS partition's DNS suffixes (from
    botocore's partitions.json), or over plain http; `stsRegion` that is no region of a partition; `insecure`
    (TLS not verified); `customCaBundle` other than the operating system's trust store (whoever holds that CA
    reads the requests), `httpProxy` / `httpsProxy` (the change's proxy carries every request);
  - azure-native, azuread, azure: `environment` other than Microsoft's clouds, `metadataHost` other than their
    ARM hosts (the provider takes its login and ARM endpoints from it), `oidcRequestUrl` outside the CI systems'
    token hosts (it receives the job's request token), `msiEndpoint` other than the machine's own identity endpoint;
  - gcp: `universeDomain` other than googleapis.com, any `*CustomEndpoint` outside googleapis.com or over http;
  - kubernetes: a kubeconfig document whose user runs a cloud's token plugin (`aws eks get-token`, kubelogin,
    gke-gcloud-auth-plugin) against a cluster `server` outside that cloud's API-server hosts, or whose user sends
    any other credential (a `token` or `tokenFile`: an in-cluster runner's own service-account token, red19 r19-11;
    a client certificate and key, inline or files; basic auth; an auth-provider; another exec plugin) to a server
    outside every cloud's API-server hosts and the gate's pack-wide `ownHosts` (an IP address cannot be told:
    cannot check), or through a `proxy-url`, or with `insecure-skip-tls-verify`.
A vendor-owned endpoint (sts.eu-west-1.amazonaws.com, a VPC endpoint's vpce-...amazonaws.com name,
us-central1-aiplatform.googleapis.com) passes. Hosts are data: analysis/provider_endpoints.yaml (and botocore).
A value unknown at preview cannot be judged ("cannot check until known").
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agentid_components import data_yaml
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .gcp_foreign_project_inputs import CONFIG_SCHEMA as GCP_033_SCHEMA, OWN_HOSTS_KEY
from .provider_command_credentials import _is_change_path
from .provider_static_credentials import kubeconfig_document

DATA = Path(__file__).resolve().parent.parent / "analysis" / "provider_endpoints.yaml"
# what a default provider built from stack config must carry for this rule to judge it (default_providers.py);
# gcp's `<service>CustomEndpoint` keys are matched by ENDPOINT_KEY_SUFFIX
ENDPOINT_CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "aws": ("endpoints", "stsRegion", "customCaBundle", "insecure", "httpProxy", "httpsProxy"),
    "azure-native": ("environment", "metadataHost", "oidcRequestUrl", "msiEndpoint"),
    "azuread": ("environment", "metadataHost", "oidcRequestUrl", "msiEndpoint"),
    "azure": ("environment", "metadataHost", "oidcRequestUrl", "msiEndpoint"),
    "gcp": ("universeDomain",),
    "kubernetes": ("kubeconfig",),
}
ENDPOINT_KEY_SUFFIX = {"gcp": "CustomEndpoint"}
PROVIDER_TYPES = tuple(f"pulumi:providers:{package}" for package in ENDPOINT_CONFIG_KEYS)


def endpoint_key(package: str, key: str) -> bool:
    """Whether the `<package>:<key>` setting chooses where the provider sends its credentials."""
    return key in ENDPOINT_CONFIG_KEYS.get(package, ()) or \
        (package in ENDPOINT_KEY_SUFFIX and key.endswith(ENDPOINT_KEY_SUFFIX[package]))


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


@lru_cache(maxsize=1)
def aws_partitions() -> tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]:
    """(DNS suffixes, region patterns) of every AWS partition, from the installed botocore's partitions.json."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or spec.origin is None:
        raise RuntimeError("botocore is not installed: AWS partitions unknown")
    data = json.loads((Path(spec.origin).parent / "data" / "partitions.json").read_text(encoding="utf-8"))
    suffixes, regions = set(), []
    for partition in data["partitions"]:
        outputs = partition["outputs"]
        suffixes.update(outputs[key] for key in ("dnsSuffix", "dualStackDnsSuffix") if outputs.get(key))
        regions.append(re.compile(partition["regionRegex"]))
        regions.extend(re.compile(re.escape(region) + "$") for region in partition.get("regions", {}))
    return tuple(sorted(suffixes)), tuple(regions)


def _under(host: str, suffixes) -> bool:
    host = host.lower().rstrip(".")
    return any(host == suffix or host.endswith("." + suffix) for suffix in suffixes)


def _url_problem(value: Any, suffixes, who: str, *, bare_host: bool = False) -> str | None:
    """Why the endpoint `value` is not a vendor's (`who`) https endpoint, or None."""
    if not isinstance(value, str):
        return f"{value!r} is not a URL (cannot check)"
    text = value.strip()
    if bare_host and "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        return f"{value!r} is not a URL (cannot check)"
    if parts.scheme != "https":
        return f"{value!r} is not https: anyone on the path reads the requests"
    if parts.username or parts.password:
        return f"{value!r} carries user information (cannot check)"
    if not _under(host, suffixes):
        return f"{value!r} is on {host or 'no host'}, not a host of {who}"
    return None


def _as_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _aws(props: Mapping[str, Any]) -> Iterator[str | Unknown]:
    suffixes, regions = aws_partitions()
    endpoints = props.get("endpoints")
    if is_unknown(endpoints):
        yield Unknown("endpoints")
    elif endpoints not in (None, "", []):
        if isinstance(endpoints, str):  # stack config: the list as JSON text
            try:
                endpoints = json.loads(endpoints)
            except ValueError:
                endpoints = None
        if isinstance(endpoints, dict):
            endpoints = [endpoints]
        if not isinstance(endpoints, list) or not all(isinstance(item, dict) for item in endpoints):
            yield "endpoints is not a list of service -> URL maps (cannot check)"
        else:
            for item in endpoints:
                for service, url in sorted(item.items(), key=lambda pair: str(pair[0])):
                    if is_unknown(url):
                        yield Unknown(f"endpoints.{service}")
                    elif url not in (None, ""):
                        problem = _url_problem(url, suffixes, "AWS")
                        if problem:
                            yield f"endpoints.{service} {problem}"
    region = props.get("stsRegion")
    if is_unknown(region):
        yield Unknown("stsRegion")
    elif region not in (None, "") and not (isinstance(region, str) and any(p.match(region) for p in regions)):
        yield f"stsRegion {region!r} is no region of an AWS partition (the STS host is built from it)"
    insecure = props.get("insecure")
    if is_unknown(insecure):
        yield Unknown("insecure")
    elif _as_bool(insecure):
        yield "insecure is true: TLS certificates are not verified, so anyone on the path reads the signed requests"
    bundle = props.get("customCaBundle")
    if is_unknown(bundle):
        yield Unknown("customCaBundle")
    elif isinstance(bundle, str) and bundle.strip() and bundle.strip() not in _data()["aws_system_ca_bundles"]:
        where = "a file of the change" if _is_change_path(bundle) else "not the operating system's trust store"
        yield (f"customCaBundle {bundle!r} is {where}: whoever holds one of its CAs and sits on the path reads every "
               "AWS request and the credentials STS returns (a TLS-inspecting proxy's CA is the runner's setting, "
               "AWS_CA_BUNDLE)")
    # red17 r17-10: the change's proxy carries every request of the deployment; with a CA it trusts (above) it reads
    # them, without one it still chooses where they go and sees every host (the runner's HTTPS_PROXY is not judged)
    for key in ("httpProxy", "httpsProxy"):
        proxy = props.get(key)
        if is_unknown(proxy):
            yield Unknown(key)
        elif isinstance(proxy, str) and proxy.strip():
            yield (f"{key} {proxy[:200]!r} sends every AWS request of the deployment through a proxy the change "
                   "names (a proxy is the runner's setting: HTTPS_PROXY)")


def _azure(props: Mapping[str, Any]) -> Iterator[str | Unknown]:
    data = _data()["azure"]
    environment = props.get("environment")
    if is_unknown(environment):
        yield Unknown("environment")
    elif environment not in (None, "") and str(environment).strip().lower() not in data["environments"]:
        yield f"environment {environment!r} is not one of Microsoft's clouds ({', '.join(data['environments'][:3])})"
    checks = (("metadataHost", data["metadata_hosts"], "Microsoft ARM", True),
              ("oidcRequestUrl", data["oidc_request_hosts"], "CI OIDC token", False))
    for key, hosts, who, bare in checks:
        value = props.get(key)
        if is_unknown(value):
            yield Unknown(key)
        elif value not in (None, ""):
            problem = _url_problem(value, hosts, who, bare_host=bare)
            if problem:
                yield f"{key} {problem}"
    msi = props.get("msiEndpoint")
    if is_unknown(msi):
        yield Unknown("msiEndpoint")
    elif msi not in (None, ""):
        try:
            host = urlsplit(str(msi).strip()).hostname or ""
        except ValueError:
            host = ""
        if host.lower() not in data["msi_hosts"]:
            yield f"msiEndpoint {msi!r} is not the machine's own managed-identity endpoint"


def _gcp(props: Mapping[str, Any]) -> Iterator[str | Unknown]:
    data = _data()["gcp"]
    universe = props.get("universeDomain")
    if is_unknown(universe):
        yield Unknown("universeDomain")
    elif universe not in (None, "") and str(universe).strip().lower() not in data["universe_domains"]:
        yield f"universeDomain {universe!r} is not Google Cloud's (every API request and token goes to *.{universe})"
    for key in sorted(props):
        if not key.endswith(ENDPOINT_KEY_SUFFIX["gcp"]):
            continue
        value = props[key]
        if is_unknown(value):
            yield Unknown(key)
        elif value not in (None, ""):
            problem = _url_problem(value, data["endpoint_hosts"], "Google API")
            if problem:
                yield f"{key} {problem}"


# kubeconfig user fields that make client-go send a credential to the context's cluster server
# (https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/#AuthInfo): a bearer token (inline or read from a
# file on the runner: an in-cluster runner's service-account token, red19 r19-11), a client certificate and key
# (inline or files), basic auth, an auth-provider's tokens, an exec plugin's output
CREDENTIAL_USER_FIELDS = ("token", "tokenFile", "client-certificate", "client-certificate-data", "client-key",
                          "client-key-data", "username", "password", "auth-provider", "exec")


def _kubernetes(props: Mapping[str, Any], own_hosts: frozenset[str] = frozenset()) -> Iterator[str | Unknown]:
    text = props.get("kubeconfig")
    if is_unknown(text):
        yield Unknown("kubeconfig")
        return
    if not isinstance(text, str) or not text.strip():
        return
    try:
        document = kubeconfig_document(text)
    except ValueError:
        return  # AGID-PRV-001 reports a kubeconfig it cannot read
    if document is None:
        return
    plugins = _data()["kubernetes"]["cloud_plugins"]
    cloud_hosts = tuple(dict.fromkeys(host for hosts in plugins.values() for host in hosts))
    def named(key: str, field: str) -> dict[str, Any]:
        entries = document.get(key)
        return {entry["name"]: entry.get(field) for entry in (entries if isinstance(entries, list) else [])
                if isinstance(entry, dict) and isinstance(entry.get("name"), str)}

    users, clusters = named("users", "user"), named("clusters", "cluster")
    for name, context in named("contexts", "context").items():
        if not isinstance(context, dict) or not isinstance(context.get("user"), str) or \
                not isinstance(context.get("cluster"), str):
            continue
        user, cluster = users.get(context["user"]), clusters.get(context["cluster"])
        if not isinstance(user, dict):
            continue
        sent = [field for field in CREDENTIAL_USER_FIELDS if user.get(field) not in (None, "", {}, [])]
        if not sent:
            continue  # an anonymous user sends nothing
        exec_config = user.get("exec")
        command = exec_config.get("command") if isinstance(exec_config, dict) else None
        if isinstance(command, str) and command in plugins:
            credential, hosts, who = f"{command}'s cloud token", plugins[command], f"{command} cluster"
        else:
            credential = f"the runner's credential ({', '.join(sent)})"
            hosts, who = cloud_hosts, "a cloud's managed clusters (EKS, AKS, GKE) nor one of ownHosts"
        if not isinstance(cluster, dict):
            yield f"context {name!r} sends {credential} to a cluster the kubeconfig does not define (cannot check)"
            continue
        server = cluster.get("server")
        host = ""
        try:
            host = urlsplit(server).hostname or "" if isinstance(server, str) else ""
        except ValueError:
            pass
        host = host.lower().rstrip(".")
        if host and host in own_hosts and credential.startswith("the runner's"):
            pass  # a server the gate lists as the organisation's own (ownHosts)
        else:
            try:
                ipaddress.ip_address(host)
                yield (f"context {name!r} sends {credential} to the IP address {host}: whether it is the "
                       "cloud's or your cluster cannot be told (cannot check)")
            except ValueError:
                problem = _url_problem(server, hosts, who)
                if problem:
                    yield f"context {name!r} sends {credential} to server {problem}"
        if cluster.get("proxy-url"):
            yield f"context {name!r} sends {credential} through proxy-url {cluster['proxy-url']!r}"
        if _as_bool(cluster.get("insecure-skip-tls-verify")):
            yield f"context {name!r} sends {credential} with insecure-skip-tls-verify"


_READERS = {"aws": _aws, "azure-native": _azure, "azuread": _azure, "azure": _azure, "gcp": _gcp,
            "kubernetes": _kubernetes}


def _own_hosts(config) -> frozenset[str]:
    return frozenset(host.strip().lower().rstrip(".") for host in config.get(OWN_HOSTS_KEY, []) if isinstance(host, str))


def check(resource: Resource, config):
    package = resource.type.removeprefix("pulumi:providers:")
    reader = _READERS.get(package)
    if reader is None:
        return
    problems = []
    found_all = reader(resource.props, _own_hosts(config)) if package == "kubernetes" else reader(resource.props)
    for found in found_all:
        if isinstance(found, Unknown):
            yield found
        else:
            problems.append(found)
    if problems:
        yield Violation(f"{resource.type} {resource.name} sends the deployer's credentials, tokens or signed requests "
                        f"where the vendor does not answer: {'; '.join(problems)}")


RULE = Rule(
    id="AGID-PRV-003",
    title="provider-endpoints-are-the-vendors",
    severity="critical",
    category="weak-trust",
    description="No provider endpoint setting (explicit or from stack config) that sends the deployer's credentials, "
                "tokens or signed requests to a host other than the vendor's: aws endpoints / stsRegion / insecure / "
                "customCaBundle / proxies, Azure environment / metadataHost / oidcRequestUrl / msiEndpoint, gcp universeDomain / "
                "*CustomEndpoint, a kubeconfig cluster any credential is sent to.",
    remediation="Remove the endpoint override (the provider's defaults are the vendor's hosts); for a private "
                "network use the vendor's VPC / private endpoint names (vpce-....amazonaws.com, "
                "*.privatelink / private.googleapis.com); if the host is yours, waive this provider with a reason.",
    url="https://www.pulumi.com/registry/packages/aws/api-docs/provider/",
    check=check,
    resource_types=PROVIDER_TYPES,
    config={OWN_HOSTS_KEY: []},
    config_schema={OWN_HOSTS_KEY: GCP_033_SCHEMA[OWN_HOSTS_KEY]},
    config_strictness={OWN_HOSTS_KEY: "subset"},
)
