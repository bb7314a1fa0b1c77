"""AGID-PRV-002: no provider configuration that makes the provider run a command on the deploy runner.

A provider (`pulumi:providers:<package>`: an explicit `aws.Provider(...)`, or the default provider the engine
registers from the stack's `<package>:*` config) configures itself at `pulumi preview` and `pulumi up` on the
machine that runs them, with that machine's environment: the deployer's credentials. Some credential sources are
a command it runs there (red11b 10), the same as `command:local:Command` (AGID-GEN-001):
  - aws: `sharedConfigFiles` / `sharedCredentialsFiles` naming files other than the SDK's default ones: a profile
    in a file the change brings can hold a `credential_process`, and the gate cannot read the file (cannot check);
  - kubernetes: a kubeconfig whose `users[].user.exec` runs anything but a vendor's token plugin called as a bare
    command with its token subcommand (`aws eks get-token`, `aws-iam-authenticator token`,
    `gke-gcloud-auth-plugin`, `kubelogin get-token`, ...), or sets an environment variable beyond the documented
    ones (PATH, AWS_CONFIG_FILE, LD_PRELOAD turn a plugin into the change's code); a legacy auth-provider
    `cmd-path`; a kubeconfig FILE, or a `helmReleaseSettings` pluginsPath / registryConfigPath /
    repositoryConfigPath / repositoryCache (Helm runs the plugins in it), named by any path that is not the
    runner's own default location (analysis/runner_paths.yaml, an allow-list: `/proc/self/cwd/kc.yaml`, the CI
    checkout's absolute path, `~/work/...` resolve to the change's files; red19 r19-1): cannot check;
  - gcp: `credentials` holding external account credentials whose `credential_source.executable` runs a command
    (nested ones too: an impersonated account's `source_credentials`), or naming a credentials file other than the
    runner's application default credentials (cannot check).
Which plugins and variables pass, and the sources, are data: analysis/provider_command_credentials.yaml.
A value unknown at preview cannot be judged ("cannot check until known").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml, input_limits
from agentid_policy_packs.analysis.runner_paths import path_problem
from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation
from .provider_static_credentials import KUBECONFIG_LIMITS, kubeconfig_document, kubeconfig_users

DATA = Path(__file__).resolve().parent.parent / "analysis" / "provider_command_credentials.yaml"
# what a default provider built from stack config must carry for this rule to judge it (agentid/preview/default_providers.py)
COMMAND_CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "aws": ("sharedConfigFiles", "sharedCredentialsFiles"),
    "kubernetes": ("kubeconfig", "helmReleaseSettings"),
    "gcp": ("credentials",),
}
PROVIDER_TYPES = tuple(f"pulumi:providers:{package}" for package in COMMAND_CONFIG_KEYS)


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


# helmReleaseSettings inputs naming a runner path (pulumi_kubernetes HelmReleaseSettingsArgs; Helm's own flags): the
# plugins Helm runs (downloader plugins for a chart URL's scheme, post-renderers), the repositories and registry
# logins it reads (a repository entry can carry a plugin protocol), and the cached repository indexes
HELM_PATH_INPUTS = {"pluginsPath": "helm_plugins", "registryConfigPath": "helm_registry_config",
                    "repositoryConfigPath": "helm_repository_config", "repositoryCache": "helm_repository_cache"}


def _is_change_path(path: str) -> bool:
    """A path relative to the deployment's working directory (the change's own files), not the runner's
    (absolute, home-relative or a Windows drive path)."""
    path = path.strip()
    return not (path.startswith(("/", "~", "$HOME", "\\")) or (len(path) > 2 and path[1] == ":" and path[2] in "/\\"))


def _paths(value: Any) -> list[str] | None:
    """A list-of-paths input: a list, or (stack config) its JSON text, or one path; None when unreadable."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.lstrip().startswith("[") else [value]
        except ValueError:
            return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return value


def _aws(props: Mapping[str, Any]):
    defaults = set(_data()["aws_default_files"])
    for key in _data()["aws_config_file_inputs"]:
        value = props.get(key)
        if is_unknown(value):
            yield Unknown(key)
            continue
        if value in (None, "", []):
            continue
        paths = _paths(value)
        if paths is None:
            yield f"{key} cannot be read as a list of file paths (cannot check)"
            continue
        named = [path for path in paths if path.strip() not in defaults]
        if named:
            yield (f"{key} names {', '.join(named)}: the provider's AWS SDK runs a profile's `credential_process` from "
                   "such a file, and the gate cannot read it (cannot check)")


def _words(args: list[str]) -> list[str]:
    """The positional words of a command line: an option (`--region`) is skipped with its value, unless written
    `--region=eu-west-1`; a flag before a subcommand is then taken for an option with a value (fail closed)."""
    words, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = "=" not in arg
        else:
            words.append(arg)
    return words


def _exec_problem(exec_config: Any) -> str | None:
    """Why a kubeconfig `exec` runs code the gate cannot vouch for, or None for a vendor plugin's token call."""
    if not isinstance(exec_config, dict):
        return "is not a mapping (cannot check)"
    command, args, env = exec_config.get("command"), exec_config.get("args") or [], exec_config.get("env") or []
    if not isinstance(command, str) or not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return "has no readable command and args (cannot check)"
    plugin = _data()["kubeconfig_exec_plugins"].get(command)
    if plugin is None:
        return (f"runs {command!r}, not a vendor's token plugin called by its bare name "
                f"({', '.join(sorted(_data()['kubeconfig_exec_plugins']))})")
    subcommand = plugin["subcommand"]
    if subcommand and _words(args)[:len(subcommand)] != subcommand:
        return f"runs {command} {' '.join(args)!r}, not `{command} {' '.join(subcommand)}`"
    allowed = set(_data()["kubeconfig_exec_env_allowed"])
    names = [entry.get("name") if isinstance(entry, dict) else None for entry in env] if isinstance(env, list) else [None]
    other = [str(name) for name in names if name not in allowed]
    if other:
        return f"sets environment variable(s) {', '.join(other)} for {command}, which can make it run other code"
    return None


def _kubernetes(props: Mapping[str, Any]):
    yield from _helm_plugins(props.get("helmReleaseSettings"))
    kubeconfig = props.get("kubeconfig")
    if is_unknown(kubeconfig):
        yield Unknown("kubeconfig")
        return
    if not isinstance(kubeconfig, str) or not kubeconfig.strip():
        return
    try:
        document = kubeconfig_document(kubeconfig)
        users = kubeconfig_users(document) if document is not None else []
    except ValueError as error:
        yield f"kubeconfig cannot be read (cannot check): {error}"
        return
    if document is None:
        problem = path_problem("kubeconfig", "kubeconfig", kubeconfig)
        if problem:
            yield f"{problem}; its users' exec plugins run on the runner"
        return
    for index, user in enumerate(users):
        if "exec" in user:
            problem = _exec_problem(user["exec"])
            if problem:
                yield f"kubeconfig users[{index}].user.exec {problem}"
        provider = user.get("auth-provider")
        settings = provider.get("config") if isinstance(provider, dict) else None
        if isinstance(settings, dict) and settings.get("cmd-path"):
            yield f"kubeconfig users[{index}].user.auth-provider.config.cmd-path runs {settings['cmd-path']!r}"


def _gcp(props: Mapping[str, Any]):
    credentials = props.get("credentials")
    if is_unknown(credentials):
        yield Unknown("credentials")
        return
    if not isinstance(credentials, str) or not credentials.strip():
        return
    text = credentials.strip()
    if not text.startswith("{"):
        problem = path_problem("gcp_credentials_file", "credentials", text)
        if problem:
            yield f"{problem}; external account credentials in it can run a command (credential_source.executable)"
        return
    try:
        document = input_limits.json_document(text, "gcp credentials", KUBECONFIG_LIMITS)
    except (input_limits.InputRefused, ValueError) as error:
        yield f"credentials cannot be read (cannot check): {error}"
        return
    for path, executable in _executable_sources(document, "credentials"):
        command = executable.get("command") if isinstance(executable, dict) else executable
        yield f"{path} runs {command!r}"


def _executable_sources(value: Any, path: str) -> list[tuple[str, Any]]:
    """(path, executable) of every `credential_source.executable` in a credentials document, nested ones too
    (impersonated_service_account's `source_credentials` can be external account credentials)."""
    found = []
    if isinstance(value, dict):
        source = value.get("credential_source")
        if isinstance(source, dict) and source.get("executable") is not None:
            found.append((f"{path}.credential_source.executable", source["executable"]))
        for key, item in value.items():
            found += _executable_sources(item, f"{path}.{key}") if key != "credential_source" else []
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _executable_sources(item, f"{path}[{index}]")
    return found


def _helm_plugins(settings: Any):
    """The kubernetes provider's helmReleaseSettings.pluginsPath: Helm runs the plugins found there (a downloader
    plugin for a chart URL's scheme, post-renderers) on the runner; the change's own folder cannot be checked."""
    if is_unknown(settings):
        yield Unknown("helmReleaseSettings")
        return
    if isinstance(settings, str) and settings.strip().startswith("{"):
        try:
            settings = input_limits.json_document(settings, "helmReleaseSettings", KUBECONFIG_LIMITS)
        except (input_limits.InputRefused, ValueError) as error:
            yield f"helmReleaseSettings cannot be read (cannot check): {error}"
            return
    if settings in (None, ""):
        return
    if not isinstance(settings, dict):
        yield "helmReleaseSettings cannot be read as a mapping (cannot check)"
        return
    for key, kind in HELM_PATH_INPUTS.items():
        path = next((value for name, value in settings.items()
                     if isinstance(name, str) and name.replace("_", "").lower() == key.lower()), None)
        if is_unknown(path):
            yield Unknown(f"helmReleaseSettings.{key}")
        elif path is not None and not isinstance(path, str):
            yield f"helmReleaseSettings.{key} is not a path (cannot check)"
        elif isinstance(path, str) and path.strip():
            problem = path_problem(kind, f"helmReleaseSettings.{key}", path)
            if problem:
                yield f"{problem}; Helm runs the plugins it finds, and takes chart sources and registry logins from it"


_JUDGES = {"aws": _aws, "kubernetes": _kubernetes, "gcp": _gcp}


def check(resource: Resource, config):
    package = resource.type.removeprefix("pulumi:providers:")
    problems = []
    for problem in _JUDGES[package](resource.props):
        if isinstance(problem, Unknown):
            yield problem
        else:
            problems.append(problem)
    if problems:
        yield Violation(f"{resource.type} {resource.name}: {'; '.join(problems)}: the provider runs it on the deploy "
                        "runner with the deployer's credentials when it configures, like `command:local:Command`")


RULE = Rule(
    id="AGID-PRV-002",
    title="provider-config-runs-no-command",
    severity="high",
    category="escalation",
    description="No provider configuration (explicit or from stack config) that makes the provider run a command "
                "on the deploy runner: AWS shared config files from the change (credential_process), kubeconfig exec "
                "plugins other than a vendor's token plugin, external account credentials with an executable source.",
    remediation="Sign in from the runner's environment (OIDC: aws assumeRoleWithWebIdentity, gcp workload identity "
                "federation with a file or URL source); in a kubeconfig call the vendor's plugin by its bare name "
                "(aws eks get-token, gke-gcloud-auth-plugin, kubelogin get-token); keep config files out of the change.",
    url="https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins",
    check=check,
    resource_types=PROVIDER_TYPES,
    enforcement="mandatory",
)
