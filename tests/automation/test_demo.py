"""The automation demo: rules a new admin would make, an inbound source, a sample subscription;
the demo's own records start no runs (rules react only to events after they were made)."""

from __future__ import annotations

import pytest

from kith.automation.models import InboundSource, Rule, RuleRun, Subscription
from kith.automation.services import rule_runs_advance
from kith.core.events import events_dispatch
from kith.demo import demo_load


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return demo_load(size="tiny")


def test_automation_demo(demo):
    assert Rule.objects.count() == 6 and Rule.objects.filter(is_active=True).count() == 4
    assert InboundSource.objects.get().target == "lead"
    assert not Subscription.objects.get().is_active
    while events_dispatch(limit=2000):
        pass
    rule_runs_advance()
    assert not RuleRun.objects.exists()
