"""Members: enrolment, referral codes, manual adjustments, bonus events, tiers, the signed
link to a member's own page."""

from __future__ import annotations

import calendar
import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError, NotFound
from kith.core.events import event_record
from kith.customers.models import Contact, Relationship
from kith.customers.services.relationships import relationship_create
from kith.engagement.models import Interaction
from kith.engagement.services import email_send
from kith.identity.access import grant_for, require, visible_to
from kith.identity.models import Scope, User
from kith.loyalty.models import EarningRule, Membership, PointsEntry, Programme, Tier
from kith.loyalty.services.ledger import (
    credit_expiry,
    daily_cap,
    entry_append,
    membership_lock,
)
from kith.loyalty.services.tiers import tiers_raise

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
MEMBER_SALT = "kith.loyalty.member"


def code_make(length: int = 10) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def referral_code_new() -> str:
    while True:
        code = code_make(8)
        if not Membership.objects.filter(referral_code=code).exists():
            return code


def referral_codes_new(count: int) -> list[str]:
    """`count` distinct referral codes no membership has (one query per batch of draws)."""
    codes: set[str] = set()
    while len(codes) < count:
        draw = {code_make(8) for _ in range(count - len(codes))} - codes
        taken = set(
            Membership.objects.filter(referral_code__in=draw).values_list(
                "referral_code", flat=True
            )
        )
        codes |= draw - taken
    return list(codes)


def membership_join(
    *, programme: Programme, contact_id: int, at: datetime, language: str = ""
) -> tuple[Membership, bool]:
    """The contact's membership, created (with the sign-up bonus) if there is none; no
    permission check: the callers (an order's event, membership_enrol) have made it."""
    existing = Membership.objects.filter(programme=programme, contact_id=contact_id).first()
    if existing is not None:
        return existing, False
    entry_tier = Tier.objects.filter(programme=programme, threshold=0).order_by("position").first()
    membership = Membership.objects.create(
        programme=programme, contact_id=contact_id, enrolled_contact_id=contact_id,
        joined_at=at, tier=entry_tier,
        tier_since=at if entry_tier else None, referral_code=referral_code_new(),
        language=language,
    )  # fmt: skip
    event_record(
        name="loyalty.member_joined", record=membership, actor=None,
        payload={"programme_id": programme.pk, "contact_id": contact_id},
    )  # fmt: skip
    membership = membership_lock(membership.pk)
    bonus_rule_award(membership, event=EarningRule.Event.SIGNUP, reference="", at=at)
    return membership, True


def bonus_rule_award(
    membership: Membership,
    *,
    event: str,
    reference: str,
    at: datetime,
    order_id: int | None = None,
    source: str = PointsEntry.Source.BONUS,
    actor: User | None = None,
) -> PointsEntry | None:
    """The programme's bonus for `event` to a LOCKED membership, once per (event, reference)."""
    rule = (
        EarningRule.objects.filter(
            programme_id=membership.programme_id, kind=EarningRule.Kind.BONUS, event=event,
            is_active=True,
        ).order_by("-points").first()
    )  # fmt: skip
    if rule is None:
        return None
    points = daily_cap(membership, rule.points, at)
    if points <= 0:
        return None
    entry, _created = entry_append(
        membership, source=source, points=points, at=at,
        key=f"{event}:{membership.pk}:{reference}", order_id=order_id, tier_points=points,
        expires_at=credit_expiry(membership, at), actor=actor,
    )  # fmt: skip
    return entry


def _contact_for(by: User, contact_id: int) -> Contact:
    contact = (
        visible_to(Contact.objects.all(), user=by, module="loyalty").filter(pk=contact_id).first()
    )
    if contact is None:
        raise FieldError.one(
            "contact_id", _("This contact does not exist or is not visible to you.")
        )
    return contact


def members_visible(user: User) -> QuerySet[Membership]:
    """The memberships whose contact `user` may see in loyalty (the loyalty grant's scope
    over the contact's owner and team); none without the read right."""
    grant = grant_for(user, "loyalty")
    if grant is None or not grant.can_read:
        return Membership.objects.none()
    if grant.scope == Scope.ALL:  # no IN (every contact) subquery for the managers
        return Membership.objects.all()
    visible = visible_to(Contact.objects.all(), user=user, module="loyalty").values("pk")
    return Membership.objects.filter(contact_id__in=visible)


def membership_visible(*, by: User, membership_id: int, right: str = "read") -> Membership:
    """A membership whose contact `by` may see in loyalty; NotFound otherwise (outside the
    scope is the same as missing), Forbidden without the right."""
    require(by, "loyalty", right)
    membership = (
        members_visible(by).select_related("programme", "tier").filter(pk=membership_id).first()
    )
    if membership is None:
        raise NotFound(_("Not found."))
    return membership


@transaction.atomic
def membership_enrol(
    *,
    by: User,
    programme_id: int,
    contact_id: int,
    referral_code: str = "",
    language: str = "",
) -> Membership:
    """Enrol a visible contact; a referral code links them to the member who referred them
    (a referred-by relationship) and both earn the referral bonus on the first order."""
    require(by, "loyalty", "create")
    errors: dict[str, str] = {}
    programme = Programme.objects.filter(pk=programme_id, is_active=True).first()
    if programme is None:
        errors["programme_id"] = _("This programme does not exist.")
    if language and language not in dict(settings.LANGUAGES):
        errors["language"] = _("Choose one of the languages Kith speaks.")
    if errors:
        raise FieldError(errors)
    assert programme is not None
    contact = _contact_for(by, contact_id)
    if Membership.objects.filter(programme=programme, contact=contact).exists():
        raise FieldError.one("contact_id", _("This contact is a member already."))
    membership, _created = membership_join(
        programme=programme, contact_id=contact.pk, at=timezone.now(), language=language
    )
    changes_record(instance=membership, actor=by, before=None, after={})
    if referral_code:
        referral_apply(by=by, membership=membership, code=referral_code)
    return membership


def referral_apply(*, by: User, membership: Membership, code: str) -> Membership:
    """Record who referred `membership` (by the referrer's code), with the contacts'
    referred-by relationship; refused once the member has an order or a referrer."""
    code = code.strip().upper()
    referrer = Membership.objects.filter(
        referral_code=code, programme_id=membership.programme_id
    ).first()
    if referrer is None or referrer.pk == membership.pk:
        raise FieldError.one("referral_code", _("This referral code is not valid."))
    if membership.referred_by_id is not None:
        raise FieldError.one("referral_code", _("This member was referred already."))
    if PointsEntry.objects.filter(membership=membership, source=PointsEntry.Source.ORDER).exists():
        raise FieldError.one(
            "referral_code", _("A referral counts only before the member's first order.")
        )
    membership.referred_by = referrer
    Membership.objects.filter(pk=membership.pk).update(referred_by=referrer)
    relationship_create(
        by=by, from_contact_id=membership.contact_id, to_contact_id=referrer.contact_id,
        kind=Relationship.Kind.REFERRED_BY,
    )  # fmt: skip
    return membership


@transaction.atomic
def points_adjust(*, by: User, membership_id: int, points: int, reason: str) -> PointsEntry:
    """A manual credit or debit with its reason (a debit cannot exceed the balance)."""
    membership_visible(by=by, membership_id=membership_id, right="edit")
    errors: dict[str, str] = {}
    reason = reason.strip()[:200] if isinstance(reason, str) else ""
    if not reason:
        errors["reason"] = _("Say why the points are adjusted.")
    if not isinstance(points, int) or isinstance(points, bool) or points == 0:
        errors["points"] = _("Enter a whole number of points other than 0.")
    elif abs(points) > 10**9:
        errors["points"] = _("Enter a number from %(low)s to %(high)s.") % {
            "low": -(10**9), "high": 10**9,
        }  # fmt: skip
    if errors:
        raise FieldError(errors)
    membership = membership_lock(membership_id)
    now = timezone.now()
    entry, _created = entry_append(
        membership, source=PointsEntry.Source.ADJUSTMENT, points=points, at=now, reason=reason,
        expires_at=credit_expiry(membership, now), actor=by,
    )  # fmt: skip
    return entry


@transaction.atomic
def points_bonus_award(
    *, by: User, membership_id: int, event: str, reference: str
) -> PointsEntry | None:
    """The programme's bonus for a birthday, a survey answer or a review (once per
    `reference`: the year, the response's or review's id). None: no bonus rule (or capped)."""
    membership_visible(by=by, membership_id=membership_id, right="edit")
    errors: dict[str, str] = {}
    if event not in EarningRule.Event.values or event in (
        EarningRule.Event.SIGNUP, EarningRule.Event.REFERRAL,
    ):  # fmt: skip
        errors["event"] = _("Choose birthday, survey or review.")
    reference = str(reference or "").strip()
    if not reference or len(reference) > 40:
        errors["reference"] = _("Name what the bonus is for (at most 40 characters).")
    if errors:
        raise FieldError(errors)
    membership = membership_lock(membership_id)
    return bonus_rule_award(
        membership, event=event, reference=reference, at=timezone.now(), actor=by
    )


BIRTHDAY_FIELD = "birthday"  # the contacts' custom date field (YYYY-MM-DD) the bonus reads


def birthday_bonuses_award(*, today: date | None = None) -> int:
    """The nightly birthday bonus: members whose contact's custom `birthday` date falls on
    `today` (29 February: on 28 February in other years) get their programme's birthday bonus,
    once a year. Returns how many were awarded."""
    today = today or timezone.localdate()
    days = [f"-{today:%m-%d}"]
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        days.append("-02-29")
    programmes = EarningRule.objects.filter(
        kind=EarningRule.Kind.BONUS, event=EarningRule.Event.BIRTHDAY, is_active=True,
        programme__is_active=True,
    ).values("programme_id")  # fmt: skip
    born = Q()
    for suffix in days:
        born |= Q(**{f"custom__{BIRTHDAY_FIELD}__endswith": suffix})
    contacts = Contact.objects.filter(born).values("pk")
    awarded = 0
    members = Membership.objects.filter(programme_id__in=programmes, contact_id__in=contacts)
    at = timezone.now()
    for membership_id in list(members.values_list("pk", flat=True)):
        with transaction.atomic():
            membership = membership_lock(membership_id)
            key = f"{EarningRule.Event.BIRTHDAY}:{membership.pk}:{today.year}"
            if PointsEntry.objects.filter(source_key=key).exists():
                continue
            entry = bonus_rule_award(
                membership, event=EarningRule.Event.BIRTHDAY, reference=str(today.year), at=at
            )
            awarded += entry is not None
    return awarded


# --- tiers -----------------------------------------------------------------------------------


def qualifying_value(membership: Membership, now: datetime) -> int:
    """Points earned, or spend in minor units, over the programme's rolling window to `now`."""
    programme = membership.programme
    field = "tier_points" if programme.tier_basis == Programme.TierBasis.POINTS else "spend_minor"
    start = now - timedelta(days=programme.tier_window_days)
    total = PointsEntry.objects.filter(membership=membership, at__gt=start, at__lte=now).aggregate(
        total=Coalesce(Sum(field), 0)
    )["total"]
    return int(total)


def tier_for(tiers: list[Tier], value: int) -> Tier | None:
    """The highest tier whose threshold `value` reaches (tiers ordered by position)."""
    reached = [tier for tier in tiers if tier.threshold <= value]
    return reached[-1] if reached else None


def tier_evaluate(
    membership: Membership, *, now: datetime, tiers: list[Tier], value: int, nightly: bool
) -> bool:
    """Move a LOCKED membership to the tier its qualifying value reaches: up at once, down only
    in the nightly run and after the programme's grace days (and not while a tier-upgrade
    reward holds it). True when the tier changed."""
    target = tier_for(tiers, value)
    current = membership.tier
    rank = {tier.pk: tier.position for tier in tiers}
    here = rank.get(current.pk, -1) if current else -1
    there = rank.get(target.pk, -1) if target else -1
    held = membership.tier_held_until is not None and membership.tier_held_until > now
    if there > here:
        return tier_move(membership, target, now)
    if there == here or held:
        if membership.below_tier_since is not None and there == here:
            membership.below_tier_since = None
            Membership.objects.filter(pk=membership.pk).update(below_tier_since=None)
        return False
    if not nightly:
        return False
    if membership.below_tier_since is None:
        membership.below_tier_since = now
        Membership.objects.filter(pk=membership.pk).update(below_tier_since=now)
        return False
    if now - membership.below_tier_since < timedelta(days=membership.programme.grace_days):
        return False
    return tier_move(membership, target, now)


def tier_move(membership: Membership, target: Tier | None, now: datetime) -> bool:
    before = {"tier": str(membership.tier or "")}
    from_id = membership.tier_id
    membership.tier, membership.tier_since, membership.below_tier_since = target, now, None
    membership.save(update_fields=["tier", "tier_since", "below_tier_since"])
    changes_record(
        instance=membership, actor=None, before=before, after={"tier": str(target or "")}
    )
    event_record(
        name="loyalty.tier_changed", record=membership, actor=None,
        payload={
            "programme_id": membership.programme_id, "contact_id": membership.contact_id,
            "from_tier_id": from_id, "to_tier_id": target.pk if target else None,
        },
    )  # fmt: skip
    return True


def membership_tier_refresh(membership: Membership, *, now: datetime, nightly: bool) -> bool:
    """Re-evaluate one LOCKED membership's tier (see tier_evaluate)."""
    tiers = list(Tier.objects.filter(programme_id=membership.programme_id).order_by("position"))
    if not tiers:
        return False
    value = qualifying_value(membership, now)
    return tier_evaluate(membership, now=now, tiers=tiers, value=value, nightly=nightly)


def tiers_evaluate(*, now: datetime | None = None) -> int:
    """The nightly run: every member of every active programme to the tier they qualify for
    (downgrades after the grace); returns how many changed tier."""
    now = now or timezone.now()
    changed = 0
    for programme in Programme.objects.filter(is_active=True):
        tiers = list(programme.tiers.order_by("position"))
        if not tiers:
            continue
        field = (
            "tier_points" if programme.tier_basis == Programme.TierBasis.POINTS else "spend_minor"
        )
        start = now - timedelta(days=programme.tier_window_days)
        values = dict(
            PointsEntry.objects.filter(membership__programme=programme, at__gt=start, at__lte=now)
            .values("membership_id")
            .annotate(total=Sum(field))
            .values_list("membership_id", "total")
        )
        rank = {tier.pk: tier.position for tier in tiers}
        members = Membership.objects.filter(programme=programme).values_list(
            "pk", "tier_id", "below_tier_since"
        )
        ups: dict[int, Tier] = {}
        for pk, tier_id, below in list(members):  # read first: the loop writes
            target = tier_for(tiers, int(values.get(pk) or 0))
            there = rank.get(target.pk, -1) if target else -1
            if there == rank.get(tier_id, -1) and below is None:
                continue  # nothing to do: skip the lock
            if target is not None and there > rank.get(tier_id, -1):
                ups[pk] = target  # upgrades go at once, in bulk
                continue
            with transaction.atomic():
                membership = membership_lock(pk)
                value = int(values.get(pk) or 0)
                if tier_evaluate(membership, now=now, tiers=tiers, value=value, nightly=True):
                    changed += 1
        changed += tiers_raise(programme_id=programme.pk, tiers=tiers, targets=ups, now=now)
    return changed


# --- the member's own page -------------------------------------------------------------------


def member_token_make(*, membership_id: int) -> str:
    """A signed token naming the membership (no expiry: the link is the member's card)."""
    return signing.dumps({"m": membership_id}, salt=MEMBER_SALT, compress=True)


def member_token_read(*, token: str) -> int:
    """The membership id in a member-page token; FieldError when tampered with."""
    try:
        payload = signing.loads(token, salt=MEMBER_SALT)
    except signing.BadSignature as exc:
        raise FieldError.one("token", _("This link is not valid.")) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("m"), int):
        raise FieldError.one("token", _("This link is not valid."))
    return int(payload["m"])


def member_url(*, membership_id: int) -> str:
    """The absolute address of a member's own page."""
    token = member_token_make(membership_id=membership_id)
    return str(settings.KITH_BASE_URL + reverse("loyalty-member-page", args=[token]))


def member_link_send(*, by: User, membership_id: int) -> Interaction:
    """Email a member the link to their own page, in their language, through the contact's
    email (logged as an interaction); FieldError "to_address" when the contact has none."""
    membership = membership_visible(by=by, membership_id=membership_id, right="edit")
    language = membership.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("Your %(programme)s points") % {"programme": membership.programme.name}
        body = _(
            "Your balance, tier, rewards and history are on your own page:\n%(url)s\n\n"
            "Invite a friend with your referral link and you both earn bonus points:\n%(referral)s\n"
        ) % {
            "url": member_url(membership_id=membership.pk),
            "referral": referral_url(code=membership.referral_code),
        }
    return email_send(by=by, contact=membership.contact_id, subject=subject, body=body)


def referral_url(*, code: str) -> str:
    """The absolute address of a referral link."""
    return str(settings.KITH_BASE_URL + reverse("loyalty-referral", args=[code]))
