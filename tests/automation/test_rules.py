"""Rules: trigger → conditions → actions through the apps' services as the rule's owner, runs
logged per step, waits that survive a restart, test runs, pausing, and the loop depth limit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kith.automation.models import Rule, RuleRun, RuleRunStep
from kith.automation.services import (
    date_triggers_fire,
    rule_create,
    rule_runs_advance,
    rule_test,
    rule_update,
)
from kith.automation.services.runs import FAILURES_TO_PAUSE, MAX_DEPTH
from kith.core.errors import FieldError, Forbidden
from kith.core.events import events_dispatch
from kith.customers.models import Contact
from kith.customers.services import contact_update
from kith.engagement.models import Notification, Task
from kith.sales.models import PurchaseSummary
from kith.service.models import Ticket
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _settle(now: dt.datetime | None = None) -> None:
    """What the worker does: dispatch the events, run the due rule runs, until nothing is left."""
    for _ in range(20):
        dispatched = events_dispatch()
        advanced = rule_runs_advance(now=now)
        if not dispatched and not advanced:
            return


def _retitle(contact: Contact, by, title: str) -> None:
    contact.refresh_from_db()
    contact_update(by=by, contact_id=contact.pk, version=contact.version, title=title)


def test_changed_field_trigger_runs_actions_as_the_owner(users, records) -> None:
    _settle()
    rule = rule_create(
        by=users.admin,
        name="Buyer changed",
        trigger="contact.updated",
        trigger_field="title",
        conditions={"all": [{"field": "title", "op": "contains", "value": "buyer"}]},
        actions=[
            {"type": "create_task", "title": "Call {{ full_name }}", "due_in_days": 2},
            {"type": "add_tag", "tag": "buyer"},
            {"type": "notify_user", "user": "rule_owner", "text": "{{ full_name }} is a buyer"},
        ],
        owner_id=users.manager.pk,
    )
    contact = records.contact_a
    _retitle(contact, users.rep_a, "Head buyer")
    _settle()
    run = RuleRun.objects.get(rule=rule)
    assert run.status == RuleRun.Status.DONE and run.depth == 1
    assert [(s.action, s.status) for s in run.steps.all()] == [
        ("create_task", "ok"),
        ("add_tag", "ok"),
        ("notify_user", "ok"),
    ]
    task = Task.objects.get()
    assert task.title == "Call 王伟明" and task.owner == users.rep_a  # the record's owner
    assert task.contact_id == contact.pk and task.created_by == users.manager
    contact.refresh_from_db()
    assert "buyer" in [t.name for t in contact.tags.all()]
    assert Notification.objects.get(kind="automation").recipient == users.manager
    # A change of another field does not fire it; a repeat of the event runs nothing twice.
    contact.refresh_from_db()
    contact_update(by=users.rep_a, contact_id=contact.pk, version=contact.version, custom={})
    events_dispatch()
    rule_runs_advance()
    assert RuleRun.objects.filter(rule=rule).count() == 1
    assert Task.objects.count() == 1


def test_conditions_not_met_make_no_run(users, records) -> None:
    """The conditions are checked when the event is handled: a record that fails them costs
    no row (most events match no rule)."""
    _settle()
    rule = rule_create(
        by=users.admin,
        name="Customers only",
        trigger="contact.updated",
        conditions={
            "any": [
                {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
                {"field": "custom.tier", "op": "in", "value": ["gold"]},
            ]
        },
        actions=[{"type": "create_task", "title": "Hello"}],
    )
    _retitle(records.contact_a, users.rep_a, "CTO")
    _settle()
    assert not RuleRun.objects.filter(rule=rule).exists()
    assert not Task.objects.exists()


def test_bad_rules_are_refused_naming_the_field(users) -> None:
    with pytest.raises(FieldError) as bad:
        rule_create(
            by=users.admin,
            name="",
            trigger="Not an event",
            conditions={"all": [{"field": "nope", "op": "eq"}]},
            actions=[{"type": "create_task"}],
        )
    assert set(bad.value.errors) == {"name", "trigger", "actions"}
    with pytest.raises(FieldError) as bad_conditions:
        rule_create(
            by=users.admin,
            name="x",
            trigger="contact.created",
            conditions={"all": [{"field": "nope", "op": "eq"}]},
            actions=[{"type": "wait", "days": 1}],
        )
    assert "nope" in bad_conditions.value.errors["conditions"]
    with pytest.raises(Forbidden):
        rule_create(
            by=users.manager, name="x", trigger="deal.won", actions=[{"type": "wait", "days": 1}]
        )
    assert not Rule.objects.exists()


def test_wait_step_resumes_when_due(users, smtp) -> None:
    rule = rule_create(
        by=users.admin,
        name="Welcome series",
        trigger="contact.created",
        actions=[
            {"type": "send_email", "subject": "Welcome", "body": "Xin chào {{ first_name }}!"},
            {"type": "wait", "days": 3},
            {"type": "send_email", "subject": "How is it going?", "body": "Hi {{ first_name }}"},
        ],
    )
    make_contact(by=users.rep_a, first_name="An", last_name="Nguyễn", emails=["an@example.vn"])
    events_dispatch()
    start = timezone.now()
    assert rule_runs_advance(now=start) == 1
    run = RuleRun.objects.get(rule=rule)
    assert run.status == RuleRun.Status.WAITING and run.next_step == 2
    assert run.resume_at == start + dt.timedelta(days=3)
    assert [m["Subject"] for m in smtp.messages] == ["Welcome"]
    assert "Xin chào An!" in smtp.messages[0].get_payload()
    # The wait lives in the database: a later worker (any process) picks it up when due.
    assert rule_runs_advance(now=start + dt.timedelta(days=2)) == 0
    assert rule_runs_advance(now=start + dt.timedelta(days=3)) == 1
    run.refresh_from_db()
    assert run.status == RuleRun.Status.DONE
    assert [m["Subject"] for m in smtp.messages] == ["Welcome", "How is it going?"]
    assert [s.status for s in run.steps.all()] == ["ok", "waiting", "ok"]


def test_test_run_shows_steps_without_doing_them(users, records) -> None:
    rule = rule_create(
        by=users.admin,
        name="Ticket for VIPs",
        trigger="contact.updated",
        actions=[
            {"type": "create_ticket", "subject": "Check on {{ full_name }}", "priority": "high"},
            {"type": "set_field", "field": "title", "value": "VIP"},
            {"type": "assign_owner", "team_id": records.contact_a.team_id},
            {"type": "wait", "hours": 5},
            {"type": "send_email", "subject": "Hi", "body": "Dear {{ contact.first_name }}"},
        ],
    )
    result = rule_test(by=users.admin, rule_id=rule.pk, record_id=records.contact_a.pk)
    assert result["conditions_met"] is True
    would = [step.get("would", step.get("error")) for step in result["steps"]]
    assert would[0] == "Open the ticket “Check on 王伟明” (high)."
    assert would[1] == "Set title to “VIP”."
    assert would[2].startswith("Make ") and would[3].startswith("Wait until ")
    assert "Dear 伟明" in would[4]
    assert not Ticket.objects.exists() and not RuleRun.objects.exists()
    records.contact_a.refresh_from_db()
    assert records.contact_a.title == "Purchasing manager"


def test_actions_respect_the_owners_permissions_and_failing_rules_pause(users, records) -> None:
    _settle()
    rule = rule_create(
        by=users.admin,
        name="Give to team B",
        trigger="contact.updated",
        actions=[{"type": "assign_owner", "user_id": users.rep_b.pk}],
        owner_id=users.rep_a.pk,  # a team-A representative may not give records to team B
    )
    contact = records.contact_a
    for number in range(FAILURES_TO_PAUSE):
        _retitle(contact, users.rep_a, f"Title {number}")
        _settle()
    runs = RuleRun.objects.filter(rule=rule)
    assert [r.status for r in runs] == ["failed"] * FAILURES_TO_PAUSE
    assert "owner_id" in runs.first().error
    contact.refresh_from_db()
    assert contact.owner == users.rep_a
    rule.refresh_from_db()
    assert not rule.is_active and rule.paused_at is not None
    note = Notification.objects.get(recipient=users.admin, kind="automation")
    assert "Give to team B" in note.text
    # Paused: later events start no run; turning it on again clears the count.
    _retitle(contact, users.rep_a, "Later")
    _settle()
    assert runs.count() == FAILURES_TO_PAUSE
    rule = rule_update(by=users.admin, rule_id=rule.pk, is_active=True)
    assert rule.failure_count == 0 and rule.paused_at is None


def test_round_robin_assignment_takes_turns(users, teams) -> None:
    rule = rule_create(
        by=users.admin,
        name="Share new contacts",
        trigger="contact.created",
        actions=[{"type": "assign_owner", "team_id": teams.a.pk}],
    )
    for name in ("Một", "Hai", "Ba", "Bốn"):
        make_contact(by=users.admin, full_name=name)
    _settle()
    members = sorted([users.manager, users.rep_a, users.rep_a2], key=lambda u: u.pk)
    owners = list(Contact.objects.order_by("id").values_list("owner_id", flat=True))
    assert owners == [members[0].pk, members[1].pk, members[2].pk, members[0].pk]
    assert RuleRun.objects.filter(rule=rule, status="done").count() == 4


def test_a_rule_triggering_itself_stops_at_the_depth_limit(users, records) -> None:
    _settle()
    rule = rule_create(
        by=users.admin,
        name="Loop",
        trigger="contact.updated",
        actions=[{"type": "set_field", "field": "title", "value": "Checked {{ updated_at }}"}],
    )
    _retitle(records.contact_a, users.rep_a, "Start")
    _settle()
    runs = list(RuleRun.objects.filter(rule=rule).order_by("id"))
    assert [r.depth for r in runs] == list(range(1, MAX_DEPTH + 2))
    assert [r.status for r in runs] == ["done"] * MAX_DEPTH + ["skipped"]
    assert "at most 3" in runs[-1].error
    assert RuleRunStep.objects.filter(run__rule=rule).count() == MAX_DEPTH


def test_date_triggers_birthday_and_days_since_last_order(users, records) -> None:
    _settle()
    today = dt.date(2026, 12, 4)
    birthday = rule_create(
        by=users.admin,
        name="Birthday",
        trigger="date.birthday",
        trigger_field="custom.birthday",
        actions=[{"type": "create_task", "title": "Wish {{ full_name }} a happy birthday"}],
    )
    lapsed = rule_create(
        by=users.admin,
        name="Lapsed",
        trigger="date.days_since_last_order",
        trigger_days=90,
        actions=[{"type": "create_task", "title": "Win back {{ full_name }}"}],
    )
    Contact.objects.filter(pk=records.contact_a.pk).update(custom={"birthday": "1990-12-04"})
    Contact.objects.filter(pk=records.contact_b.pk).update(custom={"birthday": "1991-12-05"})
    last = dt.datetime.combine(today - dt.timedelta(days=90), dt.time(15), tzinfo=dt.UTC)
    PurchaseSummary.objects.create(
        contact=records.contact_b, currency="VND", order_count=1, total_minor=5, last_at=last
    )
    assert date_triggers_fire(today=today) == 2
    assert date_triggers_fire(today=today) == 2  # the same day again: no second run
    _settle()
    assert RuleRun.objects.get(rule=birthday).record_id == records.contact_a.pk
    assert RuleRun.objects.get(rule=lapsed).record_id == records.contact_b.pk
    titles = sorted(Task.objects.values_list("title", flat=True))
    assert titles == ["Win back Trần Thị Bình", "Wish 王伟明 a happy birthday"]
