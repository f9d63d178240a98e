"""Periodic schedules: due tasks are enqueued once per period, by `kith worker` too."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks import task
from django_tasks_db.models import DBTaskResult
from typer.testing import CliRunner

from kith.cli.app import app
from kith.core import schedules
from kith.core.models import ScheduleRun

CALLS: list[str] = []


@task()
def tick() -> str:
    CALLS.append("tick")
    return "ticked"


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(schedules, "SCHEDULES", {})
    return schedules.SCHEDULES


NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_interval_schedule_runs_at_once_then_once_per_period(registry):
    schedules.schedule_register(name="t.tick", every=dt.timedelta(minutes=1), task=tick)

    assert schedules.schedules_enqueue_due(now=NOON) == ["t.tick"]
    assert schedules.schedules_enqueue_due(now=NOON + dt.timedelta(seconds=30)) == []
    assert schedules.schedules_enqueue_due(now=NOON + dt.timedelta(seconds=61)) == ["t.tick"]
    assert DBTaskResult.objects.count() == 2
    assert ScheduleRun.objects.get().next_run_at == NOON + dt.timedelta(seconds=121)


@pytest.mark.django_db
def test_daily_schedule_waits_for_its_time_of_day(registry):
    schedules.schedule_register(
        name="t.nightly", every=dt.timedelta(days=1), task=tick, at=dt.time(2, 30)
    )

    assert schedules.schedules_enqueue_due(now=NOON) == []
    assert ScheduleRun.objects.get().next_run_at == dt.datetime(2026, 3, 3, 2, 30, tzinfo=dt.UTC)
    assert schedules.schedules_enqueue_due(now=dt.datetime(2026, 3, 3, 2, 31, tzinfo=dt.UTC)) == [
        "t.nightly"
    ]
    assert ScheduleRun.objects.get().next_run_at == dt.datetime(2026, 3, 4, 2, 30, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_a_run_claimed_by_another_worker_is_not_enqueued_again(registry):
    schedules.schedule_register(name="t.tick", every=dt.timedelta(minutes=1), task=tick)
    schedules.schedules_enqueue_due(now=NOON)
    # Another worker claims the next run between our read and our update.
    later = NOON + dt.timedelta(minutes=2)
    ScheduleRun.objects.update(next_run_at=later + dt.timedelta(minutes=1))

    assert schedules.schedules_enqueue_due(now=later) == []
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_worker_batch_runs_due_schedules(registry):
    CALLS.clear()
    schedules.schedule_register(name="t.tick", every=dt.timedelta(hours=1), task=tick)

    result = CliRunner().invoke(app, ["worker", "--batch"])

    assert result.exit_code == 0, result.output
    assert CALLS == ["tick"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
