"""The kit's own YAML data files (the tables and snapshots shipped inside the package), parsed fast.

`load(path)` is `yaml.safe_load` of the file, with libyaml's `CSafeLoader` when PyYAML was built with it
(PyYAML's wheels are): the same SafeConstructor builds the same Python values, only the scanner and
parser are C. The pack reads ~30 such files when it starts or on the first resource that needs them,
and the program's child reads the Azure and GCP catalogues; the pure-Python parser made that about
0.13 s of CPU for all of them against ~0.015 s (issue 17, fixed start-up cost).
tests/spec/test_data_yaml.py checks that both loaders give identical values for every data file of the kit.

Only for files installed with the kit. Input a user or a pull request brings (agent files, waiver files,
OpenAPI documents, CloudFormation bodies) goes through `input_limits`, which bounds its size, nesting and
aliases.

Parsed once, not once a process (issue 17, fixed start-up cost): even with libyaml the values are built by
PyYAML's Python constructor, ~0.08 s of CPU for the kit's 52 files, paid again by every pack process, the gate
and the program's child for the files each reads. `load` keeps what it parsed as `marshal` data in the
`__pycache__` folder beside the file, as Python keeps a module's bytecode (`NAME.yaml.cpython-311.marshal`), and
takes it from there only when it was made from exactly the bytes the file holds now (its SHA-256 is in the
cache file's header, with the interpreter's bytecode magic number), ~0.003 s for all 52. Any other cache file
(stale, from another interpreter, truncated, not marshal data) is ignored and the file parsed. The cache is
trusted as the kit's bytecode in the same folders is: whoever can write it can write the rules' `.pyc` files
too. The judged program cannot (`agentid preview` runs it in a read-only view of the file system; an
unsandboxed gate has the packs read their data before the program starts, `rules/preload.py`). It is written
where bytecode would be (not under PYTHONDONTWRITEBYTECODE / `python -B`, never where the folder is not
writable), and by `compile_data` (what `compileall` is to `.pyc` files; bench/bench_preview.py runs it).
Values `marshal` cannot hold (a YAML timestamp's `date`) are parsed every time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import marshal
import os
import sys
from pathlib import Path
from typing import Any

import yaml

LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # PyYAML without libyaml: the pure-Python twin


def load(path: str | Path) -> Any:
    """The single YAML document in `path` as plain Python values (dict/list/str/int/float/bool/None/date).

    Raises OSError when the file cannot be read and yaml.YAMLError when it is not YAML, as `yaml.safe_load` does.
    """
    with open(path, "rb") as handle:
        text = handle.read()
    digest = hashlib.sha256(text).digest()
    cache = cache_path(path)
    found = _cached(cache, digest)
    if found is not _MISSING:
        return found
    value = _parse(text, path)
    if not sys.dont_write_bytecode:
        _write(cache, digest, value)
    return value


def cache_path(path: str | Path) -> Path:
    """Where `load` keeps the parsed values of `path`: beside its bytecode, in the folder's `__pycache__`."""
    path = Path(path)
    return path.parent / "__pycache__" / f"{path.name}.{sys.implementation.cache_tag}.marshal"


def compile_data(folder: str | Path) -> int:
    """Write the cache of every YAML file under `folder` that lacks a current one; the number written."""
    written = 0
    for path in sorted(Path(folder).rglob("*.yaml")):
        try:
            text = path.read_bytes()
            digest = hashlib.sha256(text).digest()
            if _cached(cache_path(path), digest) is _MISSING:
                written += _write(cache_path(path), digest, _parse(text, path))
        except (OSError, yaml.YAMLError):
            continue  # not one of the kit's tables (or unreadable): `load` reports it when it is read
    return written


def _parse(text: bytes, path: str | Path) -> Any:
    """The YAML document in `text` (the bytes of `path`: libyaml detects UTF-8 and UTF-16 with BOM itself); a
    YAMLError's marks name the file, as they did when the parser read it from the open file."""
    stream = io.BytesIO(text)
    stream.name = str(path)
    return yaml.load(stream, Loader=LOADER)  # noqa: S506 - LOADER is CSafeLoader or SafeLoader


_MISSING = object()
_HEADER = b"agentid-data-yaml\n" + importlib.util.MAGIC_NUMBER  # + the file's SHA-256, then the marshal data


def _cached(cache: Path, digest: bytes) -> Any:
    """The values kept in `cache` if they were made from a file whose SHA-256 is `digest`, else _MISSING."""
    try:
        with open(cache, "rb") as handle:
            blob = handle.read()
    except OSError:
        return _MISSING
    head = len(_HEADER) + len(digest)
    if len(blob) <= head or blob[:len(_HEADER)] != _HEADER or blob[len(_HEADER):head] != digest:
        return _MISSING
    try:
        return marshal.loads(memoryview(blob)[head:])
    except (EOFError, ValueError, TypeError):
        return _MISSING


def _write(cache: Path, digest: bytes, value: Any) -> bool:
    """Keep `value` in `cache` (atomically: a reader sees the old file or the new one); False when it cannot."""
    try:
        payload = marshal.dumps(value)
    except ValueError:  # a date, or another type marshal does not keep
        return False
    temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(exist_ok=True)
        with open(temporary, "xb") as handle:
            handle.write(_HEADER + digest + payload)
        os.replace(temporary, cache)
    except OSError:  # a read-only folder (an installed kit, the program's sandbox): parsed again next time
        try:
            temporary.unlink()
        except OSError:
            pass
        return False
    return True
