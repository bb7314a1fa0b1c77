"""Waivers: the one way to accept a mandatory violation, as reviewable data with a reason, an approver and an expiry.

A pull request may not lower its own gate (issue 11, "Integrity"): a critical rule
stays mandatory whatever the stack file says, and the only way past one of its
violations is a waiver naming the resource, the rule, why, who approved it and
until when, in the spirit of cdk-nag's `NagSuppressions` and checkov's skip
comments, but kept out of the judged code. The file (default `waivers.yaml` at the
project root):

```yaml
waivers:
  - rule: AGID-AWS-001                 # the policy id
    resource: legacy-batch-user        # a resource's URN, or its name together with `type`
    type: aws:iam/user:User            # the Pulumi type token; required with a name (see below)
    reason: vendor tool needs a static key until the migration in Q1
    approver: security@example.com
    expires: 2027-01-31                # YYYY-MM-DD; from that day on the waiver no longer applies
    stack: dev                         # optional: only in this stack
```

A waiver naming a resource by its name must name its type too: a name alone would accept the same rule's
violation on any resource a later pull request gives that name (a new role or key called `legacy-batch-user`),
so a name waives only resources of that name AND type; a URN names one resource. A name waiver is
reviewed for ONE resource: when it matches several (a second of that name and type, a component's child, say),
it accepts none and the report says it is ambiguous.

With `--waivers-from-ref REF` (CI: the pull request's base branch) the file is read
from that commit (`git show REF:PATH`): a waiver the pull request adds is shown as
*proposed* and grants nothing until it is merged, i.e. reviewed. Without a ref the
working tree's file is used and every applied waiver is listed apart in the report.
An expired waiver is a blocking finding (it must be renewed or removed); a waiver
that matches no violation is reported, so stale ones get cleaned up.

The same file carries the gate's trusted rule settings, the only config that may
*loosen* a rule (issue 11: stack-file settings may add strictness, never remove it):

```yaml
policyPackConfig:                      # pack name -> the JSON object --policy-pack-config reads
  agent-guard:
    AGID-AWS-032: {ownAccountIds: ["111122223333"]}
```

They are the baseline the pull request's own config (stack file, `--policy-pack-config`)
is held to: a setting there applies only when at least as strict (runner.enforce_floor).
With `--waivers-from-ref` they are read from the ref too; the working tree's differing
settings are *proposed* until merged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agentid.preview.stack_config import ConfigError
from agentid_components import input_limits

DEFAULT_FILE = "waivers.yaml"
SETTINGS_KEY = "policyPackConfig"
FIELDS = ("rule", "resource", "reason", "approver", "expires")
OPTIONAL = ("type", "stack", "finding")
URN_PREFIX = "urn:pulumi:"
MAX_BYTES = 1024 * 1024
# The longest a waiver may run, in days from the gate's today (`--max-waiver-days`, the gate operator's setting: never
# the pull request's). The expiry is what forces a waived finding to be reviewed again; `expires: 9999-12-31` would
# make it permanent (red21 r21-1).
DEFAULT_MAX_DAYS = 90
FINGERPRINT_DIGITS = 16
_FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class Waiver:
    rule: str
    resource: str  # URN, or a resource name
    reason: str
    approver: str
    expires: dt.date
    stack: str | None = None
    line: int = 0  # in the waiver file
    type: str | None = None  # Pulumi type token; required (by the parser) when `resource` is a name
    finding: str | None = None  # the fingerprint of the one finding reviewed (finding_fingerprint); None: any

    def covers(self, policy: str, urn: str, name: str | None, stack: str, fingerprint: str | None = None) -> bool:
        if self.rule != policy or (self.stack is not None and self.stack != stack):
            return False
        if self.finding is not None and self.finding != fingerprint:
            return False
        if self.resource.startswith(URN_PREFIX):
            return self.resource == urn
        return name is not None and self.resource == name and self.type == urn_type(urn)

    def expired(self, today: dt.date) -> bool:
        return today >= self.expires

    @property
    def justification(self) -> str:
        return f"{self.reason} (approved by {self.approver}, expires {self.expires.isoformat()})"


def finding_fingerprint(policy: str, urn: str, message: str, inputs: Any = None, secret_digest: str = "") -> str:
    """The stable id of one finding: 16 hex digits of SHA-256 over the rule, the resource's URN, the finding's message
    (whitespace folded), the resource's inputs as the report shows them (secrets redacted, keys sorted) and, when
    they hold secrets, `secret_digest` (judged_secrets_digest: the values the packs judged behind the redaction). A
    waiver pinned to it accepts exactly what was reviewed: the same rule on the same resource with ANY other input (a
    public s3:* where s3:GetObject was reviewed, red14 r14-1; AdministratorAccess where PowerUserAccess was, red13
    r13-15; the same, marked secret so that both read `[secret]`, red19 r19-8) is another finding, whether or not the
    message names the difference. It does not change with the run or the order of findings; it does change with
    every edit of the resource, which then needs its waiver re-pinned (reviewed)."""
    shown = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":")) if inputs is not None else ""
    text = f"{policy}\n{urn}\n{' '.join(message.split())}\n{shown}\n{secret_digest}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:FINGERPRINT_DIGITS]


def judged_secrets_digest(urn: str, inputs: Any) -> str:
    """A digest of a resource's judged inputs, secrets included, for its findings' fingerprints: scrypt (RFC 7914;
    N=2^14, r=8, p=1, salted with the URN) so that a fingerprint printed in a report costs ~16 MB and tens of
    milliseconds per guess of a secret behind it, where a plain hash of a short secret would be cheap to invert."""
    judged = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.scrypt(judged.encode("utf-8", "surrogatepass"), salt=urn.encode("utf-8", "surrogatepass"),
                          n=2 ** 14, r=8, p=1, maxmem=64 * 2 ** 20, dklen=16).hex()


def urn_type(urn: str) -> str | None:
    """The resource's own type token from its URN (urn:pulumi:STACK::PROJECT::[PARENT_TYPE$...]TYPE::NAME), or None
    (https://www.pulumi.com/docs/iac/concepts/resources/names/#urns)."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 and urn.startswith(URN_PREFIX) else None


@dataclass(frozen=True)
class WaiverFinding:
    """Something about a waiver a reviewer must see: `expired` blocks; `unused` and `proposed` inform."""

    # expired | unused | proposed | ambiguous (a name matching several resources: see `apply`) | unpinned (a waiver
    # without `finding:` that accepted a finding: any other finding of its rule there would be accepted too)
    kind: str
    waiver: Waiver
    message: str

    @property
    def blocking(self) -> bool:
        return self.kind == "expired"


@dataclass(frozen=True)
class WaiverSource:
    origin: str  # what a reader is told: "waivers.yaml" or "origin/main:waivers.yaml"
    waivers: tuple[Waiver, ...]
    proposed: tuple[Waiver, ...] = ()  # in the working tree, not in the trusted ref: granted by nobody yet
    settings: dict[str, Any] = field(default_factory=dict)  # trusted `policyPackConfig`: pack name -> config
    proposed_settings: bool = False  # the working tree's `policyPackConfig` differs from the trusted ref's

    def pack_settings(self, pack_name: str, pack_dir_name: str) -> dict[str, Any]:
        """The trusted config of one pack (by pack name or directory name), unparsed; {} when none."""
        for key in (pack_name, pack_dir_name):
            if key in self.settings:
                value = self.settings[key]
                if not isinstance(value, dict):
                    raise ConfigError(f"{self.origin}: {SETTINGS_KEY}.{key} must be a mapping of policy name to config")
                return value
        return {}


def parse(text: str, origin: str) -> tuple[Waiver, ...]:
    """The waivers of one file; ConfigError names the file, line and key of the first problem."""
    return parse_file(text, origin)[0]


def parse_file(text: str, origin: str) -> tuple[tuple[Waiver, ...], dict[str, Any]]:
    """(waivers, trusted settings) of one file; ConfigError names the file, line and key of the first problem."""
    if len(text.encode()) > MAX_BYTES:
        raise ConfigError(f"{origin}: larger than {MAX_BYTES} bytes")
    try:  # a waiver file comes with the pull request: composed within the input limits (nesting, aliases, sizes)
        node = input_limits.yaml_tree(text, origin, input_limits.STACK_FILE)
        document = None if node is None else input_limits.plain(node, origin)
    except input_limits.InputRefused as refused:
        raise ConfigError(str(refused)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ConfigError(f"{origin}{f':{mark.line + 1}' if mark else ''}: invalid YAML: "
                          f"{getattr(error, 'problem', None) or error}") from None
    if document is None:
        return (), {}
    if not isinstance(document, dict) or set(document) - {"waivers", SETTINGS_KEY} \
            or not isinstance(document.get("waivers", []), list):
        raise ConfigError(f"{origin}:1: a waiver file is a mapping with `waivers:`, holding a list, "
                          f"and optionally `{SETTINGS_KEY}:`")
    settings = document.get(SETTINGS_KEY) or {}
    if not isinstance(settings, dict):
        raise ConfigError(f"{origin}: {SETTINGS_KEY}: must be a mapping from policy pack name to its config")
    lines = _item_lines(node)
    waivers = tuple(_waiver(item, origin, lines[i] if i < len(lines) else 0)
                    for i, item in enumerate(document.get("waivers") or []))
    return waivers, settings


def _item_lines(node: Any) -> list[int]:
    try:
        sequence = next(value for key, value in node.value if key.value == "waivers")
        return [item.start_mark.line + 1 for item in sequence.value]
    except (AttributeError, TypeError, ValueError, StopIteration):
        return []


def _waiver(item: Any, origin: str, line: int) -> Waiver:
    where = f"{origin}:{line}"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: a waiver is a mapping with {', '.join(FIELDS)} (and optionally type, stack)")
    unknown = sorted(set(map(str, item)) - {*FIELDS, *OPTIONAL})
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (valid: {', '.join((*FIELDS, *OPTIONAL))})")
    for key in FIELDS:
        value = item.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ConfigError(f"{where}: {key}: missing; a waiver names {', '.join(FIELDS)}")
    for key in ("rule", "resource", "reason", "approver"):
        if not isinstance(item[key], str):
            raise ConfigError(f"{where}: {key}: must be text, not {type(item[key]).__name__}")
    expires = item["expires"]
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise ConfigError(f"{where}: expires: {item['expires']!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
        raise ConfigError(f"{where}: expires: must be a date (YYYY-MM-DD)")
    stack = item.get("stack")
    if stack is not None and not isinstance(stack, str):
        raise ConfigError(f"{where}: stack: must be a stack name")
    resource, type_ = item["resource"].strip(), item.get("type")
    if type_ is not None and (not isinstance(type_, str) or type_.count(":") < 2 or " " in type_.strip()):
        raise ConfigError(f"{where}: type: must be a Pulumi type token such as aws:iam/accessKey:AccessKey")
    if not resource.startswith(URN_PREFIX) and type_ is None:
        raise ConfigError(f"{where}: type: missing; a waiver naming a resource by name ({resource!r}) names its Pulumi "
                          "type token too (e.g. aws:iam/accessKey:AccessKey), so another resource given that name is "
                          "not waived; or give the resource's URN")
    if resource.startswith(URN_PREFIX) and urn_type(resource) is None:
        raise ConfigError(f"{where}: resource: {resource!r} is not a Pulumi URN "
                          "(urn:pulumi:STACK::PROJECT::TYPE::NAME)")
    finding = item.get("finding")
    if finding is not None and (not isinstance(finding, str) or not _FINGERPRINT.match(finding.strip().lower())):
        raise ConfigError(f"{where}: finding: must be the 16 hex digits `agentid preview` shows beside the violation "
                          "(`finding: 0123456789abcdef`)")
    return Waiver(rule=item["rule"].strip(), resource=resource, reason=item["reason"].strip(),
                  approver=item["approver"].strip(), expires=expires, stack=stack, line=line,
                  type=type_.strip() if type_ else None, finding=finding.strip().lower() if finding else None)


def load(root: Path, file: str | None, ref: str | None) -> WaiverSource:
    """The waivers in force: from `ref` when given (the working tree's extras are `proposed`), else the working tree."""
    relative = file or DEFAULT_FILE
    path = Path(relative) if Path(relative).is_absolute() else root / relative
    local: tuple[Waiver, ...] = ()
    local_settings: dict[str, Any] = {}
    if path.is_file():
        try:
            local, local_settings = parse_file(input_limits.read_text(path, MAX_BYTES, "waiver file"), relative)
        except input_limits.InputRefused as refused:
            raise ConfigError(str(refused)) from None
    elif path.exists():
        # a FIFO, device or directory: refused, not read as "no waivers" (its trusted settings would vanish unnoticed)
        raise ConfigError(f"{relative}: not a regular file (a directory, FIFO or device cannot be the waiver file)")
    elif file is not None and ref is None:
        raise ConfigError(f"{relative}: no such waiver file")
    if ref is None:
        return WaiverSource(relative, local, settings=local_settings)
    text = _git_show(root, ref, _repository_path(root, path))
    trusted, settings = parse_file(text, f"{ref}:{relative}") if text is not None else ((), {})
    granted = {_identity(w) for w in trusted}
    return WaiverSource(f"{ref}:{relative}", trusted, tuple(w for w in local if _identity(w) not in granted),
                        settings=settings, proposed_settings=local_settings != settings)


def check_lifetimes(source: WaiverSource, today: dt.date, max_days: int = DEFAULT_MAX_DAYS) -> None:
    """ConfigError (no verdict) naming the first waiver, in force or proposed, that runs longer than `max_days` from
    `today`. A waiver records no approval date the gate could trust (any `created:` would be written by the same pull
    request), so its lifetime is counted from the gate's today: a waiver is renewed (re-reviewed) at least every
    `max_days` days, and one written to expire in 9999 is refused, not accepted for ever."""
    if max_days < 1:
        raise ConfigError(f"--max-waiver-days {max_days}: must be at least 1")
    limit = today + dt.timedelta(days=max_days)
    for waiver in (*source.waivers, *source.proposed):
        if waiver.expires > limit:
            origin = source.origin if waiver in source.waivers else source.origin.split(":", 1)[-1]
            raise ConfigError(
                f"{origin}:{waiver.line}: expires: {waiver.expires.isoformat()} (waiver of {waiver.rule} for "
                f"{waiver.resource}) is {(waiver.expires - today).days} days after today ({today.isoformat()}): the "
                f"gate accepts waivers expiring at most {max_days} days ahead, by {limit.isoformat()} "
                "(--max-waiver-days, the gate operator's setting): set an earlier `expires:` and renew the waiver "
                "with a new review when it runs out")


def _identity(waiver: Waiver) -> tuple:
    return (waiver.rule, waiver.resource, waiver.type, waiver.reason, waiver.approver, waiver.expires, waiver.stack,
            waiver.finding)


def _repository_path(root: Path, path: Path) -> str:
    top = _git(root, "rev-parse", "--show-toplevel")
    try:
        return path.resolve().relative_to(Path(top.strip()).resolve()).as_posix()
    except ValueError:
        raise ConfigError(f"{path}: the waiver file is outside the git repository {top.strip()}") from None


def _git_show(root: Path, ref: str, path: str) -> str | None:
    """The file at `ref`, or None when it does not exist there (then no waiver is granted)."""
    if ref.startswith("-"):
        raise ConfigError(f"--waivers-from-ref: {ref!r} is not a git revision")
    _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    completed = subprocess.run(["git", "cat-file", "-e", f"{ref}:{path}"], cwd=root, capture_output=True)
    if completed.returncode != 0:
        return None
    return _git(root, "show", f"{ref}:{path}")


def _git(root: Path, *args: str) -> str:
    try:
        completed = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ConfigError(f"git {' '.join(args)}: {error}") from None
    if completed.returncode != 0:
        detail = completed.stderr.strip().splitlines()[-1:] or ["failed"]
        raise ConfigError(f"--waivers-from-ref: git {' '.join(args)}: {detail[0]}")
    return completed.stdout


def apply(violations: Iterable[Any], source: WaiverSource, *, stack: str, today: dt.date,
          name_of: Any) -> tuple[dict[Any, Waiver], list[WaiverFinding]]:
    """(violation -> the waiver that accepts it, findings). Only blocking violations need (and use) waivers.

    `name_of(urn)` is the resource's name (None for stack-level violations). An expired waiver
    accepts nothing and is a blocking finding; an unexpired one that accepts nothing is `unused`.
    """
    waived: dict[Any, Waiver] = {}
    used: set[Waiver] = set()
    findings: list[WaiverFinding] = []
    for waiver in source.waivers:
        if waiver.expired(today):
            findings.append(WaiverFinding("expired", waiver, f"waiver of {waiver.rule} for {waiver.resource} expired on "
                                          f"{waiver.expires.isoformat()} (approved by {waiver.approver}): renew or remove it"))
    live = [waiver for waiver in source.waivers if not waiver.expired(today)]
    mandatory = [v for v in violations if v.mandatory]
    matches = {waiver: [v for v in mandatory
                        if waiver.covers(v.policy, v.urn, name_of(v.urn), stack, v.finding or None)] for waiver in live}
    # A waiver was reviewed for ONE resource. A name that now matches several (a second key of that name and type
    # a change adds inside a component, say) accepts none of them: which one was reviewed cannot be told offline.
    ambiguous = {waiver for waiver, found in matches.items() if len({v.urn for v in found}) > 1}
    for waiver in sorted(ambiguous, key=lambda w: (w.rule, w.resource)):
        urns = sorted({v.urn for v in matches[waiver]})
        findings.append(WaiverFinding("ambiguous", waiver, f"waiver of {waiver.rule} for {waiver.resource} "
                                      f"({waiver.type}) matches {len(urns)} resources ({', '.join(urns)}): it accepts "
                                      "none of them; name the resource by its URN"))
    for violation in mandatory:
        for waiver in live:
            if waiver not in ambiguous and violation in matches[waiver]:
                waived[violation] = waiver
                used.add(waiver)
                if waiver.finding is None:
                    # What a waiver without a fingerprint accepted is shown for review: it would accept any other
                    # finding of its rule on a resource of that name (another resource re-homed under the name, the
                    # same resource with worse content) just as silently.
                    fingerprint = violation.finding
                    findings.append(WaiverFinding(
                        "unpinned", waiver, f"waiver of {waiver.rule} for {waiver.resource} (line {waiver.line}) "
                        f"accepted {violation.urn or 'the stack'}: {' '.join(violation.message.split())[:200]!r}; "
                        "it accepts any finding of that rule there, including a worse one: pin it to this one with "
                        f"`finding: {fingerprint}`"))
                break
    for waiver in source.waivers:
        if waiver not in used and waiver not in ambiguous and not waiver.expired(today) and (waiver.stack in (None, stack)):
            findings.append(WaiverFinding("unused", waiver, f"waiver of {waiver.rule} for {waiver.resource} matches no "
                                          "mandatory violation in this stack: remove it"))
    for waiver in source.proposed:
        findings.append(WaiverFinding("proposed", waiver, f"waiver of {waiver.rule} for {waiver.resource} is proposed "
                                      f"by this change and not in {source.origin.split(':')[0]}: it applies once merged"))
    return waived, findings


def sort_key(finding: WaiverFinding) -> Sequence[Any]:
    return (not finding.blocking, finding.kind, finding.waiver.rule, finding.waiver.resource)
