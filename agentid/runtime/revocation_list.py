"""The revocation list: which agents the broker must refuse, whatever cloud or server their tools are on.

`agentid revoke AGENT` writes the agent into this file; a broker given the file (`CredentialBroker(revocation_list=
PATH)`, or the environment variable AGENTID_REVOCATION_LIST) refuses every credential of a listed agent on every
hop (AWS, OAuth, MCP, Entra/Azure, GCP, model), cached ones included, from its next call, until
`agentid revoke undo AGENT` removes the entry. It is the one revocation record that works for an agent without an
AWS role (the AWS record, `revocation_check.py`, lives on the role). The file is data, not a secret:

    {"agentid_revocation_list": 1,
     "revoked": {"report-builder": {"revoked_at": "2026-12-01T12:00:00Z", "reason": "key leak", "by": "alice"}}}

Reading: the file is stat()ed on every check (about a microsecond) and parsed again only when its identity, size or
modification time changed, so a revoke takes effect at the broker's next call. Writers replace the file atomically
(a temporary file renamed over it, under an exclusive lock on its directory), so a reader never sees half a list.

Fail closed: a configured list that is missing, not a regular file, larger than 1 MiB, not JSON, or not of the
shape above is never read as "nobody revoked": `RevocationListUnreadable`, and the broker refuses every credential
("RevocationUnknown") until the file is readable again. Deliver the file to the broker like a CRL: a mounted
Kubernetes ConfigMap or secret volume, a shared volume, a file your deployment tool writes; the broker does not
fetch it over the network.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

FORMAT_KEY = "agentid_revocation_list"
FORMAT_VERSION = 1
ENVIRONMENT_VARIABLE = "AGENTID_REVOCATION_LIST"
MAX_LIST_BYTES = 1024 * 1024  # ~10,000 entries; a list is read on a hot path, so it stays small


class RevocationListUnreadable(Exception):
    """The list cannot be read or is malformed; the message names the file and what is wrong, in one line."""


@dataclass(frozen=True)
class Entry:
    agent: str
    revoked_at: str  # ISO 8601 UTC, when `agentid revoke` wrote it
    reason: str = ""
    by: str = ""


def parse(text: str, name: str) -> dict[str, Entry]:
    """The list's entries by agent name; RevocationListUnreadable naming `name` when the shape is wrong."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise RevocationListUnreadable(f"{name}: not JSON ({error})") from None
    if not isinstance(document, dict) or document.get(FORMAT_KEY) != FORMAT_VERSION:
        raise RevocationListUnreadable(f"{name}: not an agentid revocation list (expected an object with "
                                       f"\"{FORMAT_KEY}\": {FORMAT_VERSION} and \"revoked\")")
    revoked = document.get("revoked")
    if not isinstance(revoked, dict):
        raise RevocationListUnreadable(f"{name}: \"revoked\" must be an object of agent name -> entry")
    entries = {}
    for agent, fields in revoked.items():
        if not isinstance(fields, dict) or not isinstance(fields.get("revoked_at"), str):
            raise RevocationListUnreadable(f"{name}: revoked.{json.dumps(agent)[:80]} must be an object with revoked_at (text)")
        entries[agent] = Entry(agent, fields["revoked_at"], str(fields.get("reason") or ""), str(fields.get("by") or ""))
    return entries


class RevocationList:
    """Reads one list file and keeps its entries until the file changes; thread-safe."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._signature: tuple[int, ...] | None = None
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self.reads = 0  # times the file was parsed

    def __repr__(self) -> str:
        return f"RevocationList({str(self.path)!r})"

    def entry(self, agent: str) -> Entry | None:
        """The agent's entry, or None; RevocationListUnreadable when the list cannot be told."""
        try:
            found = os.stat(self.path)
        except OSError as error:
            raise RevocationListUnreadable(f"{self.path}: cannot read the revocation list: {error.strerror or error}") from None
        signature = (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)
        with self._lock:
            if signature != self._signature:
                self._entries = self._read()
                self._signature = signature
            return self._entries.get(agent)

    def _read(self) -> dict[str, Entry]:
        from agentid_components import input_limits

        self.reads += 1
        try:
            text = input_limits.read_text(self.path, MAX_LIST_BYTES, "revocation list")
        except input_limits.InputRefused as refused:
            self._signature = None
            raise RevocationListUnreadable(str(refused)) from None
        try:
            return parse(text, str(self.path))
        except RevocationListUnreadable:
            self._signature = None
            raise


def from_environment() -> RevocationList | None:
    """The list named by AGENTID_REVOCATION_LIST, or None when it is not set."""
    path = os.environ.get(ENVIRONMENT_VARIABLE)
    return RevocationList(path) if path else None


# --- writing (the CLI) ------------------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on the list's directory: two revokes at once do not lose each other's entry."""
    import fcntl

    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _load_for_update(path: Path) -> dict[str, Any]:
    """The list's document to change (a new, empty one when there is no file); RevocationListUnreadable when the
    file exists but cannot be read: never overwrite a list that cannot be read (its entries would be lost)."""
    from agentid_components import input_limits

    if not path.exists():
        return {FORMAT_KEY: FORMAT_VERSION, "revoked": {}}
    try:
        text = input_limits.read_text(path, MAX_LIST_BYTES, "revocation list")
    except input_limits.InputRefused as refused:
        raise RevocationListUnreadable(str(refused)) from None
    parse(text, str(path))
    return json.loads(text)


def _write(path: Path, document: dict[str, Any]) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # data, not a secret: brokers under other users read it
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def add(path: str | Path, agent: str, now: dt.datetime, reason: str = "", by: str = "") -> tuple[Entry, bool]:
    """Write `agent` into the list (creating the file); (its entry, True) or, when it was already listed, (the
    earlier entry, False): a revoke is never moved or rewritten. RevocationListUnreadable, OSError."""
    path = Path(path)
    with _locked(path):
        document = _load_for_update(path)
        existing = document["revoked"].get(agent)
        if existing is not None:
            return Entry(agent, existing["revoked_at"], str(existing.get("reason") or ""), str(existing.get("by") or "")), False
        stamp = now.astimezone(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = {"revoked_at": stamp} | ({"reason": reason} if reason else {}) | ({"by": by} if by else {})
        document["revoked"][agent] = fields
        _write(path, document)
        return Entry(agent, stamp, reason, by), True


def remove(path: str | Path, agent: str) -> Entry | None:
    """Take `agent` off the list; its former entry, or None when it was not listed. RevocationListUnreadable,
    OSError (a missing file is an error here: there is nothing to undo)."""
    path = Path(path)
    if not path.exists():
        raise RevocationListUnreadable(f"{path}: no such revocation list")
    with _locked(path):
        document = _load_for_update(path)
        existing = document["revoked"].pop(agent, None)
        if existing is None:
            return None
        _write(path, document)
        return Entry(agent, existing["revoked_at"], str(existing.get("reason") or ""), str(existing.get("by") or ""))
