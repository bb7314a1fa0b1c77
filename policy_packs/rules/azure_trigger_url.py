"""AGID-AZ-056: no long-lived URL that is itself the credential starts code or calls running as an identity.

Some Azure endpoints take no sign-in at all: the URL carries the key, so whoever holds it (a log line, a chat message, a
browser history) runs what is behind it, as the identity behind it, from anywhere (red11a r10):
  - an Automation `Webhook` (`automation:Webhook`): its URL's token starts a runbook, which runs as the Automation
    account's managed identity (or on a Hybrid Worker); the URL is shown once and lives until `expiryTime`, Azure's
    default one year. Bounded only when it is disabled (`isEnabled` false) or `expiryTime` is at most
    `maxUrlCredentialDays` ahead (default 7: Azure's own ceiling for a URL credential backed by Entra ID, the user
    delegation SAS);
  - a Logic App (`logic:Workflow`) with a `Request` trigger (HTTP, button, Power Apps... callback URLs): the trigger URL
    carries a SAS signature that never expires unless the access keys are regenerated, and the workflow runs with its
    power: a managed identity (`identity`), API connections (`$connections`) or any action `authentication`. Bounded
    only by `accessControl.triggers.allowedCallerIpAddresses` naming caller ranges (not 0.0.0.0/0 or ::/0);
    `openAuthenticationPolicies` add an OAuth way in but leave the SAS URL valid in a Consumption workflow;
  - a Logic App access key (`logic:WorkflowAccessKey`): the key that signs those URLs.
Sources: https://learn.microsoft.com/en-us/azure/automation/automation-webhooks (token in the URL, expiry default one
year), https://learn.microsoft.com/en-us/azure/logic-apps/logic-apps-securing-a-logic-app#access-for-inbound-calls-to-request-based-triggers
(SAS in the callback URL, IP restriction, OAuth), https://learn.microsoft.com/en-us/rest/api/storageservices/create-user-delegation-sas
(7-day ceiling).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from ipaddress import ip_network

from agentid_policy_packs.analysis.values import is_unknown, unknown_path, value_at

from .base import Resource, Rule, Unknown, Violation

WEBHOOK = "azure-native:automation:Webhook"
WORKFLOW = "azure-native:logic:Workflow"
WORKFLOW_ACCESS_KEY = "azure-native:logic:WorkflowAccessKey"


def _webhook(resource: Resource, max_days: float):
    enabled, expiry = resource.props.get("isEnabled"), resource.props.get("expiryTime")
    if is_unknown(enabled):
        yield Unknown("isEnabled")
        return
    if enabled is False:
        return
    if is_unknown(expiry):
        yield Unknown("expiryTime")
        return
    runbook = value_at(resource.props, "runbook.name")
    what = f"starts runbook {runbook}" if isinstance(runbook, str) else "starts a runbook"
    if expiry is None:
        yield Violation(f"Automation webhook {resource.name} {what} as the account's identity for anyone holding its "
                        "URL, with no expiryTime (Azure's default: one year)")
        return
    try:
        when = datetime.fromisoformat(str(expiry))
    except ValueError:
        yield Violation(f"Automation webhook {resource.name}: cannot check: expiryTime {str(expiry)[:60]!r} is not an "
                        "ISO 8601 date-time")
        return
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    lifetime = when - datetime.now(timezone.utc)
    if lifetime > timedelta(days=max_days):
        yield Violation(f"Automation webhook {resource.name} {what} as the account's identity for anyone holding its "
                        f"URL until {expiry} ({lifetime.days} days, above the {max_days:g}-day cap)")


def _open_range(entry) -> bool:
    text = entry.get("addressRange") if isinstance(entry, dict) else None
    if not isinstance(text, str):
        return True  # unreadable ranges bound nothing
    try:
        return ip_network(text.strip(), strict=False).prefixlen == 0
    except ValueError:
        return True


def _power(resource: Resource) -> str | None:
    """What the workflow acts with when triggered: its managed identity, API connections or action authentication."""
    identity = value_at(resource.props, "identity.type")
    if is_unknown(identity):
        return "its managed identity (type known only after deployment)"
    if isinstance(identity, str) and identity.strip().lower() not in ("", "none"):
        return f"its managed identity ({identity})"
    text = json.dumps([resource.props.get("definition"), resource.props.get("parameters")], default=str)
    if "$connections" in text:
        return "its API connections' credentials"
    if '"authentication"' in text:
        return "the credentials its actions authenticate with"
    return None


def _workflow(resource: Resource):
    triggers = value_at(resource.props, "definition.triggers")
    if is_unknown(triggers):
        yield Unknown("definition.triggers")
        return
    if triggers is None:
        return
    if not isinstance(triggers, dict):
        yield Violation(f"Logic App {resource.name}: cannot check: definition.triggers is not an object of triggers")
        return
    unknown = sorted(name for name, trigger in triggers.items()
                     if is_unknown(trigger) or (isinstance(trigger, dict) and is_unknown(trigger.get("type"))))
    if unknown:
        yield Unknown(f"definition.triggers.{unknown[0]}.type")
        return
    # a trigger that is not an object cannot be read: counted as a Request trigger (fail closed)
    requests = sorted(name for name, trigger in triggers.items()
                      if not isinstance(trigger, dict) or str(trigger.get("type", "")).lower() == "request")
    if not requests:
        return
    power = _power(resource)
    if power is None:
        return
    allowed = value_at(resource.props, "accessControl.triggers.allowedCallerIpAddresses")
    if unknown_path(allowed) is not None:
        yield Unknown("accessControl.triggers.allowedCallerIpAddresses")
        return
    if isinstance(allowed, list) and allowed and not any(_open_range(entry) for entry in allowed):
        return
    yield Violation(f"Logic App {resource.name}: Request trigger {', '.join(requests)} runs the workflow with {power} "
                    "for anyone holding its SAS callback URL (no accessControl.triggers.allowedCallerIpAddresses "
                    "limiting the callers)")


def check(resource: Resource, config):
    if resource.type == WEBHOOK:
        yield from _webhook(resource, float(config["maxUrlCredentialDays"]))
    elif resource.type == WORKFLOW:
        yield from _workflow(resource)
    else:
        yield Violation(f"Logic App access key {resource.name} signs the workflows' trigger callback URLs: a static "
                        "credential that runs them from anywhere")


RULE = Rule(
    id="AGID-AZ-056",
    title="azure-no-bearer-trigger-urls",
    severity="critical",  # a URL that is the credential bypasses Entra ID like a static key (issue 11)
    category="static-credential",
    description="No Automation webhook lives beyond the URL-credential cap and no Logic App with an identity, connections "
                "or authenticated actions has a Request trigger callable from anywhere with its SAS URL.",
    remediation="Start the runbook from an Event Grid subscription or a schedule, or give the webhook an expiryTime within "
                "the cap; restrict the Logic App's accessControl.triggers.allowedCallerIpAddresses to the callers' "
                "ranges (or front it with API Management validating Entra tokens).",
    url="https://learn.microsoft.com/en-us/azure/logic-apps/logic-apps-securing-a-logic-app",
    check=check,
    resource_types=(WEBHOOK, WORKFLOW, WORKFLOW_ACCESS_KEY),
    config={"maxUrlCredentialDays": 7},
    config_strictness={"maxUrlCredentialDays": "lower"},  # a shorter cap is stricter
    config_schema={"maxUrlCredentialDays": {"type": "number", "minimum": 0, "default": 7,
                                            "description": "Longest an Automation webhook URL may stay valid, in days "
                                                           "(default: the 7-day ceiling of an Entra-backed user "
                                                           "delegation SAS)."}},
)
