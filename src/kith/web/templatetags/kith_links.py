"""{% linked record "module" %}: the name of a linked record (a contact's company, a task's
contact) only when the signed-in user may see it; otherwise "a company of another team".

A builtin of the templates (settings.TEMPLATES), so no template has to load it.
"""

from __future__ import annotations

from typing import Any

from django import template

from kith.identity.access import linked_name

register = template.Library()


@register.simple_tag(takes_context=True)
def linked(context: Any, record: Any, module: str) -> str:
    if record is None:
        return ""
    request = context.get("request")
    return linked_name(getattr(request, "user", None), module, record)
