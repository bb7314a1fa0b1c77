"""Load an agent file (YAML, or a JSON inventory) into the spec model, reporting every problem as FILE:LINE: PATH: MESSAGE.

YAML is composed with libyaml (fast, and every node keeps its line), turned
into plain Python while remembering the line of every key and list item, and
validated by `agentid_components.spec`. Nothing here raises for bad input: a file that
is not UTF-8, not YAML, empty, or of the wrong shape gives one clear error. A key or value holding an invisible
character (`text_safety.invisible`) is one problem among the file's others: the document is still validated.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import types
import typing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError

from agentid_components import input_limits, text_safety
from agentid_components.inventory import is_inventory_json, strip_derived
from agentid_components.spec import Agent, Inventory

Path_ = tuple[str | int, ...]


MAX_MESSAGE_CHARS = 600


@dataclass(frozen=True)
class SpecError:
    """One problem in an agent file, located for a human and for SARIF."""

    file: str
    line: int
    path: str  # e.g. agents[2].tools[0].aws.actions[1]; "" for the whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        message = self.message
        if len(message) > MAX_MESSAGE_CHARS:  # a message quoting a 60,000-character value stays readable
            message = f"{message[:MAX_MESSAGE_CHARS]}... ({len(message):,} characters)"
        # user keys and values can hold newlines and escape codes: one error, one line, nothing interpreted
        return text_safety.visible(f"{self.file}:{self.line}: {where}{message}")


class SpecLoadError(Exception):
    """Raised by `load_inventory` when a file is invalid; holds every problem found."""

    def __init__(self, errors: list[SpecError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class LoadedInventory:
    """A validated agent file: the model, the file's name, and the line of every key and item (for SARIF)."""

    inventory: Inventory
    file: str
    lines: dict[Path_, int]  # where each key and item was declared, for SARIF locations
    sha256: str = ""  # hex digest of the bytes validated ("" when not loaded from a file): keys `hand_over`

    def line_of(self, path: Path_) -> int:
        return _line_of(self.lines, path)

    def agent_line(self, name: str) -> int:
        for index, agent in enumerate(self.inventory.agents):
            if agent.name == name:
                return self.line_of(("agents", index))
        return 1


def load_inventory(file: str | Path, today: dt.date | None = None, check_files: bool = True) -> LoadedInventory:
    """Load and validate an agent file; raise SpecLoadError listing every problem.

    `check_files=False` skips reading the certificate and CA files the spec names (see `check_text`).
    A model handed over for this file (`hand_over`) is returned instead of validating again when the file
    still holds the bytes it was validated from.
    """
    data, refused = _read(file)
    if refused:
        raise SpecLoadError([refused])
    digest = hashlib.sha256(data).hexdigest()
    handed = _HANDED_OVER.pop(_key(file), None)
    if handed is not None and handed.sha256 == digest:
        return replace(handed, file=str(file))
    inventory, lines, errors = check_text(data, str(file), base_dir=Path(file).parent, today=today,
                                          files_root=input_limits.repository_root(file), check_files=check_files)
    if errors:
        raise SpecLoadError(errors)
    return LoadedInventory(inventory, str(file), lines, digest)


# Models validated by this process's caller, by resolved file path (see `hand_over`); each is used once.
_HANDED_OVER: dict[str, LoadedInventory] = {}


def hand_over(loaded: LoadedInventory) -> None:
    """Let the next `load_inventory` of `loaded.file` in this process return `loaded` instead of validating again,
    if the file then holds the same bytes (`loaded.sha256`). `agentid preview` validates the stack's agent file in
    the gate and hands the model to the program's process (agentid.preview.language_host), so a fleet's file is
    validated once, not twice (issue 17: ~0.2 s CPU at 200 agents, ~1.5 s at 1,000).

    The model is the one `load_inventory` returned for those bytes with certificate and CA files checked
    (`check_files=True`), so it also serves a load that checks fewer files. Nothing here reads it from anywhere:
    the caller decides whom to trust. A model without a digest is ignored.
    """
    if loaded.sha256:
        _HANDED_OVER[_key(loaded.file)] = loaded


def _key(file: str | Path) -> str:
    return str(Path(file).resolve())


def _read(file: str | Path) -> tuple[bytes, SpecError | None]:
    """An agent file's bytes within the input limits, or the problem reading them."""
    try:
        return input_limits.read_bytes(file, input_limits.AGENT_FILE.max_bytes, "file"), None
    except input_limits.InputRefused as refused:
        return b"", SpecError(str(file), refused.line, "", refused.message)


def check_file(
    file: str | Path, today: dt.date | None = None, files_root: Path | None | object = ..., check_files: bool = True
) -> tuple[Inventory | None, dict[Path_, int], list[SpecError]]:
    """Validate an agent file; `files_root` bounds the files it may name (default: its repository; None: anywhere)."""
    data, refused = _read(file)
    if refused:
        return None, {}, [refused]
    root = input_limits.repository_root(file) if files_root is ... else files_root
    return check_text(data, str(file), base_dir=Path(file).parent, today=today, files_root=root, check_files=check_files)


def check_text(
    data: bytes | str, name: str, base_dir: Path | None = None, today: dt.date | None = None,
    files_root: Path | None = None, check_files: bool = True,
) -> tuple[Inventory | None, dict[Path_, int], list[SpecError]]:
    """Validate a document's text; returns (model or None, line map, errors).

    Files the document names (CA bundles, certificates) are read relative to `base_dir`, the directory of
    the file (agent files and JSON inventories alike), and must resolve inside `files_root` (None: anywhere).
    `check_files=False` does not read them: the commands that act on one agent of a fleet (`revoke`, `audit`)
    must not fail on another agent's missing file. `today` is unused since an overdue review became a
    finding (`agentid_components.review`); kept for callers.
    """
    document, lines, problem, unsafe = _parse(data, name)
    if problem:
        return None, {}, [problem]
    inventory, errors = _validate(document, name, lines, files_root, base_dir, check_files)
    if not unsafe:
        return inventory, lines, errors
    # An invisible character is one problem among the others (red7a item 14: it used to hide all of them); an
    # error the validator found in the same value adds nothing to it.
    hidden = {error.path for error in unsafe}
    errors = [error for error in errors if error.path not in hidden or error.path == ""]
    return None, lines, sorted(unsafe + errors, key=lambda e: e.line)


def _validate(document: Any, name: str, lines: dict[Path_, int], files_root: Path | None, base_dir: Path | None,
              check_files: bool) -> tuple[Inventory | None, list[SpecError]]:
    context = {"base_dir": str(base_dir or Path(".")), "check_files": check_files,
               "files_root": str(files_root) if files_root is not None else None}
    document = strip_derived(document)
    try:
        document = _agents_one_by_one(document, context)
        return Inventory.model_validate(document, context=context), []
    except _TooManyProblems as stopped:
        errors = [_to_spec_error(entry, name, lines) for entry in stopped.entries]
        errors = sorted(errors, key=lambda e: e.line)
        errors.append(SpecError(name, errors[-1].line, "", f"stopped after {len(errors)} problems in a file of "
                                                          f"{stopped.agents:,} agents: fix these and run again"))
        return None, errors
    except ValidationError as error:
        errors = [_to_spec_error(entry, name, lines) for entry in _one_per_union(error.errors(include_url=False))]
        return None, sorted(errors, key=lambda e: e.line)


# A file of many agents is validated agent by agent, stopping once this many problems are known:
# pydantic builds every error of a document in memory (a hostile file of a few MB can hold millions),
# so a large file's cost must not grow with how wrong it is. Small files report every problem at once.
_ONE_BY_ONE_FROM = 200
_MAX_PROBLEMS = 200


class _TooManyProblems(Exception):
    def __init__(self, entries: list[dict[str, Any]], agents: int):
        self.entries, self.agents = entries, agents


def _agents_one_by_one(document: Any, context: dict[str, Any]) -> Any:
    """A large file's agents as validated models (so the Inventory check does not redo them), or
    _TooManyProblems with the first problems found. Small or oddly shaped documents pass unchanged."""
    agents = document.get("agents") if isinstance(document, dict) else None
    limit = Inventory.model_fields["agents"].metadata
    if not isinstance(agents, list) or len(agents) < _ONE_BY_ONE_FROM or any(
            getattr(m, "max_length", None) is not None and len(agents) > m.max_length for m in limit):
        return document
    validated, entries = [], []
    for index, raw in enumerate(agents):
        try:
            validated.append(Agent.model_validate(raw, context=context))
        except ValidationError as error:
            entries.extend({**entry, "loc": ("agents", index, *entry["loc"])}
                           for entry in error.errors(include_url=False))
            if len(entries) >= _MAX_PROBLEMS:
                break
    if entries:
        raise _TooManyProblems(entries[:_MAX_PROBLEMS], len(agents))
    return {**document, "agents": validated}


# --- parsing ------------------------------------------------------------------------

_SHAPE_HINT = "an agent file is a mapping with the key 'agents:' holding a list of agents"


def _parse(data: bytes | str, name: str) -> tuple[Any, dict[Path_, int], SpecError | None, list[SpecError]]:
    """(document, line map, the one problem that stops reading, invisible characters found in keys and values)."""
    try:
        if isinstance(data, bytes):
            data = input_limits.decode_utf8(data, name, "file")
        if len(data) > input_limits.AGENT_FILE.max_bytes:
            raise input_limits.InputRefused(name, 1, f"the agent file is over {input_limits.AGENT_FILE.max_bytes:,} bytes, the limit")
        root = input_limits.yaml_tree(data, name, input_limits.AGENT_FILE)
    except input_limits.InputRefused as refused:
        return None, {}, SpecError(name, refused.line, "", refused.message), []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return None, {}, SpecError(name, line, "", f"invalid YAML: {problem}"), []
    except Exception as error:  # noqa: BLE001 - libyaml raises odd types on odd bytes; never a traceback
        return None, {}, SpecError(name, 1, "", f"invalid YAML: {error}"), []
    if root is None:
        return None, {}, SpecError(name, 1, "", f"the file is empty: {_SHAPE_HINT}"), []
    if not isinstance(root, yaml.MappingNode):
        found = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        return None, {}, SpecError(name, root.start_mark.line + 1, "", f"found {found} at the top: {_SHAPE_HINT}"), []
    lines: dict[Path_, int] = {(): root.start_mark.line + 1}
    unsafe: list[_Unsafe] = []
    try:
        document = _to_python(root, (), lines, unsafe)
    except _DuplicateKey as duplicate:
        return None, {}, SpecError(name, duplicate.line, _format_path(duplicate.path), f"key '{duplicate.path[-1]}' appears twice in this mapping: keep one"), []
    return document, lines, None, [SpecError(name, u.line, _format_path(u.path), u.message) for u in unsafe]


class _DuplicateKey(Exception):
    def __init__(self, path: Path_, line: int):
        self.path, self.line = path, line


class _Unsafe:
    """A key or value holds a character that hides or reorders what a reviewer sees: reported with the file's
    other problems (the value is kept, so the rest of the file is still checked)."""

    def __init__(self, path: Path_, line: int, char: str):
        self.path, self.line = path, line
        self.message = (f"holds the invisible character {text_safety.describe_character(char)}: it hides or reorders "
                        "what a reviewer sees (bidi controls, zero-width and control characters are refused)")


_MAX_UNSAFE = 200  # like the validator's cap: a file full of invisible characters costs no more to report


def _check_visible(text: str, path: Path_, node: yaml.Node, unsafe: list[_Unsafe]) -> str:
    found = text_safety.invisible(text)
    if found and len(unsafe) < _MAX_UNSAFE:
        unsafe.append(_Unsafe(path, node.start_mark.line + 1 + text.count("\n", 0, found.start()), found.group()))
    return text


_NULLS = ("", "~", "null", "Null", "NULL")
_INTEGER = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


def _to_python(node: yaml.Node, path: Path_, lines: dict[Path_, int], unsafe: list[_Unsafe]) -> Any:
    """Plain Python from a YAML node, recording the line of every key and item and every invisible character."""
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "<complex key>"
            child = path + (key,)
            _check_visible(key, child, key_node, unsafe)
            if key in result:
                raise _DuplicateKey(child, key_node.start_mark.line + 1)
            lines[child] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, child, lines, unsafe)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1
            items.append(_to_python(item, path + (index,), lines, unsafe))
        return items
    return _scalar(node, path, unsafe)


def _scalar(node: yaml.ScalarNode, path: Path_, unsafe: list[_Unsafe]) -> Any:
    """Plain (unquoted) nulls and numbers become None, int and float; everything else stays text.

    Booleans and dates stay text: pydantic parses them where a field wants them,
    and IAM condition values are strings anyway.
    """
    value = _check_visible(node.value, path, node, unsafe)
    if node.style:  # quoted or block scalars are always text (plain ones have style None: input_limits.yaml_tree)
        return value
    if value in _NULLS:
        return None
    if _INTEGER.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value


# --- error formatting -------------------------------------------------------------


def _format_path(loc: Path_) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line_of(lines: dict[Path_, int], loc: Path_) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


_MEMBER_TAGS = ("str", "int", "bool", "float", "constrained-str", "constrained-int", "constrained-float")


def _clean_loc(loc: tuple[Any, ...]) -> Path_:
    """Drop pydantic's union-member tags (e.g. 'list[str]', 'function-after[...]', 'constrained-str')."""
    return tuple(p for p in loc if isinstance(p, int) or ("[" not in p and p not in _MEMBER_TAGS))


# What each member of a union expects, by the error pydantic gives when the value is not of that type.
_EXPECTED = {"string_type": "text", "list_type": "a list", "bool_type": "true or false", "bool_parsing": "true or false",
             "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
             "dict_type": "a mapping", "model_type": "a mapping", "float_type": "a number", "float_parsing": "a number"}


def _one_per_union(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One error a value: pydantic reports a value that fits no member of a union once per member (a mapping
    where `str | list[str] | bool | int` is expected gives four lines). Kept: the one member error that is not a
    type mismatch (the value had the member's type but a wrong content), else one line naming every type allowed."""
    groups: dict[tuple[Path_, str], list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault((_clean_loc(entry["loc"]), repr(entry.get("input"))[:200]), []).append(entry)
    kept = []
    for group in groups.values():
        if len(group) == 1 or len({entry["loc"] for entry in group}) == 1:
            kept += group
            continue
        specific = [entry for entry in group if entry["type"] not in _EXPECTED]
        if len(specific) == 1:
            kept.append(specific[0])
            continue
        expected = list(dict.fromkeys(_EXPECTED.get(entry["type"], entry["msg"]) for entry in group))
        first = group[0]
        kept.append({**first, "type": "union_type", "ctx": {},
                     "msg": f"expected one of: {'; '.join(expected)} (found {_describe(first.get('input'))})"})
    return kept


def _to_spec_error(entry: dict[str, Any], file: str, lines: dict[Path_, int]) -> SpecError:
    loc = _clean_loc(entry["loc"])
    ctx = entry.get("ctx") or {}
    if "subloc" in ctx:
        loc = loc + tuple(ctx["subloc"])
    return SpecError(file, _line_of(lines, loc), _format_path(loc), _message(entry, loc))


def _message(entry: dict[str, Any], loc: Path_) -> str:
    kind, value = entry["type"], entry.get("input")
    key = loc[-1] if loc else ""
    if kind == "missing":
        model = _model_at(loc[:-1])
        field = model.model_fields.get(str(key)) if model else None
        described = f" ({field.description})" if field and field.description else ""
        return f"required key '{key}' is missing{described}"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        valid = list(model.model_fields) if model else []
        close = difflib.get_close_matches(str(key), valid, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown key '{key}': {hint}valid keys here are {', '.join(valid)}"
    if kind == "string_too_long":
        return f"'{key}' is {len(value):,} characters long; the limit is {_max_length(entry)}"
    if kind == "too_short":
        return f"'{key}' is empty: list at least one entry"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping of keys, found {_describe(value)}"
    if kind == "list_type":
        return f"expected a list, found {_describe(value)}"
    if kind == "string_type":
        return f"expected text, found {_describe(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():  # a quoted number: never read as one
            return f"expected a whole number, found the text '{value}': write {value.strip()} without quotes"
        return f"expected a whole number, found {_describe(value)}"
    if kind.startswith("date"):
        return f"'{value}' is not a date: write YYYY-MM-DD, e.g. 2027-06-30"
    if kind == "literal_error":
        return f"'{value}' is not allowed: {entry['msg'].replace('Input should be ', 'use ')}"
    return entry["msg"]


def _max_length(entry: dict[str, Any]) -> str:
    return f"{(entry.get('ctx') or {}).get('max_length', '?'):,}"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{value}'"


def _model_at(loc: Path_) -> type[BaseModel] | None:
    """The spec model class that sits at a location, to list its valid keys."""
    current: Any = Inventory
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X; list[...] stays a list."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation
