"""{% load sections %} {% page_sections "slot" object %}: the sections other apps added to
this page's slot (aizuchi.core.sections), each rendered with its own context."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from ..sections import sections_for

register = template.Library()


@register.simple_tag(takes_context=True)
def page_sections(context, slot: str, obj) -> SafeString:
    request = context.get("request")
    parts = []
    for section in sections_for(slot):
        extra = section.context(request, obj) if section.context is not None else {}
        if extra is None:
            continue
        compiled = context.template.engine.get_template(section.template)
        with context.push(**extra):
            parts.append(compiled.render(context))
    return mark_safe("".join(parts))  # noqa: S308 - rendered templates, escaped by them
