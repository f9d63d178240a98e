"""Rule runs: made for each event a rule's trigger names (or each record a date trigger finds),
then advanced by the worker step by step.

Each run advances in one transaction: its steps' effects, their log (RuleRunStep) and the run's
progress commit together, so a worker killed mid-run repeats nothing it committed. A wait step
saves `resume_at` and stops; `rule_runs_advance` picks the run up again once that time has come,
even after a restart. Actions run as the rule's owner, inside `events_caused_at(depth)`, so the
events they cause carry the depth; a rule reacting to an event deeper than MAX_DEPTH does not
fire (the run is kept as skipped, saying why). After FAILURES_TO_PAUSE failed runs in a row the
rule is paused and whoever made it is notified.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from kith.automation.actions import ACTIONS, ActionFailed, RunContext, wait_until
from kith.automation.active import active_for
from kith.automation.conditions import conditions_met
from kith.automation.models import Rule, RuleRun, RuleRunStep
from kith.automation.records import record_kind, record_load
from kith.automation.schedule import CATCH_UP, schedule_parse
from kith.automation.triggers import DATE_TRIGGERS, SCHEDULE_TRIGGER
from kith.core.errors import KithError
from kith.core.events import CAUSE_DEPTH_KEY, events_caused_at
from kith.core.models import DomainEvent
from kith.customers.models import Contact
from kith.engagement.services import notification_create
from kith.identity.access import visible_to
from kith.sales.models import PurchaseSummary

MAX_DEPTH = 3
FAILURES_TO_PAUSE = 5
ACTIVE = (RuleRun.Status.PENDING, RuleRun.Status.WAITING)


def _event_record(event: DomainEvent) -> tuple[str, int | None]:
    """The record a run for `event` is about: the event's own, or, for an event about a record
    rules do not act on (a survey response, a sentiment score), the contact it names."""
    if record_kind(event.model) is None and str(event.payload.get("contact_id") or "").isdigit():
        return "customers.contact", int(event.payload["contact_id"])
    return event.model, event.object_id


def _trigger_fits(rule: Rule, event: DomainEvent, changed: set[str]) -> bool:
    if rule.trigger == "score.crossed":  # the watched score and threshold
        return event.payload.get("score") == rule.trigger_field and (
            rule.trigger_threshold is not None
            and _number(event.payload.get("threshold")) == float(rule.trigger_threshold)
        )
    return not rule.trigger_field or rule.trigger_field in changed


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def runs_for_event(event: DomainEvent) -> int:
    """Make a run of every active rule `event` triggers whose field-changed filter and
    conditions the record passes now (idempotent: unique on rule and event); returns how many
    runs it makes. Most events match no rule: then nothing is written."""
    # A rule reacts to what happens after it was made, not to a backlog queued before it.
    rules = active_for(event.created_at).rules_for(event.name, event.created_at)
    if not rules:
        return 0
    depth = int(event.payload.get(CAUSE_DEPTH_KEY, 0) or 0) + 1
    changed = set(event.payload.get("changed") or ())
    model, object_id = _event_record(event)
    now = timezone.now()
    records: dict[int, Any] = {}  # the record as each owner sees it, read once
    runs = []
    for rule in rules:
        if not _trigger_fits(rule, event, changed):
            continue
        if rule.conditions:
            if rule.owner_id not in records:
                records[rule.owner_id] = (
                    record_load(model=model, pk=object_id, user=rule.owner) if model else None
                )
            if not conditions_met(
                rule.conditions, record=records[rule.owner_id], payload=event.payload,
                user=rule.owner,
            ):  # fmt: skip
                continue
        looping = depth > MAX_DEPTH
        runs.append(
            RuleRun(
                rule=rule,
                cause=str(event.id),
                event_name=event.name,
                record_model=model,
                record_id=object_id,
                depth=depth,
                payload=event.payload,
                status=RuleRun.Status.SKIPPED if looping else RuleRun.Status.PENDING,
                error=(
                    _(
                        "Not run: caused by %(depth)s automatic reactions in a row (at most %(max)s)."
                    )
                    % {"depth": depth - 1, "max": MAX_DEPTH}
                    if looping
                    else ""
                ),
                resume_at=now,
                finished_at=now if looping else None,
            )
        )
    if runs:
        RuleRun.objects.bulk_create(runs, ignore_conflicts=True)
    return len(runs)


def _rule_failed(rule: Rule, *, reason: str, now: dt.datetime) -> None:
    Rule.objects.filter(pk=rule.pk).update(failure_count=F("failure_count") + 1)
    rule.refresh_from_db(fields=["failure_count", "is_active"])
    if rule.failure_count < FAILURES_TO_PAUSE or not rule.is_active:
        return
    message = _("Paused after %(n)s failed runs in a row; the last: %(reason)s") % {
        "n": rule.failure_count,
        "reason": reason,
    }
    Rule.objects.filter(pk=rule.pk).update(
        is_active=False, paused_at=now, paused_reason=message[:300]
    )
    rule.is_active = False
    recipient = rule.created_by if rule.created_by_id else rule.owner
    if recipient is not None and recipient.is_active:
        notification_create(
            recipient=recipient,
            kind="automation",
            text=(_("Rule “%(name)s”: %(message)s") % {"name": rule.name, "message": message})[
                :300
            ],
            url=f"/automation/rules/{rule.pk}/",
        )


def _context(run: RuleRun, rule: Rule, now: dt.datetime) -> RunContext:
    event_id = int(run.cause) if run.cause.isdigit() else None
    record = (
        record_load(model=run.record_model, pk=run.record_id, user=rule.owner)
        if run.record_model
        else None
    )
    return RunContext(
        rule=rule,
        record=record,
        record_model=run.record_model,
        payload=run.payload or {},
        event_id=event_id,
        now=now,
    )


def _advance(run_id: int, rule: Rule, now: dt.datetime) -> bool:
    with transaction.atomic():
        run = (
            RuleRun.objects.select_for_update(skip_locked=True)
            .filter(pk=run_id, status__in=ACTIVE, resume_at__lte=now)
            .first()
        )
        if run is None:
            return False
        run.rule = rule
        ctx = _context(run, rule, now)
        # An event's run was made only if the record passed the conditions then (runs_for_event);
        # a date trigger's run checks them when it starts.
        starting = run.status == RuleRun.Status.PENDING and run.next_step == 0
        if (
            starting
            and (run.event_name in DATE_TRIGGERS or run.event_name == SCHEDULE_TRIGGER)
            and not conditions_met(
                rule.conditions, record=ctx.record, payload=ctx.payload, user=rule.owner
            )
        ):
            run.status, run.finished_at = RuleRun.Status.SKIPPED, now
            run.save(update_fields=["status", "finished_at"])
            return True
        steps: list[RuleRunStep] = []
        for index in range(run.next_step, len(rule.actions)):
            config = rule.actions[index]
            action = ACTIONS.get(config.get("type", ""))
            try:
                if action is None:
                    raise ActionFailed(
                        _("Unknown action “%(type)s”.") % {"type": config.get("type")}
                    )
                if action.run is None:  # a wait
                    until = wait_until(ctx, config, since=now)
                    if until > now:
                        steps.append(
                            RuleRunStep(
                                run=run,
                                index=index,
                                action="wait",
                                status=RuleRunStep.Status.WAITING,
                                detail=_("Waiting until %(moment)s.")
                                % {"moment": until.isoformat(timespec="minutes")},
                            )
                        )
                        RuleRunStep.objects.bulk_create(steps)
                        run.status, run.resume_at, run.next_step = (
                            RuleRun.Status.WAITING,
                            until,
                            index + 1,
                        )
                        run.save(update_fields=["status", "resume_at", "next_step"])
                        return True
                    detail = _("The time to wait for has passed.")
                else:
                    with transaction.atomic(), events_caused_at(depth=run.depth):
                        detail = action.run(ctx, config)
            except (ActionFailed, KithError) as error:
                reason = str(error)[:300] or type(error).__name__
                steps.append(
                    RuleRunStep(
                        run=run,
                        index=index,
                        action=config.get("type", "")[:32],
                        status=RuleRunStep.Status.FAILED,
                        detail=reason,
                    )
                )
                RuleRunStep.objects.bulk_create(steps)
                run.status, run.error, run.finished_at = RuleRun.Status.FAILED, reason, now
                run.next_step = index
                run.save(update_fields=["status", "error", "finished_at", "next_step"])
                _rule_failed(rule, reason=reason, now=now)
                return True
            steps.append(
                RuleRunStep(
                    run=run,
                    index=index,
                    action=config["type"],
                    status=RuleRunStep.Status.OK,
                    detail=str(detail)[:500],
                )
            )
            # The next step sees what this one changed.
            ctx.record = (
                record_load(model=run.record_model, pk=run.record_id, user=rule.owner)
                if run.record_model
                else None
            )
            ctx.extra.clear()
        RuleRunStep.objects.bulk_create(steps)
        run.status, run.finished_at, run.next_step = (
            RuleRun.Status.DONE,
            now,
            len(rule.actions),
        )
        run.save(update_fields=["status", "finished_at", "next_step"])
        if rule.failure_count:
            Rule.objects.filter(pk=rule.pk).update(failure_count=0)
            rule.failure_count = 0
        return True


def rule_runs_advance(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Run up to `limit` due runs (new ones and waits whose time has come), oldest first;
    returns how many advanced."""
    now = now or timezone.now()
    due = list(
        RuleRun.objects.filter(status__in=ACTIVE, resume_at__lte=now, rule__is_active=True)
        .order_by("id")
        .values_list("id", "rule_id")[:limit]
    )
    # The rules of this batch, read once (a paused rule's runs wait for it to be turned on).
    rules = Rule.objects.select_related("owner", "created_by").in_bulk({r for _i, r in due})
    advanced = 0
    for run_id, rule_id in due:
        rule = rules[rule_id]
        if rule.is_active and _advance(run_id, rule, now):  # a failure may pause it
            advanced += 1
    return advanced


def _dated(raw: Any) -> dt.date | None:
    return parse_date(str(raw)) if raw else None


def _date_matches(rule: Rule, today: dt.date) -> list[int]:
    owner_contacts = visible_to(Contact.objects.all(), user=rule.owner, module="contacts")
    if rule.trigger == "date.days_since_last_order":
        day = today - dt.timedelta(days=rule.trigger_days)
        start = dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_current_timezone())
        return list(
            PurchaseSummary.objects.filter(contact__in=owner_contacts)
            .values("contact_id")
            .annotate(last=Max("last_at"))
            .filter(last__gte=start, last__lt=start + dt.timedelta(days=1))
            .values_list("contact_id", flat=True)
        )
    key = rule.trigger_field.removeprefix("custom.")
    target = today + dt.timedelta(days=rule.trigger_days)
    matches = []
    rows = owner_contacts.filter(custom__has_key=key).values_list("id", "custom")
    for contact_id, custom in rows.iterator(chunk_size=2000):
        value = _dated((custom or {}).get(key))
        if value is None:
            continue
        if rule.trigger == "date.birthday":
            if (value.month, value.day) == (target.month, target.day):
                matches.append(contact_id)
        elif value == target:
            matches.append(contact_id)
    return matches


def date_triggers_fire(*, today: dt.date | None = None) -> int:
    """Make today's runs of every active date-triggered rule (idempotent per rule, record and
    day); returns how many runs there are for today."""
    today = today or timezone.localdate()
    now = timezone.now()
    total = 0
    rules = Rule.objects.filter(is_active=True, trigger__in=list(DATE_TRIGGERS)).select_related(
        "owner"
    )
    for rule in rules:
        ids = _date_matches(rule, today)
        RuleRun.objects.bulk_create(
            [
                RuleRun(
                    rule=rule,
                    cause=f"date:{today.isoformat()}:{contact_id}",
                    event_name=rule.trigger,
                    record_model="customers.contact",
                    record_id=contact_id,
                    resume_at=now,
                )
                for contact_id in ids
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        total += len(ids)
    return total


def schedule_rules_fire(*, now: dt.datetime | None = None) -> int:
    """Start a run of every active schedule rule for each of its slots since the last check
    (at most CATCH_UP back, never before the rule was made); idempotent per rule and slot.
    Returns how many slots there were."""
    now = now or timezone.now()
    total = 0
    for rule in Rule.objects.filter(is_active=True, trigger=SCHEDULE_TRIGGER):
        try:
            schedule = schedule_parse(rule.trigger_field)
        except ValueError:
            continue  # refused when saved; an old row is left alone
        slots = schedule.slots(max(now - CATCH_UP, rule.created_at), now)
        RuleRun.objects.bulk_create(
            [
                RuleRun(
                    rule=rule,
                    cause=f"schedule:{slot.isoformat(timespec='minutes')}",
                    event_name=SCHEDULE_TRIGGER,
                    resume_at=now,
                )
                for slot in slots
            ],
            ignore_conflicts=True,
        )
        total += len(slots)
    return total
