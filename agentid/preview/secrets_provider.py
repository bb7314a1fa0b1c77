"""The stack file's `secretsprovider:`: which key service the deployer's credentials talk to at `pulumi up`.

A stack's secrets are encrypted with a data key (`encryptedkey:`) that `pulumi up` decrypts with the key service the
stack file names (https://www.pulumi.com/docs/iac/concepts/secrets/#available-encryption-providers; the URLs are
gocloud.dev secrets URLs, https://gocloud.dev/howto/secrets/). The stack file comes with the pull request, so the
URL is the pull request's choice of where the deployer's AWS, Azure or Google credentials are presented and of the
key every config secret and secret output of the stack is encrypted under (red21 r21-6):

* `awskms://KEY?region=R`: KEY is a key id, `alias/NAME`, or a key / alias ARN. An ARN names the key's account,
  which must be an own account (`--own-account`, the trusted `ownAccountIds`); a bare id or alias resolves in the
  deployer's own account. `endpoint=` (a KMS of the pull request's choosing: it returns a data key the attacker
  knows), `profile=` (another credentials profile for the call), `awssdk=` and any other parameter: refused.
* `azurekeyvault://VAULT.vault.azure.net/keys/KEY[/VERSION]`: the Azure SDK presents an Entra token for
  https://vault.azure.net to that host, so the host must be an own one (`--own-host`, the trusted `ownHosts`);
  `algorithm=` is the only parameter allowed.
* `gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K`: P must be an own project (`--own-gcp-project`,
  the trusted `ownGcpProjects`); no parameters.
* `hashivault://KEY`: the server is the deploy job's `VAULT_SERVER_URL`, not the URL's; no parameters.
* `passphrase` and `default` (the Pulumi Cloud backend's own key) call no key service of the deployer's.

Anything else (another scheme, a parameter, a key the gate cannot tell is own) is no verdict (ConfigError, exit
2), as for a stack importing ESC environments: the gate cannot vouch for what `pulumi up` would do with the
deployer's credentials. The gate operator may accept one exact URL with `--allow-secrets-provider URL`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from agentid.preview.stack_config import ConfigError, Project, _plain, _read_tree

KEY = "secretsprovider"
PLAIN = frozenset({"passphrase", "default"})
_AWS_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):(?:key|alias)/.+$")
_AWS_BARE = re.compile(r"^(?:alias/[A-Za-z0-9/_-]+|(?:mrk-)?[0-9a-fA-F-]{32,36})$")
_AZURE_VAULT_SUFFIXES = (".vault.azure.net", ".vault.azure.cn", ".vault.usgovcloudapi.net", ".managedhsm.azure.net")
_GCP_KEY = re.compile(r"^projects/([^/]+)/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/?]+$")


@dataclass(frozen=True)
class Own:
    """What the gate (its options and the trusted settings) vouches for: never the pull request."""

    accounts: frozenset[str] = frozenset()
    gcp_projects: frozenset[str] = frozenset()
    hosts: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()  # --allow-secrets-provider: exact URLs the operator accepts

    @classmethod
    def of(cls, accounts: Iterable[str], gcp_projects: Iterable[str], hosts: Iterable[str],
           allowed: Iterable[str], trusted: Iterable[dict[str, Any]] = ()) -> Own:
        """The gate's options plus each trusted pack config's pack-wide (`all`) lists."""
        accounts, gcp_projects, hosts = set(accounts), set(gcp_projects), {h.lower().rstrip(".") for h in hosts}
        for settings in trusted:
            wide = settings.get("all") if isinstance(settings, dict) else None
            if not isinstance(wide, dict):
                continue
            for key, into in (("ownAccountIds", accounts), ("ownGcpProjects", gcp_projects), ("ownHosts", hosts)):
                listed = wide.get(key)
                if isinstance(listed, list):
                    into.update(str(v).lower().rstrip(".") if key == "ownHosts" else str(v) for v in listed)
        return cls(frozenset(accounts), frozenset(gcp_projects), frozenset(hosts), frozenset(allowed))


def check(project: Project, file: Path, own: Own) -> None:
    """ConfigError when the stack file's `secretsprovider` is not one the gate can vouch for (module docstring)."""
    tree = _read_tree(file)
    document = _plain(tree, file)
    if not isinstance(document, dict) or document.get(KEY) is None:
        return
    value = document[KEY]
    line = next((k.start_mark.line + 1 for k, _ in getattr(tree, "value", ()) if getattr(k, "value", None) == KEY), 1)
    where = f"{project.relative(file)}:{line}: {KEY}: {value!r}"
    if not isinstance(value, str):
        raise ConfigError(f"{where}: not a secrets provider URL")
    if value in own.allowed or value in PLAIN:
        return
    problem = _problem(value, own)
    if problem:
        raise ConfigError(f"{where}: {problem}. `pulumi up` opens this key service with the deployer's credentials "
                          "to decrypt the stack's data key, so the gate accepts only `passphrase`, `default`, "
                          "awskms://KEY?region=R with KEY an own account's key (--own-account) or a bare key id / "
                          "alias, azurekeyvault://HOST/keys/KEY on an own host (--own-host), "
                          "gcpkms://projects/P/... of an own project (--own-gcp-project), or hashivault://KEY, with "
                          "no other parameters; or the exact URL the gate operator allows with "
                          "--allow-secrets-provider: no verdict")


def _problem(value: str, own: Own) -> str | None:
    """Why the URL is not accepted, or None."""
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        return "its parameters cannot be read"
    names = [name for name, _ in query]
    if parts.fragment or "@" in parts.netloc or (scheme != "awskms" and ":" in parts.netloc):
        return "a fragment, user or port in the URL"
    if scheme == "awskms":
        extra = sorted(set(names) - {"region"})
        if extra or len(names) != len(set(names)):
            return f"parameter {', '.join(extra) or 'repeated'}: overrides where or as whom the key service is called"
        key = value[len("awskms://"):].split("?", 1)[0].lstrip("/")  # gocloud: path.Join(Host, Path), "/" trimmed
        match = _AWS_ACCOUNT.match(key)
        if match:
            return None if match.group(1) in own.accounts else (
                f"the key is in account {match.group(1)}, not an own account ({', '.join(sorted(own.accounts)) or 'none listed'})")
        return None if _AWS_BARE.match(key) else f"{key!r} is not a KMS key id, alias or ARN"
    if scheme == "azurekeyvault":
        host = (parts.hostname or "").lower().rstrip(".")
        if sorted(set(names) - {"algorithm"}) or len(names) != len(set(names)):
            return f"parameter {', '.join(sorted(set(names) - {'algorithm'})) or 'repeated'} is not allowed"
        if not host.endswith(_AZURE_VAULT_SUFFIXES) or not re.fullmatch(r"/keys/[A-Za-z0-9-]+(/[A-Za-z0-9]+)?", parts.path):
            return "not a Key Vault key URL (azurekeyvault://VAULT.vault.azure.net/keys/KEY)"
        return None if host in own.hosts else (
            f"the vault host {host} is not an own host ({', '.join(sorted(own.hosts)) or 'none listed'})")
    if scheme == "gcpkms":
        if names:
            return f"parameter {', '.join(sorted(set(names)))} is not allowed"
        match = _GCP_KEY.match(parts.netloc + parts.path)
        if not match:
            return "not a Cloud KMS key (gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K)"
        return None if match.group(1) in own.gcp_projects else (
            f"the key is in project {match.group(1)}, not an own project "
            f"({', '.join(sorted(own.gcp_projects)) or 'none listed'})")
    if scheme == "hashivault":
        if names:
            return f"parameter {', '.join(sorted(set(names)))} is not allowed"
        return None if re.fullmatch(r"[A-Za-z0-9_.-]+", parts.netloc) and parts.path in ("", "/") else (
            "not a Vault transit key name (hashivault://KEY)")
    return f"scheme {scheme or value!r} is not a secrets provider the gate knows"


def trusted_configs(settings: dict[str, Any]) -> Sequence[dict[str, Any]]:
    """Every pack's trusted config from the waiver file's `policyPackConfig` (pack name -> config)."""
    return [config for config in settings.values() if isinstance(config, dict)]
