"""Limits on every file the kit reads from a user or a pull request: one module, used by every reader.

A pull request is untrusted input to the gate, so nothing it can name may hang
the gate, exhaust its memory or reach outside the repository:

* `read_bytes` / `read_text`: regular files only (a FIFO would block forever, a
  device such as /dev/zero never ends), checked with `stat` before `open` and
  again with `fstat` on the descriptor (opened with O_NONBLOCK, so a FIFO swapped
  in between cannot block); at most `max_bytes` are read, whatever the file claims.
* `inside`: a path a spec names (a CA bundle, a certificate) must resolve, symlinks
  followed, inside a root (the repository) unless the caller allows otherwise.
* `yaml_tree`: YAML composed from libyaml's event stream (libyaml's own composer
  recurses in C and crashes on 100,000 nested brackets) with a nesting cap, a
  cap on the length of one scalar and on the digits of a number, and an alias
  budget: the nodes that aliases add when expanded ("billion laughs") are counted
  while composing, so a 353-byte bomb is refused at its first costly alias.
* `json_document`: JSON with the same nesting and length caps, read by `strict_json`: a
  name twice in one object, NaN, Infinity and numbers beyond a double are refused.

Every refusal is `InputRefused`: one line, `FILE:LINE: what is wrong and the limit`.
The caps are far above any real agent file, stack file, policy or certificate
(AWS managed policies are at most 6,144 characters, an IAM role name 64, an ARN 2,048).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps for one kind of file. Sizes in bytes, lengths in characters."""

    max_bytes: int
    max_depth: int = 64  # mappings and lists inside each other
    max_scalar_chars: int = 64 * 1024  # one string value
    max_number_digits: int = 64  # an unquoted number (Python refuses int() beyond 4,300 digits; nothing needs 64)
    max_alias_nodes: int = 100_000  # nodes added by expanding aliases, over the whole document
    # Values in the whole document (scalars, lists and mappings, aliases expanded). Validation's memory
    # grows with the values it must report on (a 4 MB file of 400,000 bare list items made pydantic
    # build 2.8 million errors in 5.7 GB), so the count is capped before validation starts.
    max_nodes: int = 1_000_000


# A 1,000-agent file is about 1 MiB and 70,000 values (the cap allows ~2,000); parsing 8 MiB peaks near 80 MB.
AGENT_FILE = Limits(max_bytes=8 * MiB, max_nodes=150_000)
STACK_FILE = Limits(max_bytes=1 * MiB)  # Pulumi.yaml, Pulumi.<stack>.yaml, PulumiPolicy.yaml
PACK_CONFIG = Limits(max_bytes=1 * MiB)  # --policy-pack-config JSON
LINT_FILE = Limits(max_bytes=2 * MiB)  # a raw IAM policy or Azure role definition
CERTIFICATE_BYTES = 1 * MiB  # a PEM CA bundle or client certificate (one certificate is ~2 KiB)
TOKEN_FILE_BYTES = 64 * 1024  # a projected JWT (Kubernetes, SPIFFE): a few KiB; it travels in HTTP headers/forms
KEY_FILE_BYTES = 64 * 1024  # one PEM private key (RSA 8192 is under 7 KiB)


class InputRefused(Exception):
    """A file broke a limit or cannot be read; `str()` is the one-line message."""

    def __init__(self, file: str, line: int, message: str):
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}")


# --- files ------------------------------------------------------------------------------------


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(path: str | Path, max_bytes: int, what: str = "file") -> bytes:
    """The content of a regular file of at most `max_bytes` bytes; InputRefused otherwise (never blocks)."""
    name = str(path)
    try:
        before = os.stat(path)  # follows symlinks: the target is what would be read
        if not stat.S_ISREG(before.st_mode):
            raise InputRefused(name, 1, f"the {what} is {_kind(before.st_mode)}, not a regular file: name a file")
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise InputRefused(name, 1, f"cannot read the {what}: {error.strerror or error}") from None
    try:
        opened = os.fstat(descriptor)
        if not stat.S_ISREG(opened.st_mode):  # replaced between stat and open
            raise InputRefused(name, 1, f"the {what} is {_kind(opened.st_mode)}, not a regular file: name a file")
        if opened.st_size > max_bytes:
            raise InputRefused(name, 1, f"the {what} is {opened.st_size:,} bytes; the limit is {max_bytes:,}")
        chunks, total = [], 0
        while total <= max_bytes:  # the size on disk may change or lie (/proc): count what is read
            chunk = os.read(descriptor, min(1 * MiB, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise InputRefused(name, 1, f"the {what} is over {max_bytes:,} bytes, the limit")
        return b"".join(chunks)
    except OSError as error:
        raise InputRefused(name, 1, f"cannot read the {what}: {error.strerror or error}") from None
    finally:
        os.close(descriptor)


def decode_utf8(data: bytes, name: str, what: str = "file") -> str:
    """UTF-8 text without NUL bytes; InputRefused naming the line of the first bad byte."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputRefused(name, line, "not a text file (it holds NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputRefused(name, line, f"not UTF-8 text (byte {error.start}): save the {what} as UTF-8") from None


def read_text(path: str | Path, max_bytes: int, what: str = "file") -> str:
    return decode_utf8(read_bytes(path, max_bytes, what), str(path), what)


def repository_root(file: str | Path) -> Path:
    """The repository holding `file`: the nearest directory with `.git` (or `Pulumi.yaml`), else the file's directory."""
    start = Path(file).resolve().parent
    for directory in (start, *start.parents):
        if (directory / ".git").exists() or (directory / "Pulumi.yaml").is_file():
            return directory
    return start


def inside(path: str | Path, root: str | Path | None) -> Path:
    """`path` resolved (symlinks followed); ValueError when it leaves `root` (None: anywhere is allowed)."""
    resolved = Path(path).resolve()
    if root is not None and not resolved.is_relative_to(Path(root).resolve()):
        raise ValueError(f"{path} resolves to {resolved}, outside {Path(root).resolve()}")
    return resolved


# --- YAML ---------------------------------------------------------------------------------------

_STARTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_ENDS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _number_like(value: str) -> bool:
    body = value.lstrip("+-")
    return bool(body) and body[0].isdigit() or body[:1] == "." and body[1:2].isdigit()


def yaml_tree(text: str, name: str, limits: Limits) -> yaml.Node | None:
    """The first YAML document as nodes (as `yaml.compose` gives them, with lines), within `limits`.

    Tags are kept as written and never resolved: nothing here constructs objects.
    Raises InputRefused for a limit, yaml.YAMLError for bad syntax.
    """
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    anchors: dict[str, tuple[yaml.Node, int]] = {}  # anchor -> (node, its size with aliases expanded)
    stack: list[tuple[yaml.Node, list[Any], int, yaml.Event]] = []  # open collections: node, children, size, event
    alias_nodes = 0
    nodes = 0
    root: yaml.Node | None = None

    def count(line: int, size: int = 1) -> None:
        nonlocal nodes
        nodes += size
        if nodes > limits.max_nodes:
            raise InputRefused(name, line, f"the document holds over {limits.max_nodes:,} values, the limit: "
                                           "split it into several files")

    def attach(node: yaml.Node, size: int) -> None:
        nonlocal root
        if stack:
            stack[-1][1].append(node)
            parent = stack[-1]
            stack[-1] = (parent[0], parent[1], parent[2] + size, parent[3])
        else:
            root = node

    events = iter(yaml.parse(text, Loader=loader))
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.ScalarEvent):
            value = event.value
            style = event.style or None  # libyaml reports plain scalars as style '' (pure PyYAML: None)
            if len(value) > limits.max_scalar_chars:
                raise InputRefused(name, line, f"a value of {len(value):,} characters; the limit is {limits.max_scalar_chars:,}")
            if style is None and len(value) > limits.max_number_digits and _number_like(value):
                raise InputRefused(name, line, f"a number of {len(value):,} characters; the limit is {limits.max_number_digits}")
            count(line)
            node = yaml.ScalarNode(event.tag or "", value, event.start_mark, event.end_mark, style=style)
            if event.anchor:
                anchors[event.anchor] = (node, 1)
            attach(node, 1)
        elif isinstance(event, _STARTS):
            if len(stack) >= limits.max_depth:
                raise InputRefused(name, line, f"the document nests deeper than {limits.max_depth} levels")
            count(line)
            kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
            node = kind(event.tag or "", [], event.start_mark, None, flow_style=event.flow_style)
            stack.append((node, node.value, 1, event))
        elif isinstance(event, _ENDS):
            node, children, size, start = stack.pop()
            node.end_mark = event.end_mark
            if isinstance(node, yaml.MappingNode):
                node.value = [(children[i], children[i + 1]) for i in range(0, len(children) - 1, 2)]
            if start.anchor:
                anchors[start.anchor] = (node, size)
            attach(node, size)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias '{event.anchor}'", event.start_mark)
            node, size = anchors[event.anchor]  # a collection's anchor is known at its end: no alias loops
            alias_nodes += size
            count(line, size)
            if alias_nodes > limits.max_alias_nodes:
                raise InputRefused(name, line, f"aliases expand to over {limits.max_alias_nodes:,} values "
                                               "(an alias bomb?): write the values out or use fewer aliases")
            attach(node, size)
        elif isinstance(event, yaml.DocumentEndEvent):
            following = next(events, None)
            if following is not None and not isinstance(following, yaml.StreamEndEvent):
                # a second document would be ignored here yet may be read by another tool: refuse, never drop
                raise InputRefused(name, following.start_mark.line + 1,
                                   "a second YAML document starts here ('---'): a file holds one document")
            return root
    return root


def plain_yaml(text: str, name: str, limits: Limits) -> Any:
    """YAML as plain Python (mappings, lists, strings, numbers, booleans, None), within `limits`.

    Scalars are typed as YAML 1.1's core schema does (`yaml.safe_load`) but only
    for null, bool, int and float: nothing else is constructed. Raises InputRefused.
    """
    try:
        root = yaml_tree(text, name, limits)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputRefused(name, mark.line + 1 if mark else 1, f"invalid YAML: {problem}") from None
    return None if root is None else _plain(root, name)


def plain(node: yaml.Node, name: str) -> Any:
    """A node of `yaml_tree` (of file `name`) as plain Python, typed as `plain_yaml` types scalars."""
    return _plain(node, name)


_RESOLVER = yaml.resolver.Resolver()
_SAFE = yaml.SafeLoader  # for its scalar constructors only


def _plain(node: yaml.Node, name: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _hashable(_plain(key_node, name))
            if key in mapping:  # YAML forbids it; parsers differ on which one wins, so a reviewer and a tool may too
                raise InputRefused(name, key_node.start_mark.line + 1,
                                   f"key {key!r} appears twice in this mapping: keep one")
            mapping[key] = _plain(value_node, name)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, name) for item in node.value]
    tag = node.tag if node.tag not in ("", "!") else _RESOLVER.resolve(yaml.ScalarNode, node.value, (node.style is None, False))
    constructor = {
        "tag:yaml.org,2002:null": lambda: None,
        "tag:yaml.org,2002:bool": lambda: _SAFE.bool_values[node.value.lower()],
        "tag:yaml.org,2002:int": lambda: _SAFE.construct_yaml_int(_SAFE.__new__(_SAFE), node),
        "tag:yaml.org,2002:float": lambda: _SAFE.construct_yaml_float(_SAFE.__new__(_SAFE), node),
    }.get(tag)
    try:
        return constructor() if constructor else node.value
    except (ValueError, KeyError):
        return node.value


def _hashable(key: Any) -> Any:
    return key if isinstance(key, (str, int, float, bool, type(None))) else json.dumps(key, default=str)


# --- JSON ---------------------------------------------------------------------------------------


def json_document(text: str, name: str, limits: Limits) -> Any:
    """Parse JSON within `limits` (nesting, string length); InputRefused or ValueError (bad JSON) otherwise."""
    depth = 0
    in_string = escaped = False
    line = 1
    for char in text:  # nesting before parsing: json's C scanner recurses
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limits.max_depth:
                raise InputRefused(name, line, f"the document nests deeper than {limits.max_depth} levels")
        elif char in "]}":
            depth -= 1
        elif char == "\n":
            line += 1
    try:
        document = strict_json(text, parse_int=lambda digits: _json_int(digits, name, limits))
    except DuplicateName as duplicate:
        raise InputRefused(name, duplicate.line(text), str(duplicate)) from None
    except NotJSONNumber as number:
        raise InputRefused(name, 1, str(number)) from None
    _check_strings(document, name, limits)
    return document


class DuplicateName(ValueError):
    """An object names one member twice."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"the name {key!r} appears twice in one object: keep one")

    def line(self, text: str) -> int:
        """The line of the name's second occurrence in `text` (1 when it cannot be found)."""
        import re

        found = list(re.finditer(re.escape(json.dumps(self.key)) + r"\s*:", text))
        if len(found) < 2:
            found = list(re.finditer(re.escape(json.dumps(self.key, ensure_ascii=False)) + r"\s*:", text))
        return text.count("\n", 0, found[1].start()) + 1 if len(found) >= 2 else 1


class NotJSONNumber(ValueError):
    """NaN, Infinity or a number no double holds."""


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise DuplicateName(key)
        document[key] = value
    return document


def _constant(word: str) -> Any:
    raise NotJSONNumber(f"{word} is not a JSON number (RFC 8259, section 6): write a finite number or a string")


def _finite(digits: str) -> float:
    value = float(digits)
    if value in (float("inf"), float("-inf")):
        raise NotJSONNumber(f"the number {digits[:40]} is beyond a double's range: write a smaller number")
    return value


def strict_json(text: str | bytes, **options: Any) -> Any:
    """`json.loads`, refusing what RFC 8259 leaves each receiver to decide (https://www.rfc-editor.org/rfc/rfc8259).

    Duplicate names in an object (section 4: "the behavior of software that receives such an
    object is unpredictable"; Python keeps the last, other parsers the first, so a policy could
    read one way to the gate and another to AWS), and NaN / Infinity / numbers beyond a double
    (section 6). Raises DuplicateName or NotJSONNumber (both ValueError), or json's own ValueError.
    """
    return json.loads(text, object_pairs_hook=_unique_names, parse_constant=_constant, parse_float=_finite, **options)


def _json_int(digits: str, name: str, limits: Limits) -> int:
    if len(digits) > limits.max_number_digits:
        raise InputRefused(name, 1, f"a number of {len(digits):,} digits; the limit is {limits.max_number_digits}")
    return int(digits)


def _check_strings(document: Any, name: str, limits: Limits) -> None:
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if len(value) > limits.max_scalar_chars:
                raise InputRefused(name, 1, f"a string of {len(value):,} characters; the limit is {limits.max_scalar_chars:,}")
        elif isinstance(value, dict):
            pending += list(value.keys()) + list(value.values())
        elif isinstance(value, list):
            pending += value
