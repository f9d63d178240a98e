"""API v1: loyalty programmes, tiers, rules and rewards; members, their ledger and
redemptions; points adjustments, bonuses, redemption, voucher use and reversal; the
programme dashboard and top advocates. Reads go through kith.loyalty.selectors and writes
through kith.loyalty.services (the permission gate: a member outside the caller's scope is
an error naming the field, the same as a missing one)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS
from kith.loyalty import selectors, services
from kith.loyalty.models import EarningRule, Programme, Reward

router = Router(tags=["loyalty"])

MAX_PAGE_SIZE = 200


class ProgrammeIn(Schema):
    name: str
    currency: str
    currency_digits: int = 2
    points_per_unit: int = 1
    point_value_minor: Decimal = Decimal(1)
    expiry_months: int = 0
    daily_limit: int = 0
    tier_basis: str = Field(Programme.TierBasis.POINTS, description="points, spend")
    tier_window_days: int = 365
    grace_days: int = 30


class ProgrammeOut(Schema):
    id: int
    name: str
    currency: str
    currency_digits: int
    points_per_unit: int
    point_value_minor: Decimal
    expiry_months: int
    daily_limit: int
    tier_basis: str
    tier_window_days: int
    grace_days: int
    is_active: bool


class TierIn(Schema):
    name: str
    position: int
    threshold: int
    multiplier_percent: int = 100
    benefits: str = ""


class TierOut(Schema):
    id: int
    name: str
    position: int
    threshold: int
    multiplier_percent: int
    benefits: str


class EarningRuleIn(Schema):
    kind: str = Field(..., description=", ".join(EarningRule.Kind.values))
    product_id: int | None = None
    category: str = ""
    event: str = Field("", description=", ".join(EarningRule.Event.values))
    multiplier_percent: int = 100
    points: int = 0


class EarningRuleOut(EarningRuleIn):
    id: int
    is_active: bool


class RewardIn(Schema):
    name: str
    kind: str = Field(..., description=", ".join(Reward.Kind.values))
    cost_points: int
    discount_percent: int = 0
    value_minor: int = 0
    product_id: int | None = None
    tier_id: int | None = None
    valid_days: int = 90


class RewardOut(RewardIn):
    id: int
    is_active: bool


class MembershipOut(Schema):
    id: int
    programme_id: int
    contact_id: int
    tier_id: int | None
    tier_name: str | None
    joined_at: datetime
    balance: int
    version: int
    referral_code: str
    referred_by_id: int | None
    language: str

    @staticmethod
    def resolve_tier_name(membership: Any) -> str | None:
        return membership.tier.name if membership.tier_id else None


class MembershipPage(Schema):
    items: list[MembershipOut]
    next_cursor: str | None
    prev_cursor: str | None


class CardOut(Schema):
    membership: MembershipOut
    qualifying: int
    next_tier_id: int | None
    to_next: int
    progress_percent: int
    expiring_points: int
    expiring_first: datetime | None
    referred_count: int
    referred_revenue_minor: int
    member_url: str
    referral_url: str


class EntryOut(Schema):
    id: int
    source: str
    points: int
    spend_minor: int
    reason: str
    order_id: int | None
    reverses_id: int | None
    at: datetime
    expires_at: datetime | None


class EntryPage(Schema):
    items: list[EntryOut]
    next_cursor: str | None
    prev_cursor: str | None


class RedemptionOut(Schema):
    id: int
    membership_id: int
    reward_id: int
    points: int
    code: str
    status: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    reversed_at: datetime | None


class RedemptionPage(Schema):
    items: list[RedemptionOut]
    next_cursor: str | None
    prev_cursor: str | None


class PageParams(Schema):
    cursor: str | None = None
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class MemberListParams(PageParams):
    programme_id: int | None = None
    tier_id: int | None = None


class EnrolIn(Schema):
    programme_id: int
    contact_id: int
    referral_code: str = ""
    language: str = ""


class AdjustIn(Schema):
    points: int
    reason: str


class BonusIn(Schema):
    event: str = Field(..., description="birthday, survey, review")
    reference: str


class RedeemIn(Schema):
    reward_id: int


class ReverseIn(Schema):
    reason: str = ""


class VoucherIn(Schema):
    code: str


class TierCountOut(Schema):
    tier: str
    members: int


class DashboardOut(Schema):
    programme_id: int
    members: int
    per_tier: list[TierCountOut]
    issued: int
    redeemed: int
    expired: int
    reversed: int
    outstanding: int
    liability_minor: Decimal
    redemption_rate: float
    months: list[dict[str, Any]]


class AdvocateOut(Schema):
    membership_id: int
    contact_id: int
    name: str
    referred: int
    revenue_minor: int


@router.get("/loyalty/programmes", response={200: list[ProgrammeOut], **ERRORS})
def programmes(request: ApiRequest) -> Any:
    return selectors.programmes_list(user=request.auth)


@router.post("/loyalty/programmes", response={201: ProgrammeOut, **ERRORS})
def programme_create(request: ApiRequest, payload: ProgrammeIn) -> Any:
    return Status(201, services.programme_create(by=request.auth, **payload.dict()))


@router.get("/loyalty/programmes/{int:programme_id}/tiers", response={200: list[TierOut], **ERRORS})
def tiers(request: ApiRequest, programme_id: int) -> Any:
    return selectors.tiers_list(user=request.auth, programme_id=programme_id)


@router.post("/loyalty/programmes/{int:programme_id}/tiers", response={201: TierOut, **ERRORS})
def tier_create(request: ApiRequest, programme_id: int, payload: TierIn) -> Any:
    return Status(
        201, services.tier_create(by=request.auth, programme_id=programme_id, **payload.dict())
    )


@router.post(
    "/loyalty/programmes/{int:programme_id}/rules", response={201: EarningRuleOut, **ERRORS}
)
def rule_create(request: ApiRequest, programme_id: int, payload: EarningRuleIn) -> Any:
    return Status(
        201,
        services.earning_rule_create(by=request.auth, programme_id=programme_id, **payload.dict()),
    )


@router.get(
    "/loyalty/programmes/{int:programme_id}/rewards", response={200: list[RewardOut], **ERRORS}
)
def rewards(request: ApiRequest, programme_id: int) -> Any:
    return selectors.rewards_list(user=request.auth, programme_id=programme_id)


@router.post("/loyalty/programmes/{int:programme_id}/rewards", response={201: RewardOut, **ERRORS})
def reward_create(request: ApiRequest, programme_id: int, payload: RewardIn) -> Any:
    return Status(
        201, services.reward_create(by=request.auth, programme_id=programme_id, **payload.dict())
    )


@router.get(
    "/loyalty/programmes/{int:programme_id}/dashboard", response={200: DashboardOut, **ERRORS}
)
def dashboard(request: ApiRequest, programme_id: int) -> Any:
    board = selectors.programme_dashboard(user=request.auth, programme_id=programme_id)
    return {**board.__dict__, "programme_id": board.programme.pk, "per_tier": board.per_tier}


@router.get(
    "/loyalty/programmes/{int:programme_id}/advocates", response={200: list[AdvocateOut], **ERRORS}
)
def advocates(request: ApiRequest, programme_id: int) -> Any:
    return selectors.top_advocates(user=request.auth, programme_id=programme_id)


@router.get("/loyalty/members", response={200: MembershipPage, **ERRORS})
def members(request: ApiRequest, params: Query[MemberListParams]) -> Any:
    return selectors.memberships_list(user=request.auth, **params.dict())


@router.post("/loyalty/members", response={201: MembershipOut, **ERRORS})
def member_enrol(request: ApiRequest, payload: EnrolIn) -> Any:
    membership = services.membership_enrol(by=request.auth, **payload.dict())
    return Status(201, selectors.membership_get(user=request.auth, membership_id=membership.pk))


@router.get("/loyalty/members/{int:membership_id}", response={200: CardOut, **ERRORS})
def member_detail(request: ApiRequest, membership_id: int) -> Any:
    membership = selectors.membership_get(user=request.auth, membership_id=membership_id)
    card = selectors.member_card(membership=membership, history=0)
    return {
        **card.__dict__,
        "next_tier_id": card.next_tier.pk if card.next_tier else None,
        "member_url": services.member_url(membership_id=membership.pk),
        "referral_url": services.referral_url(code=membership.referral_code),
    }


@router.get("/loyalty/members/{int:membership_id}/entries", response={200: EntryPage, **ERRORS})
def member_entries(request: ApiRequest, membership_id: int, params: Query[PageParams]) -> Any:
    return selectors.entries_list(user=request.auth, membership_id=membership_id, **params.dict())


@router.get(
    "/loyalty/members/{int:membership_id}/redemptions", response={200: RedemptionPage, **ERRORS}
)
def member_redemptions(request: ApiRequest, membership_id: int, params: Query[PageParams]) -> Any:
    return selectors.redemptions_list(
        user=request.auth, membership_id=membership_id, **params.dict()
    )


@router.post("/loyalty/members/{int:membership_id}/adjustments", response={201: EntryOut, **ERRORS})
def member_adjust(request: ApiRequest, membership_id: int, payload: AdjustIn) -> Any:
    return Status(
        201, services.points_adjust(by=request.auth, membership_id=membership_id, **payload.dict())
    )


@router.post(
    "/loyalty/members/{int:membership_id}/bonuses", response={201: EntryOut | None, **ERRORS}
)
def member_bonus(request: ApiRequest, membership_id: int, payload: BonusIn) -> Any:
    entry = services.points_bonus_award(
        by=request.auth, membership_id=membership_id, **payload.dict()
    )
    return Status(201, entry)


@router.post("/loyalty/members/{int:membership_id}/send-link", response={204: None, **ERRORS})
def member_link_send(request: ApiRequest, membership_id: int) -> Any:
    services.member_link_send(by=request.auth, membership_id=membership_id)
    return Status(204, None)


@router.post(
    "/loyalty/members/{int:membership_id}/redemptions", response={201: RedemptionOut, **ERRORS}
)
def member_redeem(request: ApiRequest, membership_id: int, payload: RedeemIn) -> Any:
    return Status(
        201, services.reward_redeem(by=request.auth, membership_id=membership_id, **payload.dict())
    )


@router.post(
    "/loyalty/redemptions/{int:redemption_id}/reverse", response={200: RedemptionOut, **ERRORS}
)
def redemption_reverse(request: ApiRequest, redemption_id: int, payload: ReverseIn) -> Any:
    return services.redemption_reverse(
        by=request.auth, redemption_id=redemption_id, reason=payload.reason
    )


@router.post("/loyalty/vouchers/use", response={200: RedemptionOut, **ERRORS})
def voucher_use(request: ApiRequest, payload: VoucherIn) -> Any:
    return services.voucher_use(by=request.auth, code=payload.code)
