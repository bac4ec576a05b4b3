"""What a page shows around its own content, assembled above the content model.

A story page shows Popular, Spotlight, More from its section and its comments; the page
model (ground) must not import those features, or every feature would import the model and
the model every feature, in a circle. So the page models ask here, and the page assembly
layer (broadsheet.pages, the only one that knows every feature) registers, at start-up, the
function that builds each page type's context.
"""

from __future__ import annotations

from collections.abc import Callable

_builders: dict[type, Callable] = {}


def assemble_with(model: type, build: Callable) -> None:
    """`build(page, request) -> dict` adds to the context of pages of `model`."""
    _builders[model] = build


class Assembled:
    """Mixin for page models whose context the page assembly layer builds."""

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        for cls in type(self).__mro__:
            build = _builders.get(cls)
            if build is not None:
                context.update(build(self, request))
                break
        return context
