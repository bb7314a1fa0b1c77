"""The kit's own YAML data files (the tables and snapshots shipped inside the package), parsed fast.

`load(path)` is `yaml.safe_load` of the file, with libyaml's `CSafeLoader` when PyYAML was built with it
(PyYAML's wheels are): the same SafeConstructor builds the same Python values, only the scanner and
parser are C. The pack reads ~30 such files when it starts or on the first resource that needs them,
and the program's child reads the Azure and GCP catalogues; the pure-Python parser made that about
0.13 s of CPU for all of them against ~0.015 s (issue 17, fixed start-up cost).
tests/test_data_yaml.py checks that both loaders give identical values for every data file of the kit.

Only for files installed with the kit. Input a user or a pull request brings (agent files, waiver files,
OpenAPI documents, CloudFormation bodies) goes through `input_limits`, which bounds its size, nesting and
aliases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # PyYAML without libyaml: the pure-Python twin


def load(path: str | Path) -> Any:
    """The single YAML document in `path` as plain Python values (dict/list/str/int/float/bool/None/date).

    Raises OSError when the file cannot be read and yaml.YAMLError when it is not YAML, as `yaml.safe_load` does.
    """
    with open(path, "rb") as handle:  # bytes: libyaml detects the encoding (UTF-8 and UTF-16 with BOM) itself
        return yaml.load(handle, Loader=LOADER)  # noqa: S506 - LOADER is CSafeLoader or SafeLoader
