"""Rules: made, changed, paused and test-run by administrators.

A rule runs as its `owner` (kith.automation.actions), so its owner must be an active user; an
admin may make any user the owner, and the rule then does only what that user may do.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.automation.actions import ACTIONS, ActionFailed, RunContext, actions_check
from kith.automation.active import active_forget
from kith.automation.conditions import conditions_check, conditions_met
from kith.automation.models import Rule
from kith.automation.records import record_load
from kith.automation.schedule import schedule_parse
from kith.automation.triggers import SCHEDULE_TRIGGER, SCORES, trigger_model, trigger_valid
from kith.core.errors import FieldError, NotFound
from kith.core.validation import text_clean, unknown_fields_check
from kith.identity.access import admin_require
from kith.identity.models import User

RULE_FIELDS = frozenset(
    {"name", "trigger", "trigger_field", "trigger_days", "conditions", "actions", "owner_id",
     "is_active", "trigger_threshold"}
)  # fmt: skip


def _rule_apply(rule: Rule, values: dict[str, Any], *, by: User) -> None:
    errors: dict[str, str] = {}
    if "name" in values:
        rule.name = text_clean(
            values["name"], field="name", limit=120, errors=errors, required=True
        )
    if "trigger" in values:
        rule.trigger = str(values["trigger"] or "").strip()
        if not trigger_valid(rule.trigger):
            errors["trigger"] = _("Choose an event or a date trigger.")
    if "trigger_field" in values:
        rule.trigger_field = str(values["trigger_field"] or "").strip()[:64]
    if "trigger_days" in values:
        days = values["trigger_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 3650:
            errors["trigger_days"] = _("Give a whole number of days from 0 to 3650.")
        else:
            rule.trigger_days = days
    if rule.trigger in ("date.birthday", "date.field") and not rule.trigger_field:
        errors["trigger_field"] = _("Choose the date field, e.g. custom.birthday.")
    if "trigger_threshold" in values:
        threshold = values["trigger_threshold"]
        if threshold in (None, ""):
            rule.trigger_threshold = None
        else:
            try:
                rule.trigger_threshold = float(threshold)
            except (TypeError, ValueError):
                errors["trigger_threshold"] = _("Give the threshold as a number.")
    if rule.trigger == SCHEDULE_TRIGGER:
        try:
            schedule_parse(rule.trigger_field)
        except ValueError:
            errors["trigger_field"] = _(
                "Give the schedule as every 15m, every 2h, every 1d or a cron line (0 9 * * 1)."
            )
    if rule.trigger == "score.crossed":
        if rule.trigger_field not in SCORES:
            errors["trigger_field"] = _("Choose the score: %(scores)s.") % {
                "scores": ", ".join(SCORES)
            }
        if rule.trigger_threshold is None and "trigger_threshold" not in errors:
            errors["trigger_threshold"] = _("Give the threshold the score crosses.")
    if "owner_id" in values:
        owner = User.objects.filter(pk=values["owner_id"] or by.pk, is_active=True).first()
        if owner is None:
            errors["owner_id"] = _("Choose an active user to run the rule as.")
        else:
            rule.owner = owner
    if "conditions" in values:
        model_label = trigger_model(rule.trigger)
        model = apps.get_model(model_label) if model_label else None
        try:
            conditions_check(values["conditions"] or {}, model=model)
            rule.conditions = values["conditions"] or {}
        except FieldError as error:
            errors.update(error.errors)
    if "actions" in values:
        try:
            rule.actions = actions_check(values["actions"])
        except FieldError as error:
            errors.update(error.errors)
    if "is_active" in values:
        active = bool(values["is_active"])
        if active and not rule.is_active:
            rule.failure_count, rule.paused_at, rule.paused_reason = 0, None, ""
        rule.is_active = active
    if errors:
        raise FieldError(errors)


@transaction.atomic
def rule_create(
    *,
    by: User,
    name: str,
    trigger: str,
    actions: list[dict[str, Any]],
    conditions: dict[str, Any] | None = None,
    trigger_field: str = "",
    trigger_days: int = 0,
    trigger_threshold: float | None = None,
    owner_id: int | None = None,
    is_active: bool = True,
) -> Rule:
    """A rule (active unless said otherwise) running as `owner_id` (default: `by`)."""
    admin_require(by)
    rule = Rule(created_by=by, owner=by)
    _rule_apply(
        rule,
        {
            "name": name, "trigger": trigger, "trigger_field": trigger_field,
            "trigger_days": trigger_days, "trigger_threshold": trigger_threshold,
            "owner_id": owner_id or by.pk,
            "conditions": conditions or {}, "actions": actions, "is_active": is_active,
        },
        by=by,
    )  # fmt: skip
    rule.save()
    active_forget()
    return rule


@transaction.atomic
def rule_update(*, by: User, rule_id: int, version: int | None = None, **changes: Any) -> Rule:
    """Change the named fields; turning a paused rule on again clears its failures."""
    admin_require(by)
    unknown_fields_check(changes, RULE_FIELDS)
    rule = Rule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Not found."))
    if version is not None and version != rule.version:
        from kith.core.errors import StaleEdit

        raise StaleEdit(_("Someone changed this rule meanwhile; reload and try again."))
    if "trigger" in changes and "conditions" not in changes:
        changes["conditions"] = rule.conditions  # checked against the new trigger's record
    _rule_apply(rule, dict(changes), by=by)
    rule.version += 1
    rule.save()
    active_forget()
    return rule


def rule_delete(*, by: User, rule_id: int) -> None:
    """Remove a rule with its runs."""
    admin_require(by)
    if not Rule.objects.filter(pk=rule_id).delete()[0]:
        raise NotFound(_("Not found."))
    active_forget()


def rule_test(
    *, by: User, rule_id: int, record_id: int | None, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the rule would do for the record `record_id` (of its trigger's kind), step by step,
    without doing anything: {"conditions_met": bool, "steps": [{"action", "would" | "error"}]}.
    `payload` stands in for the event's payload (e.g. {"to_stage": 3})."""
    admin_require(by)
    rule = Rule.objects.select_related("owner").filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Not found."))
    model = trigger_model(rule.trigger) or ""
    record = record_load(model=model, pk=record_id, user=rule.owner) if model else None
    if model and record_id is not None and record is None:
        raise FieldError.one("record_id", _("The rule's owner cannot see a record with this id."))
    context = RunContext(
        rule=rule,
        record=record,
        record_model=model,
        payload=payload or {},
        event_id=None,
        now=timezone.now(),
    )
    met = conditions_met(rule.conditions, record=record, payload=context.payload, user=rule.owner)
    steps: list[dict[str, str]] = []
    for config in rule.actions:
        action = ACTIONS[config["type"]]
        try:
            steps.append({"action": config["type"], "would": action.describe(context, config)})
        except ActionFailed as error:
            steps.append({"action": config["type"], "error": str(error)})
    return {"conditions_met": met, "steps": steps}
