"""CSV exports that open safely in a spreadsheet (readership figures, newsletter sends)."""

from __future__ import annotations


def cell(value):
    """A CSV cell a spreadsheet will not run: campaign tags, referrers and subjects come from
    people, and a cell starting with = + - @ would be taken as a formula. Dates as ISO 8601."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
