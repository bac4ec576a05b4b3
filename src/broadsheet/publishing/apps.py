from django.apps import AppConfig, apps
from django.contrib.auth.management import create_permissions
from django.db.models.signals import post_migrate


class PublishingConfig(AppConfig):
    name = "broadsheet.publishing"
    verbose_name = "Publishing"

    def ready(self):
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="publishing-roles")


def _ensure_roles(sender, using="default", **kwargs):
    from .roles import ensure_roles  # models: not importable while apps.py itself loads

    # post_migrate reaches this app before apps listed after it have their permissions.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    ensure_roles()
