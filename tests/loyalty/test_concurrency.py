"""Two redemptions of the last points at the same moment: one wins, the other gets a clear
FieldError (the membership row lock; SQLite's IMMEDIATE transactions serialise the same way).
Real threads with their own database connections, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from kith.core.errors import FieldError
from kith.loyalty import services
from kith.loyalty.models import Membership, PointsEntry, Redemption
from tests.loyalty.factories import make_programme


@pytest.mark.django_db(transaction=True)
def test_two_redemptions_of_the_last_points_one_wins(users, records):
    scheme = make_programme(by=users.admin)
    membership = services.membership_enrol(
        by=users.admin, programme_id=scheme.programme.pk, contact_id=records.contact_a.pk
    )
    services.points_adjust(by=users.admin, membership_id=membership.pk, points=150, reason="gift")
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def redeem() -> None:
        start.wait()
        try:
            while True:
                try:
                    outcomes.append(
                        services.reward_redeem(
                            by=users.admin, membership_id=membership.pk, reward_id=scheme.voucher.pk
                        )
                    )
                    return
                except FieldError as error:
                    outcomes.append(error)
                    return
                except OperationalError as error:
                    # The test's in-memory SQLite (shared cache) refuses a second writer's
                    # BEGIN IMMEDIATE at once where a file database waits busy_timeout: wait
                    # here instead, as the file database would.
                    if connection.vendor != "sqlite" or "locked" not in str(error):
                        raise
                    time.sleep(0.002)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    wins = [o for o in outcomes if isinstance(o, Redemption)]
    errors = [o for o in outcomes if isinstance(o, FieldError)]
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert errors[0].errors == {"points": "Not enough points: the balance is 50, 100 are needed."}
    membership = Membership.objects.get(pk=membership.pk)
    assert membership.balance == 50
    assert (
        sum(PointsEntry.objects.filter(membership=membership).values_list("points", flat=True))
        == 50
    )
