"""allauth's e-mails (confirm your address, reset your password) under the site's own name and
public address.

Without django.contrib.sites, allauth names the site after the request's Host ("Hello from
internal.lan!", a subject starting "[internal.lan]"): behind a proxy that is an internal name.
Its links already name the public address (broadsheet.address.middleware).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from wagtail.models import Site


@dataclass(frozen=True)
class PublicSite:
    domain: str
    name: str


def public_site() -> PublicSite:
    site = Site.objects.filter(is_default_site=True).only("site_name").first()
    return PublicSite(domain=urlsplit(settings.BASE_URL).netloc,
                      name=(site and site.site_name) or settings.WAGTAIL_SITE_NAME)


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(template_prefix, email, {**context, "current_site": public_site()})

    def format_email_subject(self, subject: str) -> str:
        return f"[{public_site().name}] {subject}"
