"""`broadsheet setup`: everything `make run` needs before serving, fast when already done."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from broadsheet.masthead.icons import ensure_site_icons


class Command(BaseCommand):
    help = "Migrate, collect static files, load the demo newsroom once, create an admin."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true",
                            help="Do not load the demo newsroom into an empty site.")

    def handle(self, *args, no_demo=False, **options):
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("Preparing the database ...")
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo:
            call_command("demo", stdout=self.stdout)
        call_command("draw_share_image", verbosity=0)  # link previews always have a picture
        ensure_site_icons()
        self._ensure_admin()
        # Stories that fell due while the server was down go live (or come down) now.
        call_command("publish_scheduled", verbosity=0)

    def _ensure_admin(self) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username="admin", email="admin@localhost",
                                      password=password)
        self.stdout.write(self.style.SUCCESS(
            "\nAn admin account was created. It is shown only this once:\n"
            f"  login:    admin\n  password: {password}\n"
            f"  admin:    {settings.BASE_URL}/admin/\n"))
