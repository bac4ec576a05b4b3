"""`{% fragment "name" key... [shows=page ...] [only_if=value] %}...{% endfragment %}`

Keeps the enclosed HTML between purges (pagecache/fragments.py). The key must name
everything the HTML depends on besides what purges cover: the page, a sort order, which kind
of reader. `shows` notes pages the fragment shows that another part of the page may have
loaded already (the story, its section), so a purge of either drops the fragment; `only_if`
renders without keeping when false (a reader whose own comments are in the thread).
"""

from __future__ import annotations

from django import template

from broadsheet.pagecache import fragments
from broadsheet.pagecache.dependencies import expires_soon, shows

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, nodelist, name, parts, shown, only_if):
        self.nodelist = nodelist
        self.name = name
        self.parts = parts
        self.shown = shown
        self.only_if = only_if

    def render(self, context):
        request = context.get("request")
        if not fragments.usable(request) or (
                self.only_if is not None and not self.only_if.resolve(context)):
            return self.nodelist.render(context)
        key = fragments.key_for(request, str(self.name.resolve(context)),
                                [str(p.resolve(context)) for p in self.parts])
        found = fragments.load(key)
        if found is not None:
            html, tags, seconds_left = found
            shows(request, tags=tags)
            if seconds_left is not None:
                expires_soon(request, seconds_left)
        else:
            with fragments.collecting(request) as rendering:
                shows(request, pages=[p for p in (s.resolve(context) for s in self.shown)
                                      if p is not None and getattr(p, "pk", p) is not None])
                with context.push(csrf_token=fragments.CSRF_PLACEHOLDER):
                    html = self.nodelist.render(context)
            fragments.save(request, key, html, rendering)
        if fragments.CSRF_PLACEHOLDER in html:
            html = html.replace(fragments.CSRF_PLACEHOLDER, str(context.get("csrf_token")))
        return html


@register.tag("fragment")
def do_fragment(parser, token):
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("{% fragment %} needs a name")
    only_if = None
    parts, shown = [], []
    for bit in bits[1:]:
        if bit.startswith("shows="):
            shown.append(parser.compile_filter(bit.removeprefix("shows=")))
        elif bit.startswith("only_if="):
            only_if = parser.compile_filter(bit.removeprefix("only_if="))
        else:
            parts.append(parser.compile_filter(bit))
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, parser.compile_filter(bits[0]), parts, shown, only_if)
