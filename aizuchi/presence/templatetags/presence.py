"""Presence in templates: the state labels live badges switch between."""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.text import capfirst

from ..models import State

register = template.Library()


@register.simple_tag
def presence_labels() -> str:
    """The labels of every state in the page's language, for presence.js."""
    labels = {state.value: capfirst(str(state.label)) for state in State}
    return json_script(labels, "presence-labels")
