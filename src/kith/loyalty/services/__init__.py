"""Every write of loyalty (see the modules: ledger, members, earning, rewards, programmes)."""

from kith.loyalty.services.backfill import BackfillResult, orders_backfill, orders_backfill_chunk
from kith.loyalty.services.earning import (
    OrderFact,
    OrderLineFact,
    order_points_earn,
    order_points_reverse,
)
from kith.loyalty.services.ledger import points_expire
from kith.loyalty.services.members import (
    birthday_bonuses_award,
    member_link_send,
    member_token_make,
    member_token_read,
    member_url,
    membership_enrol,
    points_adjust,
    points_bonus_award,
    referral_apply,
    referral_url,
    tiers_evaluate,
)
from kith.loyalty.services.programmes import (
    earning_rule_create,
    programme_create,
    reward_create,
    tier_create,
)
from kith.loyalty.services.rewards import redemption_reverse, reward_redeem, voucher_use

__all__ = [
    "BackfillResult",
    "OrderFact",
    "OrderLineFact",
    "birthday_bonuses_award",
    "earning_rule_create",
    "member_link_send",
    "member_token_make",
    "member_token_read",
    "member_url",
    "membership_enrol",
    "order_points_earn",
    "order_points_reverse",
    "orders_backfill",
    "orders_backfill_chunk",
    "points_adjust",
    "points_bonus_award",
    "points_expire",
    "programme_create",
    "redemption_reverse",
    "referral_apply",
    "referral_url",
    "reward_create",
    "reward_redeem",
    "tier_create",
    "tiers_evaluate",
    "voucher_use",
]
