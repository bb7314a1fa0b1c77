"""Which release of each provider `pulumi up` runs: the installed SDK's, unless a request asks for another.

`ResourceOptions(version=...)` (https://www.pulumi.com/docs/iac/concepts/options/version/) makes the engine load
that release of the resource's provider plugin, whatever SDK the program imported (red19 r19-10): another release
has other defaults, other input semantics and other bugs than the installed SDK the packs, the mocks and the
type-token check are built on. The Python SDK fills `version` on every request from the package's
`_utilities.get_version()` (the installed distribution's PEP 440 version as semver), so an explicit override is
told from that default only by comparing with the distribution installed in the environment the program runs in:
the project's virtualenv when it has one (project_runtime.interpreter), else the gate's own interpreter (the
program is then forked from it or started with it). The versions are read from that environment's site-packages
with importlib.metadata, never asked of the judged program.
"""

from __future__ import annotations

import email
import email.message
import glob
import importlib.metadata
import os
import re
import sys
import sysconfig
from importlib.metadata import _adapters
from pathlib import Path

from packaging.version import InvalidVersion, Version


def semver(pep440: str) -> str:
    """The version string the SDK sends for PEP 440 `pep440` (pulumi_<pkg>/_utilities.py _get_semver_version)."""
    version = Version(pep440)
    major, minor, patch = (tuple(version.release) + (0, 0, 0))[:3]
    prerelease = None
    if version.pre is not None:
        tag, number = version.pre
        prerelease = {"a": "alpha", "b": "beta", "rc": "rc"}.get(tag)
        prerelease = f"{prerelease}.{number}" if prerelease else None
    elif version.dev is not None:
        prerelease = f"dev.{version.dev}"
    elif version.local is not None:
        prerelease = version.local
    return f"{major}.{minor}.{patch}" + (f"-{prerelease}" if prerelease else "")


def site_packages(python: str | None) -> list[str]:
    """The site-packages folders of the environment `python` runs (a virtualenv's `bin/python`); the gate's own
    interpreter's for None or sys.executable."""
    if python is None or os.path.abspath(python) == os.path.abspath(sys.executable):
        paths = sysconfig.get_paths()
        return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))
    prefix = Path(python).parent.parent
    return sorted(glob.glob(str(prefix / "lib" / "python*" / "site-packages"))) + \
        sorted(glob.glob(str(prefix / "Lib" / "site-packages")))


def search_path(python: str | None) -> list[str]:
    """Where that environment's `import` finds distributions, read without running it: its site-packages and the
    folders their `.pth` files name by path (site.addpackage; an `import` line is code and is not run here, so a
    package reached only through one is not found, and a version asked for it is refused)."""
    folders = site_packages(python)
    found = list(folders)
    for folder in folders:
        for pth in sorted(glob.glob(os.path.join(folder, "*.pth"))):
            try:
                lines = Path(pth).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.rstrip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                path = os.path.join(folder, line)
                if os.path.isdir(path) and path not in found:
                    found.append(path)
    return found


def installed(python: str | None) -> dict[str, str]:
    """Pulumi package name (`aws`, `azure-native`, ...) -> the semver the SDK installed in `python`'s environment
    sends as `version`; the first distribution found wins, as importlib.metadata.version finds it."""
    versions: dict[str, str] = {}
    for distribution in importlib.metadata.distributions(path=search_path(python)):
        block = header_block(distribution)
        if "pulumi" not in block.lower():  # the Name below is a piece of this text: not a pulumi_* distribution
            continue
        headers = _adapters.Message(email.message_from_string(block))
        name = (headers["Name"] or "").lower().replace("-", "_")
        if not name.startswith("pulumi_") or name in ("pulumi_policy",):
            continue
        package = name[len("pulumi_"):].replace("_", "-")
        try:
            versions.setdefault(package, semver(headers["Version"]))
        except (InvalidVersion, TypeError):
            versions.setdefault(package, str(headers["Version"]))
    return versions


_LINE_ENDS = re.compile(r"\r\n|\r|\n")  # where email's FeedParser ends a line (StringIO(newline='').readlines)


def metadata_headers(distribution: importlib.metadata.Distribution) -> email.message.Message:
    """`distribution.metadata`'s headers (Name, Version, ...), without parsing the long description after them.

    `Distribution.metadata` parses the whole METADATA file, description included; `installed` read ~150
    distributions so at every run of the gate (0.03 s; issue 17). The headers end at the first empty line, which
    is all email's parser reads them from, so the text up to there gives the very same headers (only the
    'Description' that importlib.metadata adds from the body is missing)."""
    return _adapters.Message(email.message_from_string(header_block(distribution)))  # as Distribution.metadata wraps it


def header_block(distribution: importlib.metadata.Distribution) -> str:
    """The text of the distribution's metadata file up to the first empty line (the whole text when it has none)."""
    text = (distribution.read_text("METADATA") or distribution.read_text("PKG-INFO")
            or distribution.read_text("") or "")  # as Distribution.metadata reads it
    position = 0
    for end in _LINE_ENDS.finditer(text):
        if end.start() == position:  # an empty line: the body starts after it
            return text[:position]
        position = end.end()
    return text


def package_of(token: str) -> str:
    """The Pulumi package a type or function token belongs to (`pulumi:providers:aws` -> `aws`)."""
    if token.startswith("pulumi:providers:"):
        return token[len("pulumi:providers:"):]
    return token.split(":", 1)[0]


def override(token: str, asked: str, versions: dict[str, str] | None) -> str | None:
    """Why a request for `token` asking provider release `asked` is not judged with the installed SDK; None when it
    asks for none or for the installed one. A package installed nowhere in the program's environment has no SDK to
    judge with (the type-token check refuses its tokens; a version for it is refused here too)."""
    if not asked or versions is None:
        return None
    package = package_of(token)
    if package == "pulumi":
        return None  # the stack, StackReference: no provider plugin
    have = versions.get(package)
    if have == asked:
        return None
    sdk = f"pulumi_{package.replace('-', '_')}"
    if have is None:
        return (f"asks for provider {package} {asked} (ResourceOptions version), and the program's environment has "
                f"no {sdk} SDK installed to judge it with")
    return (f"asks for provider {package} {asked} (ResourceOptions version) while the program's environment has "
            f"{sdk} {have} installed: `pulumi up` would run the {asked} provider, whose defaults and semantics are "
            f"not those the packs judge with; pin the {sdk} release you need in requirements instead of the option")
