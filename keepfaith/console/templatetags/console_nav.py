from __future__ import annotations

from typing import Any

from django import template

from keepfaith.console.nav import Section, sections_for

register = template.Library()


@register.simple_tag(takes_context=True)
def console_sections(context: Any) -> list[Section]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if (
        request is None
        or not getattr(user, "is_staff", False)
        or not getattr(user, "is_verified", lambda: False)()
    ):
        return []
    return sections_for(request)
