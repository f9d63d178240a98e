"""`kith worker` runs automation: its schedules dispatch rule runs and webhook deliveries, and a
wait parked by one worker is resumed by the next one (a restart) once it is due."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from typer.testing import CliRunner

from kith.automation.models import Delivery, RuleRun
from kith.automation.services import rule_create, subscription_create
from kith.cli.app import app
from kith.core.models import ScheduleRun
from kith.engagement.models import Task
from tests.factories import make_contact


def _worker() -> None:
    result = CliRunner().invoke(app, ["worker", "--batch"])
    assert result.exit_code == 0, result.output


def test_worker_delivers_and_a_wait_survives_a_restart(users, receiver, transactional_db) -> None:
    rule = rule_create(
        by=users.admin,
        name="Remind later",
        trigger="contact.created",
        actions=[
            {"type": "wait", "minutes": 30},
            {"type": "create_task", "title": "Follow up {{ full_name }}"},
        ],
    )
    subscription_create(by=users.admin, name="ERP", url=receiver.url, events=["contact.created"])
    make_contact(by=users.rep_a, full_name="Quách Tĩnh")

    _worker()
    run = RuleRun.objects.get(rule=rule)
    assert run.status == RuleRun.Status.WAITING and not Task.objects.exists()
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED
    assert [r.json()["type"] for r in receiver.requests] == ["contact.created"]

    # Half an hour later a new worker (the first one is gone) picks the wait up.
    RuleRun.objects.filter(pk=run.pk).update(resume_at=timezone.now() - timedelta(seconds=1))
    ScheduleRun.objects.update(next_run_at=timezone.now() - timedelta(seconds=1))
    _worker()
    run.refresh_from_db()
    assert run.status == RuleRun.Status.DONE
    assert Task.objects.get().title == "Follow up Quách Tĩnh"
    assert len(receiver.requests) == 1
