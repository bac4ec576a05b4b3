from django import template

from broadsheet.comments.discussion import can_edit
from broadsheet.comments.text import render_body

register = template.Library()


@register.filter
def comment_text(value: str):
    """A comment body as paragraphs with autolinked URLs; nothing else is ever markup."""
    return render_body(value or "")


@register.filter
def editable_by(comment, user) -> bool:

    return can_edit(comment, user)
