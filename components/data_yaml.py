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

No parsed-values cache (a `__pycache__/NAME.yaml.*.marshal` kept beside the file, 7fdcea8, saved ~0.08 s of CPU a
process): it was keyed by the file's content, which the pull request holds, so a committed or planted cache file
made the packs judge with forged tables on every checkout (red23: an empty escalation list beside the real file
turned AGID-AWS-020 off). The file is parsed each time; `load` never reads anything but `path`.
"""

from __future__ import annotations

import io
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
    return _parse(text, path)


def _parse(text: bytes, path: str | Path) -> Any:
    """The YAML document in `text` (the bytes of `path`: libyaml detects UTF-8 and UTF-16 with BOM itself); a
    YAMLError's marks name the file, as they did when the parser read it from the open file."""
    stream = io.BytesIO(text)
    stream.name = str(path)
    return yaml.load(stream, Loader=LOADER)  # noqa: S506 - LOADER is CSafeLoader or SafeLoader
