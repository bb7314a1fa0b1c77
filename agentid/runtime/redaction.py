"""Keep credentials out of logs, at every level, whoever logs them.

botocore at DEBUG logs request bodies (the `WebIdentityToken` of
`AssumeRoleWithWebIdentity`), response bodies (STS's `SecretAccessKey` and
`SessionToken`) and canonical requests (the caller's `X-Amz-Security-Token`);
httpx/httpcore and authlib log token-endpoint traffic (client assertions,
access tokens). A filter on one logger does not see records of its children,
and handlers belong to the application, so the redaction hooks the one place
every record passes: the log-record factory (`logging.setLogRecordFactory`,
chained to whatever factory was installed before).

Two nets, both applied to records of the libraries the broker drives:
- every secret the broker has handed out or read (registered with `remember`)
  is replaced wherever it appears, in whatever encoding botocore prints it;
- shapes that are secrets whatever their value: JWTs, the XML/JSON/form fields
  STS, OAuth token endpoints and Secrets Manager use for secrets
  (`SecretAccessKey`, `SessionToken`, `WebIdentityToken`, `access_token`,
  `client_assertion`, `client_secret`, `SecretString`, ...) and
  `Authorization` / `X-Amz-Security-Token` headers. This catches a secret
  in the response body that carried it, before the broker knew its value.

Records are rewritten once, at creation: the message is formatted with its
arguments, redacted, and stored without arguments.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import urllib.parse
from collections import OrderedDict
from typing import Any, Callable

REDACTED = "[REDACTED]"
# Loggers of the libraries whose DEBUG output carries requests and responses.
REDACTED_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "httpx", "httpcore", "authlib", "azure", "msal", "mcp", "agentid")
_MIN_SECRET_LENGTH = 8  # shorter values (e.g. moto's dummy "testing") would redact ordinary words
_MAX_REMEMBERED = 20_000  # oldest first out: a long-running broker issues a few per tool an hour

_SECRET_FIELDS = (
    "SecretAccessKey|SessionToken|WebIdentityToken|SecretString|SecretBinary|"
    "access_token|refresh_token|id_token|client_secret|client_assertion|assertion|subject_token|actor_token|"
    "aws_secret_access_key|aws_session_token|password|"
    # the camelCase spellings of Google's IAM Credentials / STS responses (generateAccessToken: accessToken,
    # signJwt: signedJwt, signBlob: signedBlob) and of JSON APIs that follow them
    "accessToken|refreshToken|idToken|clientSecret|clientAssertion|subjectToken|actorToken|signedJwt|signedBlob|"
    "privateKey|private_key"
)
# JWS/JWT compact serialisation (RFC 7515 §7.1): three base64url parts, the first a JSON object. A header "{" is
# base64url "e" followed by "y" ('"' or a space next) or "w" (a newline or tab next): "eyJ..." is only the common
# spelling, so any such first part counts when it decodes to a JSON object (a word like "eyewitness" does not).
_JWT = re.compile(r"\be[wy][A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_PATTERNS = (
    # the common spelling ('{"' first) even when the header is cut or not JSON: "eyJ" then base64url parts
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"),
    re.compile(rf"(<(?:{_SECRET_FIELDS})>)[^<]*(</)", re.IGNORECASE),  # XML (STS, Query APIs)
    re.compile(rf"""(["'](?:{_SECRET_FIELDS})["']\s*:\s*["']?)[^"'&\s,}}]+""", re.IGNORECASE),  # JSON, Python repr
    re.compile(rf"""((?<![\w-])(?:{_SECRET_FIELDS})=)[^&\s"']+""", re.IGNORECASE),  # form bodies, query strings
    re.compile(r"((?:authorization|x-amz-security-token|proxy-authorization)[\"']?\s*[:=]\s*[\"']?(?:bearer |basic |dpop )?)[^\"'\r\n,}]+", re.IGNORECASE),
)

# The user-info of a URL (RFC 3986 section 3.2.1: `scheme://user:password@host`): "user:password"
# is deprecated precisely because it is shown wherever the URL is; botocore and httpx errors repeat the URL.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@\"'<>]+@")


def hide_url_userinfo(text: str) -> str:
    """`text` with the user-info of every URL in it replaced: `http://u:p@h/` -> `http://[REDACTED]@h/`.

    Applied to every message the CLI prints about an endpoint (RFC 3986 section 3.2.1, section 7.5).
    """
    return _URL_USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)


_secrets: "OrderedDict[str, None]" = OrderedDict()
_by_length: tuple[str, ...] = ()  # the same values, longest first (a quoted form may contain the plain one)
_secrets_lock = threading.Lock()
_installed = False


def remember(*values: str | None) -> None:
    """Redact these values (secret keys, session tokens, access tokens, client secrets) from now on."""
    global _by_length
    install()
    with _secrets_lock:
        for value in values:
            if isinstance(value, str) and len(value) >= _MIN_SECRET_LENGTH:
                for form in {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}:  # form bodies
                    _secrets[form] = None
                    _secrets.move_to_end(form)
        while len(_secrets) > _MAX_REMEMBERED:
            _secrets.popitem(last=False)
        _by_length = tuple(sorted(_secrets, key=len, reverse=True))


def redact(text: str) -> str:
    """`text` with every remembered secret and every secret-shaped field replaced by [REDACTED]."""
    for secret in _by_length:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _JWT.sub(_unless_not_a_jws_header, text)
    for pattern in _PATTERNS:
        text = pattern.sub(_keep_label, text)
    return hide_url_userinfo(text)


def _unless_not_a_jws_header(match: re.Match) -> str:
    header = match.group(0).split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return match.group(0)
    return REDACTED if isinstance(decoded, dict) else match.group(0)


def _keep_label(match: re.Match) -> str:
    groups = match.groups()
    if not groups:
        return REDACTED
    return groups[0] + REDACTED + (groups[1] if len(groups) > 1 and groups[1] else "")


def install() -> None:
    """Hook the log-record factory once per process (idempotent; keeps the previous factory in the chain)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if record.name.startswith(REDACTED_LOGGERS):
            _scrub(record)
        return record

    logging.setLogRecordFactory(factory)


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed record: keep its bare format string, never its arguments
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        # Exception text is rendered later by the handler: render it now so it is redacted too.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
