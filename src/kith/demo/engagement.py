"""Demo data of engagement: interactions of every kind over the demo contacts, tasks (some
overdue, some with reminders) and comments with @mentions and their notifications."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kith.core.bulk import rows_insert, secondary_indexes_deferred
from kith.customers.models import Contact
from kith.demo.context import DemoContext
from kith.engagement.models import Comment, Interaction, Notification, Task

BATCH = 2000
INTERACTION_ATTRS = (
    "owner_id", "team_id", "kind", "direction", "channel", "occurred_at", "duration_seconds",
    "outcome", "subject", "body", "contact_id", "company_id", "message_id", "thread_key",
)  # fmt: skip

SUBJECTS = {
    "call": ["Follow-up call", "Pricing question", "Gọi lại về báo giá", "确认订单"],
    "email": ["Quote attached", "Re: delivery date", "Báo giá tháng này", "关于发票"],
    "meeting": ["Product demo", "Quarterly review", "Họp giới thiệu", "合同洽谈"],
    "chat": ["Question about sizes", "Hỏi về bảo hành", "库存查询"],
    "social": ["Reply on Facebook", "Tin nhắn Zalo", "微信留言"],
    "visit": ["Store visit", "Ghé cửa hàng", "到店参观"],
    "note": ["Prefers mornings", "Khách quen, thích giao nhanh", "对价格敏感"],
}
CHANNELS = {
    "call": ["phone"], "email": ["email"], "meeting": ["office", "video"],
    "chat": ["zalo", "wechat", "web chat"], "social": ["facebook", "zalo", "wechat"],
    "visit": ["store"], "note": [""],
}  # fmt: skip
OUTCOMES = ["connected", "connected", "connected", "voicemail", "no_answer", "busy"]
TASK_TITLES = [
    "Call back about the quote", "Send the contract", "Gửi báo giá", "Hẹn lịch gặp",
    "跟进付款", "Check delivery", "Ask for a review",
]  # fmt: skip


def demo_engagement_load(context: DemoContext) -> None:
    """Adds the engagement demo records; counts go to context.counts."""
    rng = context.rng("engagement")
    now = timezone.now()
    contacts = list(
        Contact.objects.order_by("id").values_list("id", "owner_id", "team_id", "company_id")
    )
    if not contacts:
        return
    users = list(context.users.values())
    team_of = {u.pk: u.team_id for u in users}
    kinds = list(SUBJECTS)
    # About two interactions per contact; every kind appears. Rows through kith.core.bulk
    # (no model instance per row), into an empty table with its plain indexes built after.
    total = len(contacts) * 2
    with secondary_indexes_deferred([Interaction], foreign_keys=True):
        for start in range(0, total, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, total)):
                contact_id, owner_id, team_id, company_id = contacts[n % len(contacts)]
                kind = kinds[n % len(kinds)] if n < len(kinds) * 3 else rng.choice(kinds)
                at = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 365))
                rows.append((
                    owner_id, team_id, kind,
                    rng.choice(["in", "out"]) if kind in {"call", "email", "chat"} else "",
                    rng.choice(CHANNELS[kind]), at,
                    rng.randrange(30, 1800) if kind in {"call", "meeting"} else None,
                    rng.choice(OUTCOMES) if kind == "call" else "", rng.choice(SUBJECTS[kind]),
                    "" if kind == "call" else rng.choice(SUBJECTS[kind]), contact_id, company_id,
                    f"demo-{n}@kith.demo" if kind == "email" else "",
                    f"demo-{n}@kith.demo" if kind == "email" else "",
                ))  # fmt: skip
            rows_insert(Interaction, INTERACTION_ATTRS, rows)
            context.report("interactions", start + len(rows), total)
    # Meetings with a teammate taking part (they show in both users' calendars).
    by_team: dict[int | None, list[int]] = {}
    for user in users:
        by_team.setdefault(user.team_id, []).append(user.pk)
    through = Interaction.participant_users.through
    meetings = Interaction.objects.filter(kind="meeting").values_list("id", "owner_id", "team_id")
    through.objects.bulk_create(
        [
            through(interaction_id=meeting_id, user_id=mate)
            for meeting_id, owner_id, team_id in meetings[:2000]
            for mate in by_team.get(team_id, [])[:2]
            if mate != owner_id
        ],
        batch_size=BATCH,
    )

    # Tasks for each user: some overdue, some today, some later, a few done.
    tasks: list[Task] = []
    for user in users:
        own = [c for c in contacts if c[1] == user.pk] or contacts
        for i in range(12):
            contact_id = rng.choice(own)[0]
            due = now + timedelta(hours=rng.randrange(-96, 240))
            status = "done" if i % 6 == 5 else "open"
            tasks.append(
                Task(
                    owner_id=user.pk,
                    team_id=team_of[user.pk],
                    created_by_id=user.pk,
                    title=rng.choice(TASK_TITLES),
                    due_at=due,
                    remind_at=due - timedelta(minutes=30) if i % 3 == 0 else None,
                    # Past reminders count as delivered so the first worker run is not a flood.
                    reminded_at=due - timedelta(minutes=30) if i % 3 == 0 and due < now else None,
                    priority=rng.choice([1, 2, 2, 3, 4]),
                    status=status,
                    completed_at=due if status == "done" else None,
                    contact_id=contact_id,
                )
            )
    Task.objects.bulk_create(tasks)

    # Comments with mentions, and the notifications the mentions made.
    names = [u for u in users if u.username != "admin"]
    comments: list[Comment] = []
    mentioned: list[tuple[int, int]] = []  # (index of comment, user id)
    for i in range(min(200, len(contacts))):
        author = rng.choice(names)
        other = rng.choice([u for u in names if u.pk != author.pk])
        contact_id = contacts[rng.randrange(len(contacts))][0]
        comments.append(
            Comment(
                record_model="customers.contact",
                record_id=contact_id,
                body=f"@{other.username} {rng.choice(SUBJECTS['note'])}",
                author=author,
            )
        )
        mentioned.append((i, other.pk))
    Comment.objects.bulk_create(comments)
    through = Comment.mentions.through
    through.objects.bulk_create(
        [through(comment_id=comments[i].pk, user_id=user_id) for i, user_id in mentioned]
    )
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=user_id,
                kind="mention",
                text=f"{comments[i].author} mentioned you: {comments[i].body[:120]}",
                url=f"/contacts/{comments[i].record_id}/",
                actor=comments[i].author,
                record_model="customers.contact",
                record_id=comments[i].record_id,
            )
            for i, user_id in mentioned
        ]
    )
    context.counts.update(
        {"interactions": total, "tasks": len(tasks), "comments": len(comments),
         "notifications": len(mentioned)}
    )  # fmt: skip
