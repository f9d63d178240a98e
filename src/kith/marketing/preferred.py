"""Each contact's preferred channel, learned from how they answered past campaign messages.

A message counts as answered when it was opened, clicked, or followed by an order within the
campaign's attribution window. Per contact and channel the answer rate is the posterior mean of
a Beta prior centred on the channel's rate over everybody (strength PRIOR_WEIGHT messages) after
the contact's own messages: (answered + w·m) / (sent + w). A contact with no history therefore
gets the channel that works best overall; one with a few answers on SMS moves to SMS. Only
channels the contact consented to and has an address for are candidates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from kith.marketing.models import CampaignRecipient
from kith.sales.models import Order

CHANNEL_ORDER = ("email", "sms", "chat")  # ties go to the first
PRIOR_WEIGHT = 4.0
DEFAULT_RATE = 0.05  # a channel's prior rate before it has MIN_CHANNEL_SENDS messages
MIN_CHANNEL_SENDS = 50
HISTORY_DAYS = 365


@dataclass(frozen=True)
class ChannelChoice:
    channel: str
    rate: float  # posterior answer rate of the chosen channel
    reason: str  # "sms: 3 of 4 answered (0.56) > email: 0 of 6 (0.03)"


def channel_rates(*, since_days: int = HISTORY_DAYS) -> dict[str, float]:
    """Each channel's answer rate over every sent message of the last `since_days` (opens or
    clicks; the prior of every contact)."""
    since = timezone.now() - timedelta(days=since_days)
    sent = CampaignRecipient.objects.filter(state="sent", sent_at__gte=since)
    rates: dict[str, float] = {}
    for channel in CHANNEL_ORDER:
        mine = sent.filter(channel=channel)
        total = mine.count()
        answered = mine.filter(Q(opened_at__isnull=False) | Q(clicked_at__isnull=False)).count()
        rates[channel] = answered / total if total >= MIN_CHANNEL_SENDS else DEFAULT_RATE
    return rates


def history_of(contact_ids: Iterable[int]) -> dict[int, dict[str, tuple[int, int]]]:
    """{contact: {channel: (sent, answered)}} over the last HISTORY_DAYS, in two queries."""
    ids = list(contact_ids)
    since = timezone.now() - timedelta(days=HISTORY_DAYS)
    rows = list(
        CampaignRecipient.objects.filter(contact_id__in=ids, state="sent", sent_at__gte=since)
        .values_list(
            "contact_id", "channel", "sent_at", "opened_at", "clicked_at",
            "campaign__attribution_days",
        )
    )  # fmt: skip
    orders: dict[int, list] = defaultdict(list)
    for cid, at in Order.objects.filter(
        contact_id__in={r[0] for r in rows}, status__in=Order.COUNTED, ordered_at__gte=since
    ).values_list("contact_id", "ordered_at"):
        orders[cid].append(at)
    out: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for cid, channel, sent_at, opened, clicked, days in rows:
        counts = out[cid][channel]
        counts[0] += 1
        bought = any(sent_at <= at <= sent_at + timedelta(days=days) for at in orders[cid])
        if opened or clicked or bought:
            counts[1] += 1
    return {cid: {ch: (n[0], n[1]) for ch, n in chans.items()} for cid, chans in out.items()}


def preferred_channels(
    allowed: dict[int, list[str]], *, rates: dict[str, float] | None = None
) -> dict[int, ChannelChoice]:
    """The best channel of each contact among `allowed[contact]` (consented, with an address);
    contacts with no allowed channel are left out."""
    rates = rates or channel_rates()
    history = history_of(allowed)
    out: dict[int, ChannelChoice] = {}
    for cid, channels in allowed.items():
        if not channels:
            continue
        own = history.get(cid, {})
        scored = []
        for channel in sorted(channels, key=CHANNEL_ORDER.index):
            sent, answered = own.get(channel, (0, 0))
            prior = rates.get(channel, DEFAULT_RATE)
            rate = (answered + PRIOR_WEIGHT * prior) / (sent + PRIOR_WEIGHT)
            scored.append((rate, channel, sent, answered))
        best = max(scored, key=lambda s: (s[0], -CHANNEL_ORDER.index(s[1])))
        reason = " > ".join(
            f"{ch}: {a} of {n} answered ({r:.2f})"
            for r, ch, n, a in sorted(scored, key=lambda s: -s[0])
        )
        out[cid] = ChannelChoice(channel=best[1], rate=best[0], reason=reason)
    return out
