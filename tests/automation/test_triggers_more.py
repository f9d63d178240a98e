"""The later triggers (schedule, insights score crossing, survey answer / sentiment, segment
entered), conditions on related records with nested groups, the "add to a campaign list"
action marketing provides through a door, and `kith automation …`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone
from typer.testing import CliRunner

from kith.automation.conditions import conditions_check, conditions_met
from kith.automation.models import Rule, RuleRun
from kith.automation.services import (
    rule_create,
    rule_runs_advance,
    rule_test,
    schedule_rules_fire,
)
from kith.cli.app import app
from kith.core.doors import score_thresholds
from kith.core.errors import FieldError
from kith.core.events import event_record, events_dispatch
from kith.customers.models import Company, Contact
from kith.customers.services import company_update, contact_update
from kith.engagement.models import Notification
from kith.insights import jobs
from kith.insights.models import CustomerScore, ScoringRun
from kith.marketing.models import SegmentMember
from kith.marketing.services.segments import segment_members_add
from tests.marketing.factories import make_segment

pytestmark = pytest.mark.django_db

NOTIFY = {"type": "notify_user", "user": "rule_owner", "text": "{{ full_name }}"}


def _settle() -> None:
    for _ in range(10):
        if not (events_dispatch() | rule_runs_advance()):
            return


def test_schedule_rule_runs_once_per_slot(users) -> None:
    with pytest.raises(FieldError) as bad:
        rule_create(by=users.admin, name="x", trigger="schedule", trigger_field="sometimes",
                    actions=[NOTIFY])  # fmt: skip
    assert set(bad.value.errors) == {"trigger_field"}
    rule = rule_create(
        by=users.admin, name="Five minutes", trigger="schedule", trigger_field="every 5m",
        actions=[{"type": "notify_user", "user": "rule_owner", "text": "tick"}],
    )  # fmt: skip
    cron = rule_create(by=users.admin, name="Mondays 9", trigger="schedule",
                       trigger_field="0 9 * * 1", actions=[NOTIFY])  # fmt: skip
    Rule.objects.filter(pk__in=[rule.pk, cron.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    slot = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    now = slot + dt.timedelta(minutes=12)  # the check looks back CATCH_UP (15 minutes)
    assert schedule_rules_fire(now=now) >= 3  # :00, :05 and :10
    again = schedule_rules_fire(now=now)  # a second worker
    runs = RuleRun.objects.filter(rule=rule)
    assert again >= 3 and runs.count() == 3  # one run per slot, however often it is checked
    assert {r.cause for r in runs} == {
        f"schedule:{(slot + dt.timedelta(minutes=m)).isoformat(timespec='minutes')}"
        for m in (0, 5, 10)
    }
    rule_runs_advance(now=now)
    assert Notification.objects.filter(recipient=users.admin, text="tick").count() == 3


def test_score_crossing_fires_the_rule_watching_that_threshold(users, records) -> None:
    rule = rule_create(
        by=users.admin, name="Churn risk", trigger="score.crossed", trigger_field="churn_risk",
        trigger_threshold=0.7,
        conditions={"all": [{"field": "event.direction", "op": "eq", "value": "up"}]},
        actions=[NOTIFY],
    )  # fmt: skip
    rule_create(by=users.admin, name="Other score", trigger="score.crossed",
                trigger_field="clv", trigger_threshold=500, actions=[NOTIFY])  # fmt: skip
    with pytest.raises(FieldError) as bad:
        rule_create(by=users.admin, name="x", trigger="score.crossed", trigger_field="nope",
                    actions=[NOTIFY])  # fmt: skip
    assert set(bad.value.errors) == {"trigger_field", "trigger_threshold"}
    watched = score_thresholds()
    assert watched == {"churn_risk": {0.7}, "clv": {500.0}}

    run = ScoringRun.objects.create(started_at=timezone.now(), as_of=timezone.localdate())
    a, b = records.contact_a, records.contact_b
    CustomerScore.objects.create(contact=a, churn_risk=0.5, clv=100.0, scored_at=timezone.now())
    CustomerScore.objects.create(contact=b, churn_risk=0.9, clv=100.0, scored_at=timezone.now())
    before = jobs._score_values(watched)
    CustomerScore.objects.filter(contact=a).update(churn_risk=0.8)  # up across 0.7
    CustomerScore.objects.filter(contact=b).update(churn_risk=0.6)  # down across 0.7
    with transaction.atomic():
        assert jobs._crossings_record(watched, before, run) == 2
    _settle()
    fired = RuleRun.objects.get(rule=rule)  # only the upward crossing passes the condition
    assert (fired.record_model, fired.record_id) == ("customers.contact", a.pk)
    assert fired.payload["old"] == 0.5 and fired.payload["new"] == 0.8
    assert fired.status == RuleRun.Status.DONE


def test_survey_answer_and_segment_entered_run_on_the_contact(users, records) -> None:
    detractor = rule_create(
        by=users.admin, name="Detractor", trigger="survey.answered",
        conditions={"all": [{"field": "event.score", "op": "lte", "value": 6}]},
        actions=[{"type": "create_task", "title": "Call {{ full_name }}"}],
    )  # fmt: skip
    segment = make_segment(by=users.admin, kind="static", name="VIP")
    entered = rule_create(
        by=users.admin, name="VIP welcome", trigger="segment.entered",
        conditions={"all": [{"field": "event.segment_id", "op": "eq", "value": segment.pk}]},
        actions=[NOTIFY],
    )  # fmt: skip
    with transaction.atomic():  # as kith.feedback records it (a response, with its contact)
        for score in (3, 9):
            event_record(name="survey.answered",
                         payload={"score": score, "kind": "nps", "contact_id": records.contact_a.pk})  # fmt: skip
    segment_members_add(by=users.admin, segment_id=segment.pk, contact_ids=[records.contact_b.pk])
    _settle()
    run = RuleRun.objects.get(rule=detractor)  # the 9 is no detractor: no run
    assert run.record_id == records.contact_a.pk and run.status == RuleRun.Status.DONE
    run = RuleRun.objects.get(rule=entered)
    assert run.record_id == records.contact_b.pk and run.status == RuleRun.Status.DONE


def test_conditions_on_related_records_in_nested_groups(users, records) -> None:
    company = Company.objects.get(pk=records.company_a.pk)
    company_update(by=users.admin, company_id=company.pk, version=company.version,
                   industry="Retail")  # fmt: skip
    contact = Contact.objects.get(pk=records.contact_a.pk)
    conditions = {
        "all": [
            {"field": "company.industry", "op": "eq", "value": "Retail"},
            {"any": [
                {"field": "title", "op": "eq", "value": "CEO"},
                {"field": "company.domain", "op": "contains", "value": "hoasen"},
            ]},
        ]
    }  # fmt: skip
    conditions_check(conditions, model=Contact)
    assert conditions_met(conditions, record=contact, payload={})
    other = Contact.objects.get(pk=records.contact_b.pk)
    assert not conditions_met(conditions, record=other, payload={})
    with pytest.raises(FieldError):
        conditions_check({"all": [{"field": "company.nope", "op": "eq", "value": 1}]},
                         model=Contact)  # fmt: skip
    rule = rule_create(by=users.admin, name="Retail", trigger="contact.updated",
                       conditions=conditions, actions=[NOTIFY])  # fmt: skip
    contact_update(by=users.rep_a, contact_id=contact.pk, version=contact.version, title="CFO")
    _settle()
    assert RuleRun.objects.get(rule=rule).status == RuleRun.Status.DONE


def test_a_related_record_of_another_team_counts_as_absent(users, records) -> None:
    """A rep's rule never branches on a field of another team's company (#13: conditions on
    related records pass the same gate as every other door)."""
    company = Company.objects.get(pk=records.company_b.pk)  # team B's
    company_update(by=users.admin, company_id=company.pk, version=company.version,
                   industry="Retail")  # fmt: skip
    contact = Contact.objects.get(pk=records.contact_a.pk)
    contact.company_id = company.pk  # team A's contact at team B's company
    contact.save(update_fields=["company"])
    retail = {"field": "company.industry", "op": "eq", "value": "Retail"}
    assert conditions_met(retail, record=contact, payload={}, user=users.admin)
    assert not conditions_met(retail, record=contact, payload={}, user=users.rep_a)


def test_add_to_campaign_list_through_marketings_door(users, records) -> None:
    segment = make_segment(by=users.admin, kind="static", name="Win-back")
    rule = rule_create(
        by=users.admin, name="To the list", trigger="contact.updated",
        actions=[{"type": "add_to_campaign", "target": segment.pk}],
    )  # fmt: skip
    with pytest.raises(FieldError):
        rule_create(by=users.admin, name="x", trigger="contact.updated",
                    actions=[{"type": "add_to_campaign"}])  # fmt: skip
    test = rule_test(by=users.admin, rule_id=rule.pk, record_id=records.contact_a.pk)
    assert "Win-back" in test["steps"][0]["would"]
    contact = Contact.objects.get(pk=records.contact_a.pk)
    contact_update(by=users.rep_a, contact_id=contact.pk, version=contact.version, title="CFO")
    _settle()
    assert SegmentMember.objects.filter(segment=segment, contact=contact).exists()
    assert RuleRun.objects.get(rule=rule).status == RuleRun.Status.DONE


def test_cli_lists_pauses_resumes_and_test_runs(users, records) -> None:
    rule = rule_create(by=users.admin, name="Say hi", trigger="contact.updated", actions=[NOTIFY])
    runner = CliRunner()
    listed = runner.invoke(app, ["automation", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == [
        {"id": rule.pk, "name": "Say hi", "trigger": "contact.updated", "active": True,
         "paused_reason": ""}
    ]  # fmt: skip
    assert runner.invoke(app, ["automation", "pause", str(rule.pk)]).exit_code == 0
    assert not Rule.objects.get(pk=rule.pk).is_active
    assert runner.invoke(app, ["automation", "resume", str(rule.pk)]).exit_code == 0
    assert Rule.objects.get(pk=rule.pk).is_active
    tested = runner.invoke(
        app, ["automation", "run-test", str(rule.pk), "--record", str(records.contact_a.pk)]
    )
    assert tested.exit_code == 0 and json.loads(tested.stdout)["conditions_met"] is True
    refused = runner.invoke(app, ["automation", "pause", "999999"])
    assert refused.exit_code == 2
    assert runner.invoke(app, ["automation", "list", "--user", "rep_a"]).exit_code == 2
