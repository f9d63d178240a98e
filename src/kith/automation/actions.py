"""Rule actions: each checks its settings when the rule is saved, describes what it would do
(a test run) and does it through the owning app's service, as the rule's owner, so the
permission gate applies to a rule exactly as to its owner clicking the same buttons.

    [{"type": "create_task", "title": "Call {{ full_name }}", "due_in_days": 2,
      "assignee": "record_owner"},
     {"type": "wait", "days": 3},
     {"type": "send_email", "subject": "Welcome", "body": "Hello {{ contact.first_name }}"}]

Assignees and recipients are "record_owner", "rule_owner" or a user id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from kith.automation.models import Delivery, Rule, Subscription
from kith.automation.records import (
    RecordKind,
    merge,
    merge_values,
    record_contact_id,
    record_kind,
)
from kith.core.apps import RuleAction
from kith.core.doors import dotted_load, rule_actions
from kith.core.errors import FieldError
from kith.core.models import DomainEvent
from kith.customers.models import Contact
from kith.engagement import services as engagement
from kith.identity.models import Team, User
from kith.service import services as service
from kith.service.models import Priority

MAX_ACTIONS = 20


class ActionFailed(Exception):
    """An action could not be done; the message goes into the run's step log."""


@dataclass
class RunContext:
    rule: Rule
    record: Any  # the record the event is about (None: no record, or not visible to the owner)
    record_model: str
    payload: Mapping[str, Any]
    event_id: int | None
    now: dt.datetime
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def owner(self) -> User:
        return self.rule.owner

    @property
    def kind(self) -> RecordKind | None:
        return record_kind(self.record_model)

    def values(self) -> dict[str, str]:
        if "merge" not in self.extra:
            more: dict[str, Any] = {
                "rule.name": self.rule.name,
                "owner.first_name": self.owner.first_name,
                "owner.username": self.owner.username,
            }
            contact_id = record_contact_id(self.record)
            if contact_id is not None:
                contact = Contact.objects.filter(pk=contact_id).first()
                if contact is not None:
                    more |= {
                        "contact.first_name": contact.first_name,
                        "contact.last_name": contact.last_name,
                        "contact.full_name": contact.full_name,
                    }
            self.extra["merge"] = merge_values(self.record, more)
        return dict(self.extra["merge"])


def _text(config: Mapping[str, Any], key: str, errors: dict[str, str], *, limit: int) -> None:
    value = config.get(key)
    if not isinstance(value, str) or not value.strip():
        errors[key] = _("Write the %(what)s.") % {"what": key}
    elif len(value) > limit:
        errors[key] = _("Use at most %(n)s characters.") % {"n": limit}


def _person_check(config: Mapping[str, Any], key: str, errors: dict[str, str]) -> None:
    who = config.get(key, "record_owner")
    if who in ("record_owner", "rule_owner"):
        return
    if not isinstance(who, int) or not User.objects.filter(pk=who, is_active=True).exists():
        errors[key] = _("Choose the record's owner, the rule's owner or an active user.")


def _person(ctx: RunContext, who: Any) -> User:
    if who in (None, "", "record_owner"):
        owner_id = getattr(ctx.record, "owner_id", None)
        user = User.objects.filter(pk=owner_id, is_active=True).first() if owner_id else None
        return user or ctx.owner
    if who == "rule_owner":
        return ctx.owner
    user = User.objects.filter(pk=who, is_active=True).first()
    if user is None:
        raise ActionFailed(_("The chosen user is no longer active."))
    return user


def _need_record(ctx: RunContext) -> Any:
    if ctx.record is None:
        raise ActionFailed(_("There is no record (or the rule's owner may not see it)."))
    return ctx.record


def _need_update(ctx: RunContext) -> RecordKind:
    _need_record(ctx)
    kind = ctx.kind
    if kind is None or kind.update is None:
        raise ActionFailed(_("This kind of record cannot be changed by a rule."))
    return kind


def _need_contact(ctx: RunContext) -> int:
    contact_id = record_contact_id(ctx.record)
    if contact_id is None:
        raise ActionFailed(_("The record has no contact."))
    return contact_id


# --- create_task ------------------------------------------------------------------------------


def _task_check(config: Mapping[str, Any], errors: dict[str, str]) -> None:
    _text(config, "title", errors, limit=200)
    days = config.get("due_in_days", 0)
    if not isinstance(days, int) or not 0 <= days <= 3650:
        errors["due_in_days"] = _("Give a whole number of days from 0 to 3650.")
    _person_check(config, "assignee", errors)


def _task_describe(ctx: RunContext, config: Mapping[str, Any]) -> str:
    return _("Create the task “%(title)s” for %(user)s, due in %(days)s days.") % {
        "title": merge(config["title"], ctx.values()),
        "user": _person(ctx, config.get("assignee")).username,
        "days": config.get("due_in_days", 0),
    }


def _task_run(ctx: RunContext, config: Mapping[str, Any]) -> str:
    record = ctx.record
    contact_id = record_contact_id(record)
    is_contact = ctx.record_model == "customers.contact"
    task = engagement.task_create(
        by=ctx.owner,
        title=merge(config["title"], ctx.values())[:200],
        description=merge(config.get("description", ""), ctx.values()),
        due_at=ctx.now + dt.timedelta(days=int(config.get("due_in_days", 0))),
        assignee_id=_person(ctx, config.get("assignee")).pk,
        contact=contact_id,
        record_model="" if record is None or is_contact else ctx.record_model,
        record_id=None if record is None or is_contact else record.pk,
    )
    return _("Created task #%(id)s.") % {"id": task.pk}


# --- assign_owner -----------------------------------------------------------------------------


def _assign_check(config: Mapping[str, Any], errors: dict[str, str]) -> None:
    if config.get("team_id") is not None:
        if not Team.objects.filter(pk=config["team_id"]).exists():
            errors["team_id"] = _("Choose a team.")
    elif (
        not isinstance(config.get("user_id"), int)
        or not User.objects.filter(pk=config["user_id"], is_active=True).exists()
    ):
        errors["user_id"] = _("Choose a user, or a team to assign in turn.")


def _assignee(ctx: RunContext, config: Mapping[str, Any], *, take_turn: bool) -> User:
    if config.get("team_id") is None:
        return _person(ctx, config["user_id"])
    members = list(User.objects.filter(team_id=config["team_id"], is_active=True).order_by("id"))
    if not members:
        raise ActionFailed(_("The team has no active members."))
    position = Rule.objects.get(pk=ctx.rule.pk).round_robin_position
    if take_turn:
        Rule.objects.filter(pk=ctx.rule.pk).update(
            round_robin_position=F("round_robin_position") + 1
        )
    return members[position % len(members)]


def _assign_describe(ctx: RunContext, config: Mapping[str, Any]) -> str:
    return _("Make %(user)s the owner.") % {
        "user": _assignee(ctx, config, take_turn=False).username
    }


def _assign_run(ctx: RunContext, config: Mapping[str, Any]) -> str:
    kind = _need_update(ctx)
    user = _assignee(ctx, config, take_turn=True)
    assert kind.update is not None
    kind.update(by=ctx.owner, record=ctx.record, owner_id=user.pk)
    return _("%(user)s is the owner now.") % {"user": user.username}


# --- set_field, add_tag, remove_tag -----------------------------------------------------------


def _set_check(config: Mapping[str, Any], errors: dict[str, str]) -> None:
    name = config.get("field")
    if not isinstance(name, str) or not name:
        errors["field"] = _("Choose the field to set.")
    if "value" not in config:
        errors["value"] = _("Give the value to set.")


def _set_changes(ctx: RunContext, config: Mapping[str, Any]) -> dict[str, Any]:
    kind = _need_update(ctx)
    name, value = config["field"], config["value"]
    if isinstance(value, str):
        value = merge(value, ctx.values())
    if name.startswith("custom."):
        if not hasattr(ctx.record, "custom"):
            raise ActionFailed(_("This kind of record has no custom fields."))
        return {"custom": {**(ctx.record.custom or {}), name[7:]: value}}
    if name not in kind.fields:
        raise ActionFailed(
            _("A rule cannot set “%(field)s” here; it can set %(fields)s or custom fields.")
            % {"field": name, "fields": ", ".join(sorted(kind.fields))}
        )
    return {name: value}


def _set_describe(ctx: RunContext, config: Mapping[str, Any]) -> str:
    changes = _set_changes(ctx, config)
    return _("Set %(field)s to “%(value)s”.") % {
        "field": config["field"],
        "value": changes.get(config["field"], config["value"]),
    }


def _set_run(ctx: RunContext, config: Mapping[str, Any]) -> str:
    kind = _need_update(ctx)
    assert kind.update is not None
    kind.update(by=ctx.owner, record=ctx.record, **_set_changes(ctx, config))
    return _("%(field)s set.") % {"field": config["field"]}


def _tag_check(config: Mapping[str, Any], errors: dict[str, str]) -> None:
    _text(config, "tag", errors, limit=64)


def _tags(ctx: RunContext, config: Mapping[str, Any], *, add: bool) -> list[str]:
    kind = _need_update(ctx)
    if not kind.has_tags:
        raise ActionFailed(_("This kind of record has no tags."))
    names = {tag.name for tag in ctx.record.tags.all()}
    tag = config["tag"].strip()
    return sorted(names | {tag}) if add else sorted(names - {tag})


def _tag_describe(add: bool) -> Callable[[RunContext, Mapping[str, Any]], str]:
    def describe(ctx: RunContext, config: Mapping[str, Any]) -> str:
        _tags(ctx, config, add=add)
        template = _("Add the tag “%(tag)s”.") if add else _("Remove the tag “%(tag)s”.")
        return template % {"tag": config["tag"]}

    return describe


def _tag_run(add: bool) -> Callable[[RunContext, Mapping[str, Any]], str]:
    def run(ctx: RunContext, config: Mapping[str, Any]) -> str:
        kind = _need_update(ctx)
        assert kind.update is not None
        kind.update(by=ctx.owner, record=ctx.record, tags=_tags(ctx, config, add=add))
        template = _("Tag “%(tag)s” added.") if add else _("Tag “%(tag)s” removed.")
        return template % {"tag": config["tag"]}

    return run


# --- send_email, create_ticket, notify_user ---------------------------------------------------


def _email_check(config: Mapping[str, Any], errors: dict[str, str]) -> None:
    _text(config, "subject", errors, limit=200)
    _text(config, "body", errors, limit=20000)


def _email_describe(ctx: RunContext, config: Mapping[str, Any]) -> str:
    _need_contact(ctx)
    return _("Email the contact “%(subject)s”: %(body)s") % {
        "subject": merge(config["subject"], ctx.values()),
        "body": merge(config["body"], ctx.values())[:200],
    }


def _email_run(ctx: RunContext, config: Mapping[str, Any]) -> str:
    interaction = engagement.email_send(
        by=ctx.owner,
        contact=_need_contact(ctx),
        subject=merge(config["subject"], ctx.values()),
        body=merge(config["body"], ctx.values()),
    )
    return _("Email sent (interaction #%(id)s).") % {"id": interaction.pk}


def _ticket_check(config: Mapping[str, Any], errors: dict[str, str]) -> None:
    _text(config, "subject", errors, limit=200)
    if config.get("priority", Priority.NORMAL) not in Priority.values:
        errors["priority"] = _("Choose a priority.")


def _ticket_describe(ctx: RunContext, config: Mapping[str, Any]) -> str:
    return _("Open the ticket “%(subject)s” (%(priority)s).") % {
        "subject": merge(config["subject"], ctx.values()),
        "priority": config.get("priority", Priority.NORMAL),
    }


def _ticket_run(ctx: RunContext, config: Mapping[str, Any]) -> str:
    ticket = service.ticket_create(
        by=ctx.owner,
        subject=merge(config["subject"], ctx.values())[:200],
        description=merge(config.get("description", ""), ctx.values()),
        contact_id=record_contact_id(ctx.record),
        priority=config.get("priority", Priority.NORMAL),
        channel="api",
        now=ctx.now,
    )
    return _("Opened ticket #%(id)s.") % {"id": ticket.pk}


def _notify_check(config: Mapping[str, Any], errors: dict[str, str]) -> None:
    _text(config, "text", errors, limit=300)
    _person_check(config, "user", errors)


def _notify_describe(ctx: RunContext, config: Mapping[str, Any]) -> str:
    return _("Notify %(user)s: %(text)s") % {
        "user": _person(ctx, config.get("user")).username,
        "text": merge(config["text"], ctx.values()),
    }


def _notify_run(ctx: RunContext, config: Mapping[str, Any]) -> str:
    recipient = _person(ctx, config.get("user"))
    engagement.notification_create(
        recipient=recipient,
        kind="automation",
        text=merge(config["text"], ctx.values())[:300],
        actor=ctx.owner,
        record_model=ctx.record_model if ctx.record is not None else "",
        record_id=ctx.record.pk if ctx.record is not None else None,
    )
    return _("Notified %(user)s.") % {"user": recipient.username}


# --- call_webhook -----------------------------------------------------------------------------


def _webhook_check(config: Mapping[str, Any], errors: dict[str, str]) -> None:
    if not Subscription.objects.filter(pk=config.get("subscription_id") or 0).exists():
        errors["subscription_id"] = _("Choose a webhook subscription.")


def _webhook_describe(ctx: RunContext, config: Mapping[str, Any]) -> str:
    subscription = Subscription.objects.filter(pk=config["subscription_id"]).first()
    return _("Send the event to the webhook “%(name)s”.") % {
        "name": subscription.name if subscription else "?"
    }


def _webhook_run(ctx: RunContext, config: Mapping[str, Any]) -> str:
    from kith.automation.services.deliveries import RETRY_WINDOW, event_body, record_key

    event = DomainEvent.objects.filter(pk=ctx.event_id).first() if ctx.event_id else None
    if event is None:
        raise ActionFailed(_("A webhook needs the event, and this run has none (any more)."))
    subscription = Subscription.objects.filter(pk=config["subscription_id"]).first()
    if subscription is None:
        raise ActionFailed(_("The webhook subscription was removed."))
    Delivery.objects.get_or_create(
        event_id=event.id,
        subscription=subscription,
        defaults={
            "event_name": event.name,
            "record_key": record_key(event),
            "body": event_body(event),
            "next_attempt_at": ctx.now,
            "deadline_at": ctx.now + RETRY_WINDOW,
        },
    )
    return _("Queued for the webhook “%(name)s”.") % {"name": subscription.name}


# --- wait -------------------------------------------------------------------------------------

WAIT_UNITS = ("minutes", "hours", "days")


def _wait_check(config: Mapping[str, Any], errors: dict[str, str]) -> None:
    units = [unit for unit in WAIT_UNITS if unit in config]
    if "until" in config:
        if not isinstance(config["until"], str) or parse_date(config["until"]) is None:
            errors["until"] = _("Give the date as YYYY-MM-DD.")
    elif "until_field" in config:
        if not isinstance(config["until_field"], str) or not config["until_field"]:
            errors["until_field"] = _("Choose a date field.")
    elif not units or any(
        not isinstance(config[unit], int) or not 0 <= config[unit] <= 100000 for unit in units
    ):
        errors["days"] = _("Wait a whole number of minutes, hours or days, or until a date.")


def wait_until(ctx: RunContext, config: Mapping[str, Any], *, since: dt.datetime) -> dt.datetime:
    """When a wait step started at `since` ends."""
    day: dt.date | None = None
    if "until" in config:
        day = parse_date(config["until"])
    elif "until_field" in config:
        from kith.automation.conditions import field_value

        raw = field_value(ctx.record, config["until_field"], ctx.payload)
        if isinstance(raw, dt.datetime):
            return raw
        day = raw if isinstance(raw, dt.date) else parse_date(str(raw or ""))
        if day is None:
            raise ActionFailed(
                _("“%(field)s” holds no date to wait for.") % {"field": config["until_field"]}
            )
    if day is not None:
        return dt.datetime.combine(day, dt.time(9, 0), tzinfo=timezone.get_current_timezone())
    return since + dt.timedelta(**{unit: int(config.get(unit, 0)) for unit in WAIT_UNITS})


def _wait_describe(ctx: RunContext, config: Mapping[str, Any]) -> str:
    return _("Wait until %(moment)s, then go on.") % {
        "moment": wait_until(ctx, config, since=ctx.now).isoformat(timespec="minutes")
    }


# --- the registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    label: Any
    check: Callable[[Mapping[str, Any], dict[str, str]], None]
    describe: Callable[[RunContext, Mapping[str, Any]], str]
    run: Callable[[RunContext, Mapping[str, Any]], str] | None  # None: the wait step


ACTIONS: dict[str, Action] = {
    "create_task": Action(_("Create a task"), _task_check, _task_describe, _task_run),
    "assign_owner": Action(_("Assign an owner"), _assign_check, _assign_describe, _assign_run),
    "set_field": Action(_("Set a field"), _set_check, _set_describe, _set_run),
    "add_tag": Action(_("Add a tag"), _tag_check, _tag_describe(True), _tag_run(True)),
    "remove_tag": Action(_("Remove a tag"), _tag_check, _tag_describe(False), _tag_run(False)),
    "send_email": Action(_("Send an email"), _email_check, _email_describe, _email_run),
    "create_ticket": Action(_("Create a ticket"), _ticket_check, _ticket_describe, _ticket_run),
    "notify_user": Action(_("Notify a user"), _notify_check, _notify_describe, _notify_run),
    "call_webhook": Action(_("Call a webhook"), _webhook_check, _webhook_describe, _webhook_run),
    "wait": Action(_("Wait"), _wait_check, _wait_describe, None),
}


# --- actions other apps of the layer provide (kith.core.doors.rule_actions) -------------------


def provided_action(door: RuleAction) -> Action:
    """The Action for a door's RuleAction: its target is an id among `choices` of the rule's
    owner; it acts on the contact the record is about."""

    def check(config: Mapping[str, Any], errors: dict[str, str]) -> None:
        target = config.get("target")
        if not isinstance(target, int) or isinstance(target, bool) or target <= 0:
            errors["target"] = _("Choose where to add the contact.")

    def label(ctx: RunContext, target: int) -> str:
        choices = dict(dotted_load(door.choices)(by=ctx.owner))
        return str(choices.get(target, f"#{target}"))

    def describe(ctx: RunContext, config: Mapping[str, Any]) -> str:
        return _("%(action)s: “%(target)s”.") % {
            "action": door.label,
            "target": label(ctx, config["target"]),
        }

    def run(ctx: RunContext, config: Mapping[str, Any]) -> str:
        result = dotted_load(door.run)(
            by=ctx.owner, contact_id=_need_contact(ctx), target=config["target"]
        )
        return str(result)

    return Action(door.label, check, describe, run)


def provided_actions_add() -> None:
    """Offer the actions other apps provide (called in AutomationConfig.ready())."""
    for key, door in rule_actions().items():
        ACTIONS.setdefault(key, provided_action(door))


def actions_check(actions: Any) -> list[dict[str, Any]]:
    """The actions, checked; FieldError {"actions": "step 2: …"} naming the first bad step."""
    if not isinstance(actions, list) or not actions:
        raise FieldError.one("actions", _("Add at least one action."))
    if len(actions) > MAX_ACTIONS:
        raise FieldError.one("actions", _("At most %(n)s actions.") % {"n": MAX_ACTIONS})
    for number, config in enumerate(actions, start=1):
        if not isinstance(config, dict) or config.get("type") not in ACTIONS:
            raise FieldError.one(
                "actions",
                _("Step %(n)s: choose one of %(types)s.")
                % {"n": number, "types": ", ".join(ACTIONS)},
            )
        errors: dict[str, str] = {}
        ACTIONS[config["type"]].check(config, errors)
        if errors:
            detail = "; ".join(f"{key}: {message}" for key, message in errors.items())
            raise FieldError.one(
                "actions", _("Step %(n)s: %(detail)s") % {"n": number, "detail": detail}
            )
    return [dict(config) for config in actions]
