"""`agentid credential AGENT TOOL --inventory FILE`: print one tool's short-lived credential, for scripts and debugging.

Like `aws configure export-credentials`: the same broker, Cedar decision and
audit record agent code gets, printed as JSON (AWS: the credential_process
shape, Version 1) or as `export` lines for a shell.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from agentid.commands.name_suffix import RoleSuffixOption

EXIT_OK = 0
EXIT_REFUSED = 1  # the broker or a server refused (Cedar deny, token endpoint error, STS error)
EXIT_BAD_INPUT = 2  # unknown agent or tool, unreadable inventory or key, malformed options
_BAD_INPUT_CODES = {"UnknownAgent", "UnknownTool", "NoAgent", "BadTraceId", "BadTarget", "NoServiceAccount"}


def credential(
    agent: Annotated[str, typer.Argument(help="The agent's name, as in the inventory.", show_default=False)],
    tool: Annotated[str, typer.Argument(help="One of the agent's tools.", show_default=False)],
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help="Agent file (YAML) or JSON inventory.", show_default=False)],
    stack_outputs: Annotated[
        Path | None,
        typer.Option("--stack-outputs", metavar="FILE", help="The stack's outputs: `agentid preview --json` report, its "
                     "`jq .outputs`, or `pulumi stack output --json`; the agent's deployed role ARN (with the stack's "
                     "name suffix) is taken from them."),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="json or env.")] = "json",
    role_arn: Annotated[
        str | None, typer.Option("--role-arn", help="The agent's role (default: agent-AGENT-SUFFIX in the caller's "
                                                    "account, SUFFIX as --name-suffix says).")
    ] = None,
    name_suffix: RoleSuffixOption = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="STS endpoint (e.g. a moto server).")
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option("--key", help="PEM private key for OAuth client assertions (private_key_jwt); default: the workload "
                     "token in AGENTID_OAUTH_TOKEN_FILE."),
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="What the call touches (ARN, URL), for the Cedar decision.")] = None,
    trace_id: Annotated[str | None, typer.Option("--trace-id", help="Trace id for the session name and audit record.")] = None,
    policies: Annotated[list[Path], typer.Option("--policies", help="Extra Cedar files (repeatable).")] = [],  # noqa: B006
    gcp_project: Annotated[
        str | None, typer.Option("--gcp-project", metavar="PROJECT", envvar="GOOGLE_CLOUD_PROJECT",
                                 help="GCP tools: the project of the agent's service account (stack config gcpProject).")
    ] = None,
    azure_tenant: Annotated[
        str | None, typer.Option("--azure-tenant", metavar="TENANT", envvar="AZURE_TENANT_ID",
                                 help="Entra OAuth tools: the tenant (GUID or verified domain) whose authority issues the "
                                      "token (default: the stack outputs' azure.tenant_id).")
    ] = None,
    azure_client_id: Annotated[
        str | None, typer.Option("--azure-client-id", metavar="ID",
                                 help="Entra OAuth tools: the agent application's client id (default: the stack "
                                      "outputs' azure.oauth.client_id).")
    ] = None,
) -> None:
    """Print the credential TOOL needs (STS session or bearer token).

    Exit codes: 0 printed; 1 refused (Cedar deny, token endpoint or STS error); 2 bad input or a usage error.
    """
    from agentid.aws_audit.clients import LiveAwsError, check_endpoint_url, load_agents
    from agentid.runtime import AgentGrants, BrokerError, CredentialBroker, GrantsError
    from agentid.runtime.authorization import Authorizer, PolicyError
    from agentid.runtime.grants import entra_issuer

    if output_format not in ("json", "env"):
        _fail(f"--format must be json or env, not {output_format!r}", EXIT_BAD_INPUT)
    try:
        if endpoint_url:
            check_endpoint_url(endpoint_url)
        agents = load_agents(inventory)
        known = {a.name: a for a in agents.agents}
        if agent not in known:
            raise LiveAwsError(f"agent {agent!r} is not in {inventory} (it lists: {', '.join(sorted(known))})")
        spec = known[agent]
        if tool not in {t.name for t in spec.tools}:  # before any cloud call: a typo is not a credentials problem
            owners = sorted(a.name for a in agents.agents if any(t.name == tool for t in a.tools))
            raise LiveAwsError(f"agent {agent!r} has no tool {tool!r} (its tools: {', '.join(t.name for t in spec.tools)})"
                               + (f"; {tool!r} is a tool of {', '.join(owners)}, not of this agent" if owners else ""))
        # only the asked tool decides (red5: ticket-mcp failed on NoCredentialsError with no word of why): an
        # Entra/OIDC OAuth, Azure, GCP or model-provider hop needs no AWS role, hence no AWS credentials
        asked = next(t for t in spec.tools if t.name == tool)
        why_role = _why_aws_role(asked)
        deployed = _deployed_role_arn(stack_outputs, agent) if stack_outputs is not None and not role_arn else None
        if why_role and not (role_arn or deployed):
            from agentid.commands.name_suffix import role_suffix

            # the stack's name suffix first: naming the role needs no cloud call, and a missing suffix is bad input
            suffix = role_suffix(name_suffix, inventory, LiveAwsError)
            arn = _default_role_arn(agent, suffix, endpoint_url, f"tool {tool!r} {why_role}")
        elif not (role_arn or deployed) and any(_why_aws_role(t) for t in spec.tools):
            # red7a 5: the agent's role carries its revocation record (`agentid revoke aws`), which the broker reads
            # for every hop; without the role's ARN an Azure/Entra/GCP/model tool of a revoked agent was issued
            arn = _record_role_arn(agent, name_suffix, inventory, endpoint_url)
        else:
            arn = role_arn or deployed
        # one tool's credential needs that tool's grants only: a hop without an AWS role is not refused because
        # another tool of the agent (Cognito) would need one
        entra: dict[str, str | None] = {}
        if asked.oauth is not None and asked.oauth.provider == "entra":  # its authority from configuration only
            if stack_outputs is not None:
                azure_tenant, azure_client_id = _deployed_entra_application(stack_outputs, agent, azure_tenant, azure_client_id)
            entra_issuer(agent, azure_tenant, azure_client_id)  # both given and one tenant, or exit 2 naming them
            entra = {"azure_tenant": azure_tenant, "azure_client_id": azure_client_id}
        grants = AgentGrants.from_spec(spec if why_role else spec.model_copy(update={"tools": [asked]}), arn,
                                       gcp_project=gcp_project, **entra)
        authorizer = Authorizer.from_spec([spec], policies, base_dir=inventory.parent)
        signer = _signer(key) if key else None
    except (LiveAwsError, GrantsError, PolicyError) as error:
        _fail(str(error), EXIT_BAD_INPUT)
    broker = CredentialBroker(grants, endpoint_url=endpoint_url, oauth_signer=signer, authorizer=authorizer)
    try:
        issued = broker.credential(tool, trace_id=trace_id, target=target)
    except BrokerError as error:
        owners = sorted(a.name for a in agents.agents if a.name != agent and any(t.name == tool for t in a.tools))
        hint = f"; {tool!r} is a tool of {', '.join(owners)}, not of this agent" if error.code == "UnknownTool" and owners else ""
        _fail(str(error) + hint, EXIT_BAD_INPUT if error.code in _BAD_INPUT_CODES else EXIT_REFUSED)
    typer.echo(_render(issued, output_format))
    raise typer.Exit(EXIT_OK)


def _fail(message: str, code: int) -> None:
    from agentid_components.text_safety import visible

    from agentid.runtime.redaction import hide_url_userinfo

    typer.echo(f"error: {visible(hide_url_userinfo(message))}", err=True)  # botocore repeats --endpoint-url
    raise typer.Exit(code)


def _read_stack_outputs(path: Path) -> dict:
    """The stack outputs in `path`: a whole `agentid preview --json` report (its `outputs`), or the outputs alone
    (`jq .outputs`, `pulumi stack output --json`); LiveAwsError naming the file otherwise."""
    from agentid.aws_audit.clients import LiveAwsError
    from agentid_components import input_limits

    try:
        # a 1,000-agent preview report is about 25 MB
        document = json.loads(input_limits.read_text(path, 64 * input_limits.MiB, "stack outputs"))
    except input_limits.InputRefused as refused:
        raise LiveAwsError(f"--stack-outputs {refused}") from None
    except ValueError as error:
        raise LiveAwsError(f"--stack-outputs {path}: not JSON ({error})") from None
    if isinstance(document, dict) and isinstance(document.get("outputs"), dict) and "resources" in document:
        document = document["outputs"]  # the preview report
    if not isinstance(document, dict) or not isinstance(document.get("inventory"), dict):
        raise LiveAwsError(f"--stack-outputs {path}: no 'inventory' output (give `agentid preview --json` output, "
                           "its .outputs, or `pulumi stack output --json` of an agent stack)")
    return document


def _deployed_role_arn(path: Path, agent: str) -> str | None:
    """The agent's role ARN as the stack outputs record it (None: the agent has no AWS role)."""
    from agentid.aws_audit.clients import LiveAwsError

    entry = _read_stack_outputs(path)["inventory"].get(agent)
    if not isinstance(entry, dict):
        raise LiveAwsError(f"--stack-outputs {path}: agent {agent!r} is not in the stack's inventory output")
    aws = entry.get("aws")
    arn = aws.get("role_arn") if isinstance(aws, dict) else None
    return arn if isinstance(arn, str) and arn.startswith("arn:") else None


def _deployed_entra_application(path: Path, agent: str, tenant: str | None, client_id: str | None) -> tuple[str | None, str | None]:
    """(tenant, application client id) of the agent's Entra application as the stack outputs record them; the
    values given on the command line win."""
    entry = _read_stack_outputs(path)["inventory"].get(agent)
    azure = entry.get("azure") if isinstance(entry, dict) and isinstance(entry.get("azure"), dict) else {}
    application = azure.get("oauth") if isinstance(azure.get("oauth"), dict) else {}
    deployed_tenant, deployed_client = azure.get("tenant_id"), application.get("client_id")
    return (tenant or (deployed_tenant if isinstance(deployed_tenant, str) else None),
            client_id or (deployed_client if isinstance(deployed_client, str) else None))


def _why_aws_role(tool: Any) -> str | None:
    """Why issuing `tool`'s credential needs the agent's AWS role (so AWS credentials to find it), or None."""
    if tool.aws is not None:
        return "is an AWS tool: its session is assumed from the agent's role"
    if tool.oauth is not None and tool.oauth.provider == "cognito":
        return "is a Cognito OAuth tool: its client secret is read from Secrets Manager as the agent's role"
    return None


def _record_role_arn(agent: str, name_suffix: str | None, inventory: Path, endpoint_url: str | None) -> str | None:
    """The role holding the agent's revocation record, for a tool that does not itself need the role; None (and
    a warning on stderr naming why) when it cannot be named: no AWS credentials or no stack suffix. That is the
    broker's "IAM not reached" case: the hop does not depend on AWS and goes on, and the revocation list
    (AGENTID_REVOCATION_LIST), which covers every agent, is still read. An IAM that DENIES the read refuses."""
    from agentid.aws_audit.clients import LiveAwsError
    from agentid.commands.name_suffix import role_suffix

    try:
        suffix = role_suffix(name_suffix, inventory, LiveAwsError)
        return _default_role_arn(agent, suffix, endpoint_url, "the agent's role holds its revocation record")
    except LiveAwsError as error:
        from agentid_components.text_safety import visible

        typer.echo(f"warning: agent {agent!r}: the revocation record on its AWS role was not read: {visible(str(error))[:400]}",
                   err=True)
        return None


def _default_role_arn(agent: str, suffix: str, endpoint_url: str | None, why: str) -> str:
    """arn:PARTITION:iam::ACCOUNT:role/agent-AGENT-SUFFIX (agentid_components.naming.aws_role_name, as the stack
    names it) for the caller's account (one sts:GetCallerIdentity). `why`: the role's use, for the error."""
    from agentid.aws_audit.clients import LiveAwsError
    from agentid.runtime.broker import new_boto3_session

    try:
        identity = new_boto3_session().client("sts", endpoint_url=endpoint_url).get_caller_identity()
    except Exception as error:  # noqa: BLE001 - no credentials, unreachable endpoint: one line
        raise LiveAwsError(f"{why}; cannot find the caller's account to name the agent's role (give --role-arn or "
                           f"--stack-outputs, or AWS credentials): {type(error).__name__}: {error}") from None
    partition = identity["Arn"].split(":")[1]
    from agentid_components.naming import aws_role_name

    return f"arn:{partition}:iam::{identity['Account']}:role/{aws_role_name(agent, suffix)}"


def _signer(path: Path) -> Any:
    from agentid.aws_audit.clients import LiveAwsError
    from agentid.runtime.oauth import PrivateKeyJWT
    from agentid_components import input_limits

    try:  # checked on the open descriptor, not before: nothing can be swapped in between
        pem = input_limits.read_bytes(path, input_limits.KEY_FILE_BYTES, "key")
    except input_limits.InputRefused as refused:
        raise LiveAwsError(f"--key {refused}") from None
    try:
        return PrivateKeyJWT(pem)
    except Exception as error:  # noqa: BLE001 - any unreadable or unsupported key is one line
        raise LiveAwsError(f"--key {path}: not a usable PEM private key ({type(error).__name__})") from None


def _render(issued: Any, output_format: str) -> str:
    """JSON (AWS: credential_process Version 1; tokens: an RFC 6749-like object) or shell export lines."""
    if issued.kind == "aws":
        fields: dict[str, Any] = {
            "Version": 1,
            "AccessKeyId": issued.access_key_id,
            "SecretAccessKey": issued.secret_access_key,
            "SessionToken": issued.session_token,
            "Expiration": issued.expiration_utc,
        }
        exports = {"AWS_ACCESS_KEY_ID": "AccessKeyId", "AWS_SECRET_ACCESS_KEY": "SecretAccessKey",
                   "AWS_SESSION_TOKEN": "SessionToken", "AWS_CREDENTIAL_EXPIRATION": "Expiration"}
    else:
        fields = {
            "token_type": "Bearer",
            "access_token": issued.access_token,
            "expires_on": issued.expires_on,
            "audience": issued.audience[0] if issued.audience else "",
            "scope": " ".join(issued.scopes),
            "kind": issued.kind,
        }
        exports = {"AGENTID_ACCESS_TOKEN": "access_token", "AGENTID_TOKEN_EXPIRES_ON": "expires_on", "AGENTID_TOKEN_AUDIENCE": "audience"}
    if output_format == "json":
        return json.dumps(fields, indent=2)
    return "\n".join(f"export {name}={shlex.quote(str(fields[key] or ''))}" for name, key in exports.items())


def register(app: typer.Typer) -> None:
    app.command("credential")(credential)
