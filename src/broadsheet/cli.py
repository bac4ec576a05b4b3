"""The `broadsheet` console script: Django's management commands with Broadsheet's settings.

A thin wrapper in the manner of Weblate's runner: pick the settings profile from the
environment, then hand over to Django. Product commands (serve, import, demo, ...) are
management commands in the apps they belong to.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    # Imports in here are deferred: `broadsheet --help` and friends need no Django, and the
    # address module needs settings, which need DJANGO_SETTINGS_MODULE set first.
    from broadsheet.settings import default_module

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_module())
    args = sys.argv[1:] if argv is None else argv
    if args and not args[0].startswith("-") and args[0] != "help":
        import django

        # Every command starts under the configured address (serve, import, setup, ...):
        # a changed BROADSHEET_BASE_URL takes effect with no extra step.
        django.setup()
        from broadsheet.masthead.address import follow_base_url  # models: after setup()

        follow_base_url()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["broadsheet", *args])


if __name__ == "__main__":
    main()
