"""A real moto server for the runtime tests: one process for the session, state reset before each test."""

from __future__ import annotations

import pytest

from tests.runtime.moto_process import DUMMY_CREDENTIALS, moto_server, reset


@pytest.fixture(scope="session")
def moto_url():
    """Endpoint URL of a `moto_server` process on 127.0.0.1 and a free port, started once per test session."""
    with moto_server() as url:
        yield url


@pytest.fixture
def aws(moto_url, monkeypatch):
    """A clean moto account and dummy credentials in the environment; yields the endpoint URL."""
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    reset(moto_url)
    return moto_url
