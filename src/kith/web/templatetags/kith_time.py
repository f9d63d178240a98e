"""{{ due|time_left:now }}: the time until `due` in words in the active language (Django's
timeuntil is only half translated in Vietnamese: "còn 6 days, 18 hours")."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from kith.engagement.selectors import duration_words

register = template.Library()


@register.filter
def time_left(due: datetime | None, now: datetime | None = None) -> str:
    if due is None:
        return ""
    return duration_words(int((due - (now or timezone.now())).total_seconds()))
