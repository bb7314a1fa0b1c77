"""Which STS failures are worth another try, and how long to wait before it.

STS answers throttling (HTTP 400 `Throttling`) and 5xx errors under load; a
bounded number of retries with full-jitter exponential backoff spreads the
callers out instead of retrying in lock-step. Everything else (access denied,
a malformed policy, an expired token) fails at once: waiting will not fix it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

# Error codes AWS uses for "slow down" and for its own transient failures.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestLimitExceededException",
        "SlowDown",
    }
)
TRANSIENT_CODES = frozenset(
    {"InternalFailure", "InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException", "IDPCommunicationError"}
)


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_attempts` calls; before retry n (1-based) wait uniform(0, min(cap, base * 2**(n-1)))."""

    max_attempts: int = 5
    base_delay: float = 0.05
    max_delay: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays cannot be negative")

    def delay(self, retry_number: int, uniform: Callable[[float, float], float] = random.uniform) -> float:
        return uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (retry_number - 1)))


def is_retryable(error: Exception) -> bool:
    """True for throttling, 5xx answers and dropped connections; False for everything the caller must fix."""
    from botocore.exceptions import ClientError, ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500
    return isinstance(error, (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError))


def error_code(error: Exception) -> str:
    """A short name for an error, for audit records and messages."""
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "") or type(error).__name__
    return type(error).__name__
