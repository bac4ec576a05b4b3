from datetime import UTC, datetime

from django import template

from broadsheet.address import absolute

register = template.Library()


@register.filter
def machine_time(value: datetime | None) -> str:
    """A timestamp for <time datetime>, in UTC to the second (HTML allows at most three
    fractional digits; readers' tools need no more than seconds)."""
    if not value:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@register.filter
def absolute_url(path: str) -> str:
    """A path on this site as a URL at the configured public address."""

    return absolute(path or "/")
