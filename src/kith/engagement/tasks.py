"""Background work of engagement: reminders and mailbox polls (run by `kith worker`)."""

from __future__ import annotations

from django_tasks import task

from kith.engagement.mail import mailboxes_fetch
from kith.engagement.services import tasks_remind_due


@task()
def reminders_deliver_task() -> int:
    """Deliver every task reminder that is due."""
    return tasks_remind_due()


@task()
def mailboxes_fetch_task() -> int:
    """Poll every active mailbox; returns how many messages were seen."""
    return sum(result.seen for result in mailboxes_fetch().values())
