"""List the pulumi-gcp resource inputs that name a service account and that
policy_packs/analysis/gcp_code_runners.yaml neither lists as a runner nor explains in `not_runners`.

    python scripts/gcp_service_account_inputs.py [--all]

Source: the installed pulumi-gcp SDK (its generated `*Args` input classes, camelCased as the engine sends them).
Each line is `TYPE_TOKEN<TAB>INPUT.PATH` (`[]` walks a list). With --all every such input is printed with what the
data file says about it. Run it after upgrading pulumi-gcp and read each new input against Google's page for the
product: an input Google runs code or mints tokens as goes under `runners` (with its source), any other under
`not_runners` with why. Exit 1 when an input is unclassified. Imports every pulumi-gcp module (minutes).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "policy_packs" / "analysis" / "gcp_code_runners.yaml"
NAMES = re.compile(r"service_?account", re.IGNORECASE)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _inputs(args_class, inputs_module, prefix: str = "", seen: frozenset = frozenset()):
    """(path, annotation) of every input under `args_class` whose name mentions a service account."""
    for name, member in inspect.getmembers(args_class, lambda m: isinstance(m, property)):
        annotation = str(member.fget.__annotations__.get("return", ""))
        path = prefix + _camel(name)
        if NAMES.search(name):
            yield path, annotation
        for nested in re.findall(r"(\w+Args)\b", annotation):
            nested_class = getattr(inputs_module, nested, None)
            if nested_class is not None and nested_class not in seen:
                walk = "[]" if "Sequence" in annotation else ""
                yield from _inputs(nested_class, inputs_module, f"{path}{walk}.", seen | {nested_class})


def service_account_inputs():
    """(type token, input path) of every pulumi-gcp resource input whose name mentions a service account."""
    import pulumi_gcp

    for package in pkgutil.iter_modules(pulumi_gcp.__path__):
        if not package.ispkg or package.name.startswith("_") or package.name == "config":
            continue
        try:
            inputs_module = importlib.import_module(f"pulumi_gcp.{package.name}._inputs")
        except ModuleNotFoundError:
            inputs_module = None
        module_package = importlib.import_module(f"pulumi_gcp.{package.name}")
        for module_info in pkgutil.iter_modules(module_package.__path__):
            if module_info.name.startswith(("_", "get_")):
                continue
            module = importlib.import_module(f"pulumi_gcp.{package.name}.{module_info.name}")
            source = Path(module.__file__).read_text(encoding="utf-8")
            for token in sorted(set(re.findall(r"'(gcp:[\w]+/[\w]+:[\w]+)'", source))):
                args_class = getattr(module, token.rsplit(":", 1)[1] + "Args", None)
                if inspect.isclass(args_class):
                    for path, _ in _inputs(args_class, inputs_module):
                        yield token, path


def verdict(token: str, path: str, data: dict) -> str | None:
    """What gcp_code_runners.yaml says of the input, or None when it says nothing."""
    accounts = data["runners"].get(token, {}).get("accounts", ())
    if path in accounts:
        return "runner"
    if any(account.startswith((path + ".", path + "[].")) for account in accounts):
        return "runner (the block holding the account)"
    last = path.rsplit(".", 1)[-1]
    for key, why in data["not_runners"].items():
        if key in (token, last, f"{token} {path}") or path.endswith("." + key) or path == key \
                or (key.startswith(token + " ") and key.split(" ", 1)[1] in path.replace("[]", "").split(".")):
            return f"not a runner: {why}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="print every input with its verdict")
    options = parser.parse_args(argv)
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    missing = 0
    for token, path in sorted(set(service_account_inputs())):
        found = verdict(token, path, data)
        if found is None:
            missing += 1
            print(f"{token}\t{path}")
        elif options.all:
            print(f"{token}\t{path}\t{found}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
