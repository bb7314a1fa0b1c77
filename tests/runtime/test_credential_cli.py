"""`agentid credential AGENT TOOL --inventory FILE`: the broker's credential on stdout, refusals as one line and an exit code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.runtime.cli import agentid
from tests.runtime.moto_process import MOTO_ACCOUNT_ID, assumed_roles

DEV = Path(__file__).resolve().parents[2] / "stacks" / "agents" / "dev.yaml"


def test_json_is_the_credential_process_shape_of_a_narrowed_session(aws):
    result = agentid("credential", "report-builder", "read-sales-exports", "--inventory", str(DEV), "--endpoint-url", aws,
                     "--trace-id", "cli-1")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert set(printed) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert printed["Version"] == 1 and printed["Expiration"].endswith("+00:00")
    session = assumed_roles(aws)[printed["AccessKeyId"]]
    # the caller's account, the role as stack dev (whose agent file DEV is) names it: agent-NAME-SUFFIX
    assert session["role_arn"] == f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-report-builder-dev"
    assert session["session_name"] == "read-sales-exports.cli-1"
    assert json.loads(session["policy"])["Statement"][0]["Resource"] == ["arn:aws:s3:::example-sales-exports/weekly/*"]


def test_env_format_is_shell_export_lines(aws):
    result = agentid("credential", "report-builder", "list-sales-exports", "-i", str(DEV), "--endpoint-url", aws, "--format", "env")
    assert result.returncode == 0, result.stderr
    names = [re.match(r"export (\w+)=", line).group(1) for line in result.stdout.splitlines()]
    assert names == ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"]


def test_a_target_outside_the_tools_resources_is_denied_by_cedar(aws):
    inside = agentid("credential", "report-builder", "read-sales-exports", "-i", str(DEV), "--endpoint-url", aws,
                     "--target", "arn:aws:s3:::example-sales-exports/weekly/2026-11-30.csv")
    assert inside.returncode == 0, inside.stderr
    outside = agentid("credential", "report-builder", "read-sales-exports", "-i", str(DEV), "--endpoint-url", aws,
                      "--target", "arn:aws:s3:::example-sales-exports/monthly/2026-11.csv")
    assert outside.returncode == 1 and outside.stdout == ""
    assert "Cedar denied the call on 'arn:aws:s3:::example-sales-exports/monthly/2026-11.csv': no policy permits it" in outside.stderr


def test_bad_input_is_one_line_and_exit_2(aws, tmp_path):
    cases = [
        (["nobody", "read-sales-exports"], "agent 'nobody' is not in"),
        (["report-builder", "enqueue-batches"], "'enqueue-batches' is a tool of data-ingest, not of this agent"),
        (["report-builder", "read-sales-exports", "--format", "yaml"], "--format must be json or env"),
        (["report-builder", "read-sales-exports", "--trace-id", "a b"], "trace id 'a b' must be"),
        (["report-builder", "read-sales-exports", "--endpoint-url", "http//nohost"], "is malformed"),
    ]
    for args, message in cases:
        extra = [] if "--endpoint-url" in args else ["--endpoint-url", aws]
        result = agentid("credential", *args, "-i", str(DEV), *extra)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr
    bad_cedar = tmp_path / "extra.cedar"
    bad_cedar.write_text("forbid (principal, action, resource) when { context.hour > };")
    result = agentid("credential", "report-builder", "read-sales-exports", "-i", str(DEV), "--endpoint-url", aws, "--policies", str(bad_cedar))
    assert result.returncode == 2 and "extra.cedar: Cedar policies do not parse" in result.stderr


def test_a_users_cedar_file_can_forbid_what_the_spec_permits(aws, tmp_path):
    forbid = tmp_path / "no-reports-for-mallory.cedar"
    forbid.write_text('@id("no-mallory")\nforbid (principal == Agent::"report-builder", action, resource);\n')
    result = agentid("credential", "report-builder", "read-sales-exports", "-i", str(DEV), "--endpoint-url", aws, "--policies", str(forbid))
    assert result.returncode == 1 and "forbidden by no-mallory" in result.stderr


def test_cedar_files_named_in_the_spec_join_the_generated_policies(aws, tmp_path):
    from tests.runtime.spec_files import dev_with_cedar

    spec = dev_with_cedar(tmp_path, "report-builder", '@id("only-with-a-user")\nforbid (principal, action, resource) when '
                          '{ context.on_behalf_of == "" };\n', name="policies/office-hours.cedar")
    result = agentid("credential", "report-builder", "read-sales-exports", "-i", str(spec), "--name-suffix", "",
                     "--endpoint-url", aws)
    assert result.returncode == 1 and "forbidden by only-with-a-user" in result.stderr

    (tmp_path / "policies" / "office-hours.cedar").write_text("forbid (principal, action, resource) when { context.hour > };")
    invalid = agentid("validate", str(spec))
    assert invalid.returncode == 2 and "Cedar file 'policies/office-hours.cedar' does not parse" in invalid.stdout + invalid.stderr


def test_an_oauth_tool_with_an_unreachable_issuer_is_one_line_and_exit_1(tmp_path):
    spec, key = _agent_with_an_unreachable_oidc_tool(tmp_path)
    result = agentid("credential", "support-triage", "wiki", "-i", str(spec), "--key", str(key), "--role-arn",
                     "arn:aws:iam::123456789012:role/agent-support-triage")
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "tool 'wiki', hop oauth: no authorization server metadata for https://idp.invalid/realms/agents" in line
    bad_key = tmp_path / "not-a-key.pem"
    bad_key.write_text("hello")
    result = agentid("credential", "support-triage", "wiki", "-i", str(spec), "--key", str(bad_key), "--role-arn",
                     "arn:aws:iam::123456789012:role/agent-support-triage")
    assert result.returncode == 2 and "not a usable PEM private key" in result.stderr


def test_a_password_in_the_endpoint_url_is_never_printed(monkeypatch):
    """RFC 3986 section 7.5: user-info in a URL is shown wherever the URL is; every error the CLI prints hides it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + "IOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    unreachable = agentid("credential", "report-builder", "read-sales-exports", "-i", str(DEV),
                          "--endpoint-url", "http://user:PASSWORDINURL@127.0.0.1:9/")  # nothing listens on port 9
    assert unreachable.returncode == 2 and "cannot find the caller's account" in unreachable.stderr
    assert "PASSWORDINURL" not in unreachable.stderr and "user:" not in unreachable.stderr
    assert "http://[REDACTED]@127.0.0.1:9/" in unreachable.stderr  # which endpoint stays visible
    malformed = agentid("credential", "report-builder", "read-sales-exports", "-i", str(DEV),
                        "--endpoint-url", "ftp://user:PASSWORDINURL@127.0.0.1:9/")
    assert malformed.returncode == 2 and "is malformed" in malformed.stderr and "PASSWORDINURL" not in malformed.stderr


def test_url_userinfo_is_hidden_and_lookalikes_are_kept():
    from agentid.runtime.redaction import hide_url_userinfo, redact

    assert hide_url_userinfo("see https://a:b@h.example:8443/p?q=1 and http://tok@h/") == \
        "see https://[REDACTED]@h.example:8443/p?q=1 and http://[REDACTED]@h/"
    for kept in ("http://127.0.0.1:9/path@v2", "https://h/?user=a@b.example", "mailto:ops@example.com", "ops@example.com"):
        assert hide_url_userinfo(kept) == kept
    assert redact('Could not connect to the endpoint URL: "http://u:secretpw@127.0.0.1:9/"') == \
        'Could not connect to the endpoint URL: "http://[REDACTED]@127.0.0.1:9/"'  # log records too


def test_an_unknown_tool_is_named_before_any_cloud_call(monkeypatch):
    # No --endpoint-url, --role-arn or AWS credentials: the tool is checked first, so the error is the typo,
    # not "cannot find the caller's account".
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    result = agentid("credential", "support-triage", "nosuch", "-i", str(DEV))
    assert result.returncode == 2 and result.stdout == ""
    assert "agent 'support-triage' has no tool 'nosuch' (its tools: read-tickets, ticket-mcp" in result.stderr
    assert "caller's account" not in result.stderr


def test_stack_outputs_give_the_deployed_role_and_an_outputs_file_as_inventory_is_named(aws, tmp_path):
    """`agentid preview --json` (whole, or its .outputs as `jq .outputs` gives it) names the stack's real role
    agent-report-builder-dev (the name suffix), which the spec alone cannot."""
    import shutil
    import subprocess
    import sys

    root = DEV.parents[2]
    shutil.copytree(root / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "Pulumi.yaml", tmp_path)
    shutil.copy(root / "waivers.yaml", tmp_path)  # the dev stack's dated waiver (its example Entra certificate)
    preview = subprocess.run([sys.executable, "-m", "agentid.cli", "preview", "--stack", "dev", "--json", "dev.json"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert preview.returncode == 0, preview.stdout[-2000:] + preview.stderr[-2000:]
    report = tmp_path / "dev.json"
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(json.loads(report.read_text())["outputs"]))  # jq .outputs dev.json
    for given in (report, outputs):
        result = agentid("credential", "report-builder", "read-sales-exports", "-i", str(DEV), "--stack-outputs",
                         str(given), "--endpoint-url", aws)
        assert result.returncode == 0, result.stderr
        session = assumed_roles(aws)[json.loads(result.stdout)["AccessKeyId"]]
        assert session["role_arn"] == f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/agent-report-builder-dev"
    wrong = agentid("credential", "report-builder", "read-sales-exports", "-i", str(outputs), "--endpoint-url", aws)
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr == (
        f"error: {outputs} holds a stack's outputs (`agentid preview --json`, its .outputs, `pulumi stack output "
        "--json`), not agent specs: give the agent file (or `agentid inventory --format json`) as --inventory; "
        "`agentid credential` takes the outputs as --stack-outputs\n")
    stranger = agentid("credential", "report-builder", "read-sales-exports", "-i", str(DEV), "--stack-outputs", str(DEV),
                       "--endpoint-url", aws)
    assert stranger.returncode == 2 and f"--stack-outputs {DEV}: not JSON" in stranger.stderr


def test_the_default_role_takes_the_name_suffix_as_inventory_does(aws, tmp_path):
    """Without --role-arn or --stack-outputs the role is named as the stack names it; an agent file no stack uses
    needs --name-suffix (a guess would assume another role), and --name-suffix '' names the unsuffixed role."""
    import shutil

    loose = tmp_path / "agents.yaml"  # not the agent file of any stack of a Pulumi project
    shutil.copy(DEV, loose)
    missing = agentid("credential", "report-builder", "read-sales-exports", "-i", str(loose), "--endpoint-url", aws)
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr == (
        f"error: {loose}: the agent's role name ends in its stack's name suffix, and no stack of a Pulumi project "
        "holding it uses it: pass --name-suffix SUFFIX (config nameSuffix, by default the stack name, e.g. dev; '' "
        "for names without one) or --role-arn\n")
    for suffix, role in (("prod", "agent-report-builder-prod"), ("", "agent-report-builder")):
        given = agentid("credential", "report-builder", "read-sales-exports", "-i", str(loose), "--name-suffix", suffix,
                        "--endpoint-url", aws)
        assert given.returncode == 0, given.stderr
        session = assumed_roles(aws)[json.loads(given.stdout)["AccessKeyId"]]
        assert session["role_arn"] == f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/{role}"


def _no_aws_credentials(monkeypatch):
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


def test_a_cognito_oauth_tool_says_why_it_needs_the_agents_aws_role(monkeypatch):
    """red5: `credential support-triage ticket-mcp` failed with a bare NoCredentialsError; a Cognito tool's client
    secret is read as the agent's role, so the error says so and what to give."""
    _no_aws_credentials(monkeypatch)
    result = agentid("credential", "support-triage", "ticket-mcp", "-i", str(DEV))
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: tool 'ticket-mcp' is a Cognito OAuth tool: its client secret is read from Secrets "
                           "Manager as the agent's role; cannot find the caller's account")
    assert "give --role-arn or --stack-outputs, or AWS credentials" in line


def test_an_oidc_oauth_tool_needs_no_aws_credentials_even_beside_aws_and_cognito_tools(monkeypatch, tmp_path):
    """The look-alike: an OIDC tool of the same agent (which has AWS and Cognito tools) goes straight to its
    authorization server, with no AWS credentials and no --role-arn; here that server is unreachable (exit 1)."""
    _no_aws_credentials(monkeypatch)
    spec, key = _agent_with_an_unreachable_oidc_tool(tmp_path)
    result = agentid("credential", "support-triage", "wiki", "-i", str(spec), "--key", str(key))
    assert result.returncode == 1 and result.stdout == "", result.stderr
    assert "no authorization server metadata for https://idp.invalid/realms/agents" in result.stderr
    assert "caller's account" not in result.stderr and "Credentials" not in result.stderr


def _agent_with_an_unreachable_oidc_tool(tmp_path: Path) -> tuple[Path, Path]:
    """The dev agent file, copied, where support-triage gains an OIDC OAuth tool whose issuer does not answer
    (.invalid never resolves, RFC 6761 §6.4), and a freshly generated EC key for its client assertion: (agent file, key file)."""
    import shutil

    import yaml
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    shutil.copytree(DEV.parent, tmp_path, dirs_exist_ok=True)
    document = yaml.safe_load(DEV.read_text())
    agent = next(a for a in document["agents"] if a["name"] == "support-triage")
    agent["tools"].append({"name": "wiki", "oauth": {"audience": "https://wiki.example.org/api", "scopes": ["wiki.read"],
                                                     "provider": "oidc", "issuer": "https://idp.invalid/realms/agents"}})
    spec = tmp_path / "agents.yaml"
    spec.write_text(yaml.safe_dump(document))
    key = tmp_path / "agent.pem"
    key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return spec, key


def _role(aws: str, name: str, revoked: bool) -> None:
    """The agent's role as `agentid credential` names it by default (agent-AGENT-dev), with `agentid revoke aws`'s
    record on it when `revoked`."""
    import datetime as dt

    import boto3

    from agentid_components import naming
    from agentid_components.revocation import aws_revoke_sessions_policy

    iam = boto3.client("iam", endpoint_url=aws, region_name="us-east-1")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    if revoked:
        iam.put_role_policy(RoleName=name, PolicyName=naming.REVOKE_POLICY_NAME, PolicyDocument=json.dumps(
            aws_revoke_sessions_policy(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc))))


def test_a_revoked_agents_azure_and_entra_tools_are_refused_too(aws):
    """red7a 5: the AWS tool of a revoked agent was refused, its Azure and Entra tools never read the record (the
    CLI built their grants without the role) and went on to their hop."""
    _role(aws, "agent-report-builder-dev", revoked=True)
    _role(aws, "agent-data-ingest-dev", revoked=True)
    entra = ("--azure-tenant", "7d3c4b2a-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "--azure-client-id", "0f1e2d3c-4b5a-4968-8776-655443322110")
    for agent, tool, options in (("report-builder", "publish-report", ()), ("data-ingest", "catalog-api", entra),
                                 ("report-builder", "read-sales-exports", ())):
        result = agentid("credential", agent, tool, "-i", str(DEV), "--endpoint-url", aws, *options)
        assert result.returncode == 1 and result.stdout == "", result.stderr
        assert result.stderr.startswith(
            f"error: agent '{agent}' is revoked: role agent-{agent}-dev carries inline policy 'agentid-revoke-sessions' "
            "(written by `agentid revoke aws`; sessions issued before 2026-12-01T12:00:00Z are denied everything), so the "
            f"broker issues no credential for tool '{tool}' or any other"), (tool, result.stderr)


def test_a_role_without_the_record_lets_the_azure_hop_go_on(aws):
    """The look-alike: the record is read (no revoke policy on the role) and the Azure hop is tried; here it has no
    managed identity to ask (exit 1 from azure-identity, not a revocation)."""
    _role(aws, "agent-report-builder-dev", revoked=False)
    result = agentid("credential", "report-builder", "publish-report", "-i", str(DEV), "--endpoint-url", aws)
    assert result.returncode == 1 and "revoked" not in result.stderr and "revocation" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: agent 'report-builder', tool 'publish-report', hop azure: ManagedIdentityCredential could not get a token")


def test_without_aws_credentials_the_unread_record_is_a_warning_and_the_azure_hop_goes_on(monkeypatch):
    _no_aws_credentials(monkeypatch)
    result = agentid("credential", "report-builder", "publish-report", "-i", str(DEV))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == (
        "warning: agent 'report-builder': the revocation record on its AWS role was not read: the agent's role holds its "
        "revocation record; cannot find the caller's account to name the agent's role (give --role-arn or "
        "--stack-outputs, or AWS credentials): NoCredentialsError: Unable to locate credentials")
    assert lines[-1].startswith("error: agent 'report-builder', tool 'publish-report', hop azure: ManagedIdentityCredential")
