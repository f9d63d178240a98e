"""Writes of engagement, one module per concept: interactions and email out (interactions),
tasks and reminders (tasks), comments, mentions and follows (comments), notifications and
preferences (notifications), IMAP mailbox settings (mailboxes); what each is about (about)."""

from kith.engagement.services.comments import (
    MENTION_RE,
    comment_create,
    follow_set,
    mentioned_usernames,
)
from kith.engagement.services.interactions import BODY_LIMIT, email_send, interaction_create
from kith.engagement.services.mailboxes import MAILBOX_FIELDS, mailbox_create, mailbox_update
from kith.engagement.services.notifications import (
    calendar_token_reset,
    notification_create,
    notifications_mark_read,
    preference_get,
    preference_update,
)
from kith.engagement.services.tasks import (
    TASK_FIELDS,
    task_create,
    task_delete,
    task_update,
    tasks_remind_due,
)

__all__ = [
    "BODY_LIMIT",
    "MAILBOX_FIELDS",
    "MENTION_RE",
    "TASK_FIELDS",
    "calendar_token_reset",
    "comment_create",
    "email_send",
    "follow_set",
    "interaction_create",
    "mailbox_create",
    "mailbox_update",
    "mentioned_usernames",
    "notification_create",
    "notifications_mark_read",
    "preference_get",
    "preference_update",
    "task_create",
    "task_delete",
    "task_update",
    "tasks_remind_due",
]
