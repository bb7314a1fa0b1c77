"""Refresh README.md's generated blocks (spec reference, rule catalogue, config keys) from the code.

    python docs/refresh_readme.py          # rewrite README.md
    python docs/refresh_readme.py --check  # exit 1 if README.md is stale (tests/test_readme.py does the same)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentid_components import settings, spec_reference  # noqa: E402
from agentid_policy_packs.rules import catalogue  # noqa: E402

BLOCKS = {"SPEC-REFERENCE": spec_reference.render, "RULE-CATALOGUE": catalogue.render, "CONFIG-KEYS": settings.render}


def refreshed(text: str) -> str:
    for marker, render in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {marker}:BEGIN -->\n).*?(<!-- {marker}:END -->)", re.DOTALL)
        text = pattern.sub(lambda m: m.group(1) + render().rstrip("\n") + "\n" + m.group(2), text)
    return text


def main() -> int:
    readme = ROOT / "README.md"
    current = readme.read_text()
    new = refreshed(current)
    if "--check" in sys.argv:
        return 0 if new == current else 1
    readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
