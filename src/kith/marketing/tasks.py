"""Thin task wrappers: the daily segment refresh and the minute-by-minute campaign sender."""

from __future__ import annotations

from django_tasks import task


@task()
def segments_refresh_task() -> int:
    from kith.marketing.services.segments import segments_refresh

    return segments_refresh()


@task()
def campaigns_send_task() -> int:
    from kith.marketing.services.delivery import campaigns_send_due

    return campaigns_send_due()
