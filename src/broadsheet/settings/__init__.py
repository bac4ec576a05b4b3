"""Settings profiles. `default_module()` picks one from the environment."""

import os


def default_module() -> str:
    """Production when DATABASE_URL is set, otherwise the embedded default."""
    if os.environ.get("DATABASE_URL"):
        return "broadsheet.settings.production"
    return "broadsheet.settings.embedded"
