"""The engagement demo: every kind of interaction, overdue tasks, mentions with notifications."""

from __future__ import annotations

import pytest

from kith.demo import demo_load
from kith.engagement.models import Comment, Interaction, Notification, Task


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return demo_load(size="tiny")


def test_engagement_demo(demo):
    # (service adds calls logged on tickets, record_model "service.ticket"; feedback adds the
    # customers' messages it scores for sentiment)
    assert (
        demo.more["interactions"] + demo.more.get("customer_messages", 0)
        == Interaction.objects.filter(record_model="").count()
        > 0
    )
    assert set(Interaction.objects.values_list("kind", flat=True)) == set(Interaction.Kind.values)
    # Feedback's demo adds the follow-up tasks of its detractors and low CSATs.
    assert demo.more["tasks"] + demo.more.get("follow_ups", 0) == Task.objects.count()
    assert Task.objects.filter(status="open", due_at__lt=demo_now()).exists()
    comments = Comment.objects.filter(record_model="customers.contact").count()
    assert comments == demo.more["comments"] > 0
    assert Comment.mentions.through.objects.count() == comments
    assert Notification.objects.filter(kind="mention").count() == comments
    # Meetings have a teammate taking part, never the owner twice.
    taking_part = Interaction.participant_users.through.objects.select_related("interaction")
    assert taking_part.exists()
    assert all(p.user_id != p.interaction.owner_id for p in taking_part)
    # Interactions belong to the contact's owner and team, so each rep sees their own.
    row = Interaction.objects.select_related("contact").exclude(contact=None).first()
    assert (row.owner_id, row.team_id) == (row.contact.owner_id, row.contact.team_id)


def demo_now():
    from django.utils import timezone

    return timezone.now()
