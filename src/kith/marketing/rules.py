"""Segment rules: a JSON tree of and/or groups and conditions, compiled to ONE Q over contacts.

    {"match": "all" | "any", "rules": [<condition or group>, ...]}
    {"field": "lifecycle_stage", "op": "eq", "value": "customer"}
    {"field": "custom.plan", "op": "in", "value": ["gold", "silver"]}
    {"field": "consent", "op": "granted", "channel": "email", "purpose": "marketing"}
    {"field": "last_purchase_days", "op": "lte", "value": 90}

Every related table (orders summary, tickets, scores, consents, addresses, tags) is reached with
a correlated EXISTS or a scalar subquery on the contact id, so the whole tree is one SQL
statement and each subquery uses the index that starts with the contact. A score condition
("clv", "churn_risk", …) matches only scored contacts: a contact with no purchase has no CLV,
so it is neither above nor below a threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.errors import FieldError
from kith.core.models import Tag
from kith.customers.models import Address, Consent, Contact
from kith.insights.models import CustomerScore
from kith.loyalty.selectors import POINTS_EXPIRING_LABEL, points_expiring_expression
from kith.marketing.models import ContactPreference, SegmentMember
from kith.sales.models import PurchaseSummary
from kith.service.models import ContactCsat, Ticket

MAX_DEPTH = 5
MAX_CONDITIONS = 50
NUMBER_OPS = ("eq", "ne", "gt", "gte", "lt", "lte")
TEXT_OPS = ("eq", "ne", "in", "not_in", "contains", "is_set", "is_not_set")
CHOICE_OPS = ("eq", "ne", "in", "not_in")
# Countries whose contacts get mail in a language when they chose none (preference centre).
LANGUAGE_COUNTRIES = {"zh-hans": ("CN", "SG", "TW", "HK", "MO"), "vi": ("VN",)}


@dataclass(frozen=True)
class RuleField:
    """A field a condition can test: its label, kind and the ops it allows."""

    label: Any
    kind: str  # "text", "choice", "number", "tag", "consent", "segment"
    ops: tuple[str, ...]
    choices: tuple[str, ...] = ()


def _scored(label: Any) -> RuleField:
    return RuleField(label, "number", NUMBER_OPS)


FIELDS: dict[str, RuleField] = {
    "full_name": RuleField(gettext_lazy("name"), "text", TEXT_OPS),
    "title": RuleField(gettext_lazy("job title"), "text", TEXT_OPS),
    "lifecycle_stage": RuleField(
        gettext_lazy("lifecycle stage"), "choice", CHOICE_OPS, tuple(Contact.Stage.values)
    ),
    "source_channel": RuleField(
        gettext_lazy("source channel"), "choice", CHOICE_OPS, tuple(Contact.Channel.values)
    ),
    "company.name": RuleField(gettext_lazy("company"), "text", TEXT_OPS),
    "company.industry": RuleField(gettext_lazy("industry"), "text", TEXT_OPS),
    "company.size": RuleField(gettext_lazy("company size"), "text", TEXT_OPS),
    "country": RuleField(gettext_lazy("country"), "text", ("eq", "ne", "in", "not_in")),
    "language": RuleField(
        gettext_lazy("language"), "choice", ("eq", "ne"), ("en", "zh-hans", "vi")
    ),
    "tag": RuleField(gettext_lazy("tag"), "tag", ("has", "has_not")),
    "consent": RuleField(gettext_lazy("consent"), "consent", ("granted", "not_granted")),
    "segment": RuleField(gettext_lazy("segment"), "segment", ("in", "not_in")),
    "created_days": RuleField(gettext_lazy("days since created"), "number", NUMBER_OPS),
    "order_count": RuleField(gettext_lazy("orders"), "number", NUMBER_OPS),
    "order_total": RuleField(gettext_lazy("total spent (major units)"), "number", NUMBER_OPS),
    "last_purchase_days": RuleField(
        gettext_lazy("days since last purchase"), "number", ("lte", "gt")
    ),
    "ticket_count": RuleField(gettext_lazy("tickets"), "number", NUMBER_OPS),
    "open_ticket_count": RuleField(gettext_lazy("open tickets"), "number", NUMBER_OPS),
    "csat_latest": RuleField(gettext_lazy("latest CSAT score"), "number", NUMBER_OPS),
    "rfm_segment": RuleField(gettext_lazy("RFM segment"), "text", ("eq", "ne", "in", "not_in")),
    "clv": _scored(gettext_lazy("customer lifetime value")),
    "p_alive": _scored(gettext_lazy("probability still active")),
    "churn_risk": _scored(gettext_lazy("churn risk")),
    "recency_days": _scored(gettext_lazy("days since last purchase (scored)")),
    "frequency": _scored(gettext_lazy("purchases (scored)")),
    "monetary": _scored(gettext_lazy("total spent (scored)")),
    # loyalty: with churn_risk, the "points about to expire × high churn risk" audience
    "points_expiring": RuleField(POINTS_EXPIRING_LABEL, "number", NUMBER_OPS),
}
SCORE_COLUMNS = {"clv", "p_alive", "churn_risk", "recency_days", "frequency", "monetary"}
COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": Exact,
    "gt": GreaterThan,
    "gte": GreaterThanOrEqual,
    "lt": LessThan,
    "lte": LessThanOrEqual,
}
LOOKUP = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}


def _bad(where: str, message: str) -> FieldError:
    return FieldError.one(f"rules{where}", message)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            return float(str(value).strip())
        except ValueError:
            raise _bad(where, _("Enter a number.")) from None
    return float(value)


def _texts(value: Any, where: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str | int | float) for v in values):
        raise _bad(where, _("Enter a value or a list of values."))
    return [str(v).strip() for v in values][:500]


def _compare_value(expr: Any, op: str, number: float) -> Q:
    if op == "ne":
        return ~Q(Exact(expr, number))
    return Q(COMPARE[op](expr, number))


def _exists_score(column: str, op: str, number: float) -> Q:
    scores = CustomerScore.objects.filter(contact=OuterRef("pk"), **{f"{column}__isnull": False})
    if op == "ne":
        return Q(Exists(scores.exclude(**{column: number})))
    return Q(Exists(scores.filter(**{f"{column}__{LOOKUP[op]}": number})))


def _sum_subquery(queryset: Any, column: str) -> Any:
    total = (
        queryset.filter(contact=OuterRef("pk"))
        .order_by()
        .values("contact")
        .annotate(n=Sum(column))
        .values("n")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def _consent_granted(channel: str, purpose: str) -> Q:
    """The newest consent row of (channel, purpose) says granted."""
    newer = Consent.objects.filter(
        contact=OuterRef("contact"), channel=channel, purpose=purpose
    ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id")))
    granted = Consent.objects.filter(
        contact=OuterRef("pk"), channel=channel, purpose=purpose, status="granted"
    ).filter(~Exists(newer))
    return Q(Exists(granted))


def consent_granted_q(*, channel: str, purpose: str) -> Q:
    """Contacts whose consent in force for (channel, purpose) is granted."""
    return _consent_granted(channel, purpose)


def _language_q(language: str) -> Q:
    chosen = ContactPreference.objects.filter(contact=OuterRef("pk")).exclude(language="")
    if language == "en":
        auto = Q()
        for other in LANGUAGE_COUNTRIES.values():
            auto &= ~Q(Exists(Address.objects.filter(contact=OuterRef("pk"), country__in=other)))
    else:
        auto = Q(
            Exists(
                Address.objects.filter(
                    contact=OuterRef("pk"), country__in=LANGUAGE_COUNTRIES[language]
                )
            )
        )
    return Q(Exists(chosen.filter(language=language))) | (~Q(Exists(chosen)) & auto)


def _text_q(path: str, op: str, value: Any, where: str) -> Q:
    if op == "is_set":
        return Q(**{f"{path}__gt": ""})
    if op == "is_not_set":
        return Q(**{f"{path}__isnull": True}) | Q(**{path: ""})
    values = _texts(value, where)
    if op == "contains":
        return Q(**{f"{path}__icontains": values[0]})
    if op in ("eq", "in"):
        return Q(**{f"{path}__in": values}) if len(values) > 1 else Q(**{path: values[0]})
    return ~Q(**{f"{path}__in": values}) | Q(**{f"{path}__isnull": True})


def _condition(node: dict[str, Any], where: str, now: Any) -> Q:
    name = node.get("field")
    if name not in FIELDS and not (isinstance(name, str) and name.startswith("custom.")):
        raise _bad(where, _("Unknown field: %(field)s.") % {"field": name})
    op = node.get("op")
    value = node.get("value")
    if isinstance(name, str) and name.startswith("custom."):
        key = name.removeprefix("custom.")
        if not key.replace("_", "").replace("-", "").isalnum():
            raise _bad(where, _("Unknown field: %(field)s.") % {"field": name})
        path = f"custom__{key}"
        if op in NUMBER_OPS[2:]:
            return Q(**{f"{path}__{LOOKUP[op]}": _number(value, where)})
        if op not in TEXT_OPS:
            raise _bad(where, _("Unknown operator: %(op)s.") % {"op": op})
        if op in ("is_set", "is_not_set"):
            has = Q(**{f"{path}__isnull": False}) & ~Q(**{path: ""})
            return has if op == "is_set" else ~has
        return _text_q(path, op, value, where)
    field = FIELDS[name]
    if op not in field.ops:
        raise _bad(where, _("Unknown operator: %(op)s.") % {"op": op})
    if field.kind == "choice":
        values = _texts(value, where)
        if field.choices and any(v not in field.choices for v in values):
            raise _bad(
                where, _("Choose one of: %(choices)s.") % {"choices": ", ".join(field.choices)}
            )
        if name == "language":
            q = _language_q(values[0])
            return q if op == "eq" else ~q
        return _text_q(name, op, values, where)
    if field.kind == "text":
        if name == "country":
            countries = [v.upper() for v in _texts(value, where)]
            q = Q(Exists(Address.objects.filter(contact=OuterRef("pk"), country__in=countries)))
            return q if op in ("eq", "in") else ~q
        if name == "rfm_segment":
            segments = _texts(value, where)
            q = Q(
                Exists(CustomerScore.objects.filter(contact=OuterRef("pk"), segment__in=segments))
            )
            return q if op in ("eq", "in") else ~q
        return _text_q(name.replace(".", "__"), op, value, where)
    if field.kind == "tag":
        names = _texts(value, where)
        tagged = Contact.tags.through.objects.filter(
            contact_id=OuterRef("pk"), tag__in=Tag.objects.filter(name__in=names)
        )
        return Q(Exists(tagged)) if op == "has" else ~Q(Exists(tagged))
    if field.kind == "consent":
        channel, purpose = node.get("channel"), node.get("purpose", "marketing")
        if channel not in Consent.Channel.values:
            raise _bad(f"{where}.channel", _("Choose a channel."))
        if purpose not in Consent.Purpose.values:
            raise _bad(f"{where}.purpose", _("Choose a purpose."))
        q = _consent_granted(channel, purpose)
        return q if op == "granted" else ~q
    if field.kind == "segment":
        try:
            ids = [int(v) for v in (value if isinstance(value, list) else [value])]
        except (TypeError, ValueError):
            raise _bad(where, _("Choose a segment.")) from None
        q = Q(Exists(SegmentMember.objects.filter(contact=OuterRef("pk"), segment_id__in=ids)))
        return q if op == "in" else ~q
    number = _number(value, where)
    if name in SCORE_COLUMNS:
        return _exists_score(name, op, number)
    if name == "created_days":
        # "created more than N days ago" is created_at < now - N days: flip the comparison.
        flipped = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte", "eq": "eq", "ne": "ne"}[op]
        cutoff = now - timedelta(days=number)
        return _compare_value(F("created_at"), flipped, cutoff)
    if name == "last_purchase_days":
        recent = PurchaseSummary.objects.filter(
            contact=OuterRef("pk"), last_at__gte=now - timedelta(days=number)
        )
        return Q(Exists(recent)) if op == "lte" else ~Q(Exists(recent))
    if name == "points_expiring":
        return _compare_value(points_expiring_expression(now=now), op, number)
    if name == "order_count":
        return _compare_value(_sum_subquery(PurchaseSummary.objects, "order_count"), op, number)
    if name == "order_total":
        total = _sum_subquery(PurchaseSummary.objects, "total_minor")
        return _compare_value(total, op, round(number * 100))
    if name in ("ticket_count", "open_ticket_count"):
        tickets = Ticket.objects.filter(contact=OuterRef("pk"))
        if name == "open_ticket_count":
            tickets = tickets.exclude(status__in=("resolved", "closed"))
        count = Coalesce(
            Subquery(
                tickets.order_by().values("contact").annotate(n=Count("id")).values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        )
        return _compare_value(count, op, number)
    # csat_latest
    if op == "ne":
        return Q(
            Exists(ContactCsat.objects.filter(contact=OuterRef("pk")).exclude(latest_score=number))
        )
    return Q(
        Exists(
            ContactCsat.objects.filter(
                contact=OuterRef("pk"), **{f"latest_score__{LOOKUP[op]}": number}
            )
        )
    )


def rules_compile(rules: Any, *, now: Any = None) -> Q:
    """The Q of a rule tree (see the module docstring); FieldError naming the bad node's path
    ("rules.rules[1].value") for an unknown field, operator or value. An empty tree is all."""
    now = now or timezone.now()
    if rules in (None, {}, []):
        return Q()
    counter = [0]
    return _node(rules, "", 0, now, counter)


def _node(node: Any, where: str, depth: int, now: Any, counter: list[int]) -> Q:
    if not isinstance(node, dict):
        raise _bad(where, _("A rule is an object."))
    if "rules" in node or "match" in node:
        if depth >= MAX_DEPTH:
            raise _bad(where, _("Rules nest at most %(n)d deep.") % {"n": MAX_DEPTH})
        match = node.get("match", "all")
        if match not in ("all", "any"):
            raise _bad(f"{where}.match", _("Choose all or any."))
        children = node.get("rules")
        if not isinstance(children, list):
            raise _bad(f"{where}.rules", _("A group holds a list of rules."))
        combined = Q()
        for index, child in enumerate(children):
            q = _node(child, f"{where}.rules[{index}]", depth + 1, now, counter)
            combined = (combined & q) if match == "all" else (combined | q)
        return combined
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise _bad(where, _("At most %(n)d conditions.") % {"n": MAX_CONDITIONS})
    return _condition(node, where, now)
