"""Closing deals (#17): a move to a lost stage needs its reason, through every door."""

from __future__ import annotations

import pytest

from kith.core.errors import FieldError
from kith.sales import services
from tests.sales.factories import make_deal


def test_lost_needs_a_reason_and_the_page_has_won_lost_buttons(users, funnel, web_for) -> None:
    deal = make_deal(by=users.rep_a, funnel=funnel)
    with pytest.raises(FieldError) as caught:
        services.deal_move(by=users.rep_a, deal_id=deal.pk, stage_id=funnel.lost.pk)
    assert set(caught.value.errors) == {"lost_reason"}
    deal.refresh_from_db()
    assert deal.stage_id == funnel.qualify.pk

    web = web_for(users.rep_a)
    page = web.get(f"/deals/{deal.pk}/").content.decode()
    assert "data-deal-won" in page and "data-deal-lost" in page
    refused = web.post(
        f"/deals/{deal.pk}/move/", {"stage_id": funnel.lost.pk}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 422 and "Say why the deal was lost." in refused.content.decode()
    web.post(f"/deals/{deal.pk}/move/", {"stage_id": funnel.lost.pk, "lost_reason": "Budget"})
    deal.refresh_from_db()
    assert (deal.outcome, deal.lost_reason) == ("lost", "Budget")
    assert "data-deal-won" not in web.get(f"/deals/{deal.pk}/").content.decode()
