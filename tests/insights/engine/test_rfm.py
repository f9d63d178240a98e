"""RFM scores and segments on hand-built customer bases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from kith.insights.engine.rfm import (
    SEGMENT_GRID,
    SEGMENT_LABELS,
    SEGMENTS,
    rfm_score,
    segment_movement,
    segment_summary,
)

AS_OF = date(2026, 6, 30)


def frame(rows: list[tuple[int, date, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "at": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        },
        schema={"customer_id": pl.Int64, "at": pl.Date, "amount": pl.Float64},
    )


def test_recency_frequency_monetary_count_purchase_days_up_to_as_of():
    tx = frame(
        [
            (1, date(2026, 6, 1), 10.0),
            (1, date(2026, 6, 1), 5.0),  # same day: one purchase day, both amounts counted
            (1, date(2026, 6, 20), 20.0),
            (1, date(2026, 7, 2), 99.0),  # after as_of: ignored
            (2, date(2026, 1, 1), 7.5),
        ]
    )
    scores = rfm_score(tx, as_of=AS_OF).sort("customer_id")
    assert scores["recency_days"].to_list() == [10, 180]
    assert scores["frequency"].to_list() == [2, 1]
    assert scores["monetary"].to_list() == [35.0, 7.5]
    assert scores.schema["r_score"] == pl.Int8
    assert scores.schema["segment"] == pl.String


def test_ten_distinct_customers_split_into_exact_quintiles():
    # customer i bought i times, spent 10*i, last bought 10 - i days before as_of.
    rows = []
    for i in range(1, 11):
        for k in range(i):
            rows.append((i, AS_OF - timedelta(days=(10 - i) + k * 30), 10.0 * i / i))
    scores = rfm_score(frame(rows), as_of=AS_OF).sort("customer_id")
    expected = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores["r_score"].to_list() == expected
    assert scores["f_score"].to_list() == expected
    assert scores["m_score"].to_list() == expected


def test_ties_share_a_score_whatever_the_row_order():
    rows = [(i, AS_OF - timedelta(days=5), 10.0) for i in range(1, 7)]
    rows += [(7, AS_OF - timedelta(days=100), 1.0), (8, AS_OF, 500.0)]
    a = rfm_score(frame(rows), as_of=AS_OF).sort("customer_id")
    b = rfm_score(frame(rows[::-1]), as_of=AS_OF).sort("customer_id")
    assert a.equals(b)
    assert a.filter(pl.col("customer_id") <= 6)["r_score"].n_unique() == 1
    assert a.filter(pl.col("customer_id") <= 6)["m_score"].n_unique() == 1
    # all eight bought on one day: frequency all tied in the middle
    assert set(a["f_score"].to_list()) == {3}
    assert a.filter(pl.col("customer_id") == 8)["m_score"].item() == 5
    assert a.filter(pl.col("customer_id") == 7)["r_score"].item() == 1


def test_one_customer_and_fewer_than_five():
    one = rfm_score(frame([(1, AS_OF, 10.0)]), as_of=AS_OF)
    assert one.select("r_score", "f_score", "m_score").row(0) == (3, 3, 3)
    assert one["segment"].item() == "need_attention"
    two = rfm_score(frame([(1, AS_OF, 10.0), (2, date(2026, 1, 1), 5.0)]), as_of=AS_OF)
    assert two.sort("customer_id")["r_score"].to_list() == [4, 2]


def test_empty_input_gives_empty_typed_frame():
    scores = rfm_score(frame([]), as_of=AS_OF)
    assert scores.height == 0
    assert scores.columns == [
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "segment",
    ]
    summary = segment_summary(scores)
    assert summary["customers"].sum() == 0
    assert summary["revenue_share"].to_list() == [0.0] * len(SEGMENTS)


def test_datetime_at_is_normalised_to_date():
    tx = pl.DataFrame(
        {
            "customer_id": [1, 1],
            "at": [datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 18)],
            "amount": [1.0, 2.0],
        }
    )
    scores = rfm_score(tx, as_of=AS_OF)
    assert scores["frequency"].item() == 1
    assert scores["recency_days"].item() == 29


def test_grid_reaches_every_segment_and_labels_cover_them():
    cells = {name for row in SEGMENT_GRID for name in row}
    assert cells == set(SEGMENTS)
    assert set(SEGMENT_LABELS) == set(SEGMENTS)


def base_for_scores() -> pl.DataFrame:
    """25 customers: customer 5*(r-1)+fm has the r-th best recency and fm-th frequency & spend.

    Each of the 25 gets a distinct recency; frequency and spend rise together with fm.
    """
    rows = []
    for r in range(1, 6):
        for fm in range(1, 6):
            cid = 5 * (r - 1) + fm
            recency = 210 - 40 * r - fm  # rises as r falls: r = 5 is the 5 most recent
            for k in range(fm):
                rows.append((cid, AS_OF - timedelta(days=recency + 300 * k), 10.0 * fm))
    return frame(rows)


@pytest.mark.parametrize(
    ("r", "fm", "segment"),
    [
        (5, 5, "champions"),
        (4, 4, "loyal"),
        (3, 5, "loyal"),
        (5, 3, "potential_loyalists"),
        (4, 2, "potential_loyalists"),
        (5, 1, "new"),
        (4, 1, "promising"),
        (3, 3, "need_attention"),
        (3, 1, "about_to_sleep"),
        (2, 3, "at_risk"),
        (1, 4, "at_risk"),
        (2, 5, "cant_lose"),
        (1, 5, "cant_lose"),
        (2, 1, "hibernating"),
        (1, 2, "lost"),
    ],
)
def test_each_segment_rule_is_reached(r: int, fm: int, segment: str):
    scores = rfm_score(base_for_scores(), as_of=AS_OF)
    row = scores.filter(pl.col("customer_id") == 5 * (r - 1) + fm)
    assert row["r_score"].item() == r
    assert row["f_score"].item() == fm
    assert row["m_score"].item() == fm
    assert row["segment"].item() == segment


def test_every_segment_appears_on_the_grid_base():
    scores = rfm_score(base_for_scores(), as_of=AS_OF)
    assert set(scores["segment"].to_list()) == set(SEGMENTS)


def test_segment_summary_counts_revenue_and_shares():
    scores = pl.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "monetary": [60.0, 30.0, 10.0],
            "segment": ["champions", "champions", "lost"],
        }
    )
    summary = segment_summary(scores)
    assert summary["segment"].to_list() == list(SEGMENTS)
    champions = summary.filter(pl.col("segment") == "champions").row(0, named=True)
    assert champions == {
        "segment": "champions",
        "customers": 2,
        "revenue": 90.0,
        "revenue_share": 0.9,
    }
    assert summary.filter(pl.col("segment") == "lost")["revenue_share"].item() == pytest.approx(0.1)
    assert summary["customers"].sum() == 3


def test_segment_movement_counts_moves_including_new_and_gone():
    previous = pl.DataFrame(
        {"customer_id": [1, 2, 3, 4], "segment": ["loyal", "loyal", "new", "lost"]}
    )
    current = pl.DataFrame(
        {"customer_id": [1, 2, 3, 5], "segment": ["at_risk", "loyal", "loyal", "new"]}
    )
    moves = segment_movement(previous, current)
    assert moves.rows() == [
        ("loyal", "loyal", 1),
        ("loyal", "at_risk", 1),
        ("new", "loyal", 1),
        ("lost", None, 1),
        (None, "new", 1),
    ]
