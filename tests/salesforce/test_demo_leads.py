"""The demo's lead process (kith.demo.sales: channel, first-response time, replies, a referral
answered within 4 hours) learned by the lead-scoring job: held-out quality against naive Bayes
on a demo-sized base of leads. Seeded, 783 decided leads, 196 held out: boosted log-loss 0.568
vs naive Bayes 0.573, AUC 0.696 vs 0.696, ECE 0.064 — a near tie (the demo's one interaction
is small beside its independent effects), so the assertion is on quality, not on the margin;
the margin is asserted on a process with strong interactions (tests/insights/engine)."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from kith.demo.sales import _leads
from kith.insights.lead_job import lead_scores_run

pytestmark = pytest.mark.django_db


class _Context:
    counts: dict = {}

    def report(self, step: str, done: int, total: int) -> None:
        pass


def test_the_demo_lead_process_is_learned(users) -> None:
    reps = [users.rep_a, users.rep_a2, users.rep_b]
    _leads(_Context(), random.Random(3), reps, timezone.now(), count=1000)
    run = lead_scores_run()
    m = run.metrics
    assert run.kind in ("boosted", "naive_bayes")
    assert m["auc"] > 0.6 and m["ece"] < 0.1, m
