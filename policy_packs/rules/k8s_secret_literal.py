"""AGID-K8S-004: no literal credential in a Kubernetes Secret's `stringData` or `data`.

A Secret's values are inputs: a value typed into the program is in its source, in every state file and in
every preview, whatever the cluster does with it afterwards. Each value is judged under its key:
  - `stringData[key]` as given; `data[key]` after base64 decoding (RFC 4648 section 4, the API's
    encoding: https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/secret-v1/);
    a `data` value that is not base64, or decodes to bytes that are not UTF-8 text (a keystore), cannot be
    scanned and is reported ("cannot check"), never passed;
  - a value is a literal credential when detect-secrets' detectors find one (secret_scan.py, shared with
    AGID-AWS-007 and AGID-AZ-025), or when the Secret's `type` defines the key as a credential
    (https://kubernetes.io/docs/concepts/configuration/secret/#secret-types): `password` of
    kubernetes.io/basic-auth, `ssh-privatekey` of kubernetes.io/ssh-auth, `tls.key` of kubernetes.io/tls,
    `.dockerconfigjson` / `.dockercfg` of the docker-config types, `token` of
    kubernetes.io/service-account-token (the control plane writes that one; a literal is a copied token).
Not literals: values unknown at preview (generated, or read from another resource) and the placeholder
`agentid preview` sends for an encrypted stack-config secret. The engine's secret mark is no evidence here:
pulumi-kubernetes wraps every Secret's `data` and `stringData` in `Output.secret` itself
(pulumi_kubernetes/core/v1/Secret.py), literal or not. So under `pulumi preview`, where config secrets
arrive decrypted, a config secret in a Secret is reported too (fail closed); `agentid preview` tells them apart.
Items of a SecretList are judged one by one (k8s_lists.py).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from typing import Any

from agentid_policy_packs.analysis.values import is_unknown

from .aws_literal_secret import PLACEHOLDER
from .base import Resource, Rule, Unknown, Violation
from .secret_scan import MAX_SCANNED, literal_secret_message

SECRET = "kubernetes:core/v1:Secret"
SECRET_PATCH = "kubernetes:core/v1:SecretPatch"
# Secret type -> the keys that type defines as credentials (Kubernetes docs, "Types of Secret")
CREDENTIAL_KEYS = {
    "kubernetes.io/basic-auth": {"password"},
    "kubernetes.io/ssh-auth": {"ssh-privatekey"},
    "kubernetes.io/tls": {"tls.key"},
    "kubernetes.io/dockerconfigjson": {".dockerconfigjson"},
    "kubernetes.io/dockercfg": {".dockercfg"},
    "kubernetes.io/service-account-token": {"token"},
}
REMEDY = ("create it from a generated value (random.RandomPassword) or a config secret, or better, have the "
          "workload use its cloud identity (the kit's ServiceAccount annotations) or an external secret store")


class _Unscannable(ValueError):
    pass


def _decoded(value: str) -> str:
    try:
        raw = base64.b64decode(value[: MAX_SCANNED * 2], validate=True)
    except (binascii.Error, ValueError) as error:
        raise _Unscannable("is not base64 (the API rejects it)") from error
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _Unscannable("decodes to binary data, which the detectors cannot scan") from error


def _values(resource: Resource) -> Iterator[tuple[str, str, Any]]:
    """(path, key, value or a problem) for every value of stringData and data."""
    for field, encoded in (("stringData", False), ("data", True)):
        entries = resource.props.get(field)
        if entries is None:
            continue
        if is_unknown(entries):
            yield field, "", Unknown(field)
            continue
        if not isinstance(entries, Mapping):
            yield field, "", _Unscannable(f"is a {type(entries).__name__}, not a map of key to value")
            continue
        for key, value in entries.items():
            path = f"{field}[{key!r}]"
            if value is None or is_unknown(value) or value == PLACEHOLDER:
                continue
            if not isinstance(value, str):
                yield path, key, _Unscannable(f"is a {type(value).__name__}, not a string")
                continue
            if encoded:
                try:
                    value = _decoded(value)
                except _Unscannable as problem:
                    yield path, key, problem
                    continue
                if value == PLACEHOLDER:
                    continue
            yield path, str(key), value


def check(resource: Resource, config):
    secret_type = resource.props.get("type")
    if is_unknown(secret_type):  # the detectors still run; which keys the type makes credentials is unknown
        yield Unknown("type")
    by_type = CREDENTIAL_KEYS.get(secret_type, set()) if isinstance(secret_type, str) else set()
    for path, key, value in _values(resource):
        if isinstance(value, Unknown):
            yield value
        elif isinstance(value, _Unscannable):
            yield Violation(f"{resource.name}: {path} {value}, so whether it holds a literal credential cannot be "
                            "judged")
        elif key in by_type and value.strip():
            yield Violation(f"{resource.name}: {path} holds a literal credential ({secret_type} defines {key!r} as "
                            f"one): it is in the program's source and every state file and preview; {REMEDY}")
        else:
            message = literal_secret_message(resource.name, path, key, value, REMEDY)
            if message:
                yield Violation(message)


RULE = Rule(
    id="AGID-K8S-004",
    title="k8s-secret-no-literal-credentials",
    severity="critical",
    category="static-credential",
    description="No Kubernetes Secret carries a literal credential in stringData or data (detect-secrets, and the "
                "keys the Secret's type defines as credentials).",
    remediation="Fill the Secret from a generated value or a Pulumi config secret, or drop it: give the workload a "
                "cloud identity through its ServiceAccount (IRSA, Azure workload identity, GKE) or an external "
                "secret store.",
    url="https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
    check=check,
    resource_types=(SECRET, SECRET_PATCH),
)
