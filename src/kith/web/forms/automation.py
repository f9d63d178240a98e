"""Forms of the automation pages: the rule builder (fixed rows of conditions and actions that
become the rule's JSON, so no one writes code), subscriptions and inbound sources."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kith.automation.actions import ACTIONS
from kith.automation.conditions import OPERATORS
from kith.automation.triggers import trigger_choices
from kith.service.models import Priority
from kith.web.forms.base import ServiceForm

CONDITION_ROWS = 6
GROUPS = ("1", "2")  # nested groups a condition row may belong to
MATCHES = [("all", _("All of these are true")), ("any", _("Any of these is true"))]
ACTION_ROWS = 6

OPERATOR_LABELS = {
    "eq": _("is"),
    "ne": _("is not"),
    "gt": _("is more than"),
    "gte": _("is at least"),
    "lt": _("is less than"),
    "lte": _("is at most"),
    "contains": _("contains"),
    "not_contains": _("does not contain"),
    "in": _("is one of (comma-separated)"),
    "is_empty": _("is empty"),
    "is_not_empty": _("is not empty"),
}


class RuleForm(ServiceForm):
    """A rule: trigger, one group of conditions (all or any), and up to ACTION_ROWS actions."""

    name = forms.CharField(label=_("Name"), max_length=120)
    trigger = forms.ChoiceField(label=_("When"))
    trigger_field = forms.CharField(
        label=_("Field"),
        required=False,
        max_length=64,
        help_text=_(
            "Updates: fire only when this field changed. Dates: the date field, e.g. custom.birthday."
        ),
    )
    trigger_days = forms.IntegerField(
        label=_("Days"), min_value=0, max_value=3650, initial=0, required=False
    )
    trigger_threshold = forms.FloatField(
        label=_("Threshold"),
        required=False,
        help_text=_(
            "Score crossings: the value the score (the field above, e.g. churn_risk) crosses."
        ),
    )
    owner_id = forms.TypedChoiceField(label=_("Runs as"), coerce=int)
    match = forms.ChoiceField(label=_("Conditions"), choices=MATCHES)
    group1_match = forms.ChoiceField(label=_("Group 1"), choices=MATCHES, required=False)
    group2_match = forms.ChoiceField(label=_("Group 2"), choices=MATCHES, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, users: list[Any], teams: list[Any], subscriptions: list[Any],
                 targets: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["trigger"].choices = [(k, str(v)) for k, v in trigger_choices()]
        user_choices = [(u.pk, u.get_full_name() or u.username) for u in users]
        self.fields["owner_id"].choices = user_choices
        person = [("record_owner", _("The record's owner")), ("rule_owner", _("The rule's owner"))]
        person += [(str(pk), name) for pk, name in user_choices]
        operators = [(op, OPERATOR_LABELS.get(op, op)) for op in OPERATORS]
        actions = [("", "—")] + [(key, action.label) for key, action in ACTIONS.items()]
        for row in range(CONDITION_ROWS):
            self.fields[f"c{row}_field"] = forms.CharField(
                label=_("Field"), required=False, max_length=64
            )
            self.fields[f"c{row}_op"] = forms.ChoiceField(
                label=_("Comparison"), choices=operators, required=False
            )
            self.fields[f"c{row}_value"] = forms.CharField(
                label=_("Value"), required=False, max_length=200
            )
            self.fields[f"c{row}_group"] = forms.ChoiceField(
                label=_("Group"),
                choices=[("", "—")] + [(g, _("Group %(n)s") % {"n": g}) for g in GROUPS],
                required=False,
            )
        for row in range(ACTION_ROWS):
            self.fields[f"a{row}_type"] = forms.ChoiceField(
                label=_("Action"), choices=actions, required=False
            )
            self.fields[f"a{row}_text"] = forms.CharField(
                label=_("Title, subject, tag, field or text"), required=False, max_length=300
            )
            self.fields[f"a{row}_body"] = forms.CharField(
                label=_("Body, value or description"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"a{row}_days"] = forms.IntegerField(
                label=_("Days"), required=False, min_value=0
            )
            self.fields[f"a{row}_hours"] = forms.IntegerField(
                label=_("Hours"), required=False, min_value=0
            )
            self.fields[f"a{row}_user"] = forms.ChoiceField(
                label=_("User"), choices=person, required=False
            )
            self.fields[f"a{row}_team"] = forms.ChoiceField(
                label=_("Team (in turn)"),
                choices=[("", "—")] + [(str(t.pk), t.name) for t in teams],
                required=False,
            )
            self.fields[f"a{row}_subscription"] = forms.ChoiceField(
                label=_("Webhook"),
                choices=[("", "—")] + [(str(s.pk), s.name) for s in subscriptions],
                required=False,
            )
            self.fields[f"a{row}_priority"] = forms.ChoiceField(
                label=_("Priority"), choices=Priority.choices, required=False
            )
            self.fields[f"a{row}_target"] = forms.ChoiceField(
                label=_("List or campaign"), choices=[("", "—"), *(targets or [])], required=False
            )

    def condition_rows(self) -> list[list[Any]]:
        return [
            [self[f"c{row}_{name}"] for name in ("group", "field", "op", "value")]
            for row in range(CONDITION_ROWS)
        ]

    def action_rows(self) -> list[list[Any]]:
        names = (
            "type",
            "text",
            "body",
            "days",
            "hours",
            "user",
            "team",
            "subscription",
            "priority",
            "target",
        )
        return [[self[f"a{row}_{name}"] for name in names] for row in range(ACTION_ROWS)]

    def _conditions(self) -> dict[str, Any]:
        """The rows as {"all"|"any": [comparison…, {"all"|"any": [the group's rows]}…]}."""
        data = self.cleaned_data
        items: list[dict[str, Any]] = []
        groups: dict[str, list[dict[str, Any]]] = {g: [] for g in GROUPS}
        for row in range(CONDITION_ROWS):
            field = (data.get(f"c{row}_field") or "").strip()
            if not field:
                continue
            op = data.get(f"c{row}_op") or "eq"
            value: Any = data.get(f"c{row}_value") or ""
            if op == "in":
                value = [part.strip() for part in value.split(",") if part.strip()]
            group = data.get(f"c{row}_group") or ""
            groups.get(group, items).append({"field": field, "op": op, "value": value})
        for group, rows in groups.items():
            if rows:
                items.append({data.get(f"group{group}_match") or "all": rows})
        return {data.get("match") or "all": items} if items else {}

    def _action(self, row: int) -> dict[str, Any] | None:
        data = self.cleaned_data
        kind = data.get(f"a{row}_type")
        if not kind:
            return None
        text, body = data.get(f"a{row}_text") or "", data.get(f"a{row}_body") or ""
        days, hours = data.get(f"a{row}_days"), data.get(f"a{row}_hours")
        user = data.get(f"a{row}_user") or "record_owner"
        person: Any = int(user) if user.isdigit() else user
        team, subscription = data.get(f"a{row}_team"), data.get(f"a{row}_subscription")
        if kind == "create_task":
            return {"type": kind, "title": text, "description": body, "due_in_days": days or 0,
                    "assignee": person}  # fmt: skip
        if kind == "assign_owner":
            if team:
                return {"type": kind, "team_id": int(team)}
            return {"type": kind, "user_id": person if isinstance(person, int) else None}
        if kind == "set_field":
            return {"type": kind, "field": text, "value": body}
        if kind in ("add_tag", "remove_tag"):
            return {"type": kind, "tag": text}
        if kind == "send_email":
            return {"type": kind, "subject": text, "body": body}
        if kind == "create_ticket":
            return {"type": kind, "subject": text, "description": body,
                    "priority": data.get(f"a{row}_priority") or Priority.NORMAL}  # fmt: skip
        if kind == "notify_user":
            return {"type": kind, "text": text, "user": person}
        target = data.get(f"a{row}_target") or ""
        if target.startswith(f"{kind}:"):  # an action another app provides
            number = target.split(":", 1)[1]
            return {"type": kind, "target": int(number) if number.isdigit() else None}
        if kind == "call_webhook":
            return {"type": kind, "subscription_id": int(subscription) if subscription else None}
        if text:  # a wait until a date (YYYY-MM-DD) or a date field (custom.renewal)
            return {"type": kind, ("until" if text[:1].isdigit() else "until_field"): text}
        return {"type": kind, "days": days or 0, "hours": hours or 0}

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        actions = [a for a in (self._action(row) for row in range(ACTION_ROWS)) if a]
        return {
            "name": data["name"],
            "trigger": data["trigger"],
            "trigger_field": data.get("trigger_field") or "",
            "trigger_days": data.get("trigger_days") or 0,
            "trigger_threshold": data.get("trigger_threshold"),
            "owner_id": data["owner_id"],
            "conditions": self._conditions(),
            "actions": actions,
            "is_active": bool(data.get("is_active")),
        }


def rule_initial(rule: Any) -> dict[str, Any]:
    """The builder's rows for a saved rule: the top group's comparisons, and its nested groups
    as Group 1 and Group 2 (comparisons nested deeper than that are not shown in the rows)."""
    initial: dict[str, Any] = {
        "name": rule.name, "trigger": rule.trigger, "trigger_field": rule.trigger_field,
        "trigger_days": rule.trigger_days, "owner_id": rule.owner_id,
        "trigger_threshold": rule.trigger_threshold,
        "is_active": rule.is_active, "version": rule.version,
    }  # fmt: skip
    group = "any" if "any" in (rule.conditions or {}) else "all"
    initial["match"] = group
    rows: list[tuple[str, dict[str, Any]]] = []
    nested = iter(GROUPS)
    for item in (rule.conditions or {}).get(group, []):
        if "field" in item:
            rows.append(("", item))
            continue
        number = next(nested, None)
        inner = "any" if "any" in item else "all"
        if number is None:
            continue
        initial[f"group{number}_match"] = inner
        rows += [(number, leaf) for leaf in item.get(inner, []) if "field" in leaf]
    for row, (number, item) in enumerate(rows[:CONDITION_ROWS]):
        value = item.get("value", "")
        initial[f"c{row}_group"] = number
        initial[f"c{row}_field"] = item["field"]
        initial[f"c{row}_op"] = item.get("op", "eq")
        initial[f"c{row}_value"] = ", ".join(map(str, value)) if isinstance(value, list) else value
    for row, action in enumerate(rule.actions[:ACTION_ROWS]):
        initial[f"a{row}_type"] = action["type"]
        initial[f"a{row}_text"] = next(
            (action[k] for k in ("title", "subject", "tag", "field", "text", "until", "until_field")
             if k in action), "",
        )  # fmt: skip
        initial[f"a{row}_body"] = next(
            (str(action[k]) for k in ("body", "value", "description") if k in action), ""
        )
        initial[f"a{row}_days"] = action.get("due_in_days", action.get("days"))
        initial[f"a{row}_hours"] = action.get("hours")
        person = action.get("assignee", action.get("user", action.get("user_id", "")))
        initial[f"a{row}_user"] = str(person or "")
        initial[f"a{row}_team"] = str(action.get("team_id") or "")
        initial[f"a{row}_subscription"] = str(action.get("subscription_id") or "")
        initial[f"a{row}_priority"] = action.get("priority", "")
        if "target" in action:
            initial[f"a{row}_target"] = f"{action['type']}:{action['target']}"
    return initial


class SubscriptionForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    url = forms.CharField(label=_("URL"), max_length=500)
    events = forms.CharField(
        label=_("Event types"),
        initial="*",
        help_text=_(
            "Comma-separated event names (deal.won, ticket.created…), or * for every event."
        ),
    )

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class InboundSourceForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    target = forms.ChoiceField(
        label=_("Creates"),
        choices=[("lead", _("Lead")), ("interaction", _("Interaction")), ("ticket", _("Ticket"))],
    )
    mapping = forms.CharField(
        label=_("Field mapping (JSON)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        initial='{"full_name": "customer.name", "email": "customer.email"}',
        help_text=_("Each field of the record → the dotted path of its value in the body."),
    )

    def clean_mapping(self) -> Any:
        try:
            return json.loads(self.cleaned_data["mapping"])
        except ValueError as error:
            raise forms.ValidationError(
                _("Not valid JSON: %(error)s") % {"error": error}
            ) from error

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
