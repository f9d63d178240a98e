"""Setting and removing quotas (managers and administrators: the "quotas" create/edit rights)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError, NotFound
from kith.core.validation import choice_check, currency_clean
from kith.identity.access import require
from kith.identity.models import Team, User
from kith.sales.models import Quota


def period_bounds(period: str, start: date) -> tuple[date, date]:
    """[first day, first day of the next period) of a month or a quarter."""
    months = 1 if period == Quota.Period.MONTH else 3
    index = start.month - 1 + months
    return start, date(start.year + index // 12, index % 12 + 1, 1)


def period_start_of(period: str, day: date) -> date:
    """The first day of the month or quarter holding `day`."""
    if period == Quota.Period.QUARTER:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return day.replace(day=1)


MIX_KINDS = ("calls", "emails", "meetings")


def _snapshot(quota: Quota) -> dict[str, str]:
    return {
        "revenue_minor": str(quota.revenue_minor),
        "currency": quota.currency,
        "deals_target": "" if quota.deals_target is None else str(quota.deals_target),
        "activities_target": ""
        if quota.activities_target is None
        else str(quota.activities_target),
        **{
            f"{kind}_target": "" if getattr(quota, f"{kind}_target") is None
            else str(getattr(quota, f"{kind}_target"))
            for kind in MIX_KINDS
        },
    }  # fmt: skip


def _count(value: int | None, field: str, errors: dict[str, str]) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors[field] = _("Enter a whole number, zero or more.")
        return None
    return value


@transaction.atomic
def quota_set(
    *,
    by: User,
    period: str,
    period_start: date,
    revenue_minor: int,
    currency: str = "USD",
    owner_id: int | None = None,
    team_id: int | None = None,
    deals_target: int | None = None,
    activities_target: int | None = None,
    calls_target: int | None = None,
    emails_target: int | None = None,
    meetings_target: int | None = None,
) -> Quota:
    """The quota of one rep (owner_id) or one team (team_id) for a month or quarter, created or
    replaced; the change goes into the quota's history."""
    errors: dict[str, str] = {}
    choice_check(period, Quota.Period.values, field="period", errors=errors)
    currency = currency_clean(currency, field="currency", errors=errors)
    if not isinstance(revenue_minor, int) or isinstance(revenue_minor, bool) or revenue_minor < 0:
        errors["revenue_minor"] = _("Enter an amount, zero or more.")
    deals_target = _count(deals_target, "deals_target", errors)
    activities_target = _count(activities_target, "activities_target", errors)
    mix = {
        "calls_target": _count(calls_target, "calls_target", errors),
        "emails_target": _count(emails_target, "emails_target", errors),
        "meetings_target": _count(meetings_target, "meetings_target", errors),
    }
    if (owner_id is None) == (team_id is None):
        errors["owner_id"] = _("Give either a rep or a team.")
    if not errors and period_start != period_start_of(period, period_start):
        errors["period_start"] = _("Start on the first day of the month or quarter.")
    owner = None
    team = None
    if owner_id is not None and "owner_id" not in errors:
        owner = User.objects.filter(pk=owner_id, is_active=True).first()
        if owner is None:
            errors["owner_id"] = _("No such active user.")
    if team_id is not None and "owner_id" not in errors:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            errors["team_id"] = _("No such team.")
    if errors:
        raise FieldError(errors)
    holder_team_id = owner.team_id if owner is not None else team_id
    probe = Quota(owner=owner, team_id=holder_team_id)
    existing = (
        Quota.objects.select_for_update()
        .filter(
            period=period,
            period_start=period_start,
            **({"owner": owner} if owner else {"owner__isnull": True, "team_id": team_id}),
        )
        .first()
    )
    require(by, "quotas", "edit" if existing else "create", record=existing or probe)
    before = _snapshot(existing) if existing else None
    quota = existing or Quota(owner=owner, team_id=holder_team_id, period=period)
    quota.period_start = period_start
    quota.revenue_minor = revenue_minor
    quota.currency = currency
    quota.deals_target = deals_target
    quota.activities_target = activities_target
    for name, value in mix.items():
        setattr(quota, name, value)
    quota.set_by = by
    if existing:
        quota.version += 1
    quota.save()
    changes_record(instance=quota, actor=by, before=before, after=_snapshot(quota))
    return quota


@transaction.atomic
def quota_delete(*, by: User, quota_id: int) -> None:
    quota = Quota.objects.select_for_update().filter(pk=quota_id).first()
    if quota is None:
        raise NotFound(_("Not found."))
    require(by, "quotas", "delete", record=quota)
    changes_record(instance=quota, actor=by, before=_snapshot(quota), after=None)
    quota.delete()
