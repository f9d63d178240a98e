"""NPS, CSAT and CES arithmetic on hand-built cases."""

from __future__ import annotations

import pytest

from kith.feedback import scores


def test_nps_is_promoters_minus_detractors_in_percent() -> None:
    # 10 answers: 4 promoters (9, 10, 10, 9), 3 passives (7, 8, 8), 3 detractors (0, 6, 5).
    answers = [9, 10, 10, 9, 7, 8, 8, 0, 6, 5]
    assert scores.nps(answers) == 10.0  # 40 % − 30 %
    assert scores.nps([10, 10]) == 100.0
    assert scores.nps([0, 6, 3]) == -100.0
    assert scores.nps([7, 8]) == 0.0
    assert scores.nps([9, 6, 7]) == 0.0  # 33.3 − 33.3
    assert scores.nps([9, 9, 5]) == 33.3
    assert scores.nps([]) is None


def test_csat_is_the_share_of_4_and_5() -> None:
    assert scores.csat([5, 4, 3, 2, 1]) == 40.0
    assert scores.csat([5, 5, 4]) == 100.0
    assert scores.csat([1, 2, 3]) == 0.0
    assert scores.csat([4, 3, 3]) == 33.3
    assert scores.csat([]) is None


def test_ces_is_the_mean_and_easy_counts_5_to_7() -> None:
    assert scores.ces([7, 6, 2, 5]) == 5.0
    assert scores.ces([1, 2]) == 1.5
    summary = scores.summarise("ces", [7, 6, 2, 5, 3])
    assert (summary.positive, summary.neutral, summary.negative) == (3, 1, 1)
    assert summary.value == 4.6


def test_summaries_from_grouped_counts_equal_the_list_ones() -> None:
    listed = scores.summarise("nps", [10, 10, 9, 8, 6, 0])
    counted = scores.summarise_counts("nps", {10: 2, 9: 1, 8: 1, 6: 1, 0: 1})
    assert listed == counted
    assert (counted.answers, counted.value, counted.mean) == (6, 16.7, 7.17)
    assert (counted.positive, counted.neutral, counted.negative) == (3, 1, 2)


def test_response_rate_and_follow_up_thresholds() -> None:
    assert scores.response_rate(sent=8, answered=3) == 37.5
    assert scores.response_rate(sent=0, answered=0) is None
    assert [scores.needs_follow_up("nps", s) for s in (6, 7)] == ["detractor", ""]
    assert [scores.needs_follow_up("csat", s) for s in (2, 3)] == ["low_csat", ""]
    assert [scores.needs_follow_up("ces", s) for s in (2, 3)] == ["high_effort", ""]
    assert scores.needs_follow_up("nps", None) == ""
    with pytest.raises(ValueError):
        scores.buckets("custom", 3)
