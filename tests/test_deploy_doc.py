"""docs/deploy.md lists every setting Broadsheet reads from the environment."""

import re
from pathlib import Path

from broadsheet.settings import media

ROOT = Path(__file__).resolve().parent.parent
# Set by `broadsheet serve` for its own processes, never by an operator.
INTERNAL = {"BROADSHEET_SERVER_PROCESS"}


def variables_read() -> set[str]:
    names = set()
    sources = [*(ROOT / "src/broadsheet/settings").glob("*.py"),
               ROOT / "src/broadsheet/console/management/commands/serve.py"]
    for path in sources:
        text = path.read_text()
        names |= set(re.findall(r'"((?:BROADSHEET|DATABASE|REDIS)_[A-Z0-9_]+|PORT)"', text))
    # The media store's are read by a common prefix.
    names |= {media.URL, *(media.PREFIX + part for part in media.PARTS)}
    return {n for n in names if not n.endswith("_") and n not in INTERNAL}


def test_every_setting_is_in_the_deployment_guide():
    guide = (ROOT / "docs/deploy.md").read_text()
    read = variables_read()
    assert len(read) > 50  # the scan found the settings
    missing = sorted(n for n in read if not re.search(rf"\b{n}\b", guide))
    assert not missing, f"docs/deploy.md does not list {missing}"
