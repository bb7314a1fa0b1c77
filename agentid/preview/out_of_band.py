"""AGID-GATE-002: the program reaches outside the engine's channel (issue 11).

The judged program is pull-request code. At `pulumi up` it runs on the deploy runner with the deployer's
credentials and network: instead of declaring resources it can call the clouds itself (boto3, azure-mgmt,
google-cloud, the kubernetes client, `requests` to a cloud API or the instance metadata service), run `aws`/`az`/
`gcloud`/`kubectl`/`curl`, or read the deployer's credentials (~/.aws/credentials, AWS_SECRET_ACCESS_KEY, the
GitHub OIDC request token). No resource shows it, so no rule can judge it; under the gate the sandbox has no network,
the call fails, a `try/except` swallows it, and the stack passed.

The gate watches for it in the program's process (`language_host._watch_out_of_band`, an audit hook, PEP 578,
installed before the program is imported, which no Python code can remove): every network connection or name
lookup (but the gate's own monitor socket), every process start, every foreign-function call (ctypes), every open of
a credential file and every read of a credential variable (`out_of_band.yaml`, data with sources) is written at once,
before it happens, as one line on a unix socket the gate listens on (`Channel`) and then refused. The program cannot
take back what was written; a channel it closed or replaced makes the hook end the process (no verdict). Each record
is a mandatory finding of the gate itself naming what was attempted and the program's line (the innermost frame in
the judged project); waivable, like AGID-GATE-001, for the stack's URN.

A credential variable's value read by a copy or an iteration of the environment (`dict(os.environ)`, `.items()`,
`/proc/self/environ`, `posix.environ`, `os.environ._data`) is a read of it too (red14 r14-10): the iteration hands
the program the deployer's credentials at `pulumi up`, whatever it keeps.

The gate also withholds the credential variables' values: the program gets a placeholder in each (`withheld`),
so a program that reads one some way the watch does not see gets no credential, and what it does with the
placeholder next is still seen: a request by the watch, a resource input or a stack output holding it, or a piece
of it (each placeholder ends in random Private Use Area characters, `mark`), by `in_stack`.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import socket
import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml

from agentid.analyzer_client import PolicyInfo
from agentid.preview.analysis import PackRun, Violation

DATA = Path(__file__).with_name("out_of_band.yaml")
PACK_NAME = "agentid-preview"  # credential_invokes.PACK_NAME: one "pack" for the gate's own findings
SETTINGS_FILE = "audit.json"  # in the run directory: what the language host watches (language_host.AUDIT_SETTINGS)
SOCKET_FILE = "audit.sock"  # in the run directory: where the language host writes its records
HELLO = "hello"  # the language host's first record: the watch is installed
MAX_RECORDS = 500  # records kept a run (the rest are counted): a program flooding the channel only fails itself
MAX_LINE = 8192
# The gate's own environment (never the program's): "observe" reports every attempt without refusing it. The
# findings block all the same; the sandbox's tests use it to let an attempt reach the defence they test.
MODE_ENV = "AGENTID_PREVIEW_OUT_OF_BAND"

POLICY = PolicyInfo(
    name="AGID-GATE-002",
    description="The program only declares resources: no network connection or name lookup outside the engine's "
                "channel, no process started, no foreign-function call, no credential file or credential variable "
                "read. At `pulumi up` such code runs with the deployer's credentials and creates or reads what no "
                "resource shows. [category: gate-integrity]",
    enforcement_level="mandatory",
    policy_type="stack",
    severity="critical",
    remediation="Declare what the stack needs as resources (the packs judge them) and read settings with "
                "pulumi.Config; do not call cloud SDKs, CLIs or HTTP endpoints, start processes, load native code or "
                "read credentials from the program. Code the deployment needs outside the program belongs in a "
                "reviewed CI step; a waiver (rule AGID-GATE-002, resource: the stack's URN) needs a reason.",
    url="https://www.pulumi.com/docs/iac/concepts/how-pulumi-works/",
    config_schema={},
)


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


def credential_variables() -> tuple[str, ...]:
    return tuple(_data()["credential_variables"])


WITHHELD = "agentid-preview-withheld-"  # the text of every placeholder (what a scan of the stack looks for)
# Each placeholder ends in a run of characters drawn at random, once per gate invocation, from Unicode's Private Use
# Area (U+E000-U+F8FF): no program text, name, ARN or tag holds them, so a piece of a placeholder as short as
# PIECE characters, cut out of it by slicing, splitting or joining, is still recognised in a resource input or a
# stack output (`in_stack`). Encodings that change every character (hex, base64, a cipher) are not.
PRIVATE_USE = (0xE000, 0xF8FF)
_PRIVATE_USE_CHARACTER = re.compile(f"[{chr(PRIVATE_USE[0])}-{chr(PRIVATE_USE[1])}]")
MARK_LENGTH = 24
PIECE = 3
_MARKS: dict[str, str] = {}


def mark(name: str) -> str:
    """The random tail of `name`'s placeholder, the same for every run of this gate invocation."""
    if name not in _MARKS:
        import secrets

        low, high = PRIVATE_USE
        _MARKS[name] = "".join(chr(low + secrets.randbelow(high - low + 1)) for _ in range(MARK_LENGTH))
    return _MARKS[name]


def placeholder(name: str) -> str:
    """What the program gets in a credential variable's place: a URL variable a URL no one answers (a request to
    it is a lookup the watch reports), any other a marker naming the variable; each ends in its random mark."""
    if name.endswith(("_URL", "_URI")):
        return f"http://{WITHHELD}{name.lower().replace('_', '-')}.invalid/{mark(name)}"
    return f"{WITHHELD}{name}-{mark(name)}"


def withheld(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with every credential variable holding its placeholder, whether the caller had it or not: the program
    never gets the caller's credentials, and code that goes on with what it read (a request signed with it, a
    resource input holding it) goes on at preview too, where the watch sees it."""
    return {**{key: value for key, value in env.items() if key not in set(credential_variables())},
            **{name: placeholder(name) for name in credential_variables()}}


def pieces_of(text: str) -> list[str]:
    """The credential variables a piece of whose placeholder `text` holds: the whole marker, or PIECE or more
    consecutive characters of a mark (in the order the mark has them)."""
    if WITHHELD in text:
        found = [name for name in credential_variables()
                 if placeholder(name) in text or placeholder(name).rstrip("/") in text or f"{WITHHELD}{name}" in text
                 or f"{WITHHELD}{name.lower().replace('_', '-')}" in text]
        if found:
            return found
    if _PRIVATE_USE_CHARACTER.search(text) is None:  # (a character-by-character test in Python was ~1 s of the
        return []                                    # gate's CPU at 200 agents: every string of every input)
    return [name for name in credential_variables()
            if any(mark(name)[start:start + PIECE] in text for start in range(MARK_LENGTH - PIECE + 1))]


def _homes() -> list[str]:
    homes = []
    try:
        homes.append(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        pass
    if os.environ.get("HOME"):
        homes.append(os.environ["HOME"])
    return [home for index, home in enumerate(homes) if home and home not in homes[:index]]


def credential_paths(env: Mapping[str, str] | None = None) -> list[str]:
    """Absolute paths whose opening (or anything below them) the host reports: the data's files under each home
    and, resolved, what the credential location variables of the gate's environment name."""
    env = os.environ if env is None else env
    paths: list[str] = []
    for entry in _data()["credential_files"]:
        if entry.startswith("~/"):
            paths += [os.path.join(home, entry[2:]) for home in _homes()]
        else:
            paths.append(entry)
    for name in _data()["credential_location_variables"]:
        value = env.get(name, "")
        if value.startswith("/"):
            paths.append(value)
    resolved = [os.path.realpath(path) for path in paths]
    return sorted({os.path.normpath(path) for path in [*paths, *resolved]})


def in_stack(resources: Sequence[Any], output_values: Mapping[str, Any], root: Path | None = None
             ) -> list[dict[str, str]]:
    """Records for every withheld credential variable's placeholder found in a resource's inputs or a stack output:
    the program put the deployer's credential into the stack (a Lambda's environment, a tag, an export), however it
    read it. `resources`: program.Resource; `output_values`: the stack outputs' values (secrets too)."""
    found: list[dict[str, str]] = []

    def where(resource: Any) -> str:
        file, line = getattr(resource, "source_file", None), getattr(resource, "source_line", 0)
        if not file:
            return ""
        if root is not None and Path(file).is_relative_to(root):
            file = str(Path(file).relative_to(root))
        return f"{file}:{line}" if line else file

    def walk(value: Any, path: str, depth: int = 0) -> list[tuple[str, list[str]]]:
        if isinstance(value, str):
            names = pieces_of(value)
            return [(path, names)] if names or WITHHELD in value else []
        if depth > 64:
            return []
        if isinstance(value, Mapping):
            return [hit for key, item in value.items() for hit in walk(item, f"{path}.{key}" if path else str(key),
                                                                        depth + 1)]
        if isinstance(value, (list, tuple)):
            return [hit for index, item in enumerate(value) for hit in walk(item, f"{path}[{index}]", depth + 1)]
        return []

    def named(names: list[str]) -> str:
        return ", ".join(sorted(set(names))) or "a credential variable"

    for resource in resources:
        for path, names in walk(getattr(resource, "inputs", {}), ""):
            found.append({"kind": "credential", "where": where(resource),
                          "what": f"puts the value of {named(names)} (withheld by the gate) into input {path} of "
                                  f"{getattr(resource, 'type', '?')} {getattr(resource, 'name', '?')!r}"})
    for name, value in output_values.items():
        for path, names in walk(value, name):
            found.append({"kind": "credential", "where": "",
                          "what": f"exports the value of {named(names)} (withheld by the gate) as stack output {path}"})
    return found


def write_settings(run_dir: Path, monitor_address: str) -> None:
    """What the language host watches, written where it reads it before the program starts."""
    data = _data()
    settings = {
        "socket": str(run_dir / SOCKET_FILE),
        "monitor": monitor_address.removeprefix("unix:"),
        "credential_variables": list(data["credential_variables"]),
        "credential_location_variables": list(data["credential_location_variables"]),
        "credential_paths": credential_paths(),
        "endpoints": dict(data["credential_endpoints"]),
        "refuse": os.environ.get(MODE_ENV, "") != "observe",
    }
    (run_dir / SETTINGS_FILE).write_text(json.dumps(settings))


class Channel:
    """The gate's end of the records: a unix socket in the run directory; each connection sends JSON lines.

    Only the gate reads it. Whatever the program writes there itself can only add findings (records), never remove
    one: a line the host wrote is in the gate's hands before the attempt it reports goes on."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / SOCKET_FILE
        self.records: list[dict[str, Any]] = []
        self.dropped = 0
        self.hello = False
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.path))
        self._server.listen(16)
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept, name="agentid-audit-accept", daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    connection.close()
                    return
                self._connections.append(connection)
                reader = threading.Thread(target=self._read, args=(connection,), name="agentid-audit-read",
                                          daemon=True)
                self._threads.append(reader)
            reader.start()

    def _read(self, connection: socket.socket) -> None:
        buffer = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                if buffer:
                    self._take(buffer)
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                self._take(line)
            if len(buffer) > MAX_LINE:
                self._take(buffer[:MAX_LINE])
                buffer = b""

    def _take(self, line: bytes) -> None:
        record = parse_record(line[:MAX_LINE])
        with self._lock:
            if record.get("kind") == HELLO:
                self.hello = True
            elif len(self.records) < MAX_RECORDS:
                self.records.append(record)
            else:
                self.dropped += 1

    def close(self) -> tuple[list[dict[str, Any]], int, bool]:
        """Stop listening once every process of the run is gone; (records, records dropped, hello seen)."""
        with self._lock:
            self._closed = True
        try:
            self._server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._server.close()
        for thread in list(self._threads):
            thread.join(timeout=5)  # the writers are gone: each reader sees the end of its connection
        with self._lock:
            for connection in self._connections:
                connection.close()
            return list(self.records), self.dropped, self.hello


def parse_record(line: bytes) -> dict[str, str]:
    """One record as the language host writes it (`_watch_out_of_band`: no json module, which the program could
    patch): `R <kind> <what> <where>`, each field UTF-8 in hex. Anything else is a record of its own: only the
    program can have written it, and it counts against it."""
    parts = line.rstrip(b"\r\n").split(b" ")
    if len(parts) == 4 and parts[0] == b"R":
        try:
            kind, what, where = (bytes.fromhex(part.decode("ascii")).decode("utf-8", "replace") for part in parts[1:])
            return {"kind": kind, "what": what, "where": where}
        except ValueError:
            pass
    return {"kind": "unreadable", "what": "wrote an unreadable record on the gate's audit channel", "where": ""}


ITERATED = re.compile(r"reads the credential variable (\S+) by copying or iterating the environment( in [^(]+\([^)]*\))? \(")


def _merged(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The records with the one-a-variable reads of a copy or an iteration of the environment (`dict(os.environ)`
    reads every credential variable's value) made one a line of the program, naming the variables."""
    kept: list[Mapping[str, Any]] = []
    iterated: dict[tuple[str, str], list[str]] = {}
    for record in records:
        match = ITERATED.match(str(record.get("what") or "")) if record.get("kind") == "environment" else None
        if match is None:
            kept.append(record)
            continue
        names = iterated.setdefault((str(record.get("where") or ""), match.group(2) or ""), [])
        if match.group(1) not in names:
            names.append(match.group(1))
    for (where, by), names in iterated.items():
        shown = ", ".join(sorted(names)[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        kept.append({"kind": "environment", "where": where,
                     "what": f"reads the credential variable{'s' * (len(names) > 1)} {shown} by copying or "
                             f"iterating the environment{by} (values withheld by the gate; read only the variables "
                             "the program needs, by name, or use pulumi.Config)"})
    return kept


def findings(records: Sequence[Mapping[str, Any]], dropped: int, stack_urn: str, version: str) -> PackRun | None:
    """The gate's AGID-GATE-002 findings over the host's records (one per distinct attempt and line), as a PackRun
    of `PACK_NAME`; None when there is none."""
    seen: dict[tuple[str, str], int] = {}
    for record in _merged(records):
        what = " ".join(str(record.get("what") or "did something the gate could not read").split())[:400]
        where = str(record.get("where") or "")[:300]
        seen[(what, where)] = seen.get((what, where), 0) + 1
    violations = []
    for (what, where), count in sorted(seen.items()):
        times = f" ({count} times)" if count > 1 else ""
        at = f" at {where}" if where else " (no line of the project on the stack)"
        violations.append(Violation(
            pack=PACK_NAME, policy=POLICY.name, description=POLICY.description,
            message=f"[gate-integrity] the program {what}{at}{times}: outside the engine's channel, which at "
                    "`pulumi up` runs with the deployer's credentials and network and creates or reads what no "
                    "resource shows (the gate refused it)",
            enforcement_level="mandatory", severity=POLICY.severity, urn=stack_urn,
            remediation=POLICY.remediation, url=POLICY.url))
    if dropped:
        violations.append(Violation(
            pack=PACK_NAME, policy=POLICY.name, description=POLICY.description,
            message=f"[gate-integrity] the program made {dropped} more out-of-band attempts than the gate keeps",
            enforcement_level="mandatory", severity=POLICY.severity, urn=stack_urn,
            remediation=POLICY.remediation, url=POLICY.url))
    if not violations:
        return None
    return PackRun(name=PACK_NAME, version=version, directory="", policies=(POLICY,), config={},
                   violations=tuple(violations))
