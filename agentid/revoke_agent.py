"""`agentid revoke AGENT`: stop every broker from handing out any credential of the agent, whatever its clouds.

It writes the agent into the broker's revocation list (`agentid.runtime.revocation_list`) and says, per cloud and
per server, what that did not do: it works offline, so nothing issued before is cut off and no trust is removed.
Each of those steps is printed with the command that does it (`agentid_components.revocation`), or, for servers the
kit does not manage (an `oidc` issuer, Anthropic, OpenAI), what to disable there.

Token lifetimes quoted: Entra ID access tokens live 60-90 minutes by default ("Access token lifetime",
https://learn.microsoft.com/entra/identity-platform/configurable-token-lifetimes); the broker's own hand-out is capped
at the agent's `max_credential_minutes`, but a token already handed out is valid at its server until its own expiry.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from shlex import quote

from agentid.runtime.revocation_list import Entry
from agentid_components.revocation import revocation_steps
from agentid_components.spec import Agent


def outside_the_broker(agent: Agent, inventory: str, suffix: str = "") -> list[str]:
    """What a broker refusal does not undo, one line a cloud or server, each followed by its steps (indented)."""
    minutes = agent.max_credential_minutes
    lines: list[str] = []
    steps = revocation_steps(agent, inventory, suffix)  # its "broker" step is what this command did
    if "aws" in steps:
        floor = " (STS's floor)" if minutes < 15 else ""
        lines.append(f"AWS: sessions already handed out keep working until they expire (up to {max(minutes, 15)} minutes"
                     f"{floor}); this command cannot cut them off, it changes nothing in AWS. Next:")
        lines += [f"  - {step}" for step in steps["aws"]]
    if "azure" in steps:
        lines.append("Azure: this command cannot delete the federated credentials offline, so the workload can still get "
                     "Entra tokens without the broker; tokens already issued stay valid until they expire (Entra: 60-90 "
                     "minutes by default). Next:")
        lines += [f"  - {step}" for step in steps["azure"]]
    if "gcp" in steps:
        lines.append(f"Google Cloud: tokens already issued stay valid until they expire (up to {minutes} minutes); the "
                     "workload can still impersonate the service account without the broker. Next:")
        lines += [f"  - {step}" for step in steps["gcp"]]
    for tool in agent.tools:
        if tool.oauth is not None and tool.oauth.provider == "oidc":
            client = tool.oauth.client_id or agent.name
            lines.append(f"OAuth tool '{tool.name}': tokens already handed out stay valid at {tool.oauth.audience} until "
                         f"their own expiry. Next: disable client {quote(client)} at {tool.oauth.issuer} (a server the kit "
                         "does not manage: its admin console or API)")
        elif tool.llm is not None and tool.llm.provider in ("anthropic", "openai"):
            grant = getattr(tool.llm, tool.llm.provider)
            what = (f"federation rule {grant.federation_rule_id} of organization {grant.organization_id}"
                    if tool.llm.provider == "anthropic" else f"identity provider {grant.identity_provider_id}'s mapping")
            lines.append(f"Model tool '{tool.name}' ({tool.llm.provider}): API tokens already exchanged stay valid until they "
                         f"expire. Next: disable {what} to service account {grant.service_account_id} in the provider's console")
    return lines


def describe(agent: Agent, entry: Entry, added: bool, list_path: Path, inventory: str, suffix: str = "") -> list[str]:
    """What `agentid revoke AGENT` did, what it did not, and the undo, for a human."""
    from agentid_components.text_safety import visible

    did = ("revoked" if added else "already revoked") + f" agent '{agent.name}' in the revocation list {visible(str(list_path))}"
    # the entry may be someone else's (already revoked): its text is shown, never run as terminal escapes
    lines = [
        f"{did} (since {visible(entry.revoked_at)}" + (f"; reason: {visible(entry.reason)}" if entry.reason else "") + ")",
        "  every broker reading this list (AGENTID_REVOCATION_LIST, or CredentialBroker(revocation_list=...)) refuses "
        "every credential of the agent, on every hop (AWS, OAuth, MCP, Azure, GCP, model), cached ones included, "
        "from its next call: BrokerError code 'Revoked'",
        "  deliver the file to the brokers (mounted ConfigMap or shared volume): a broker that does not read it "
        "still serves the agent",
    ]
    outside = outside_the_broker(agent, inventory, suffix)
    if outside:
        lines.append("not done (this command works offline and changes nothing in the clouds):")
        lines += [f"  {line}" for line in outside]
    lines.append(f"undo: agentid revoke undo {quote(agent.name)} --list {quote(str(list_path))}")
    return lines


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
