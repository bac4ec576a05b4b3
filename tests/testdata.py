"""Where the suite's data lives (tests/data/: see its README for origins and licences).

Listings of it are made at import time, for parametrized tests. They never fail collection:
a missing or empty folder lists one path that does not exist, so exactly the tests that need
the folder fail, naming it, rather than the whole suite stopping or those tests vanishing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
NINJS = DATA / "ninjs"
WXR = DATA / "wxr"
SEED = DATA / "seed"


def present(found: Iterable[Path], where: Path) -> list[Path]:
    """`found`, sorted; or, if it is empty, one path under `where` that no test can read."""
    return sorted(found) or [where / "(missing: see tests/data/README.md)"]
