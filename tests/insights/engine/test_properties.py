"""Property tests: RFM scores and the CSV reader on generated input."""

from __future__ import annotations

import csv
import io
import itertools
import string
import tempfile
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from kith.insights.engine.reading import transactions_read_csv
from kith.insights.engine.rfm import SEGMENTS, rfm_score

AS_OF = date(2026, 6, 30)
# Ids as CRMs write them: ASCII letters and digits, separators, accents, CJK, quotes and commas.
ID_ALPHABET = string.ascii_letters + string.digits + "-_.#éüđ王伟\"',"

purchases = st.lists(
    st.tuples(
        st.integers(1, 40),  # customer
        st.integers(0, 400),  # days before as_of
        st.floats(0, 10_000, allow_nan=False).map(lambda v: round(v, 2)),
    ),
    min_size=1,
    max_size=120,
)


def frame(rows: list[tuple[int, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "at": [AS_OF - timedelta(days=r[1]) for r in rows],
            "amount": [r[2] for r in rows],
        },
        schema={"customer_id": pl.Int64, "at": pl.Date, "amount": pl.Float64},
    )


@given(purchases, st.randoms())
def test_rfm_scores_are_monotone_tied_and_order_free(rows, random):
    scores = rfm_score(frame(rows), as_of=AS_OF).sort("customer_id")
    shuffled = list(rows)
    random.shuffle(shuffled)
    # Equal up to the float rounding of summing amounts in another order.
    assert_frame_equal(
        rfm_score(frame(shuffled), as_of=AS_OF).sort("customer_id"), scores, check_exact=False
    )
    assert scores["customer_id"].to_list() == sorted({r[0] for r in rows})
    assert set(scores["segment"].to_list()) <= set(SEGMENTS)
    for value, score, better in (
        ("recency_days", "r_score", -1),
        ("frequency", "f_score", 1),
        ("monetary", "m_score", 1),
    ):
        assert scores[score].is_between(1, 5).all()
        pairs = sorted(zip(scores[value].to_list(), scores[score].to_list(), strict=True))
        for (v1, s1), (v2, s2) in itertools.pairwise(pairs):
            if v1 == v2:
                assert s1 == s2  # ties share a score
            else:
                assert (s2 - s1) * better >= 0  # a better value never scores lower


@given(
    st.lists(
        st.tuples(
            st.text(
                st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]),
                min_size=1,
                max_size=8,
            ),
            st.dates(date(1990, 1, 1), date(2100, 1, 1)),
            st.decimals(0, 10**7, places=2, allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_reading_a_csv_gives_back_what_was_written(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["who", "when", "paid"])
    for who, when, paid in rows:
        writer.writerow([who, when.isoformat(), str(paid)])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        data = transactions_read_csv(path, customer_col="who", date_col="when", amount_col="paid")
    frame_rows = data.transactions.rows()
    assert [r[1] for r in frame_rows] == [when for _, when, _ in rows]
    assert [r[2] for r in frame_rows] == [float(paid) for _, _, paid in rows]
    labels = dict(data.customer_labels.rows())
    written = [who.strip() for who, _, _ in rows]
    assert [str(labels[r[0]]) for r in frame_rows] == [
        str(int(w)) if _is_int(w) else w for w in written
    ]


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
