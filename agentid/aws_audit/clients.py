"""IAM clients and inventories for the live-account commands, with one-line errors instead of tracebacks.

Every failure a user can cause (no credentials, an endpoint that does not
answer, a refused call, an invalid inventory) becomes `LiveAwsError`, which the
commands print as one line and turn into exit code 2.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class LiveAwsError(Exception):
    """Bad input or an unusable account connection: the message is the whole story."""


def load_agents(path: Path) -> Any:
    """The inventory (agent YAML or `agentid inventory --format json` output) or LiveAwsError naming the problems."""
    from agentid_components.loader import SpecLoadError, load_inventory

    try:
        # The live commands act on agents by name: another agent's certificate file is not needed here.
        return load_inventory(path, check_files=False).inventory
    except SpecLoadError as error:
        if _holds_stack_outputs(path):
            raise LiveAwsError(
                f"{path} holds a stack's outputs (`agentid preview --json`, its .outputs, `pulumi stack output --json`), "
                "not agent specs: give the agent file (or `agentid inventory --format json`) as --inventory; "
                "`agentid credential` takes the outputs as --stack-outputs") from None
        shown = "; ".join(str(e) for e in error.errors[:3])
        more = f" (and {len(error.errors) - 3} more)" if len(error.errors) > 3 else ""
        raise LiveAwsError(f"invalid inventory: {shown}{more}") from None


def _holds_stack_outputs(path: Path) -> bool:
    """Is `path` a JSON object with an `inventory` or `outputs` key (stack outputs or a preview report)?"""
    import json

    from agentid_components import input_limits

    try:
        document = json.loads(input_limits.read_text(path, 64 * input_limits.MiB, "inventory"))
    except (input_limits.InputRefused, ValueError):
        return False
    return isinstance(document, dict) and ("inventory" in document or "outputs" in document) and "agents" not in document


def iam_client(endpoint_url: str | None) -> Any:
    """An IAM client for `endpoint_url` (None: boto3's own choice, which honours AWS_ENDPOINT_URL).

    LiveAwsError for an endpoint that is not an http(s) URL with a host (botocore raises a bare ValueError).
    """
    import boto3
    from botocore.config import Config

    endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_IAM") or os.environ.get("AWS_ENDPOINT_URL") or None
    if endpoint_url is not None:
        check_endpoint_url(endpoint_url)

    # IAM is global; a region is still needed to sign when a custom endpoint is given.
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=30)
    try:
        return boto3.Session().client("iam", region_name=region, endpoint_url=endpoint_url, config=config)
    except ValueError as error:  # botocore's "Invalid endpoint" and region checks
        raise LiveAwsError(f"cannot make an IAM client: {error}") from None


def check_endpoint_url(url: str) -> None:
    """LiveAwsError unless `url` is http(s)://HOST[:PORT][/PATH] (what botocore can send requests to)."""
    from urllib.parse import urlsplit

    from agentid_components.text_safety import visible

    from agentid.runtime.redaction import hide_url_userinfo

    shown = visible(hide_url_userinfo(url))
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok or any(
            char.isspace() for char in url):
        raise LiveAwsError(f"the endpoint URL '{shown}' is malformed: write http(s)://HOST[:PORT], e.g. https://iam.amazonaws.com")


def call(client: Any, what: str, function: Callable[..., T], missing_ok: bool = False, **kwargs: Any) -> T | None:
    """Run one AWS call; turn every connection or credential problem into a one-line LiveAwsError.

    With `missing_ok`, IAM's NoSuchEntity answers None instead of an error.
    """
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

    try:
        return function(**kwargs)
    except NoCredentialsError:
        raise LiveAwsError(
            f"{what}: no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ) from None
    except EndpointConnectionError:
        raise LiveAwsError(f"{what}: cannot reach the IAM endpoint {client.meta.endpoint_url} (is the URL right, is it up?)") from None
    except ClientError as error:
        detail = error.response.get("Error", {})
        if missing_ok and detail.get("Code") == "NoSuchEntity":
            return None
        raise LiveAwsError(f"{what}: {detail.get('Code', 'error')}: {detail.get('Message', error)}") from None
    except BotoCoreError as error:
        raise LiveAwsError(f"{what}: {error}") from None

