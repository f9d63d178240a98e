"""Periodic schedules that `kith worker` runs: SLA checks every minute, mailbox polls, nightly scoring.

An app registers its schedules in its AppConfig.ready() with `schedule_register`; the worker
calls `schedules_enqueue_due` every few seconds, which enqueues each due task exactly once
even with several workers (the claim is one conditional UPDATE, which only one of them wins).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kith.core.models import ScheduleRun


@dataclass(frozen=True)
class Schedule:
    name: str
    every: dt.timedelta
    task: Any  # a django_tasks Task taking no arguments
    # Runs at this time of day (in UTC) when set; `every` is then the period (usually a day).
    at: dt.time | None = None

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        if self.at is None:
            return moment + self.every
        candidate = moment.replace(
            hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0
        )
        while candidate <= moment:
            candidate += self.every
        return candidate


SCHEDULES: dict[str, Schedule] = {}


def schedule_register(
    *, name: str, every: dt.timedelta, task: Any, at: dt.time | None = None
) -> Schedule:
    """Add a periodic schedule (idempotent per name; the last registration wins)."""
    if every <= dt.timedelta(0):
        raise ValueError("a schedule's period must be positive")
    schedule = Schedule(name=name, every=every, task=task, at=at)
    SCHEDULES[name] = schedule
    return schedule


def _first_run(schedule: Schedule, now: dt.datetime) -> dt.datetime:
    # Interval schedules run at once on a new install; timed ones wait for their time.
    return now if schedule.at is None else schedule.next_after(now)


def schedules_enqueue_due(*, now: dt.datetime | None = None) -> list[str]:
    """Enqueue every registered task whose time has come; returns the names enqueued."""
    now = now or timezone.now()
    enqueued: list[str] = []
    for schedule in SCHEDULES.values():
        run = ScheduleRun.objects.filter(name=schedule.name).first()
        if run is None:
            try:
                with transaction.atomic():
                    run = ScheduleRun.objects.create(
                        name=schedule.name, next_run_at=_first_run(schedule, now)
                    )
            except IntegrityError:  # another worker created it first
                continue
        if run.next_run_at > now:
            continue
        # Only the worker whose UPDATE still sees the old time claims this run.
        claimed = ScheduleRun.objects.filter(
            name=schedule.name, next_run_at=run.next_run_at
        ).update(next_run_at=schedule.next_after(now), last_enqueued_at=now)
        if claimed:
            schedule.task.enqueue()
            enqueued.append(schedule.name)
    return enqueued
